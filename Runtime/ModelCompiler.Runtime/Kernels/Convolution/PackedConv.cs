using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelCompiler.Runtime;

/// <summary>
/// 2-D convolution (NCHW, float32) as a register-blocked GEMM: Y[oc, pixel] = W[oc, k] * B[k, pixel] over
/// k = (input channel, kernel row, kernel column), per group. The weights arrive packed at build time in
/// panels of <see cref="PanelRows"/> output channels ([group][panel][k][8], zero-padded), so the micro-kernel
/// broadcasts them from one contiguous stream; bias, activation and residual Add are applied to each output
/// tile while it is in L1 (<see cref="Epilogue"/>).
/// </summary>
/// <remarks>
/// <para>B is never materialized (no im2col). 1x1 stride-1 convolutions read the input rows in place. Every
/// other shape first copies the input once into a zero-padded, stride-phase-split scratch layout, where each
/// kernel tap (ic, kh, kw) is a contiguous run at a fixed offset and output rows are padded to the plane width
/// ("wide rows", whose extra columns are computed and dropped). The micro-kernel then reads B through a per-k
/// offset table. Measured on a 64-channel 3x3 layer at 56x56: im2col-packing strips of 48 pixels cost 20-40%
/// of the convolution for 32-64 output channels (one short copy per k per strip), the padded copy costs about
/// 1/(M*kh*kw) of it, and the wide rows waste (Wp - W)/Wp of the columns (3% at 56x56, 22% at 7x7).</para>
/// <para>Tiles: AVX-512 8 channels x 48 pixels (24 zmm accumulators); AVX2, SSE and NEON 4 x 3 vectors; scalar 4 x 4.</para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
[SkipLocalsInit]
public static unsafe class PackedConv
{
    /// <summary>Output channels per packed weight panel (<see cref="WeightLayouts.PanelRows"/>).</summary>
    public const int PanelRows = WeightLayouts.PanelRows;

    /// <summary>Floats of the packed weights for a convolution with these sizes (<see cref="WeightLayouts.ConvPanels"/>).</summary>
    public static long PackedLength(int outChannels, int groups, int kPerGroup) => WeightLayouts.ConvPanelsLength(outChannels, groups, kPerGroup);

    /// <summary>
    /// y = epilogue(conv(x, w) + bias [, residual]). <paramref name="packedWeights"/> is the layout
    /// <see cref="PackedLength"/> describes; <paramref name="bias"/> and <paramref name="residual"/> may be empty.
    /// <paramref name="threads"/> &gt; 1 splits output tiles over that many threads (the caller included).
    /// </summary>
    public static void Conv2D(ReadOnlySpan<float> x, ReadOnlySpan<float> packedWeights, ReadOnlySpan<float> bias, ReadOnlySpan<float> residual,
        Span<float> y, in ConvGeometry g, in Epilogue epilogue, int threads = 1) =>
        Conv2D(x, packedWeights, bias, residual, y, g, epilogue, threads, default, VectorWidth.Auto);

    /// <summary>
    /// As <see cref="Conv2D(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, in ConvGeometry, in Epilogue, int)"/>,
    /// with the layer's scratch memory from the model's arena: at least <c>PackedConvScratch.MaxBytes(g)</c> bytes,
    /// 64-byte aligned (generated code passes the region the memory plan reserved for the layer).
    /// </summary>
    public static void Conv2D(ReadOnlySpan<float> x, ReadOnlySpan<float> packedWeights, ReadOnlySpan<float> bias, ReadOnlySpan<float> residual,
        Span<float> y, in ConvGeometry g, in Epilogue epilogue, int threads, Span<byte> scratch) =>
        Conv2D(x, packedWeights, bias, residual, y, g, epilogue, threads, scratch, VectorWidth.Auto);

    /// <summary>At a chosen vector width, on this thread's kernel scratch (tests).</summary>
    internal static void Conv2D(ReadOnlySpan<float> x, ReadOnlySpan<float> packedWeights, ReadOnlySpan<float> bias, ReadOnlySpan<float> residual,
        Span<float> y, in ConvGeometry g, in Epilogue epilogue, int threads, VectorWidth width) =>
        Conv2D(x, packedWeights, bias, residual, y, g, epilogue, threads, default, width);

    /// <summary>At a chosen vector width with the given scratch (tests; empty: this thread's kernel scratch).</summary>
    internal static void Conv2D(ReadOnlySpan<float> x, ReadOnlySpan<float> packedWeights, ReadOnlySpan<float> bias, ReadOnlySpan<float> residual,
        Span<float> y, in ConvGeometry g, in Epilogue epilogue, int threads, Span<byte> scratch, VectorWidth width)
    {
        Check(x.Length, packedWeights.Length, bias.Length, residual.Length, y.Length, g);
        if (!scratch.IsEmpty && scratch.Length < PackedConvScratch.MaxBytes(g))
            throw new ArgumentException($"The scratch has {scratch.Length} bytes; the geometry needs {PackedConvScratch.MaxBytes(g)}.", nameof(scratch));
        fixed (float* px = x)
        fixed (float* pw = packedWeights)
        fixed (float* pb = bias)
        fixed (float* pr = residual)
        fixed (float* py = y)
        fixed (byte* ps = scratch)
        {
            var args = new ConvArgs(px, pw, bias.IsEmpty ? null : pb, residual.IsEmpty ? null : pr, py, g, epilogue, scratch.IsEmpty ? null : ps);
            SimdLevel.Run<Kernel, ConvArgs>(width, args, threads);
        }
    }

    /// <summary>The tile shape per vector width: AVX-512 8 channels x 2 or 3 vectors; AVX2, SSE and NEON 4 x 3; scalar 4 x 4.</summary>
    private readonly struct Kernel : IVectorKernel<ConvArgs>
    {
        public static void Run<TV>(in ConvArgs args, int threads) where TV : unmanaged, IVec<TV>
        {
            if (typeof(TV) == typeof(Vec512))
            {
                if (ColumnVectors(args.G, Vec512.Count) == 2) PackedConv.Run<TV, Int8, Int2>(args, threads);
                else PackedConv.Run<TV, Int8, Int3>(args, threads);
            }
            else if (typeof(TV) == typeof(Vec1)) PackedConv.Run<TV, Int4, Int4>(args, threads);
            else PackedConv.Run<TV, Int4, Int3>(args, threads);
        }
    }

    /// <summary>
    /// Column vectors per micro-kernel tile (3 or 2) for this geometry. Three (8 x 48 at 512 bits) is the fastest
    /// kernel per column, but the output columns of a small plane come in strips of that width: a 7x7 plane with a
    /// 3x3 kernel is 63 columns, two strips of 48 with 33 wasted; strips of 32 waste one. The choice minimises
    /// columns computed divided by the kernel's relative speed (two vectors: about 0.9 of three).
    /// </summary>
    internal static int ColumnVectors(in ConvGeometry g, int lanes)
    {
        int wq = PackedConvScratch.ReadsInPlace(g) ? g.outWidth : PackedConvScratch.PhaseWidth(g);
        long columns = (long)g.outHeight * wq;
        long Computed(int vectors) => (columns + vectors * lanes - 1) / (vectors * lanes) * vectors * lanes;
        return Computed(2) * 10 < Computed(3) * 9 ? 2 : 3;
    }

    internal static void Check(int x, int w, int bias, int residual, int y, in ConvGeometry g)
    {
        if (g.inChannels % g.groups != 0 || g.outChannels % g.groups != 0 || g.groups <= 0) throw new ArgumentException("Groups must divide the channels.");
        long inLength = (long)g.batch * g.inChannels * g.inHeight * g.inWidth;
        long outLength = (long)g.batch * g.outChannels * g.outHeight * g.outWidth;
        long kg = (long)g.inChannels / g.groups * g.kernelHeight * g.kernelWidth;
        if (x < inLength) throw new ArgumentException($"The input has {x} elements; the geometry needs {inLength}.");
        if (y < outLength) throw new ArgumentException($"The output has {y} elements; the geometry needs {outLength}.");
        if (w < PackedLength(g.outChannels, g.groups, (int)kg)) throw new ArgumentException("The packed weights are shorter than the geometry needs.");
        if (bias != 0 && bias < g.outChannels) throw new ArgumentException("The bias needs one value per output channel.");
        if (residual != 0 && residual < outLength) throw new ArgumentException("The residual needs the output's shape.");
        if (g.strideHeight <= 0 || g.strideWidth <= 0 || g.dilationHeight <= 0 || g.dilationWidth <= 0 || g.padTop < 0 || g.padLeft < 0)
            throw new ArgumentException("Strides and dilations must be positive and pads non-negative.");
        if (g.outHeight <= 0 || g.outWidth <= 0 || g.kernelHeight <= 0 || g.kernelWidth <= 0) throw new ArgumentException("Empty output or kernel.");
    }

    private const int MaxTileMajorStrips = 4;

    /// <summary>Pointers and sizes of one call, shared by the items (and threads) that compute it.</summary>
    internal readonly struct ConvArgs
    {
        public readonly float* X, W, Bias, Residual, Y;
        public readonly ConvGeometry G;
        public readonly Epilogue E;
        /// <summary>The layer's scratch from the arena, or null: this thread's kernel scratch.</summary>
        public readonly byte* Scratch;

        public ConvArgs(float* x, float* w, float* bias, float* residual, float* y, in ConvGeometry g, in Epilogue e, byte* scratch = null)
        {
            X = x; W = w; Bias = bias; Residual = residual; Y = y; G = g; E = e; Scratch = scratch;
        }
    }

    /// <summary>How one image is laid out for the micro-kernel: where B comes from and how output columns map.</summary>
    internal struct ConvLayout
    {
        public int Cg, Mg, Kg, Tiles, N;
        /// <summary>Width of a row in B's column space (the plane width; the output width when reading in place).</summary>
        public int Wq;
        /// <summary>Columns of B: Ho * Wq.</summary>
        public int Nw;
        public int Strips, MChunks, TilesPerChunk;
        /// <summary>
        /// Few strips (a small image): each item runs all strips per weight panel, so a panel streams from memory
        /// once and is reused from cache for the other strips (at 7x7 the 512-channel layers stream 9 MB of weights).
        /// </summary>
        public bool TileMajor;
        /// <summary>True when B is the input itself (1x1, stride 1, no padding).</summary>
        public bool Direct;
        public int Hq, PlaneSize, ChannelStride;
        /// <summary>Floats of padded planes per image (0 when direct), and the offset table (Kg ints) in layer scratch.</summary>
        public long PlaneFloats;
        public float* Planes;
        public int* Offsets;
    }

    [MethodImpl(KernelCompilation.Hot)]
    internal static void Run<TV, TR, TC>(in ConvArgs a, int threads)
        where TV : unmanaged, IVec<TV> where TR : IConstInt where TC : IConstInt
    {
        ref readonly ConvGeometry g = ref a.G;
        int nr = TC.Value * TV.Count;
        var layout = new ConvLayout
        {
            Cg = g.inChannels / g.groups,
            Mg = g.outChannels / g.groups,
            N = g.outHeight * g.outWidth,
        };
        layout.Kg = layout.Cg * g.kernelHeight * g.kernelWidth;
        layout.Tiles = (layout.Mg + PanelRows - 1) / PanelRows;
        layout.Direct = PackedConvScratch.ReadsInPlace(g);
        if (layout.Direct)
        {
            layout.Wq = g.outWidth;
            layout.Hq = g.outHeight;
        }
        else
        {
            layout.Hq = PackedConvScratch.PhaseHeight(g);
            layout.Wq = PackedConvScratch.PhaseWidth(g);
            layout.PlaneSize = layout.Hq * layout.Wq;
            layout.ChannelStride = g.strideHeight * g.strideWidth * layout.PlaneSize;
            // Slack past the last plane: the final strip reads up to one vector and Wq columns beyond it.
            layout.PlaneFloats = PackedConvScratch.PlaneFloats(g, nr, TV.Count);
        }
        layout.Nw = g.outHeight * layout.Wq;
        layout.Strips = (layout.Nw + nr - 1) / nr;
        layout.TileMajor = layout.Strips <= MaxTileMajorStrips;
        int perImage = layout.TileMajor ? g.groups : g.groups * layout.Strips;
        layout.MChunks = threads > 1 ? Math.Clamp((3 * threads + perImage - 1) / perImage, 1, layout.Tiles) : 1;
        layout.TilesPerChunk = (layout.Tiles + layout.MChunks - 1) / layout.MChunks;
        layout.MChunks = (layout.Tiles + layout.TilesPerChunk - 1) / layout.TilesPerChunk;

        long offsetBytes = PackedConvScratch.OffsetBytes(g);
        byte* scratch = a.Scratch != null ? a.Scratch : KernelScratch.Get(KernelScratch.LayerSlot, offsetBytes + layout.PlaneFloats * sizeof(float));
        layout.Offsets = (int*)scratch;
        layout.Planes = (float*)(scratch + offsetBytes);
        FillOffsets(ref layout, g);

        int items = perImage * layout.MChunks;
        int imageIn = g.inChannels * g.inHeight * g.inWidth, imageOut = g.outChannels * layout.N;
        for (int n = 0; n < g.batch; n++)
        {
            var image = new ConvArgs(a.X + (long)n * imageIn, a.W, a.Bias, a.Residual == null ? null : a.Residual + (long)n * imageOut,
                a.Y + (long)n * imageOut, g, a.E);
            if (!layout.Direct) BuildPlanes<TV>(image.X, g, layout);
            KernelThreads.For<Items<TV, TR, TC>, ImageCall>(new ImageCall(image, layout), items, threads);
        }
    }

    /// <summary>One image of a call: its pointers and how its B is laid out.</summary>
    internal readonly struct ImageCall(in ConvArgs args, in ConvLayout layout)
    {
        public readonly ConvArgs Args = args;
        public readonly ConvLayout Layout = layout;
    }

    /// <summary>The work items of one image (see <see cref="Item{TV, TR, TC}"/>).</summary>
    private readonly struct Items<TV, TR, TC> : IWorkItems<ImageCall>
        where TV : unmanaged, IVec<TV> where TR : IConstInt where TC : IConstInt
    {
        public static void Run(in ImageCall call, int item) => Item<TV, TR, TC>(call.Args, call.Layout, item);
    }

    /// <summary>offsets[k] for k = (ic, kh, kw): where tap k's B row starts, relative to the group's first channel.</summary>
    private static void FillOffsets(ref ConvLayout l, in ConvGeometry g)
    {
        int k = 0;
        for (int ic = 0; ic < l.Cg; ic++)
        {
            if (l.Direct)
            {
                l.Offsets[k++] = ic * l.N;
                continue;
            }
            for (int kh = 0; kh < g.kernelHeight; kh++)
            {
                int rowTap = kh * g.dilationHeight;
                for (int kw = 0; kw < g.kernelWidth; kw++)
                {
                    int columnTap = kw * g.dilationWidth;
                    int phase = rowTap % g.strideHeight * g.strideWidth + columnTap % g.strideWidth;
                    l.Offsets[k++] = ic * l.ChannelStride + phase * l.PlaneSize + rowTap / g.strideHeight * l.Wq + columnTap / g.strideWidth;
                }
            }
        }
    }

    /// <summary>
    /// Copies one image into the padded, stride-phase-split layout: plane (pr, pc) of channel c holds
    /// P[r, q] = x[c, r * sh + pr - padTop, q * sw + pc - padLeft] (zero outside the image), so that tap
    /// (kh, kw) of output (oh, ow) is P[oh + kh*dh/sh, ow + kw*dw/sw] in plane (kh*dh % sh, kw*dw % sw).
    /// Only phases some tap reads are written.
    /// </summary>
    [MethodImpl(KernelCompilation.Hot)]
    private static void BuildPlanes<TV>(float* x, in ConvGeometry g, in ConvLayout l) where TV : unmanaged, IVec<TV>
    {
        int sh = g.strideHeight, sw = g.strideWidth;
        ulong used = 0; // phases read by some tap (pr * sw + pc < 64 for strides up to 8; larger strides build every phase)
        bool all = sh * sw > 64;
        if (!all)
            for (int kh = 0; kh < g.kernelHeight; kh++)
                for (int kw = 0; kw < g.kernelWidth; kw++)
                    used |= 1UL << (kh * g.dilationHeight % sh * sw + kw * g.dilationWidth % sw);
        int inPlane = g.inHeight * g.inWidth;
        for (int c = 0; c < g.inChannels; c++)
        {
            float* src = x + (long)c * inPlane;
            for (int pr = 0; pr < sh; pr++)
            {
                for (int pc = 0; pc < sw; pc++)
                {
                    int phase = pr * sw + pc;
                    if (!all && (used & (1UL << phase)) == 0) continue;
                    float* plane = l.Planes + (long)c * l.ChannelStride + (long)phase * l.PlaneSize;
                    // Plane columns q whose input column q * sw + pc - padLeft lies in [0, inWidth).
                    int first = pc >= g.padLeft ? 0 : (g.padLeft - pc + sw - 1) / sw;
                    int lastInput = g.inWidth - 1 + g.padLeft - pc;
                    int end = lastInput < 0 ? 0 : Math.Min(l.Wq, lastInput / sw + 1);
                    if (end < first) end = first;
                    for (int r = 0; r < l.Hq; r++)
                    {
                        float* dst = plane + (long)r * l.Wq;
                        int ih = r * sh + pr - g.padTop;
                        if ((uint)ih >= (uint)g.inHeight || end == first)
                        {
                            new Span<float>(dst, l.Wq).Clear();
                            continue;
                        }
                        if (first > 0) new Span<float>(dst, first).Clear();
                        float* row = src + (long)ih * g.inWidth + ((long)first * sw + pc - g.padLeft);
                        int count = end - first;
                        if (sw == 1) Buffer.MemoryCopy(row, dst + first, count * sizeof(float), count * sizeof(float));
                        else Gather(row, sw, dst + first, count);
                        if (end < l.Wq) new Span<float>(dst + end, l.Wq - end).Clear();
                    }
                }
            }
        }
        long planes = (long)g.inChannels * l.ChannelStride;
        new Span<float>(l.Planes + planes, (int)(l.PlaneFloats - planes)).Clear();
    }

    /// <summary>dst[i] = src[i * stride] for i &lt; count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Gather(float* src, int stride, float* dst, int count)
    {
        int i = 0;
        if (stride == 2 && SimdLevel.Use512)
        {
            // Even lanes of two consecutive vectors; the last pair read ends at src[2 * count - 2].
            var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            for (; i + 17 <= count; i += 16)
            {
                var lo = Vector512.Load(src + 2 * i);
                var hi = Vector512.Load(src + 2 * i + 16);
                *(Vector512<float>*)(dst + i) = System.Runtime.Intrinsics.X86.Avx512F.PermuteVar16x32x2(lo, even, hi);
            }
        }
        for (; i < count; i++) dst[i] = src[(long)i * stride];
    }

    /// <summary>Where one strip of output columns reads B and writes its output segments.</summary>
    private struct StripSetup
    {
        public float* B;
        public int* Offsets;
        public int* Segments;
        public int J0, Width, Vectors, SegmentCount;
        public bool FullColumns;
    }

    /// <summary>
    /// One work item: one chunk of a group's weight panels, times one strip of output columns (nr wide), or
    /// times all strips when the layout is tile-major.
    /// </summary>
    [MethodImpl(KernelCompilation.Hot)]
    private static void Item<TV, TR, TC>(in ConvArgs a, in ConvLayout l, int item)
        where TV : unmanaged, IVec<TV> where TR : IConstInt where TC : IConstInt
    {
        int nr = TC.Value * TV.Count;
        int chunk = item % l.MChunks, rest = item / l.MChunks;
        int group, firstStrip, strips;
        if (l.TileMajor)
        {
            group = rest;
            firstStrip = 0;
            strips = l.Strips;
        }
        else
        {
            group = rest / l.Strips;
            firstStrip = rest % l.Strips;
            strips = 1;
        }

        var setups = stackalloc StripSetup[MaxTileMajorStrips];
        int* segments = stackalloc int[MaxTileMajorStrips * 3 * (nr + 2)];
        for (int s = 0; s < strips; s++) Setup<TV, TC>(a, l, group, firstStrip + s, segments + s * 3 * (nr + 2), ref setups[s]);

        float* tile = stackalloc float[PanelRows * nr];
        // Relu, Clip and Relu6 without a residual are applied by the micro-kernel as it stores; the epilogue pass
        // is then left only the copy out of the tile (when the tile has padding columns) or nothing.
        var clamp = Clamp.Of(a.E, a.Residual != null);
        var after = clamp.Fused ? Epilogue.None : a.E;
        int firstTile = chunk * l.TilesPerChunk, lastTile = Math.Min(l.Tiles, firstTile + l.TilesPerChunk);
        for (int t = firstTile; t < lastTile; t++)
        {
            int rows = Math.Min(PanelRows, l.Mg - t * PanelRows);
            int oc = group * l.Mg + t * PanelRows;
            float* panel = a.W + ((long)group * l.Tiles + t) * l.Kg * PanelRows;
            float* bias = a.Bias == null ? null : a.Bias + oc;
            float* yTile = a.Y + (long)oc * l.N;
            float* rTile = a.Residual == null ? null : a.Residual + (long)oc * l.N;
            for (int s = 0; s < strips; s++)
            {
                ref StripSetup st = ref setups[s];
                // The kernels write whole groups of 4 rows: straight into y when those are all real rows and
                // columns; otherwise into the tile, from which the epilogue copies the real ones.
                if (st.FullColumns && rows % 4 == 0)
                {
                    Panel<TV, TR>(rows, st.Vectors, panel, st.B, st.Offsets, l.Kg, bias, yTile + st.J0, l.N, clamp);
                    if (rTile != null || !after.IsIdentity)
                        EpilogueOps.Rows<TV>(yTile, l.N, yTile, rTile, l.N, rows, st.Segments, st.SegmentCount, after);
                }
                else
                {
                    Panel<TV, TR>(rows, st.Vectors, panel, st.B, st.Offsets, l.Kg, bias, tile, nr, clamp);
                    EpilogueOps.Rows<TV>(tile - st.J0, nr, yTile, rTile, l.N, rows, st.Segments, st.SegmentCount, after);
                }
            }
        }
    }

    /// <summary>B's start and offsets for a strip (packing a partial in-place strip), and its output segments.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Setup<TV, TC>(in ConvArgs a, in ConvLayout l, int group, int strip, int* segments, ref StripSetup st)
        where TV : unmanaged, IVec<TV> where TC : IConstInt
    {
        ref readonly ConvGeometry g = ref a.G;
        int vc = TV.Count, nr = TC.Value * vc;
        int j0 = strip * nr, width = Math.Min(nr, l.Nw - j0), vectors = (width + vc - 1) / vc;
        st.J0 = j0;
        st.Width = width;
        st.Vectors = vectors;
        st.Offsets = l.Offsets;
        st.Segments = segments;
        if (l.Direct)
        {
            st.B = a.X + (long)group * l.Cg * l.N + j0;
            // Only the last strip can be partial, so one item packs at most one tail into its scratch.
            if (vectors * vc > width) st.B = PackTail(st.B, l, width, vectors * vc, out st.Offsets);
        }
        else
        {
            st.B = l.Planes + (long)group * l.Cg * l.ChannelStride + j0;
        }
        st.FullColumns = l.Wq == g.outWidth && vectors * vc == width;

        // Output segments: wide columns q in [j0, j0 + width) with q % Wq < outWidth, as (q, output position,
        // count); a tile holds column q at q - j0.
        if (l.Wq == g.outWidth)
        {
            segments[0] = j0; segments[1] = j0; segments[2] = width;
            st.SegmentCount = 1;
            return;
        }
        int count = 0;
        for (int q = j0; q < j0 + width;)
        {
            int oh = q / l.Wq, ow = q % l.Wq;
            int rowEnd = Math.Min(j0 + width, (oh + 1) * l.Wq);
            if (ow < g.outWidth)
            {
                segments[3 * count] = q;
                segments[3 * count + 1] = oh * g.outWidth + ow;
                segments[3 * count + 2] = Math.Min(g.outWidth - ow, rowEnd - q);
                count++;
            }
            q = rowEnd;
        }
        st.SegmentCount = count;
    }

    /// <summary>Copies the last, partial strip of an in-place (1x1) B into zero-padded item scratch, with its offset table.</summary>
    [MethodImpl(KernelCompilation.Hot)]
    private static float* PackTail(float* b, in ConvLayout l, int width, int padded, out int* offsets)
    {
        long offsetBytes = ((long)l.Kg * sizeof(int) + 63) / 64 * 64;
        byte* scratch = KernelScratch.Get(KernelScratch.ItemSlot, offsetBytes + (long)l.Kg * padded * sizeof(float));
        offsets = (int*)scratch;
        float* pack = (float*)(scratch + offsetBytes);
        for (int k = 0; k < l.Kg; k++)
        {
            float* dst = pack + (long)k * padded;
            Buffer.MemoryCopy(b + l.Offsets[k], dst, width * sizeof(float), width * sizeof(float));
            new Span<float>(dst + width, padded - width).Clear();
            offsets[k] = k * padded;
        }
        return pack;
    }

    /// <summary>One 8-row weight panel times B: rows (1..8) valid rows, vectors (1..TC) columns of vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Panel<TV, TR>(int rows, int vectors, float* panel, float* b, int* offsets, int k, float* bias, float* c, nint cStride, in Clamp clamp)
        where TV : unmanaged, IVec<TV> where TR : IConstInt
    {
        if (TR.Value == 8)
        {
            if (rows > 4) Tile<TV, Int8>(vectors, panel, b, offsets, k, bias, c, cStride, clamp);
            else Tile<TV, Int4>(vectors, panel, b, offsets, k, bias, c, cStride, clamp);
            return;
        }
        Tile<TV, Int4>(vectors, panel, b, offsets, k, bias, c, cStride, clamp);
        if (rows > 4) Tile<TV, Int4>(vectors, panel + 4, b, offsets, k, bias == null ? null : bias + 4, c + 4 * cStride, cStride, clamp);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile<TV, TR>(int vectors, float* panel, float* b, int* offsets, int k, float* bias, float* c, nint cStride, in Clamp clamp)
        where TV : unmanaged, IVec<TV> where TR : IConstInt
    {
        switch (vectors)
        {
            case 1: GemmMicroKernels.PanelTile<TV, TR, Int1>(panel, b, offsets, k, bias, c, cStride, clamp.Fused, clamp.Lo, clamp.Hi); break;
            case 2: GemmMicroKernels.PanelTile<TV, TR, Int2>(panel, b, offsets, k, bias, c, cStride, clamp.Fused, clamp.Lo, clamp.Hi); break;
            case 3: GemmMicroKernels.PanelTile<TV, TR, Int3>(panel, b, offsets, k, bias, c, cStride, clamp.Fused, clamp.Lo, clamp.Hi); break;
            default: GemmMicroKernels.PanelTile<TV, TR, Int4>(panel, b, offsets, k, bias, c, cStride, clamp.Fused, clamp.Lo, clamp.Hi); break;
        }
    }

    /// <summary>An epilogue that is a clamp (Relu, Clip) with nothing after it, which the micro-kernel can apply itself.</summary>
    internal readonly struct Clamp
    {
        public readonly bool Fused;
        public readonly float Lo, Hi;

        private Clamp(float lo, float hi)
        {
            Fused = true;
            Lo = lo;
            Hi = hi;
        }

        public static Clamp Of(in Epilogue e, bool residual)
        {
            if (residual || e.AfterAdd.Kind != ActivationKind.None) return default;
            return e.BeforeAdd.Kind switch
            {
                ActivationKind.Relu => new Clamp(0f, float.PositiveInfinity),
                ActivationKind.Clip => new Clamp(e.BeforeAdd.Alpha, e.BeforeAdd.Beta),
                _ => default,
            };
        }
    }
}
