using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace ModelCompiler.Runtime;

/// <summary>
/// 3x3 stride-1 convolution (NCHW, float32, one group) by Winograd F(2x2, 3x3): 2.25x fewer multiply-adds than the
/// direct convolution. The output is cut in 2x2 tiles; each tile's 4x4 input block d becomes V = Bᵀ d B (16 points,
/// additions only), each point p is one matrix product M_p[oc, tile] = Σ_c U_p[oc, c] V_p[c, tile] on the packed
/// convolution's micro-kernel, and each tile's output is Aᵀ M A plus the bias, with the epilogue. The weights arrive
/// transformed at build time (U = G g Gᵀ, <see cref="WeightLayouts.WinogradPanels"/>) in the micro-kernel's panels.
/// </summary>
/// <remarks>
/// <para>The input is first copied once, zero-padded, into two column phases per channel (layer scratch,
/// <see cref="WinogradConvShape"/>), so the input transform reads each tile's four columns as contiguous vectors
/// across tiles. Tiles are then taken in blocks of one micro-kernel strip (48 tiles with AVX-512): a block's 16 x C
/// transformed inputs stay in this thread's cache while every 8-channel weight panel runs its 16 products into a
/// small buffer, whose output transform writes the panel's outputs straight into y (the two output columns of a
/// tile interleaved in registers).</para>
/// <para>Bᵀ = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], Aᵀ = [[1, 1, 1, 0], [0, 1, -1, -1]].</para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
[SkipLocalsInit]
public static unsafe class WinogradConv
{
    private const int PanelRows = WeightLayouts.PanelRows, Points = WinogradConvShape.Points;

    /// <summary>Floats of the transformed weights (<see cref="WeightLayouts.WinogradPanels"/>).</summary>
    public static long PackedLength(int outChannels, int inChannels) => WeightLayouts.WinogradPanelsLength(outChannels, inChannels);

    /// <summary>
    /// y = epilogue(conv(x, w) + bias [, residual]) for a geometry <see cref="WinogradConvShape.Fits"/> takes;
    /// <paramref name="scratch"/> holds at least <c>WinogradConvShape.ScratchBytes(g)</c> bytes (the region the memory
    /// plan reserved for the layer; empty: this thread's kernel scratch). <paramref name="bias"/> and
    /// <paramref name="residual"/> may be empty.
    /// </summary>
    public static void Conv2D(ReadOnlySpan<float> x, ReadOnlySpan<float> transformedWeights, ReadOnlySpan<float> bias, ReadOnlySpan<float> residual,
        Span<float> y, in ConvGeometry g, in Epilogue epilogue, int threads, Span<byte> scratch) =>
        Conv2D(x, transformedWeights, bias, residual, y, g, epilogue, threads, scratch, VectorWidth.Auto);

    /// <summary>At a chosen vector width (tests).</summary>
    internal static void Conv2D(ReadOnlySpan<float> x, ReadOnlySpan<float> transformedWeights, ReadOnlySpan<float> bias, ReadOnlySpan<float> residual,
        Span<float> y, in ConvGeometry g, in Epilogue epilogue, int threads, Span<byte> scratch, VectorWidth width)
    {
        if (!WinogradConvShape.Fits(g)) throw new ArgumentException("Winograd F(2x2, 3x3) takes non-grouped 3x3 convolutions of stride 1 and dilation 1.", nameof(g));
        PackedConv.Check(x.Length, int.MaxValue, bias.Length, residual.Length, y.Length, g);
        if (transformedWeights.Length < PackedLength(g.outChannels, g.inChannels))
            throw new ArgumentException("The transformed weights are shorter than the geometry needs.", nameof(transformedWeights));
        if (!scratch.IsEmpty && scratch.Length < WinogradConvShape.ScratchBytes(g))
            throw new ArgumentException($"The scratch has {scratch.Length} bytes; the geometry needs {WinogradConvShape.ScratchBytes(g)}.", nameof(scratch));
        fixed (float* px = x)
        fixed (float* pw = transformedWeights)
        fixed (float* pb = bias)
        fixed (float* pr = residual)
        fixed (float* py = y)
        fixed (byte* ps = scratch)
        {
            var args = new PackedConv.ConvArgs(px, pw, bias.IsEmpty ? null : pb, residual.IsEmpty ? null : pr, py, g, epilogue, scratch.IsEmpty ? null : ps);
            SimdLevel.Run<Kernel, PackedConv.ConvArgs>(width, args, threads);
        }
    }

    /// <summary>The micro-kernel tile per vector width, as the packed convolution's: AVX-512 8 x 3 vectors; others 4 x 3; scalar 4 x 4.</summary>
    private readonly struct Kernel : IVectorKernel<PackedConv.ConvArgs>
    {
        public static void Run<TV>(in PackedConv.ConvArgs args, int threads) where TV : unmanaged, IVec<TV>
        {
            if (typeof(TV) == typeof(Vec512)) WinogradConv.Run<TV, Int8, Int3>(args, threads);
            else if (typeof(TV) == typeof(Vec1)) WinogradConv.Run<TV, Int4, Int4>(args, threads);
            else WinogradConv.Run<TV, Int4, Int3>(args, threads);
        }
    }

    /// <summary>How one call is cut: sizes, the phase planes, and the blocks of tiles (the work items).</summary>
    internal struct Layout
    {
        public int C, M, Panels, TilesHigh, TilesWide, Tiles, PlaneRows, PlaneWidth, PlaneSize;
        /// <summary>Tiles per block (a multiple of the vector width), blocks, and the padded block width (one strip).</summary>
        public int BlockTiles, Blocks, Stride;
        public float* Planes;
    }

    [MethodImpl(KernelCompilation.Hot)]
    private static void Run<TV, TR, TC>(in PackedConv.ConvArgs a, int threads)
        where TV : unmanaged, IVec<TV> where TR : IConstInt where TC : IConstInt
    {
        ref readonly ConvGeometry g = ref a.G;
        int vc = TV.Count, nr = TC.Value * vc;
        var l = new Layout
        {
            C = g.inChannels,
            M = g.outChannels,
            Panels = (g.outChannels + PanelRows - 1) / PanelRows,
            TilesHigh = WinogradConvShape.TilesHigh(g),
            TilesWide = WinogradConvShape.TilesWide(g),
            PlaneRows = WinogradConvShape.PlaneRows(g),
            PlaneWidth = WinogradConvShape.PlaneWidth(g),
            Stride = nr,
        };
        l.Tiles = l.TilesHigh * l.TilesWide;
        l.PlaneSize = l.PlaneRows * l.PlaneWidth;
        // Blocks of at most one strip, balanced, in whole vectors: 49 tiles at 16 lanes are 2 blocks of 32 and 17
        // rather than 48 and 1 (the same columns computed, but the last block no longer streams every weight for one tile).
        l.Blocks = (l.Tiles + nr - 1) / nr;
        l.BlockTiles = ((l.Tiles + l.Blocks - 1) / l.Blocks + vc - 1) / vc * vc;
        l.Blocks = (l.Tiles + l.BlockTiles - 1) / l.BlockTiles;
        l.Planes = (float*)(a.Scratch != null ? a.Scratch : KernelScratch.Get(KernelScratch.LayerSlot, WinogradConvShape.ScratchBytes(g)));

        int imageIn = g.inChannels * g.inHeight * g.inWidth, imageOut = g.outChannels * g.outHeight * g.outWidth;
        for (int n = 0; n < g.batch; n++)
        {
            var image = new PackedConv.ConvArgs(a.X + (long)n * imageIn, a.W, a.Bias, a.Residual == null ? null : a.Residual + (long)n * imageOut,
                a.Y + (long)n * imageOut, g, a.E);
            BuildPlanes(image.X, g, l);
            KernelThreads.For<Blocks<TV, TR, TC>, ImageCall>(new ImageCall(image, l), l.Blocks, threads);
        }
    }

    private readonly struct ImageCall(in PackedConv.ConvArgs args, in Layout layout)
    {
        public readonly PackedConv.ConvArgs Args = args;
        public readonly Layout Layout = layout;
    }

    private readonly struct Blocks<TV, TR, TC> : IWorkItems<ImageCall>
        where TV : unmanaged, IVec<TV> where TR : IConstInt where TC : IConstInt
    {
        public static void Run(in ImageCall call, int item) => Block<TV, TR>(call.Args, call.Layout, item);
    }

    /// <summary>
    /// The zero-padded input in two column phases: plane (c, q) row r, column j holds x[c, r - padTop, 2j + q - padLeft]
    /// (zero outside the image).
    /// </summary>
    [MethodImpl(KernelCompilation.Hot)]
    private static void BuildPlanes(float* x, in ConvGeometry g, in Layout l)
    {
        int inPlane = g.inHeight * g.inWidth, pw = l.PlaneWidth;
        for (int c = 0; c < g.inChannels; c++)
        {
            float* src = x + (long)c * inPlane;
            for (int q = 0; q < 2; q++)
            {
                float* plane = l.Planes + ((long)c * 2 + q) * l.PlaneSize;
                // Columns j whose input column 2j + q - padLeft lies in [0, inWidth).
                int first = q >= g.padLeft ? 0 : (g.padLeft - q + 1) / 2;
                int lastInput = g.inWidth - 1 + g.padLeft - q;
                int end = lastInput < 0 ? 0 : Math.Min(pw, lastInput / 2 + 1);
                if (end < first) end = first;
                for (int r = 0; r < l.PlaneRows; r++)
                {
                    float* dst = plane + (long)r * pw;
                    int ih = r - g.padTop;
                    if ((uint)ih >= (uint)g.inHeight || end == first)
                    {
                        new Span<float>(dst, pw).Clear();
                        continue;
                    }
                    if (first > 0) new Span<float>(dst, first).Clear();
                    PackedConv.Gather(src + (long)ih * g.inWidth + (2 * first + q - g.padLeft), 2, dst + first, end - first);
                    if (end < pw) new Span<float>(dst + end, pw - end).Clear();
                }
            }
        }
    }

    /// <summary>A run of tiles in one tile row: tile row, first tile column, count, and first column in the block.</summary>
    private struct TileRun
    {
        public int Row, Column, Count, At;
    }

    /// <summary>
    /// One block of tiles: transform its inputs (all channels) into item scratch, then per weight panel the 16 products
    /// and the output transform, then the epilogue where it is more than a clamp.
    /// </summary>
    [MethodImpl(KernelCompilation.Hot)]
    private static void Block<TV, TR>(in PackedConv.ConvArgs a, in Layout l, int block)
        where TV : unmanaged, IVec<TV> where TR : IConstInt
    {
        ref readonly ConvGeometry g = ref a.G;
        int vc = TV.Count, stride = l.Stride;
        int t0 = block * l.BlockTiles, count = Math.Min(l.BlockTiles, l.Tiles - t0), vectors = (count + vc - 1) / vc;

        // Item scratch: the offset table (C ints), the transformed inputs V[point][c][stride], the products M[point][8][stride].
        long offsetBytes = ((long)l.C * sizeof(int) + 63) / 64 * 64;
        long vFloats = (long)Points * l.C * stride, mFloats = (long)Points * PanelRows * stride;
        byte* scratch = KernelScratch.Get(KernelScratch.ItemSlot, offsetBytes + (vFloats + mFloats) * sizeof(float));
        int* offsets = (int*)scratch;
        float* v = (float*)(scratch + offsetBytes), m = v + vFloats;
        for (int c = 0; c < l.C; c++) offsets[c] = c * stride;

        // The block's tiles as runs within tile rows (at most one more run than rows it touches).
        TileRun* runs = stackalloc TileRun[count + 1];
        int runCount = 0;
        for (int t = t0; t < t0 + count;)
        {
            int row = t / l.TilesWide, column = t % l.TilesWide, n = Math.Min(l.TilesWide - column, t0 + count - t);
            runs[runCount++] = new TileRun { Row = row, Column = column, Count = n, At = t - t0 };
            t += n;
        }

        long pointStride = (long)l.C * stride;
        for (int r = 0; r < runCount; r++) InputRun<TV>(l, runs[r], v, pointStride);
        // Columns past the block's tiles up to whole vectors are computed too: keep them zero, not stale.
        if (vectors * vc > count)
            for (long row = 0; row < (long)Points * l.C; row++) new Span<float>(v + row * stride + count, vectors * vc - count).Clear();

        // Output rows of the block, as epilogue segments (offset in the plane, offset, count).
        int* segments = stackalloc int[3 * 2 * (count + 1)];
        int segmentCount = 0;
        for (int r = 0; r < runCount; r++)
            for (int i = 0; i < 2; i++)
            {
                int oh = 2 * runs[r].Row + i, ow = 2 * runs[r].Column;
                if (oh >= g.outHeight) continue;
                int offset = oh * g.outWidth + ow;
                segments[3 * segmentCount] = offset;
                segments[3 * segmentCount + 1] = offset;
                segments[3 * segmentCount + 2] = Math.Min(2 * runs[r].Count, g.outWidth - ow);
                segmentCount++;
            }

        var clamp = PackedConv.Clamp.Of(a.E, a.Residual != null);
        var after = clamp.Fused ? Epilogue.None : a.E;
        int planeOut = g.outHeight * g.outWidth;
        long panelStride = (long)l.C * PanelRows, pointWeights = l.Panels * panelStride;
        for (int p = 0; p < l.Panels; p++)
        {
            int rows = Math.Min(PanelRows, l.M - p * PanelRows), oc = p * PanelRows;
            for (int point = 0; point < Points; point++)
                PackedConv.Panel<TV, TR>(rows, vectors, a.W + point * pointWeights + p * panelStride, v + point * pointStride, offsets, l.C,
                    null, m + (long)point * PanelRows * stride, stride, default);
            float* yPanel = a.Y + (long)oc * planeOut;
            for (int row = 0; row < rows; row++)
            {
                float bias = a.Bias == null ? 0f : a.Bias[oc + row];
                for (int r = 0; r < runCount; r++)
                    OutputRun<TV>(g, runs[r], m + (long)row * stride, (nint)PanelRows * stride, bias, clamp, yPanel + (long)row * planeOut);
            }
            if (a.Residual != null || !after.IsIdentity)
                EpilogueOps.Rows<TV>(yPanel, planeOut, yPanel, a.Residual == null ? null : a.Residual + (long)oc * planeOut, planeOut, rows,
                    segments, segmentCount, after);
        }
    }

    /// <summary>V = Bᵀ d B for a run of tiles and every channel, vectors across tiles; the last few one at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputRun<TV>(in Layout l, in TileRun run, float* v, long pointStride) where TV : unmanaged, IVec<TV>
    {
        int vc = TV.Count;
        for (int c = 0; c < l.C; c++)
        {
            // Row 2 * tile row of phase 0 at the run's first tile column; phase 1 is one plane further.
            float* p0 = l.Planes + (long)c * 2 * l.PlaneSize + (long)2 * run.Row * l.PlaneWidth + run.Column;
            float* p1 = p0 + l.PlaneSize;
            float* dst = v + (long)c * l.Stride + run.At;
            int j = 0;
            for (; j + vc <= run.Count; j += vc) InputTile<TV>(p0 + j, p1 + j, l.PlaneWidth, dst + j, pointStride);
            for (; j < run.Count; j++) InputTile<Vec1>(p0 + j, p1 + j, l.PlaneWidth, dst + j, pointStride);
        }
    }

    /// <summary>
    /// One vector of tiles: d[i][k] is padded row i, column k of each tile (phase k % 2 at column offset k / 2);
    /// writes point (a, b) of V = Bᵀ d B to v + (4a + b) * pointStride.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputTile<TV>(float* p0, float* p1, nint rowStride, float* v, long pointStride) where TV : unmanaged, IVec<TV>
    {
        // Rows: t[i] = d[i] B, i.e. (d0 - d2, d1 + d2, d2 - d1, d1 - d3).
        Row<TV>(p0, p1, out var t00, out var t01, out var t02, out var t03);
        Row<TV>(p0 + rowStride, p1 + rowStride, out var t10, out var t11, out var t12, out var t13);
        Row<TV>(p0 + 2 * rowStride, p1 + 2 * rowStride, out var t20, out var t21, out var t22, out var t23);
        Row<TV>(p0 + 3 * rowStride, p1 + 3 * rowStride, out var t30, out var t31, out var t32, out var t33);
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

    /// <summary>Y = Aᵀ M A + bias for one output channel and a run of tiles, written into the channel's output plane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputRun<TV>(in ConvGeometry g, in TileRun run, float* m, nint pointStride, float bias, in PackedConv.Clamp clamp, float* y)
        where TV : unmanaged, IVec<TV>
    {
        int vc = TV.Count, j = 0;
        for (; j + vc <= run.Count; j += vc) OutputTile<TV>(g, m + run.At + j, pointStride, bias, clamp, y, 2 * run.Row, 2 * (run.Column + j), vc);
        for (; j < run.Count; j++) OutputTile<Vec1>(g, m + run.At + j, pointStride, bias, clamp, y, 2 * run.Row, 2 * (run.Column + j), 1);
    }

    /// <summary>One vector of tiles: their 2x2 outputs at rows oh, oh + 1 and columns ow.. (two per tile, interleaved), clipped to the plane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputTile<TV>(in ConvGeometry g, float* m, nint pointStride, float bias, in PackedConv.Clamp clamp, float* y, int oh, int ow, int lanes)
        where TV : unmanaged, IVec<TV>
    {
        // Rows of Aᵀ M: s0 = m0 + m1 + m2, s1 = m1 - m2 - m3 (per column b), then the same across columns.
        Reduce<TV>(m, pointStride, 0, out var s00, out var s10);
        Reduce<TV>(m, pointStride, 1, out var s01, out var s11);
        Reduce<TV>(m, pointStride, 2, out var s02, out var s12);
        Reduce<TV>(m, pointStride, 3, out var s03, out var s13);
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
        int valid = Math.Min(2 * lanes, g.outWidth - ow);
        float* row = y + (long)oh * g.outWidth + ow;
        StorePair(row, y00, y01, valid);
        if (oh + 1 < g.outHeight) StorePair(row + g.outWidth, y10, y11, valid);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Reduce<TV>(float* m, nint pointStride, int b, out TV s0, out TV s1) where TV : unmanaged, IVec<TV>
    {
        TV m0 = TV.Load(m + b * pointStride), m1 = TV.Load(m + (4 + b) * pointStride);
        TV m2 = TV.Load(m + (8 + b) * pointStride), m3 = TV.Load(m + (12 + b) * pointStride);
        s0 = TV.Add(TV.Add(m0, m1), m2);
        s1 = TV.Subtract(TV.Subtract(m1, m2), m3);
    }

    /// <summary>Stores even[0], odd[0], even[1], odd[1], ... : the first <paramref name="valid"/> of them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePair<TV>(float* dst, TV even, TV odd, int valid) where TV : unmanaged, IVec<TV>
    {
        int vc = TV.Count;
        if (vc == 1)
        {
            TV.Store(dst, even);
            if (valid > 1) TV.Store(dst + 1, odd);
            return;
        }
        Lanes.Interleave(even, odd, out TV lo, out TV hi);
        if (valid == 2 * vc)
        {
            TV.Store(dst, lo);
            TV.Store(dst + vc, hi);
            return;
        }
        if (valid >= vc)
        {
            TV.Store(dst, lo);
            if (valid > vc) TV.StorePartial(dst + vc, hi, valid - vc);
        }
        else
        {
            TV.StorePartial(dst, lo, valid);
        }
    }
}
