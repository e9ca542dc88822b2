using System.Runtime.CompilerServices;

namespace ModelCompiler.Runtime;

/// <summary>
/// Register-blocked inner kernels of the packed GEMM. Each computes one output tile entirely in registers
/// over the whole K dimension, then stores it once; the callers apply the epilogue while the tile is still in
/// L1. Generic over the vector type and the tile shape (compile-time constants), so one source yields the
/// AVX-512, AVX2, NEON/SSE and scalar variants with fully unrolled accumulators.
/// </summary>
/// <remarks>
/// Measured on the development machine (AVX-512, 2 FMA pipes, ~110 G MAC/s single-core peak): the 8 x 48
/// tile of <see cref="PanelTile"/> runs at 95-108 G MAC/s on 1x1 and im2col'd 3x3 convolution shapes, with B
/// read either in place (row stride = image size) or from a packed strip; blocking K in chunks of 128 made
/// no measurable difference, so K is never blocked and each tile is final when it leaves the registers.
/// </remarks>
internal static unsafe class GemmMicroKernels
{
    /// <summary>Rows of a packed weight panel: the A operand of convolutions is stored as [tile][k][8].</summary>
    public const int PanelRows = WeightLayouts.PanelRows;

    /// <summary>
    /// C[TR x (TC * TV.Count)] = A-panel * B (+ per-row bias). A is a packed weight panel, <see cref="PanelRows"/>
    /// floats per k (rows past TR are ignored); B row k starts at b + offsets[k] and holds the tile's columns
    /// contiguously (the offset table lets a convolution read its taps straight from a padded input, and costs
    /// one scalar load per k). C rows are cStride apart. Row r starts from bias[r] when <paramref name="bias"/> is not null.
    /// With <paramref name="clamp"/>, every value is stored as min(hi, max(lo, value)) (Relu, Clip, Relu6: the
    /// activation applied in registers instead of in a second pass over the stored tile; NaN kept as there).
    /// </summary>
    [MethodImpl(KernelCompilation.Hot)]
    public static void PanelTile<TV, TR, TC>(float* a, float* b, int* offsets, int k, float* bias, float* c, nint cStride,
        bool clamp = false, float lo = 0, float hi = 0)
        where TV : unmanaged, IVec<TV> where TR : IConstInt where TC : IConstInt
    {
        int n = TV.Count;
        TV c00 = TV.Zero, c01 = TV.Zero, c02 = TV.Zero, c03 = TV.Zero;
        TV c10 = TV.Zero, c11 = TV.Zero, c12 = TV.Zero, c13 = TV.Zero;
        TV c20 = TV.Zero, c21 = TV.Zero, c22 = TV.Zero, c23 = TV.Zero;
        TV c30 = TV.Zero, c31 = TV.Zero, c32 = TV.Zero, c33 = TV.Zero;
        TV c40 = TV.Zero, c41 = TV.Zero, c42 = TV.Zero, c43 = TV.Zero;
        TV c50 = TV.Zero, c51 = TV.Zero, c52 = TV.Zero, c53 = TV.Zero;
        TV c60 = TV.Zero, c61 = TV.Zero, c62 = TV.Zero, c63 = TV.Zero;
        TV c70 = TV.Zero, c71 = TV.Zero, c72 = TV.Zero, c73 = TV.Zero;
        if (bias != null)
        {
            TV v;
            v = TV.Splat(bias[0]); c00 = v; c01 = v; c02 = v; c03 = v;
            if (TR.Value > 1) { v = TV.Splat(bias[1]); c10 = v; c11 = v; c12 = v; c13 = v; }
            if (TR.Value > 2) { v = TV.Splat(bias[2]); c20 = v; c21 = v; c22 = v; c23 = v; }
            if (TR.Value > 3) { v = TV.Splat(bias[3]); c30 = v; c31 = v; c32 = v; c33 = v; }
            if (TR.Value > 4) { v = TV.Splat(bias[4]); c40 = v; c41 = v; c42 = v; c43 = v; }
            if (TR.Value > 5) { v = TV.Splat(bias[5]); c50 = v; c51 = v; c52 = v; c53 = v; }
            if (TR.Value > 6) { v = TV.Splat(bias[6]); c60 = v; c61 = v; c62 = v; c63 = v; }
            if (TR.Value > 7) { v = TV.Splat(bias[7]); c70 = v; c71 = v; c72 = v; c73 = v; }
        }
        for (int p = 0; p < k; p++)
        {
            float* bk = b + offsets[p];
            TV b0 = TV.Load(bk);
            TV b1 = TC.Value > 1 ? TV.Load(bk + n) : default;
            TV b2 = TC.Value > 2 ? TV.Load(bk + 2 * n) : default;
            TV b3 = TC.Value > 3 ? TV.Load(bk + 3 * n) : default;
            TV w;
            w = TV.Splat(a[0]);
            c00 = TV.MultiplyAdd(w, b0, c00); if (TC.Value > 1) c01 = TV.MultiplyAdd(w, b1, c01); if (TC.Value > 2) c02 = TV.MultiplyAdd(w, b2, c02); if (TC.Value > 3) c03 = TV.MultiplyAdd(w, b3, c03);
            if (TR.Value > 1)
            {
                w = TV.Splat(a[1]);
                c10 = TV.MultiplyAdd(w, b0, c10); if (TC.Value > 1) c11 = TV.MultiplyAdd(w, b1, c11); if (TC.Value > 2) c12 = TV.MultiplyAdd(w, b2, c12); if (TC.Value > 3) c13 = TV.MultiplyAdd(w, b3, c13);
            }
            if (TR.Value > 2)
            {
                w = TV.Splat(a[2]);
                c20 = TV.MultiplyAdd(w, b0, c20); if (TC.Value > 1) c21 = TV.MultiplyAdd(w, b1, c21); if (TC.Value > 2) c22 = TV.MultiplyAdd(w, b2, c22); if (TC.Value > 3) c23 = TV.MultiplyAdd(w, b3, c23);
            }
            if (TR.Value > 3)
            {
                w = TV.Splat(a[3]);
                c30 = TV.MultiplyAdd(w, b0, c30); if (TC.Value > 1) c31 = TV.MultiplyAdd(w, b1, c31); if (TC.Value > 2) c32 = TV.MultiplyAdd(w, b2, c32); if (TC.Value > 3) c33 = TV.MultiplyAdd(w, b3, c33);
            }
            if (TR.Value > 4)
            {
                w = TV.Splat(a[4]);
                c40 = TV.MultiplyAdd(w, b0, c40); if (TC.Value > 1) c41 = TV.MultiplyAdd(w, b1, c41); if (TC.Value > 2) c42 = TV.MultiplyAdd(w, b2, c42); if (TC.Value > 3) c43 = TV.MultiplyAdd(w, b3, c43);
            }
            if (TR.Value > 5)
            {
                w = TV.Splat(a[5]);
                c50 = TV.MultiplyAdd(w, b0, c50); if (TC.Value > 1) c51 = TV.MultiplyAdd(w, b1, c51); if (TC.Value > 2) c52 = TV.MultiplyAdd(w, b2, c52); if (TC.Value > 3) c53 = TV.MultiplyAdd(w, b3, c53);
            }
            if (TR.Value > 6)
            {
                w = TV.Splat(a[6]);
                c60 = TV.MultiplyAdd(w, b0, c60); if (TC.Value > 1) c61 = TV.MultiplyAdd(w, b1, c61); if (TC.Value > 2) c62 = TV.MultiplyAdd(w, b2, c62); if (TC.Value > 3) c63 = TV.MultiplyAdd(w, b3, c63);
            }
            if (TR.Value > 7)
            {
                w = TV.Splat(a[7]);
                c70 = TV.MultiplyAdd(w, b0, c70); if (TC.Value > 1) c71 = TV.MultiplyAdd(w, b1, c71); if (TC.Value > 2) c72 = TV.MultiplyAdd(w, b2, c72); if (TC.Value > 3) c73 = TV.MultiplyAdd(w, b3, c73);
            }
            a += PanelRows;
        }
        if (clamp)
        {
            TV l = TV.Splat(lo), h = TV.Splat(hi);
            Clamp<TV, TC>(l, h, ref c00, ref c01, ref c02, ref c03);
            if (TR.Value > 1) Clamp<TV, TC>(l, h, ref c10, ref c11, ref c12, ref c13);
            if (TR.Value > 2) Clamp<TV, TC>(l, h, ref c20, ref c21, ref c22, ref c23);
            if (TR.Value > 3) Clamp<TV, TC>(l, h, ref c30, ref c31, ref c32, ref c33);
            if (TR.Value > 4) Clamp<TV, TC>(l, h, ref c40, ref c41, ref c42, ref c43);
            if (TR.Value > 5) Clamp<TV, TC>(l, h, ref c50, ref c51, ref c52, ref c53);
            if (TR.Value > 6) Clamp<TV, TC>(l, h, ref c60, ref c61, ref c62, ref c63);
            if (TR.Value > 7) Clamp<TV, TC>(l, h, ref c70, ref c71, ref c72, ref c73);
        }
        StoreRow<TV, TC>(c, n, c00, c01, c02, c03);
        if (TR.Value > 1) StoreRow<TV, TC>(c + cStride, n, c10, c11, c12, c13);
        if (TR.Value > 2) StoreRow<TV, TC>(c + 2 * cStride, n, c20, c21, c22, c23);
        if (TR.Value > 3) StoreRow<TV, TC>(c + 3 * cStride, n, c30, c31, c32, c33);
        if (TR.Value > 4) StoreRow<TV, TC>(c + 4 * cStride, n, c40, c41, c42, c43);
        if (TR.Value > 5) StoreRow<TV, TC>(c + 5 * cStride, n, c50, c51, c52, c53);
        if (TR.Value > 6) StoreRow<TV, TC>(c + 6 * cStride, n, c60, c61, c62, c63);
        if (TR.Value > 7) StoreRow<TV, TC>(c + 7 * cStride, n, c70, c71, c72, c73);
    }

    /// <summary>
    /// C[TR x (TC * TV.Count)] = A * B-strips (+ per-column bias). A rows are activations (row r at a + r * aStride,
    /// read one float per k and broadcast); B is packed as strips of <see cref="PackedGemm.StripWidth"/> columns,
    /// each [k][16] contiguous and stripStride floats apart. Bias (padded to whole strips) starts the accumulators.
    /// </summary>
    [MethodImpl(KernelCompilation.Hot)]
    public static void StripTile<TV, TR, TC>(float* a, nint aStride, float* b, nint stripStride, int k, float* bias, float* c, nint cStride)
        where TV : unmanaged, IVec<TV> where TR : IConstInt where TC : IConstInt
    {
        int n = TV.Count;
        const int S = PackedGemm.StripWidth;
        // Column vector v lives in strip (v * n) / 16 at offset (v * n) % 16; all folded to constants.
        nint o1 = (1 * n / S) * stripStride + (1 * n % S);
        nint o2 = (2 * n / S) * stripStride + (2 * n % S);
        nint o3 = (3 * n / S) * stripStride + (3 * n % S);
        TV c00 = TV.Zero, c01 = TV.Zero, c02 = TV.Zero, c03 = TV.Zero;
        TV c10 = TV.Zero, c11 = TV.Zero, c12 = TV.Zero, c13 = TV.Zero;
        TV c20 = TV.Zero, c21 = TV.Zero, c22 = TV.Zero, c23 = TV.Zero;
        TV c30 = TV.Zero, c31 = TV.Zero, c32 = TV.Zero, c33 = TV.Zero;
        if (bias != null)
        {
            // The bias is stored like one row of a packed strip set: column v * n at bias + v * n.
            c00 = TV.Load(bias);
            if (TC.Value > 1) c01 = TV.Load(bias + n);
            if (TC.Value > 2) c02 = TV.Load(bias + 2 * n);
            if (TC.Value > 3) c03 = TV.Load(bias + 3 * n);
            if (TR.Value > 1) { c10 = c00; c11 = c01; c12 = c02; c13 = c03; }
            if (TR.Value > 2) { c20 = c00; c21 = c01; c22 = c02; c23 = c03; }
            if (TR.Value > 3) { c30 = c00; c31 = c01; c32 = c02; c33 = c03; }
        }
        float* a1 = a + aStride, a2 = a + 2 * aStride, a3 = a + 3 * aStride;
        for (int p = 0; p < k; p++)
        {
            TV b0 = TV.Load(b);
            TV b1 = TC.Value > 1 ? TV.Load(b + o1) : default;
            TV b2 = TC.Value > 2 ? TV.Load(b + o2) : default;
            TV b3 = TC.Value > 3 ? TV.Load(b + o3) : default;
            TV w;
            w = TV.Splat(a[p]);
            c00 = TV.MultiplyAdd(w, b0, c00); if (TC.Value > 1) c01 = TV.MultiplyAdd(w, b1, c01); if (TC.Value > 2) c02 = TV.MultiplyAdd(w, b2, c02); if (TC.Value > 3) c03 = TV.MultiplyAdd(w, b3, c03);
            if (TR.Value > 1)
            {
                w = TV.Splat(a1[p]);
                c10 = TV.MultiplyAdd(w, b0, c10); if (TC.Value > 1) c11 = TV.MultiplyAdd(w, b1, c11); if (TC.Value > 2) c12 = TV.MultiplyAdd(w, b2, c12); if (TC.Value > 3) c13 = TV.MultiplyAdd(w, b3, c13);
            }
            if (TR.Value > 2)
            {
                w = TV.Splat(a2[p]);
                c20 = TV.MultiplyAdd(w, b0, c20); if (TC.Value > 1) c21 = TV.MultiplyAdd(w, b1, c21); if (TC.Value > 2) c22 = TV.MultiplyAdd(w, b2, c22); if (TC.Value > 3) c23 = TV.MultiplyAdd(w, b3, c23);
            }
            if (TR.Value > 3)
            {
                w = TV.Splat(a3[p]);
                c30 = TV.MultiplyAdd(w, b0, c30); if (TC.Value > 1) c31 = TV.MultiplyAdd(w, b1, c31); if (TC.Value > 2) c32 = TV.MultiplyAdd(w, b2, c32); if (TC.Value > 3) c33 = TV.MultiplyAdd(w, b3, c33);
            }
            b += S;
        }
        StoreRow<TV, TC>(c, n, c00, c01, c02, c03);
        if (TR.Value > 1) StoreRow<TV, TC>(c + cStride, n, c10, c11, c12, c13);
        if (TR.Value > 2) StoreRow<TV, TC>(c + 2 * cStride, n, c20, c21, c22, c23);
        if (TR.Value > 3) StoreRow<TV, TC>(c + 3 * cStride, n, c30, c31, c32, c33);
    }

    /// <summary>min(hi, max(lo, v)) with the epilogue's NaN-keeping operations, on one row's vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Clamp<TV, TC>(TV lo, TV hi, ref TV v0, ref TV v1, ref TV v2, ref TV v3) where TV : unmanaged, IVec<TV> where TC : IConstInt
    {
        v0 = TV.MinKeepNaN(hi, TV.MaxKeepNaN(lo, v0));
        if (TC.Value > 1) v1 = TV.MinKeepNaN(hi, TV.MaxKeepNaN(lo, v1));
        if (TC.Value > 2) v2 = TV.MinKeepNaN(hi, TV.MaxKeepNaN(lo, v2));
        if (TC.Value > 3) v3 = TV.MinKeepNaN(hi, TV.MaxKeepNaN(lo, v3));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<TV, TC>(float* c, int n, TV v0, TV v1, TV v2, TV v3) where TV : unmanaged, IVec<TV> where TC : IConstInt
    {
        TV.Store(c, v0);
        if (TC.Value > 1) TV.Store(c + n, v1);
        if (TC.Value > 2) TV.Store(c + 2 * n, v2);
        if (TC.Value > 3) TV.Store(c + 3 * n, v3);
    }
}
