using System.Runtime.CompilerServices;

namespace ModelCompiler.Runtime;

/// <summary>
/// The matrix-vector product at the heart of a recurrent step: y[0..cols) = init[0..cols) + sum over k of
/// v[k] * m[k * stride + 0..cols), with m a run of rows of the packed gate matrix (<c>RecurrentLayout</c>). Each
/// row holds what one input or state element adds to every gate, contiguously, so a tile of up to 8 vectors of
/// columns stays in registers over all rows and the weights stream through once (one load per multiply-add, the
/// bound of any matrix-vector product). init may be y (accumulate).
/// </summary>
internal static unsafe class RecurrentGemv
{
    /// <summary>cols is a multiple of 16 (the layout pads every gate), so whole vectors cover it at every width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TV>(float* v, int rows, float* m, int stride, int cols, float* init, float* y) where TV : unmanaged, IVec<TV>
    {
        int vc = TV.Count, c = 0;
        for (; c + 8 * vc <= cols; c += 8 * vc) Tile<TV, Int8>(v, rows, m + c, stride, init + c, y + c);
        if (c + 4 * vc <= cols) { Tile<TV, Int4>(v, rows, m + c, stride, init + c, y + c); c += 4 * vc; }
        if (c + 2 * vc <= cols) { Tile<TV, Int2>(v, rows, m + c, stride, init + c, y + c); c += 2 * vc; }
        if (c + vc <= cols) Tile<TV, Int1>(v, rows, m + c, stride, init + c, y + c);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile<TV, TC>(float* v, int rows, float* m, int stride, float* init, float* y)
        where TV : unmanaged, IVec<TV> where TC : IConstInt
    {
        int n = TV.Count;
        TV a0 = TV.Load(init);
        TV a1 = TC.Value > 1 ? TV.Load(init + n) : default;
        TV a2 = TC.Value > 2 ? TV.Load(init + 2 * n) : default;
        TV a3 = TC.Value > 2 ? TV.Load(init + 3 * n) : default;
        TV a4 = TC.Value > 4 ? TV.Load(init + 4 * n) : default;
        TV a5 = TC.Value > 4 ? TV.Load(init + 5 * n) : default;
        TV a6 = TC.Value > 4 ? TV.Load(init + 6 * n) : default;
        TV a7 = TC.Value > 4 ? TV.Load(init + 7 * n) : default;
        for (int k = 0; k < rows; k++, m += stride)
        {
            TV s = TV.Splat(v[k]);
            a0 = TV.MultiplyAdd(s, TV.Load(m), a0);
            if (TC.Value > 1) a1 = TV.MultiplyAdd(s, TV.Load(m + n), a1);
            if (TC.Value > 2)
            {
                a2 = TV.MultiplyAdd(s, TV.Load(m + 2 * n), a2);
                a3 = TV.MultiplyAdd(s, TV.Load(m + 3 * n), a3);
            }
            if (TC.Value > 4)
            {
                a4 = TV.MultiplyAdd(s, TV.Load(m + 4 * n), a4);
                a5 = TV.MultiplyAdd(s, TV.Load(m + 5 * n), a5);
                a6 = TV.MultiplyAdd(s, TV.Load(m + 6 * n), a6);
                a7 = TV.MultiplyAdd(s, TV.Load(m + 7 * n), a7);
            }
        }
        TV.Store(y, a0);
        if (TC.Value > 1) TV.Store(y + n, a1);
        if (TC.Value > 2) { TV.Store(y + 2 * n, a2); TV.Store(y + 3 * n, a3); }
        if (TC.Value > 4) { TV.Store(y + 4 * n, a4); TV.Store(y + 5 * n, a5); TV.Store(y + 6 * n, a6); TV.Store(y + 7 * n, a7); }
    }
}
