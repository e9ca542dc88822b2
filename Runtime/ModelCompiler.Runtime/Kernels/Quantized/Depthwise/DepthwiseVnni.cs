using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelCompiler.Runtime;

/// <summary>
/// Int8 depthwise convolution on AVX-VNNI with AVX-512 VBMI byte permutes, requantized in registers.
/// <para>
/// <c>vpdpbusd</c> sums four u8 x s8 products per int32 lane. One kernel row's taps (up to four) are one
/// weight int; the matching four input bytes of 8 output pixels are gathered from one 32-byte load of the
/// padded input plane by one <c>vpermb</c> (byte i of lane j = input byte at that pixel's window offset i). A 3x3
/// kernel is then 6 loads, 6 permutes and 6 <c>vpdpbusd</c> per 16 outputs, where widening every tap to int32
/// and multiplying (<see cref="QuantizedConv"/>'s general depthwise path) takes 9 of each plus int32 stores.
/// (One 64-byte permute per 16 outputs needs an extract per kernel row to feed the 256-bit <c>vpdpbusd</c>; it
/// measured about 10% slower on Zen 5.) With stride 1 down the plane, two output rows share two of their three
/// input rows, so chunks along rows go in pairs of rows: 4 loads and permutes per half for 32 outputs (about 12%
/// faster on 56x56 and 112x112 planes).
/// </para>
/// <para>
/// Work goes in chunks of 16 consecutive outputs of a plane. Rows of 16 outputs or more are cut into chunks
/// along the row (the last one overlapping its neighbour, or, for 3-row kernels, a half chunk of the row's last 8
/// outputs when at most 8 are left); narrower planes (MobileNet's 14x14 and 7x7) take 16 consecutive outputs across
/// row ends when each half's windows fit one 32-byte load, so a 7x7 plane is 4 chunks rather than 7 mostly empty
/// rows, and otherwise one chunk per row. Each half chunk's input offset and permute pattern, and each chunk's
/// output offset, are computed once per call and reused for every channel. The smallest planes skip the padded
/// copy and read their windows from the input itself (see <see cref="ChannelsDirect3{TX, TMode}"/>).
/// </para>
/// <para>
/// Activations are read as u8 (int8 inputs flipped by XOR 0x80, i.e. + 128); weights as s8 with zero weight zero
/// points. sum (x - xz) w = sum x' w - xz' sum w, with x' and xz' the shifted input and zero point; the second
/// term and the bias are each channel's starting sum, and padding holds xz' so that it adds exactly nothing.
/// Requantization is <see cref="Requantize"/>'s: float32 multiply, clamp, round half to even, zero point, 16 values
/// per AVX-512 instruction (<see cref="Requant512"/>, which narrows with saturation instead of clamping when every
/// multiplier is under 0.5).
/// </para>
/// </summary>
internal static class DepthwiseVnni
{
    private const int LoadBytes = WindowChunks.LoadBytes;

    /// <summary>Whether this machine has the instructions.</summary>
    public static bool IsSupported => AvxVnni.IsSupported && Avx512Vbmi.IsSupported && Avx512F.IsSupported;

    /// <summary>Whether <paramref name="g"/> fits the kernel (see <see cref="WindowChunks.Fits"/>; smaller planes take the general path).</summary>
    public static bool Fits(in ConvGeometry g) => WindowChunks.Fits(g);

    /// <summary>
    /// y = requantize(bias + depthwise conv of (x - xz) with weights [M][kh*kw] (s8, zero weight zero points)),
    /// multipliers per output channel (or one). Callers check <see cref="IsSupported"/> and <see cref="Fits"/>.
    /// </summary>
    public static void Run<TX, TY>(ReadOnlySpan<TX> x, int xZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> bias,
        ReadOnlySpan<float> multipliers, int yZeroPoint, Span<TY> y, in ConvGeometry g)
        where TX : unmanaged where TY : unmanaged
    {
        if (!IsSupported) throw new PlatformNotSupportedException("AVX-VNNI and AVX-512 VBMI are not supported on this machine");
        if (typeof(TX) != typeof(byte) && typeof(TX) != typeof(sbyte)) throw new NotSupportedException(typeof(TX).Name);
        if (typeof(TY) != typeof(byte) && typeof(TY) != typeof(sbyte)) throw new NotSupportedException(typeof(TY).Name);
        if (!Fits(g)) throw new ArgumentException("depthwise geometry does not fit the VNNI kernel");
        int m = g.outChannels, mg = m / g.groups, kh = g.kernelHeight, kw = g.kernelWidth, kk = kh * kw;
        int inPlane = g.inHeight * g.inWidth, outPlane = g.outHeight * g.outWidth;
        if (g.inChannels != g.groups) throw new ArgumentException("depthwise convolution needs one input channel per group");
        if (weights.Length != m * kk) throw new ArgumentException($"depthwise weights have {weights.Length} values, expected {m * kk}");
        if (x.Length != g.batch * g.inChannels * inPlane || y.Length != g.batch * m * outPlane) throw new ArgumentException("input or output has the wrong length");
        if (!bias.IsEmpty && bias.Length != m) throw new ArgumentException("bias has the wrong length");
        if (multipliers.Length != 1 && multipliers.Length != m) throw new ArgumentException("multipliers have the wrong length");

        // The padded plane: every window inside it, plus room for the last 32-byte loads.
        int pw = WindowChunks.PaddedWidth(g);
        int groupsPerRow = (kw + 3) / 4;
        Span<byte> padded = QuantScratch<byte>.Get(1, WindowChunks.PlaneBytes(g));

        // The chunks: input offset of the window's origin, output offset, and permute pattern.
        var layout = WindowChunks.Choose(g);
        int chunks = WindowChunks.ChunkCount(g, layout);
        Span<int> inputAt = QuantScratch<int>.Get(1, 2 * chunks);
        Span<int> outputAt = QuantScratch<int>.Get(2, chunks);
        Span<byte> patterns = QuantScratch<byte>.Get(2, 2 * chunks * LoadBytes);
        // Three-row kernels (Channel3, Channel3RowPairs) end rows in half chunks where that saves work.
        WindowChunks.BuildChunks(g, layout, pw, inputAt, outputAt, patterns, halfTails: kh == 3 && (kw + 3) / 4 == 1);

        // Per channel: one weight int per kernel row and group of four taps, and the starting sum.
        int wordsPerChannel = kh * groupsPerRow;
        Span<int> words = QuantScratch<int>.Get(0, m * (wordsPerChannel + 1));
        Span<int> starts = words.Slice(m * wordsPerChannel);
        bool signedX = typeof(TX) == typeof(sbyte);
        int xzShifted = xZeroPoint + (signedX ? 128 : 0);
        PackWeights(weights, bias, xzShifted, kh, kw, groupsPerRow, words, starts);
        Span<int> wordOffsets = stackalloc int[wordsPerChannel];
        for (int r = 0, i = 0; r < kh; r++)
            for (int q = 0; q < groupsPerRow; q++, i++) wordOffsets[i] = r * g.dilationHeight * pw + 4 * q * g.dilationWidth;

        ReadOnlySpan<byte> xb = MemoryMarshal.AsBytes(x);
        Span<byte> yb = MemoryMarshal.AsBytes(y);
        var lo = Vector512.Create((float)(Requantize.Min<TY>() - yZeroPoint));
        var hi = Vector512.Create((float)(Requantize.Max<TY>() - yZeroPoint));
        var zp = Vector512.Create(yZeroPoint);

        // Three kernel rows, stride and dilation 1 down the plane, chunks along rows: two output rows share the
        // windows of their middle two input rows (see Channel3RowPairs).
        bool rowPairs = layout == WindowChunks.Layout.Rows && kh == 3 && groupsPerRow == 1 && g.strideHeight == 1 && g.dilationHeight == 1;

        // Small planes (chunks across row ends, short rows): windows straight from the input when each half chunk's
        // taps of a kernel row fit one 32-byte load, padding taps taking the zero point from a second table
        // (ChannelsDirect3), and with depth multiplier 1 all channels in one call. That saves the padded copy and a
        // call per channel but costs a two-table permute and a pattern load per window, so it pays where the copy is
        // large against the chunks. Measured on Zen 5: 7x7 planes 39 -> 29 us (960 channels), 5x5 18 -> 11 us (480),
        // stride 2 to 7x7 and to 10x10 10-20% faster; 10x10 and 14x14 at stride 1 (7 and 13 chunks a channel) no
        // faster or slower (per channel, before batching: 10% and 35% slower). Hence: input rows at least 1.6 x the chunks.
        Span<int> directAt = default;
        Span<byte> directPatterns = default;
        int directEnd = 0;
        bool direct = false;
        if (layout != WindowChunks.Layout.Rows && kh == 3 && groupsPerRow == 1 && 5 * g.inHeight >= 8 * chunks)
        {
            directAt = QuantScratch<int>.Get(3, 6 * chunks);
            directPatterns = QuantScratch<byte>.Get(4, 6 * chunks * LoadBytes);
            direct = WindowChunks.BuildDirect(g, layout, directAt, directPatterns, out directEnd);
        }

        var planes = new Planes
        {
            InputAt = inputAt, OutputAt = outputAt, Patterns = patterns, WordOffsets = wordOffsets, DirectAt = directAt, DirectPatterns = directPatterns,
            PaddedWidth = pw, OutWidth = g.outWidth, RowPairs = rowPairs, Pad = (byte)xzShifted, Lo = lo, Hi = hi, Zp = zp,
        };
        int form = Requant512.FormFor<TY>(multipliers);

        // The padding never changes: filled once; each channel then overwrites only the interior.
        padded.Fill((byte)xzShifted);
        for (int n = 0; n < g.batch; n++)
        {
            int ic = 0;
            if (direct && mg == 1)
            {
                // The leading channels whose loads stay inside the input and whose stores need no buffer, in one call.
                int count = g.inChannels;
                while (count > 0 && ((n * g.inChannels + count - 1) * inPlane + directEnd > xb.Length ||
                    layout == WindowChunks.Layout.ShortRows && (n * m + count) * outPlane == yb.Length))
                    count--;
                if (count > 0)
                {
                    ReadOnlySpan<byte> input = xb.Slice(n * g.inChannels * inPlane);
                    Span<byte> output = yb.Slice(n * m * outPlane, count * outPlane);
                    var batchWords = words.Slice(0, count * 3);
                    var batchStarts = starts.Slice(0, count);
                    var batchMultipliers = multipliers.Length == 1 ? multipliers : multipliers.Slice(0, count);
                    if (form == 1) ChannelsDirect3<TX, Requant512.SaturateToByte>(input, inPlane, count, (byte)xzShifted, directAt, outputAt, directPatterns, batchWords, batchStarts, batchMultipliers, lo, hi, zp, output, outPlane);
                    else if (form == 2) ChannelsDirect3<TX, Requant512.SaturateToSByte>(input, inPlane, count, (byte)xzShifted, directAt, outputAt, directPatterns, batchWords, batchStarts, batchMultipliers, lo, hi, zp, output, outPlane);
                    else ChannelsDirect3<TX, Requant512.Clamped>(input, inPlane, count, (byte)xzShifted, directAt, outputAt, directPatterns, batchWords, batchStarts, batchMultipliers, lo, hi, zp, output, outPlane);
                    ic = count;
                }
            }
            for (; ic < g.inChannels; ic++)
            {
                int planeAt = (n * g.inChannels + ic) * inPlane;
                bool fromInput = direct && planeAt + directEnd <= xb.Length;
                if (!fromInput) WindowChunks.CopyRows(xb, planeAt, g, pw, signedX, (byte)xzShifted, padded);
                for (int oc = ic * mg; oc < (ic + 1) * mg; oc++)
                {
                    float multiplier = multipliers[multipliers.Length == 1 ? 0 : oc];
                    Span<byte> plane = yb.Slice((n * m + oc) * outPlane, outPlane);
                    // Short rows write up to 15 bytes past a plane: the last plane of the tensor goes through a buffer.
                    bool buffered = layout == WindowChunks.Layout.ShortRows && (n * m + oc + 1) * outPlane == yb.Length;
                    if (buffered) plane = QuantScratch<byte>.Get(3, outPlane + WindowChunks.Chunk).Slice(0, outPlane);
                    var channelWords = words.Slice(oc * wordsPerChannel, wordsPerChannel);
                    ReadOnlySpan<byte> input = fromInput ? xb.Slice(planeAt) : padded;
                    if (form == 1) Channel<TX, Requant512.SaturateToByte>(planes, fromInput, input, channelWords, starts[oc], multiplier, plane);
                    else if (form == 2) Channel<TX, Requant512.SaturateToSByte>(planes, fromInput, input, channelWords, starts[oc], multiplier, plane);
                    else Channel<TX, Requant512.Clamped>(planes, fromInput, input, channelWords, starts[oc], multiplier, plane);
                    if (buffered) plane.CopyTo(yb.Slice((n * m + oc) * outPlane, outPlane));
                }
            }
        }
    }

    /// <summary>What every channel of a call shares: the chunk tables, the kernel choice and the requantization constants.</summary>
    private ref struct Planes
    {
        public ReadOnlySpan<int> InputAt, OutputAt, WordOffsets, DirectAt;
        public ReadOnlySpan<byte> Patterns, DirectPatterns;
        public int PaddedWidth, OutWidth;
        public bool RowPairs;
        public byte Pad;
        public Vector512<float> Lo, Hi;
        public Vector512<int> Zp;
    }

    /// <summary>
    /// One output channel with the kernel that fits, requantized in form <typeparamref name="TMode"/>:
    /// <paramref name="input"/> is the input plane itself (<paramref name="fromInput"/>) or the padded copy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Channel<TX, TMode>(in Planes p, bool fromInput, ReadOnlySpan<byte> input, ReadOnlySpan<int> words, int start, float multiplier, Span<byte> plane)
        where TX : unmanaged where TMode : struct
    {
        if (fromInput)
            ChannelsDirect3<TX, TMode>(input, 0, 1, p.Pad, p.DirectAt, p.OutputAt, p.DirectPatterns, words, new ReadOnlySpan<int>(in start),
                new ReadOnlySpan<float>(in multiplier), p.Lo, p.Hi, p.Zp, plane, plane.Length);
        else if (p.RowPairs)
            Channel3RowPairs<TMode>(input, p.InputAt, p.OutputAt, p.Patterns, p.WordOffsets, p.PaddedWidth, p.OutWidth, words, start, multiplier, p.Lo, p.Hi, p.Zp, plane);
        else if (words.Length == 3)
            Channel3<TMode>(input, p.InputAt, p.OutputAt, p.Patterns, p.WordOffsets, words, start, multiplier, p.Lo, p.Hi, p.Zp, plane);
        else
            ChannelAny<TMode>(input, p.InputAt, p.OutputAt, p.Patterns, p.WordOffsets, words, start, multiplier, p.Lo, p.Hi, p.Zp, plane);
    }

    /// <summary>
    /// Each channel's weight ints (taps of one kernel row, four to an int, missing taps 0) and starting sum
    /// bias - xz' · sum w.
    /// </summary>
    private static void PackWeights(ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> bias, int xzShifted, int kh, int kw, int groupsPerRow,
        Span<int> words, Span<int> starts)
    {
        int kk = kh * kw;
        for (int oc = 0, i = 0; oc < starts.Length; oc++)
        {
            ReadOnlySpan<sbyte> w = weights.Slice(oc * kk, kk);
            int sum = 0;
            for (int r = 0; r < kh; r++)
                for (int q = 0; q < groupsPerRow; q++, i++)
                {
                    int word = 0;
                    for (int t = 0; t < 4 && 4 * q + t < kw; t++)
                    {
                        int v = w[r * kw + 4 * q + t];
                        sum += v;
                        word |= (v & 0xFF) << (8 * t);
                    }
                    words[i] = word;
                }
            starts[oc] = (bias.IsEmpty ? 0 : bias[oc]) - xzShifted * sum;
        }
    }

    /// <summary>The common 3-row kernel (3x3, 3x4 and the like): three weight ints held in registers.</summary>
    [MethodImpl(KernelCompilation.Hot)]
    private static void Channel3<TMode>(ReadOnlySpan<byte> padded, ReadOnlySpan<int> inputAt, ReadOnlySpan<int> outputAt, ReadOnlySpan<byte> patterns,
        ReadOnlySpan<int> wordOffsets, ReadOnlySpan<int> words, int start, float multiplier,
        Vector512<float> lo, Vector512<float> hi, Vector512<int> zp, Span<byte> plane)
        where TMode : struct
    {
        ref byte src = ref MemoryMarshal.GetReference(padded);
        ref byte pat = ref MemoryMarshal.GetReference(patterns);
        ref byte dst = ref MemoryMarshal.GetReference(plane);
        var w0 = Vector256.Create(words[0]).AsSByte();
        var w1 = Vector256.Create(words[1]).AsSByte();
        var w2 = Vector256.Create(words[2]).AsSByte();
        nint o0 = wordOffsets[0], o1 = wordOffsets[1], o2 = wordOffsets[2];
        var s = Vector256.Create(start);
        var mul = Vector512.Create(multiplier);
        for (int c = 0; c < outputAt.Length; c++)
        {
            var pLo = Vector256.LoadUnsafe(ref pat, (nuint)(2 * c * LoadBytes));
            ref byte lo8 = ref Unsafe.Add(ref src, inputAt[2 * c]);
            if (inputAt[2 * c + 1] < 0)
            {
                // A half chunk (the last 8 outputs of a row).
                var h = AvxVnni.MultiplyWideningAndAdd(s, Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref Unsafe.Add(ref lo8, o0)), pLo), w0);
                h = AvxVnni.MultiplyWideningAndAdd(h, Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref Unsafe.Add(ref lo8, o1)), pLo), w1);
                h = AvxVnni.MultiplyWideningAndAdd(h, Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref Unsafe.Add(ref lo8, o2)), pLo), w2);
                Store8<TMode>(h, mul, lo, hi, zp, ref dst, outputAt[c]);
                continue;
            }
            var pHi = Vector256.LoadUnsafe(ref pat, (nuint)((2 * c + 1) * LoadBytes));
            ref byte hi8 = ref Unsafe.Add(ref src, inputAt[2 * c + 1]);
            var a0 = AvxVnni.MultiplyWideningAndAdd(s, Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref Unsafe.Add(ref lo8, o0)), pLo), w0);
            var a1 = AvxVnni.MultiplyWideningAndAdd(s, Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref Unsafe.Add(ref hi8, o0)), pHi), w0);
            a0 = AvxVnni.MultiplyWideningAndAdd(a0, Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref Unsafe.Add(ref lo8, o1)), pLo), w1);
            a1 = AvxVnni.MultiplyWideningAndAdd(a1, Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref Unsafe.Add(ref hi8, o1)), pHi), w1);
            a0 = AvxVnni.MultiplyWideningAndAdd(a0, Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref Unsafe.Add(ref lo8, o2)), pLo), w2);
            a1 = AvxVnni.MultiplyWideningAndAdd(a1, Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref Unsafe.Add(ref hi8, o2)), pHi), w2);
            Store<TMode>(Join(a0, a1), mul, lo, hi, zp, ref dst, outputAt[c]);
        }
    }

    /// <summary>
    /// <see cref="Channel3"/> for chunks along rows with stride 1 down the plane: output rows r and r + 1 read input
    /// rows r..r+2 and r+1..r+3, so a pair of chunks one row apart takes 4 loads and permutes per half instead of
    /// 6 (the permutes bound this kernel). Along rows every half uses the same permute pattern. An odd last row
    /// goes alone.
    /// </summary>
    [MethodImpl(KernelCompilation.Hot)]
    private static void Channel3RowPairs<TMode>(ReadOnlySpan<byte> padded, ReadOnlySpan<int> inputAt, ReadOnlySpan<int> outputAt, ReadOnlySpan<byte> patterns,
        ReadOnlySpan<int> wordOffsets, int pw, int outWidth, ReadOnlySpan<int> words, int start, float multiplier,
        Vector512<float> lo, Vector512<float> hi, Vector512<int> zp, Span<byte> plane)
        where TMode : struct
    {
        ref byte src = ref MemoryMarshal.GetReference(padded);
        ref byte dst = ref MemoryMarshal.GetReference(plane);
        var pattern = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(patterns));
        var w0 = Vector256.Create(words[0]).AsSByte();
        var w1 = Vector256.Create(words[1]).AsSByte();
        var w2 = Vector256.Create(words[2]).AsSByte();
        nint r1 = pw, r2 = 2 * (nint)pw, r3 = 3 * (nint)pw;
        var s = Vector256.Create(start);
        var mul = Vector512.Create(multiplier);
        int perRow = (outWidth + WindowChunks.Chunk - 1) / WindowChunks.Chunk;
        int rows = outputAt.Length / perRow;
        int c = 0;
        for (int r = 0; r + 1 < rows; r += 2, c += perRow)
        {
            for (int end = c + perRow; c < end; c++)
            {
                ref byte lo8 = ref Unsafe.Add(ref src, inputAt[2 * c]);
                if (inputAt[2 * c + 1] < 0)
                {
                    // A half chunk (the rows' last 8 outputs).
                    var m1 = Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref Unsafe.Add(ref lo8, r1)), pattern);
                    var m2 = Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref Unsafe.Add(ref lo8, r2)), pattern);
                    var u = AvxVnni.MultiplyWideningAndAdd(s, Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref lo8), pattern), w0);
                    var v = AvxVnni.MultiplyWideningAndAdd(s, m1, w0);
                    u = AvxVnni.MultiplyWideningAndAdd(AvxVnni.MultiplyWideningAndAdd(u, m1, w1), m2, w2);
                    v = AvxVnni.MultiplyWideningAndAdd(AvxVnni.MultiplyWideningAndAdd(v, m2, w1),
                        Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref Unsafe.Add(ref lo8, r3)), pattern), w2);
                    Store8<TMode>(u, mul, lo, hi, zp, ref dst, outputAt[c]);
                    Store8<TMode>(v, mul, lo, hi, zp, ref dst, outputAt[c] + outWidth);
                    continue;
                }
                ref byte hi8 = ref Unsafe.Add(ref src, inputAt[2 * c + 1]);
                var l1 = Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref Unsafe.Add(ref lo8, r1)), pattern);
                var h1 = Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref Unsafe.Add(ref hi8, r1)), pattern);
                var l2 = Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref Unsafe.Add(ref lo8, r2)), pattern);
                var h2 = Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref Unsafe.Add(ref hi8, r2)), pattern);
                var a0 = AvxVnni.MultiplyWideningAndAdd(s, Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref lo8), pattern), w0);
                var a1 = AvxVnni.MultiplyWideningAndAdd(s, Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref hi8), pattern), w0);
                var b0 = AvxVnni.MultiplyWideningAndAdd(s, l1, w0);
                var b1 = AvxVnni.MultiplyWideningAndAdd(s, h1, w0);
                a0 = AvxVnni.MultiplyWideningAndAdd(a0, l1, w1);
                a1 = AvxVnni.MultiplyWideningAndAdd(a1, h1, w1);
                b0 = AvxVnni.MultiplyWideningAndAdd(b0, l2, w1);
                b1 = AvxVnni.MultiplyWideningAndAdd(b1, h2, w1);
                a0 = AvxVnni.MultiplyWideningAndAdd(a0, l2, w2);
                a1 = AvxVnni.MultiplyWideningAndAdd(a1, h2, w2);
                b0 = AvxVnni.MultiplyWideningAndAdd(b0, Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref Unsafe.Add(ref lo8, r3)), pattern), w2);
                b1 = AvxVnni.MultiplyWideningAndAdd(b1, Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref Unsafe.Add(ref hi8, r3)), pattern), w2);
                Store<TMode>(Join(a0, a1), mul, lo, hi, zp, ref dst, outputAt[c]);
                Store<TMode>(Join(b0, b1), mul, lo, hi, zp, ref dst, outputAt[c] + outWidth);
            }
        }
        // An odd last row: the plain kernel on its chunks (along rows all patterns are the same one, and the word
        // offsets of stride-1 rows are 0, pw and 2pw).
        if (c < outputAt.Length)
            Channel3<TMode>(padded, inputAt.Slice(2 * c), outputAt.Slice(c), patterns.Slice(2 * c * LoadBytes), wordOffsets, words, start, multiplier,
                lo, hi, zp, plane);
    }

    /// <summary>
    /// <see cref="Channel3"/> reading the unpadded input planes (<see cref="WindowChunks.BuildDirect"/>): per half chunk
    /// and kernel row, one 32-byte load and one two-table permute (<c>vpermt2b</c>) whose second table is the input
    /// zero point, so padding taps read it without a padded copy. <paramref name="channels"/> consecutive channels
    /// (planes <paramref name="inPlane"/> and <paramref name="outPlane"/> bytes apart, depth multiplier 1) in one call:
    /// on 5x5 and 7x7 planes a channel is only 2 to 4 chunks, and a call per channel cost more than its chunks.
    /// int8 inputs are flipped to u8 as loaded. The caller checks that every load stays inside the input.
    /// </summary>
    [MethodImpl(KernelCompilation.Hot)]
    private static void ChannelsDirect3<TX, TMode>(ReadOnlySpan<byte> input, int inPlane, int channels, byte pad, ReadOnlySpan<int> loadAt,
        ReadOnlySpan<int> outputAt, ReadOnlySpan<byte> patterns, ReadOnlySpan<int> words, ReadOnlySpan<int> starts, ReadOnlySpan<float> multipliers,
        Vector512<float> lo, Vector512<float> hi, Vector512<int> zp, Span<byte> output, int outPlane)
        where TX : unmanaged where TMode : struct
    {
        if (words.Length < 3 * channels || starts.Length < channels || (multipliers.Length != 1 && multipliers.Length < channels) ||
            output.Length < (channels - 1) * outPlane + outPlane)
            throw new ArgumentException("depthwise channel batch out of range");
        ref byte pat = ref MemoryMarshal.GetReference(patterns);
        ref int at = ref MemoryMarshal.GetReference(loadAt);
        ref int outAt = ref MemoryMarshal.GetReference(outputAt);
        var padding = Vector256.Create(pad);
        var flip = Vector256.Create((byte)0x80);
        int chunks = outputAt.Length;
        for (int ch = 0; ch < channels; ch++)
        {
            ref byte src = ref Unsafe.Add(ref MemoryMarshal.GetReference(input), (nint)ch * inPlane);
            ref byte dst = ref Unsafe.Add(ref MemoryMarshal.GetReference(output), (nint)ch * outPlane);
            var w0 = Vector256.Create(words[3 * ch]).AsSByte();
            var w1 = Vector256.Create(words[3 * ch + 1]).AsSByte();
            var w2 = Vector256.Create(words[3 * ch + 2]).AsSByte();
            var s = Vector256.Create(starts[ch]);
            var mul = Vector512.Create(multipliers[multipliers.Length == 1 ? 0 : ch]);
            for (int c = 0, e = 0; c < chunks; c++, e += 6)
            {
                var a0 = AvxVnni.MultiplyWideningAndAdd(s, Window<TX>(ref src, Unsafe.Add(ref at, e), ref pat, e, padding, flip), w0);
                var a1 = AvxVnni.MultiplyWideningAndAdd(s, Window<TX>(ref src, Unsafe.Add(ref at, e + 3), ref pat, e + 3, padding, flip), w0);
                a0 = AvxVnni.MultiplyWideningAndAdd(a0, Window<TX>(ref src, Unsafe.Add(ref at, e + 1), ref pat, e + 1, padding, flip), w1);
                a1 = AvxVnni.MultiplyWideningAndAdd(a1, Window<TX>(ref src, Unsafe.Add(ref at, e + 4), ref pat, e + 4, padding, flip), w1);
                a0 = AvxVnni.MultiplyWideningAndAdd(a0, Window<TX>(ref src, Unsafe.Add(ref at, e + 2), ref pat, e + 2, padding, flip), w2);
                a1 = AvxVnni.MultiplyWideningAndAdd(a1, Window<TX>(ref src, Unsafe.Add(ref at, e + 5), ref pat, e + 5, padding, flip), w2);
                Store<TMode>(Join(a0, a1), mul, lo, hi, zp, ref dst, Unsafe.Add(ref outAt, c));
            }
        }
    }

    /// <summary>The taps of 8 outputs for one kernel row: a load at <paramref name="at"/>, flipped for int8, permuted with padding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Window<TX>(ref byte src, int at, ref byte patterns, int entry, Vector256<byte> padding, Vector256<byte> flip) where TX : unmanaged
    {
        var bytes = Vector256.LoadUnsafe(ref src, (nuint)at);
        if (typeof(TX) == typeof(sbyte)) bytes ^= flip;
        return Avx512Vbmi.VL.PermuteVar32x8x2(bytes, Vector256.LoadUnsafe(ref patterns, (nuint)(entry * LoadBytes)), padding);
    }

    /// <summary>Any other kernel: the weight ints in a loop.</summary>
    [MethodImpl(KernelCompilation.Hot)]
    private static void ChannelAny<TMode>(ReadOnlySpan<byte> padded, ReadOnlySpan<int> inputAt, ReadOnlySpan<int> outputAt, ReadOnlySpan<byte> patterns,
        ReadOnlySpan<int> wordOffsets, ReadOnlySpan<int> words, int start, float multiplier,
        Vector512<float> lo, Vector512<float> hi, Vector512<int> zp, Span<byte> plane)
        where TMode : struct
    {
        ref byte src = ref MemoryMarshal.GetReference(padded);
        ref byte pat = ref MemoryMarshal.GetReference(patterns);
        ref byte dst = ref MemoryMarshal.GetReference(plane);
        var s = Vector256.Create(start);
        var mul = Vector512.Create(multiplier);
        for (int c = 0; c < outputAt.Length; c++)
        {
            var pLo = Vector256.LoadUnsafe(ref pat, (nuint)(2 * c * LoadBytes));
            var pHi = Vector256.LoadUnsafe(ref pat, (nuint)((2 * c + 1) * LoadBytes));
            ref byte lo8 = ref Unsafe.Add(ref src, inputAt[2 * c]);
            ref byte hi8 = ref Unsafe.Add(ref src, inputAt[2 * c + 1]);
            Vector256<int> a0 = s, a1 = s;
            for (int i = 0; i < words.Length; i++)
            {
                var w = Vector256.Create(words[i]).AsSByte();
                a0 = AvxVnni.MultiplyWideningAndAdd(a0, Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref Unsafe.Add(ref lo8, wordOffsets[i])), pLo), w);
                a1 = AvxVnni.MultiplyWideningAndAdd(a1, Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref Unsafe.Add(ref hi8, wordOffsets[i])), pHi), w);
            }
            Store<TMode>(Join(a0, a1), mul, lo, hi, zp, ref dst, outputAt[c]);
        }
    }

    /// <summary>
    /// The two halves as one register. Vector512.Create(lo, hi) compiles to two inserts into the previous value of
    /// its register, a false dependency that chained every chunk to the one before; this is one insert into lo.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Join(Vector256<int> lo, Vector256<int> hi) => lo.ToVector512Unsafe().WithUpper(hi);

    /// <summary>8 sums to 8 output bytes at <paramref name="at"/> (a half chunk).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store8<TMode>(Vector256<int> acc, Vector512<float> m, Vector512<float> lo, Vector512<float> hi, Vector512<int> zp, ref byte dst, int at)
        where TMode : struct =>
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, at), Requant512.Bytes8<TMode>(acc, m.GetLower(), lo.GetLower(), hi.GetLower(), zp.GetLower()).AsUInt64().ToScalar());

    /// <summary>16 sums to 16 output bytes at <paramref name="at"/> (<see cref="Requant512"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TMode>(Vector512<int> acc, Vector512<float> m, Vector512<float> lo, Vector512<float> hi, Vector512<int> zp, ref byte dst, int at)
        where TMode : struct =>
        Requant512.Bytes<TMode>(acc, m, lo, hi, zp).StoreUnsafe(ref dst, (nuint)at);
}
