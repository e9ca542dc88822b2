using System.Runtime.CompilerServices;

namespace ModelCompiler.Runtime;

/// <summary>
/// Winograd F(4x4, 3x3) transforms (interpolation points 0, 1, -1, 2, -2, ∞):
/// Bᵀ = [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
/// Aᵀ = [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]]. A 6x6 block is 36 vectors,
/// more than the registers: the row pass leaves its results in the work space, the column pass reads them back (L1).
/// </summary>
internal readonly unsafe struct WinogradTile4 : IWinogradTile
{
    public static int Size => 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Input<TV>(float* p, nint phaseStride, nint rowStride, float* v, long pointStride, float* work) where TV : unmanaged, IVec<TV>
    {
        int n = TV.Count;
        float* p1 = p + phaseStride, p2 = p1 + phaseStride, p3 = p2 + phaseStride;
        // Rows: t[i] = d[i] B; columns k = 0..5 are phase k % 4 at offset k / 4.
        for (int i = 0; i < 6; i++)
        {
            nint o = i * rowStride;
            Transform(TV.Load(p + o), TV.Load(p1 + o), TV.Load(p2 + o), TV.Load(p3 + o), TV.Load(p + o + 1), TV.Load(p1 + o + 1),
                out var t0, out var t1, out var t2, out var t3, out var t4, out var t5);
            float* w = work + 6 * i * n;
            TV.Store(w, t0); TV.Store(w + n, t1); TV.Store(w + 2 * n, t2); TV.Store(w + 3 * n, t3); TV.Store(w + 4 * n, t4); TV.Store(w + 5 * n, t5);
        }
        // Columns: V = Bᵀ t; point (a, b) to v + (6a + b) * pointStride.
        for (int b = 0; b < 6; b++)
        {
            float* w = work + b * n;
            Transform(TV.Load(w), TV.Load(w + 6 * n), TV.Load(w + 12 * n), TV.Load(w + 18 * n), TV.Load(w + 24 * n), TV.Load(w + 30 * n),
                out var v0, out var v1, out var v2, out var v3, out var v4, out var v5);
            TV.Store(v + b * pointStride, v0);
            TV.Store(v + (6 + b) * pointStride, v1);
            TV.Store(v + (12 + b) * pointStride, v2);
            TV.Store(v + (18 + b) * pointStride, v3);
            TV.Store(v + (24 + b) * pointStride, v4);
            TV.Store(v + (30 + b) * pointStride, v5);
        }
    }

    /// <summary>Bᵀ d for one column of six: 4d0 - 5d2 + d4, (d4 - 4d2) ± (d3 - 4d1), (d4 - d2) ± 2(d3 - d1), 4d1 - 5d3 + d5.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transform<TV>(TV d0, TV d1, TV d2, TV d3, TV d4, TV d5, out TV t0, out TV t1, out TV t2, out TV t3, out TV t4, out TV t5)
        where TV : unmanaged, IVec<TV>
    {
        TV four = TV.Splat(4f), minusFour = TV.Splat(-4f), minusFive = TV.Splat(-5f);
        t0 = TV.MultiplyAdd(four, d0, TV.MultiplyAdd(minusFive, d2, d4));
        t5 = TV.MultiplyAdd(four, d1, TV.MultiplyAdd(minusFive, d3, d5));
        TV a = TV.MultiplyAdd(minusFour, d2, d4), b = TV.MultiplyAdd(minusFour, d1, d3);
        t1 = TV.Add(a, b);
        t2 = TV.Subtract(a, b);
        TV c = TV.Subtract(d4, d2), e = TV.Subtract(d3, d1);
        e = TV.Add(e, e);
        t3 = TV.Add(c, e);
        t4 = TV.Subtract(c, e);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Output<TV>(float* products, nint pointStride, float bias, in PackedConv.Clamp clamp, float* y, int outWidth, int rows, int valid, float* work)
        where TV : unmanaged, IVec<TV>
    {
        int n = TV.Count;
        // Rows of Aᵀ M, per column b, into the work space as [output row j][b].
        for (int b = 0; b < 6; b++)
        {
            float* m = products + b * pointStride;
            Reduce(TV.Load(m), TV.Load(m + 6 * pointStride), TV.Load(m + 12 * pointStride), TV.Load(m + 18 * pointStride),
                TV.Load(m + 24 * pointStride), TV.Load(m + 30 * pointStride), out var o0, out var o1, out var o2, out var o3);
            float* w = work + b * n;
            TV.Store(w, o0); TV.Store(w + 6 * n, o1); TV.Store(w + 12 * n, o2); TV.Store(w + 18 * n, o3);
        }
        TV bv = TV.Splat(bias), lo = TV.Splat(clamp.Lo), hi = TV.Splat(clamp.Hi);
        for (int j = 0; j < rows; j++)
        {
            float* w = work + 6 * j * n;
            Reduce(TV.Load(w), TV.Load(w + n), TV.Load(w + 2 * n), TV.Load(w + 3 * n), TV.Load(w + 4 * n), TV.Load(w + 5 * n),
                out var y0, out var y1, out var y2, out var y3);
            y0 = TV.Add(y0, bv); y1 = TV.Add(y1, bv); y2 = TV.Add(y2, bv); y3 = TV.Add(y3, bv);
            if (clamp.Fused)
            {
                y0 = TV.MinKeepNaN(hi, TV.MaxKeepNaN(lo, y0));
                y1 = TV.MinKeepNaN(hi, TV.MaxKeepNaN(lo, y1));
                y2 = TV.MinKeepNaN(hi, TV.MaxKeepNaN(lo, y2));
                y3 = TV.MinKeepNaN(hi, TV.MaxKeepNaN(lo, y3));
            }
            Lanes.Store4(y + (long)j * outWidth, y0, y1, y2, y3, valid);
        }
    }

    /// <summary>Aᵀ m for one column of six: m0 + (m1 + m2) + (m3 + m4), (m1 - m2) + 2(m3 - m4), (m1 + m2) + 4(m3 + m4), (m1 - m2) + 8(m3 - m4) + m5.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Reduce<TV>(TV m0, TV m1, TV m2, TV m3, TV m4, TV m5, out TV o0, out TV o1, out TV o2, out TV o3) where TV : unmanaged, IVec<TV>
    {
        TV s12 = TV.Add(m1, m2), d12 = TV.Subtract(m1, m2), s34 = TV.Add(m3, m4), d34 = TV.Subtract(m3, m4);
        o0 = TV.Add(TV.Add(m0, s12), s34);
        o1 = TV.MultiplyAdd(TV.Splat(2f), d34, d12);
        o2 = TV.MultiplyAdd(TV.Splat(4f), s34, s12);
        o3 = TV.MultiplyAdd(TV.Splat(8f), d34, TV.Add(d12, m5));
    }
}
