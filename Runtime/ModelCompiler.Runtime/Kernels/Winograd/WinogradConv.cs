using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace ModelCompiler.Runtime;

/// <summary>
/// 3x3 stride-1 convolution (NCHW, float32, one group) by Winograd F(m x m, 3 x 3), m = 2 or 4: 2.25x or 4x fewer
/// multiply-adds than the direct convolution. The output is cut in m x m tiles; each tile's (m + 2)² input block d
/// becomes V = Bᵀ d B (additions and small multiples), each point p of it is one matrix product
/// M_p[oc, tile] = Σ_c U_p[oc, c] V_p[c, tile] on the packed convolution's micro-kernel, and each tile's output is
/// Aᵀ M A plus the bias, with the epilogue. The weights arrive transformed at build time (U = G g Gᵀ,
/// <see cref="WeightLayouts.WinogradPanels"/>) in the micro-kernel's panels. The transforms: <see cref="WinogradTile2"/>, <see cref="WinogradTile4"/>.
/// </summary>
/// <remarks>
/// Tiles are numbered on a wide grid, one tile column more than the output needs, and the input is first copied once,
/// zero-padded, into planes indexed by that number (layer scratch, <see cref="WinogradConvShape.PlaneFloats"/>), so the
/// input transform reads consecutive tiles as contiguous vectors, across tile rows too: a 56x56 map in 4x4 tiles is 14
/// tiles wide, less than a vector. Tiles are then taken in blocks of at most one micro-kernel strip (48 with AVX-512):
/// a block's transformed inputs stay in this thread's cache while every 8-channel weight panel runs its products into
/// a small buffer; the output transform writes them as wide output rows (a tile's columns interleaved in registers)
/// into a staging buffer, and the epilogue (residual, activations) copies the real columns out.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
[SkipLocalsInit]
public static unsafe class WinogradConv
{
    private const int PanelRows = WeightLayouts.PanelRows;

    /// <summary>Floats of the transformed weights (<see cref="WeightLayouts.WinogradPanels"/>).</summary>
    public static long PackedLength(int outChannels, int inChannels, int tileSize) => WeightLayouts.WinogradPanelsLength(outChannels, inChannels, tileSize);

    /// <summary>
    /// y = epilogue(conv(x, w) + bias [, residual]) for a geometry <see cref="WinogradConvShape.Fits"/> takes, in tiles of
    /// <paramref name="tileSize"/> (2 or 4, as the weights were transformed); <paramref name="scratch"/> holds at least
    /// <c>WinogradConvShape.ScratchBytes(g, tileSize)</c> bytes (the region the memory plan reserved for the layer;
    /// empty: this thread's kernel scratch). <paramref name="bias"/> and <paramref name="residual"/> may be empty.
    /// </summary>
    public static void Conv2D(ReadOnlySpan<float> x, ReadOnlySpan<float> transformedWeights, ReadOnlySpan<float> bias, ReadOnlySpan<float> residual,
        Span<float> y, in ConvGeometry g, in Epilogue epilogue, int tileSize, int threads, Span<byte> scratch) =>
        Conv2D(x, transformedWeights, bias, residual, y, g, epilogue, tileSize, threads, scratch, VectorWidth.Auto);

    /// <summary>At a chosen vector width (tests).</summary>
    internal static void Conv2D(ReadOnlySpan<float> x, ReadOnlySpan<float> transformedWeights, ReadOnlySpan<float> bias, ReadOnlySpan<float> residual,
        Span<float> y, in ConvGeometry g, in Epilogue epilogue, int tileSize, int threads, Span<byte> scratch, VectorWidth width)
    {
        if (!WinogradConvShape.Fits(g)) throw new ArgumentException("Winograd convolution takes non-grouped 3x3 convolutions of stride 1 and dilation 1.", nameof(g));
        if (!WinogradConvShape.IsTileSize(tileSize)) throw new ArgumentException("Winograd tiles are 2x2 or 4x4.", nameof(tileSize));
        PackedConv.Check(x.Length, int.MaxValue, bias.Length, residual.Length, y.Length, g);
        if (transformedWeights.Length < PackedLength(g.outChannels, g.inChannels, tileSize))
            throw new ArgumentException("The transformed weights are shorter than the geometry needs.", nameof(transformedWeights));
        long scratchBytes = WinogradConvShape.ScratchBytes(g, tileSize);
        if (!scratch.IsEmpty && scratch.Length < scratchBytes)
            throw new ArgumentException($"The scratch has {scratch.Length} bytes; the geometry needs {scratchBytes}.", nameof(scratch));
        fixed (float* px = x)
        fixed (float* pw = transformedWeights)
        fixed (float* pb = bias)
        fixed (float* pr = residual)
        fixed (float* py = y)
        fixed (byte* ps = scratch)
        {
            var args = new PackedConv.ConvArgs(px, pw, bias.IsEmpty ? null : pb, residual.IsEmpty ? null : pr, py, g, epilogue, scratch.IsEmpty ? null : ps);
            if (tileSize == 2) SimdLevel.Run<Kernel<WinogradTile2>, PackedConv.ConvArgs>(width, args, threads);
            else SimdLevel.Run<Kernel<WinogradTile4>, PackedConv.ConvArgs>(width, args, threads);
        }
    }

    /// <summary>The micro-kernel tile per vector width, as the packed convolution's: AVX-512 8 x 3 vectors; others 4 x 3; scalar 4 x 4.</summary>
    private readonly struct Kernel<TT> : IVectorKernel<PackedConv.ConvArgs> where TT : IWinogradTile
    {
        public static void Run<TV>(in PackedConv.ConvArgs args, int threads) where TV : unmanaged, IVec<TV>
        {
            if (typeof(TV) == typeof(Vec512)) WinogradConv.Run<TT, TV, Int8, Int3>(args, threads);
            else if (typeof(TV) == typeof(Vec1)) WinogradConv.Run<TT, TV, Int4, Int4>(args, threads);
            else WinogradConv.Run<TT, TV, Int4, Int3>(args, threads);
        }
    }

    /// <summary>How one call is cut: sizes, the input layout, and the blocks of tiles (the work items).</summary>
    internal struct Layout
    {
        public int C, M, Panels, TilesHigh, TilesWide, WideColumns;
        /// <summary>Tiles of the wide grid (TilesHigh x WideColumns): tile t is tile row t / WideColumns, column t % WideColumns.</summary>
        public int Tiles;
        /// <summary>Floats per input plane (<see cref="WinogradConvShape.PlaneLength"/>).</summary>
        public int PlaneLength;
        /// <summary>Tiles per block (a multiple of the vector width, at most one strip): also the row stride of the block buffers.</summary>
        public int BlockTiles;
        public int Blocks;
        public float* Planes;
    }

    [MethodImpl(KernelCompilation.Hot)]
    private static void Run<TT, TV, TR, TC>(in PackedConv.ConvArgs a, int threads)
        where TT : IWinogradTile where TV : unmanaged, IVec<TV> where TR : IConstInt where TC : IConstInt
    {
        ref readonly ConvGeometry g = ref a.G;
        int vc = TV.Count, nr = TC.Value * vc, m = TT.Size;
        var l = new Layout
        {
            C = g.inChannels,
            M = g.outChannels,
            Panels = (g.outChannels + PanelRows - 1) / PanelRows,
            TilesHigh = WinogradConvShape.TilesHigh(g, m),
            TilesWide = WinogradConvShape.TilesWide(g, m),
            WideColumns = WinogradConvShape.WideColumns(g, m),
            PlaneLength = (int)WinogradConvShape.PlaneLength(g, m),
        };
        l.Tiles = l.TilesHigh * l.WideColumns;
        // Blocks of at most one strip, balanced, in whole vectors: 49 tiles at 16 lanes are blocks of 32 and 17
        // rather than 48 and 1 (the same columns computed, but the last block does not stream every weight for one tile).
        l.Blocks = (l.Tiles + nr - 1) / nr;
        l.BlockTiles = ((l.Tiles + l.Blocks - 1) / l.Blocks + vc - 1) / vc * vc;
        l.Blocks = (l.Tiles + l.BlockTiles - 1) / l.BlockTiles;
        l.Planes = (float*)(a.Scratch != null ? a.Scratch : KernelScratch.Get(KernelScratch.LayerSlot, WinogradConvShape.ScratchBytes(g, m)));

        int imageIn = g.inChannels * g.inHeight * g.inWidth, imageOut = g.outChannels * g.outHeight * g.outWidth;
        for (int n = 0; n < g.batch; n++)
        {
            var image = new PackedConv.ConvArgs(a.X + (long)n * imageIn, a.W, a.Bias, a.Residual == null ? null : a.Residual + (long)n * imageOut,
                a.Y + (long)n * imageOut, g, a.E);
            BuildPlanes(image.X, g, l, m);
            KernelThreads.For<Blocks<TT, TV, TR>, ImageCall>(new ImageCall(image, l), l.Blocks, threads);
        }
    }

    private readonly struct ImageCall(in PackedConv.ConvArgs args, in Layout layout)
    {
        public readonly PackedConv.ConvArgs Args = args;
        public readonly Layout Layout = layout;
    }

    private readonly struct Blocks<TT, TV, TR> : IWorkItems<ImageCall>
        where TT : IWinogradTile where TV : unmanaged, IVec<TV> where TR : IConstInt
    {
        public static void Run(in ImageCall call, int item) => Block<TT, TV, TR>(call.Args, call.Layout, item);
    }

    /// <summary>
    /// The input layout (<see cref="WinogradConvShape.PlaneFloats"/>): plane (c, q, i) at [th * WideColumns + j] holds
    /// x[c, m th + i - padTop, m j + q - padLeft], zero outside the image, and zero slack past the last tile row.
    /// </summary>
    [MethodImpl(KernelCompilation.Hot)]
    private static void BuildPlanes(float* x, in ConvGeometry g, in Layout l, int m)
    {
        int inPlane = g.inHeight * g.inWidth, pw = l.WideColumns, alpha = m + 2, filled = l.TilesHigh * pw;
        for (int c = 0; c < g.inChannels; c++)
        {
            float* src = x + (long)c * inPlane;
            for (int q = 0; q < m; q++)
            {
                // Columns j whose input column m j + q - padLeft lies in [0, inWidth).
                int first = q >= g.padLeft ? 0 : (g.padLeft - q + m - 1) / m;
                int lastInput = g.inWidth - 1 + g.padLeft - q;
                int end = lastInput < 0 ? 0 : Math.Min(pw, lastInput / m + 1);
                if (end < first) end = first;
                for (int i = 0; i < alpha; i++)
                {
                    float* plane = l.Planes + (((long)c * m + q) * alpha + i) * l.PlaneLength;
                    for (int th = 0; th < l.TilesHigh; th++)
                    {
                        float* dst = plane + (long)th * pw;
                        int ih = m * th + i - g.padTop;
                        if ((uint)ih >= (uint)g.inHeight || end == first)
                        {
                            new Span<float>(dst, pw).Clear();
                            continue;
                        }
                        if (first > 0) new Span<float>(dst, first).Clear();
                        PackedConv.Gather(src + (long)ih * g.inWidth + (m * first + q - g.padLeft), m, dst + first, end - first);
                        if (end < pw) new Span<float>(dst + end, pw - end).Clear();
                    }
                    new Span<float>(plane + filled, l.PlaneLength - filled).Clear();
                }
            }
        }
    }

    /// <summary>
    /// One block of tiles: transform its inputs (all channels) into item scratch, then per weight panel the products of
    /// every point and the output transform into a staging buffer of wide output rows, which the epilogue copies out.
    /// </summary>
    [MethodImpl(KernelCompilation.Hot)]
    private static void Block<TT, TV, TR>(in PackedConv.ConvArgs a, in Layout l, int block)
        where TT : IWinogradTile where TV : unmanaged, IVec<TV> where TR : IConstInt
    {
        ref readonly ConvGeometry g = ref a.G;
        int vc = TV.Count, m = TT.Size, alpha = m + 2, points = alpha * alpha, stride = l.BlockTiles;
        int t0 = block * l.BlockTiles, count = Math.Min(l.BlockTiles, l.Tiles - t0), vectors = (count + vc - 1) / vc;

        // Item scratch: the offset table (C ints), the transformed inputs V[point][c][stride], the products
        // M[point][8][stride], and the staged outputs [8][m][m * stride] (wide output rows of the block).
        long offsetBytes = ((long)l.C * sizeof(int) + 63) / 64 * 64;
        long vFloats = (long)points * l.C * stride, mFloats = (long)points * PanelRows * stride, stageRow = (long)m * m * stride;
        byte* scratch = KernelScratch.Get(KernelScratch.ItemSlot, offsetBytes + (vFloats + mFloats + PanelRows * stageRow) * sizeof(float));
        int* offsets = (int*)scratch;
        float* v = (float*)(scratch + offsetBytes), products = v + vFloats, stage = products + mFloats;
        for (int c = 0; c < l.C; c++) offsets[c] = c * stride;
        // Work space of the transforms that do not fit in registers: (m + 2)² vectors.
        float* work = stackalloc float[36 * 16];

        // Input transform, whole vectors of tiles (past the block's last tile the planes' slack and the next tiles are read, finite and dropped).
        long pointStride = (long)l.C * stride, planeStride = l.PlaneLength, phaseStride = alpha * planeStride;
        for (int c = 0; c < l.C; c++)
        {
            float* p = l.Planes + (long)c * m * phaseStride + t0;
            float* dst = v + (long)c * stride;
            for (int j = 0; j < vectors; j++) TT.Input<TV>(p + j * vc, (nint)phaseStride, (nint)planeStride, dst + j * vc, pointStride, work);
        }

        // Output rows of the block's real tiles (the wide grid's last column dropped), as epilogue segments
        // (offset in the staging row, offset in the output plane, count).
        int* segments = stackalloc int[3 * m * (count + 1)];
        int segmentCount = 0;
        for (int t = t0; t < t0 + count;)
        {
            int th = t / l.WideColumns, tw = t % l.WideColumns;
            int n = Math.Min(l.TilesWide - tw, t0 + count - t);
            if (n <= 0)
            {
                t++;
                continue;
            }
            for (int i = 0; i < m && m * th + i < g.outHeight; i++)
            {
                segments[3 * segmentCount] = (int)(i * (long)m * stride + m * (t - t0));
                segments[3 * segmentCount + 1] = (m * th + i) * g.outWidth + m * tw;
                segments[3 * segmentCount + 2] = Math.Min(m * n, g.outWidth - m * tw);
                segmentCount++;
            }
            t += n;
        }

        var clamp = PackedConv.Clamp.Of(a.E, a.Residual != null);
        var after = clamp.Fused ? Epilogue.None : a.E;
        int planeOut = g.outHeight * g.outWidth;
        long pointWeights = (long)l.C * PanelRows, panelStride = points * pointWeights;
        nint productStride = (nint)PanelRows * stride;
        for (int p = 0; p < l.Panels; p++)
        {
            int rows = Math.Min(PanelRows, l.M - p * PanelRows), oc = p * PanelRows;
            for (int point = 0; point < points; point++)
                PackedConv.Panel<TV, TR>(rows, vectors, a.W + point * pointWeights + p * panelStride, v + point * pointStride, offsets, l.C,
                    null, products + point * productStride, stride, default);
            for (int row = 0; row < rows; row++)
            {
                float bias = a.Bias == null ? 0f : a.Bias[oc + row];
                float* from = products + (long)row * stride, to = stage + row * stageRow;
                for (int j = 0; j < vectors; j++)
                    TT.Output<TV>(from + j * vc, productStride, bias, clamp, to + m * j * vc, m * stride, m, m * vc, work);
            }
            EpilogueOps.Rows<TV>(stage, (nint)stageRow, a.Y + (long)oc * planeOut, a.Residual == null ? null : a.Residual + (long)oc * planeOut, planeOut, rows,
                segments, segmentCount, after);
        }
    }
}

/// <summary>The transforms of one Winograd tile size, applied to one vector of tiles at a time (<see cref="WinogradConv"/>).</summary>
internal unsafe interface IWinogradTile
{
    /// <summary>Outputs per tile side (m); the input block is m + 2 on a side, (m + 2)² points.</summary>
    static abstract int Size { get; }

    /// <summary>
    /// V = Bᵀ d B for TV.Count tiles: input element (i, k) of the tiles is the vector at
    /// <c>p + (k % m) * phaseStride + i * rowStride + k / m</c>; point (a, b) goes to <c>v + ((m + 2) a + b) * pointStride</c>.
    /// <paramref name="work"/>: (m + 2)² vectors of space.
    /// </summary>
    static abstract void Input<TV>(float* p, nint phaseStride, nint rowStride, float* v, long pointStride, float* work) where TV : unmanaged, IVec<TV>;

    /// <summary>
    /// Y = Aᵀ M A + bias for TV.Count tiles (point (a, b) at <c>products + ((m + 2) a + b) * pointStride</c>), clamped where
    /// <paramref name="clamp"/> says, stored row by row from <paramref name="y"/> (rows <paramref name="outWidth"/> apart):
    /// the first <paramref name="rows"/> rows, the first <paramref name="valid"/> columns (tile t's column k at m t + k).
    /// </summary>
    static abstract void Output<TV>(float* products, nint pointStride, float bias, in PackedConv.Clamp clamp, float* y, int outWidth, int rows, int valid, float* work)
        where TV : unmanaged, IVec<TV>;
}
