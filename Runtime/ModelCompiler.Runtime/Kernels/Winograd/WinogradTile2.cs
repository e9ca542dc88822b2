using System.Runtime.CompilerServices;

namespace ModelCompiler.Runtime;

/// <summary>
/// Winograd F(2x2, 3x3) transforms, in registers: Bᵀ = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
/// Aᵀ = [[1, 1, 1, 0], [0, 1, -1, -1]] (G is applied to the weights at build time, <see cref="WeightLayouts.WinogradPanels"/>).
/// </summary>
internal readonly unsafe struct WinogradTile2 : IWinogradTile
{
    public static int Size => 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Input<TV>(float* p, nint phaseStride, nint rowStride, float* v, long pointStride, float* work) where TV : unmanaged, IVec<TV>
    {
        float* p1 = p + phaseStride;
        // Rows: t[i] = d[i] B = (d0 - d2, d1 + d2, d2 - d1, d1 - d3); columns k = 0..3 are phase k % 2 at offset k / 2.
        Row<TV>(p, p1, out var t00, out var t01, out var t02, out var t03);
        Row<TV>(p + rowStride, p1 + rowStride, out var t10, out var t11, out var t12, out var t13);
        Row<TV>(p + 2 * rowStride, p1 + 2 * rowStride, out var t20, out var t21, out var t22, out var t23);
        Row<TV>(p + 3 * rowStride, p1 + 3 * rowStride, out var t30, out var t31, out var t32, out var t33);
        // Columns: V = Bᵀ t, the same combination down each column.
        Column<TV>(v, pointStride, 0, t00, t10, t20, t30);
        Column<TV>(v, pointStride, 1, t01, t11, t21, t31);
        Column<TV>(v, pointStride, 2, t02, t12, t22, t32);
        Column<TV>(v, pointStride, 3, t03, t13, t23, t33);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row<TV>(float* p0, float* p1, out TV t0, out TV t1, out TV t2, out TV t3) where TV : unmanaged, IVec<TV>
    {
        TV d0 = TV.Load(p0), d1 = TV.Load(p1), d2 = TV.Load(p0 + 1), d3 = TV.Load(p1 + 1);
        t0 = TV.Subtract(d0, d2);
        t1 = TV.Add(d1, d2);
        t2 = TV.Subtract(d2, d1);
        t3 = TV.Subtract(d1, d3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Column<TV>(float* v, long pointStride, int b, TV t0, TV t1, TV t2, TV t3) where TV : unmanaged, IVec<TV>
    {
        TV.Store(v + b * pointStride, TV.Subtract(t0, t2));
        TV.Store(v + (4 + b) * pointStride, TV.Add(t1, t2));
        TV.Store(v + (8 + b) * pointStride, TV.Subtract(t2, t1));
        TV.Store(v + (12 + b) * pointStride, TV.Subtract(t1, t3));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Output<TV>(float* products, nint pointStride, float bias, in PackedConv.Clamp clamp, float* y, int outWidth, int rows, int valid, float* work)
        where TV : unmanaged, IVec<TV>
    {
        // Rows of Aᵀ M per column b: s0 = m0 + m1 + m2, s1 = m1 - m2 - m3; then the same across the columns.
        Reduce<TV>(products, pointStride, 0, out var s00, out var s10);
        Reduce<TV>(products, pointStride, 1, out var s01, out var s11);
        Reduce<TV>(products, pointStride, 2, out var s02, out var s12);
        Reduce<TV>(products, pointStride, 3, out var s03, out var s13);
        TV b = TV.Splat(bias);
        TV y00 = TV.Add(TV.Add(TV.Add(s00, s01), s02), b), y01 = TV.Add(TV.Subtract(TV.Subtract(s01, s02), s03), b);
        TV y10 = TV.Add(TV.Add(TV.Add(s10, s11), s12), b), y11 = TV.Add(TV.Subtract(TV.Subtract(s11, s12), s13), b);
        if (clamp.Fused)
        {
            TV lo = TV.Splat(clamp.Lo), hi = TV.Splat(clamp.Hi);
            y00 = TV.MinKeepNaN(hi, TV.MaxKeepNaN(lo, y00));
            y01 = TV.MinKeepNaN(hi, TV.MaxKeepNaN(lo, y01));
            y10 = TV.MinKeepNaN(hi, TV.MaxKeepNaN(lo, y10));
            y11 = TV.MinKeepNaN(hi, TV.MaxKeepNaN(lo, y11));
        }
        Lanes.Store2(y, y00, y01, valid);
        if (rows > 1) Lanes.Store2(y + outWidth, y10, y11, valid);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Reduce<TV>(float* m, nint pointStride, int b, out TV s0, out TV s1) where TV : unmanaged, IVec<TV>
    {
        TV m0 = TV.Load(m + b * pointStride), m1 = TV.Load(m + (4 + b) * pointStride);
        TV m2 = TV.Load(m + (8 + b) * pointStride), m3 = TV.Load(m + (12 + b) * pointStride);
        s0 = TV.Add(TV.Add(m0, m1), m2);
        s1 = TV.Subtract(TV.Subtract(m1, m2), m3);
    }
}
