using System;
using System.Runtime.CompilerServices;

namespace ModelCompiler.Runtime;

/// <summary>
/// The matrix-vector product at the heart of a recurrent step: y[0..cols) = init[0..cols) + sum over k of
/// v[k] * m[k * stride + 0..cols), with m a run of rows of the packed gate matrix (<c>RecurrentLayout</c>). Each
/// row holds what one input or state element adds to every gate, contiguously, so a tile of up to 8 vectors of
/// columns (16 with AVX-512) stays in registers over all rows and the weights stream through once (one load per multiply-add, the
/// bound of any matrix-vector product). init may be y (accumulate).
/// </summary>
internal static unsafe class RecurrentGemv
{
    /// <summary>cols is a multiple of 16 (the layout pads every gate), so whole vectors cover it at every width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TV>(float* v, int rows, float* m, int stride, int cols, float* init, float* y) where TV : unmanaged, IVec<TV>
    {
        int vc = TV.Count, c = 0;
        // With 32 registers (AVX-512) up to 16 vectors of columns stay in registers: one pass over the rows reads
        // each row's weights as one contiguous run (an LSTM or GRU of 64 units is one 12- or 16-vector pass).
        if (typeof(TV) == typeof(Vec512))
        {
            for (; c + 16 * vc <= cols; c += 16 * vc) Tile<TV, Vectors16>(v, rows, m + c, stride, init + c, y + c);
            if (c + 12 * vc <= cols) { Tile<TV, Vectors12>(v, rows, m + c, stride, init + c, y + c); c += 12 * vc; }
        }
        for (; c + 8 * vc <= cols; c += 8 * vc) Tile<TV, Int8>(v, rows, m + c, stride, init + c, y + c);
        if (c + 4 * vc <= cols) { Tile<TV, Int4>(v, rows, m + c, stride, init + c, y + c); c += 4 * vc; }
        if (c + 2 * vc <= cols) { Tile<TV, Int2>(v, rows, m + c, stride, init + c, y + c); c += 2 * vc; }
        if (c + vc <= cols) Tile<TV, Int1>(v, rows, m + c, stride, init + c, y + c);
    }

    private struct Vectors12 : IConstInt { public static int Value => 12; }
    private struct Vectors16 : IConstInt { public static int Value => 16; }

    /// <summary>
    /// y[r][0..cols) = bias[0..cols) + sum over j of x[r][j] * m[j * cols + 0..cols) for <paramref name="rows"/>
    /// contiguous rows of <paramref name="k"/> floats (the input projection of every time step): tiles of 4 rows x
    /// 4 vectors, so each weight vector loaded serves four rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows<TV>(float* x, int rows, int k, float* m, int cols, float* bias, float* y) where TV : unmanaged, IVec<TV>
    {
        int vc = TV.Count;
        for (int r = 0; r < rows; r += 4)
        {
            int left = rows - r;
            float* xr = x + (long)r * k, yr = y + (long)r * cols;
            for (int c = 0; c < cols;)
            {
                int vectors = (cols - c) / vc;
                int w = vectors >= 4 ? 4 : vectors >= 2 ? 2 : 1;
                switch ((Math.Min(left, 4), w))
                {
                    case (4, 4): RowTile<TV, Int4, Int4>(xr, k, m + c, cols, bias + c, yr + c); break;
                    case (4, 2): RowTile<TV, Int4, Int2>(xr, k, m + c, cols, bias + c, yr + c); break;
                    case (4, _): RowTile<TV, Int4, Int1>(xr, k, m + c, cols, bias + c, yr + c); break;
                    case (3, 4): RowTile<TV, Int3, Int4>(xr, k, m + c, cols, bias + c, yr + c); break;
                    case (3, 2): RowTile<TV, Int3, Int2>(xr, k, m + c, cols, bias + c, yr + c); break;
                    case (3, _): RowTile<TV, Int3, Int1>(xr, k, m + c, cols, bias + c, yr + c); break;
                    case (2, 4): RowTile<TV, Int2, Int4>(xr, k, m + c, cols, bias + c, yr + c); break;
                    case (2, 2): RowTile<TV, Int2, Int2>(xr, k, m + c, cols, bias + c, yr + c); break;
                    case (2, _): RowTile<TV, Int2, Int1>(xr, k, m + c, cols, bias + c, yr + c); break;
                    default:
                        if (w == 4) Tile<TV, Int4>(xr, k, m + c, cols, bias + c, yr + c);
                        else if (w == 2) Tile<TV, Int2>(xr, k, m + c, cols, bias + c, yr + c);
                        else Tile<TV, Int1>(xr, k, m + c, cols, bias + c, yr + c);
                        break;
                }
                c += w * vc;
            }
        }
    }

    /// <summary>TR rows x TC vectors of <see cref="Rows{TV}"/>, in registers over all of k.</summary>
    // Not inlined: a caller holding several tiles (or a recurrent step holding this) exceeds the JIT's inlining budget,
    // which then leaves the vector operations inside as calls (seen in perf: Vec512.MultiplyAdd as its own function).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RowTile<TV, TR, TC>(float* x, int k, float* m, int stride, float* bias, float* y)
        where TV : unmanaged, IVec<TV> where TR : IConstInt where TC : IConstInt
    {
        int n = TV.Count;
        TV b0 = TV.Load(bias), b1 = TC.Value > 1 ? TV.Load(bias + n) : default;
        TV b2 = TC.Value > 2 ? TV.Load(bias + 2 * n) : default, b3 = TC.Value > 2 ? TV.Load(bias + 3 * n) : default;
        TV c00 = b0, c01 = b1, c02 = b2, c03 = b3;
        TV c10 = b0, c11 = b1, c12 = b2, c13 = b3;
        TV c20 = b0, c21 = b1, c22 = b2, c23 = b3;
        TV c30 = b0, c31 = b1, c32 = b2, c33 = b3;
        for (int j = 0; j < k; j++, m += stride)
        {
            TV w0 = TV.Load(m), w1 = TC.Value > 1 ? TV.Load(m + n) : default;
            TV w2 = TC.Value > 2 ? TV.Load(m + 2 * n) : default, w3 = TC.Value > 2 ? TV.Load(m + 3 * n) : default;
            TV s = TV.Splat(x[j]);
            c00 = TV.MultiplyAdd(s, w0, c00);
            if (TC.Value > 1) c01 = TV.MultiplyAdd(s, w1, c01);
            if (TC.Value > 2) { c02 = TV.MultiplyAdd(s, w2, c02); c03 = TV.MultiplyAdd(s, w3, c03); }
            if (TR.Value > 1)
            {
                s = TV.Splat(x[k + j]);
                c10 = TV.MultiplyAdd(s, w0, c10);
                if (TC.Value > 1) c11 = TV.MultiplyAdd(s, w1, c11);
                if (TC.Value > 2) { c12 = TV.MultiplyAdd(s, w2, c12); c13 = TV.MultiplyAdd(s, w3, c13); }
            }
            if (TR.Value > 2)
            {
                s = TV.Splat(x[2 * k + j]);
                c20 = TV.MultiplyAdd(s, w0, c20);
                if (TC.Value > 1) c21 = TV.MultiplyAdd(s, w1, c21);
                if (TC.Value > 2) { c22 = TV.MultiplyAdd(s, w2, c22); c23 = TV.MultiplyAdd(s, w3, c23); }
            }
            if (TR.Value > 3)
            {
                s = TV.Splat(x[3 * k + j]);
                c30 = TV.MultiplyAdd(s, w0, c30);
                if (TC.Value > 1) c31 = TV.MultiplyAdd(s, w1, c31);
                if (TC.Value > 2) { c32 = TV.MultiplyAdd(s, w2, c32); c33 = TV.MultiplyAdd(s, w3, c33); }
            }
        }
        Store<TV, TC>(y, n, c00, c01, c02, c03);
        if (TR.Value > 1) Store<TV, TC>(y + stride, n, c10, c11, c12, c13);
        if (TR.Value > 2) Store<TV, TC>(y + 2 * stride, n, c20, c21, c22, c23);
        if (TR.Value > 3) Store<TV, TC>(y + 3 * stride, n, c30, c31, c32, c33);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TV, TC>(float* y, int n, TV a0, TV a1, TV a2, TV a3) where TV : unmanaged, IVec<TV> where TC : IConstInt
    {
        TV.Store(y, a0);
        if (TC.Value > 1) TV.Store(y + n, a1);
        if (TC.Value > 2) { TV.Store(y + 2 * n, a2); TV.Store(y + 3 * n, a3); }
    }

    /// <summary>TC vectors of columns (1, 2, 4, 8, 12 or 16), in registers over all rows.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // see RowTile
    private static void Tile<TV, TC>(float* v, int rows, float* m, int stride, float* init, float* y)
        where TV : unmanaged, IVec<TV> where TC : IConstInt
    {
        int n = TV.Count;
        TV a0 = TV.Load(init);
        TV a1 = TC.Value > 1 ? TV.Load(init + n) : default;
        TV a2 = TC.Value > 2 ? TV.Load(init + 2 * n) : default, a3 = TC.Value > 2 ? TV.Load(init + 3 * n) : default;
        TV a4 = TC.Value > 4 ? TV.Load(init + 4 * n) : default, a5 = TC.Value > 4 ? TV.Load(init + 5 * n) : default;
        TV a6 = TC.Value > 4 ? TV.Load(init + 6 * n) : default, a7 = TC.Value > 4 ? TV.Load(init + 7 * n) : default;
        TV a8 = TC.Value > 8 ? TV.Load(init + 8 * n) : default, a9 = TC.Value > 8 ? TV.Load(init + 9 * n) : default;
        TV a10 = TC.Value > 8 ? TV.Load(init + 10 * n) : default, a11 = TC.Value > 8 ? TV.Load(init + 11 * n) : default;
        TV a12 = TC.Value > 12 ? TV.Load(init + 12 * n) : default, a13 = TC.Value > 12 ? TV.Load(init + 13 * n) : default;
        TV a14 = TC.Value > 12 ? TV.Load(init + 14 * n) : default, a15 = TC.Value > 12 ? TV.Load(init + 15 * n) : default;
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
            if (TC.Value > 8)
            {
                a8 = TV.MultiplyAdd(s, TV.Load(m + 8 * n), a8);
                a9 = TV.MultiplyAdd(s, TV.Load(m + 9 * n), a9);
                a10 = TV.MultiplyAdd(s, TV.Load(m + 10 * n), a10);
                a11 = TV.MultiplyAdd(s, TV.Load(m + 11 * n), a11);
            }
            if (TC.Value > 12)
            {
                a12 = TV.MultiplyAdd(s, TV.Load(m + 12 * n), a12);
                a13 = TV.MultiplyAdd(s, TV.Load(m + 13 * n), a13);
                a14 = TV.MultiplyAdd(s, TV.Load(m + 14 * n), a14);
                a15 = TV.MultiplyAdd(s, TV.Load(m + 15 * n), a15);
            }
        }
        TV.Store(y, a0);
        if (TC.Value > 1) TV.Store(y + n, a1);
        if (TC.Value > 2) { TV.Store(y + 2 * n, a2); TV.Store(y + 3 * n, a3); }
        if (TC.Value > 4) { TV.Store(y + 4 * n, a4); TV.Store(y + 5 * n, a5); TV.Store(y + 6 * n, a6); TV.Store(y + 7 * n, a7); }
        if (TC.Value > 8) { TV.Store(y + 8 * n, a8); TV.Store(y + 9 * n, a9); TV.Store(y + 10 * n, a10); TV.Store(y + 11 * n, a11); }
        if (TC.Value > 12) { TV.Store(y + 12 * n, a12); TV.Store(y + 13 * n, a13); TV.Store(y + 14 * n, a14); TV.Store(y + 15 * n, a15); }
    }
}
