using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelCompiler.Runtime;

/// <summary>
/// Int8 3x3 depthwise convolution for small planes (MobileNet's 14x14, 10x10, 7x7 and 5x5), channels in vector
/// lanes: the planes are transposed to pixel-major (channels last) bytes, each output pixel is computed for 32
/// channels at once, and the result is transposed back.
/// <para>
/// Why: <see cref="DepthwiseVnni"/> puts pixels in lanes and builds each window with a byte permute; a small plane
/// is only a few chunks of 16 outputs, so per-channel setup and permutes dominate (7x7 planes: about 0.6 ns per
/// output). Channels last, a window tap of 32 channels is one plain load, the weights stay in registers for the
/// whole plane, and no window is ever assembled. Work goes one block of 32 channels at a time, so the transposed
/// planes (16 KB of int16 input, 6 KB of output for 14x14) stay in L1. Same bytes out as <see cref="DepthwiseVnni"/>;
/// in <c>--layers</c> of the model-zoo MobileNetV2 (with the per-channel table built once by generated code) its 7x7
/// layers take 16 us instead of 29.5, its 384-channel 14x14 ones 22.5 instead of 29, its stride-2 14x14 one 16
/// instead of 28. Larger planes are slower this way and stay with <see cref="DepthwiseVnni"/>.
/// </para>
/// <para>
/// Arithmetic: the transposed input is held as int16 (widened once, as it is transposed), two taps are interleaved
/// (<c>vpunpcklwd</c> / <c>vpunpckhwd</c>) and <c>vpmaddwd</c> multiplies them by the matching pair of int16 weights
/// and adds the two products into int32: 5 instructions of each per 9 taps of 32 channels, exact (|x w| &lt; 2^15 per
/// product). The unpacks work within 128-bit lanes, so each lane of the transposed input holds channels 4L..4L+3
/// and 16+4L..16+4L+3: the low results are then channels 0-15 in order and the high ones 16-31. As in
/// <see cref="DepthwiseVnni"/>: int8 inputs are flipped to u8 (+128), padding holds the shifted input zero point,
/// and each channel starts from bias - xz' · Σw; requantization is <see cref="Requant512"/>'s, so outputs are the
/// same bytes.
/// </para>
/// </summary>
internal static class DepthwiseChannelsLast
{
    /// <summary>
    /// Scratch slots of its own, so that <see cref="DepthwiseVnni"/>'s padded plane and pattern tables keep theirs
    /// (sharing them moved those tables into this kernel's larger buffers, measured a few percent slower).
    /// </summary>
    private const int ScratchInput = 6, ScratchOutput = 7, ScratchParameters = 6, ScratchPixels = 7;

    /// <summary>Channels a block computes at once (one 512-bit vector of int16).</summary>
    private const int Block = 32;

    /// <summary>Whether this machine has the instructions.</summary>
    public static bool IsSupported => Avx512BW.IsSupported && Avx512F.IsSupported && Avx2.IsSupported;

    /// <summary>Whether the layer has a shape this kernel takes (<see cref="DepthwiseChannelsLastShape.Fits"/>).</summary>
    public static bool Fits(in ConvGeometry g) =>
        DepthwiseChannelsLastShape.Fits(g.inChannels, g.outChannels, g.groups, g.inHeight, g.inWidth, g.outHeight, g.outWidth,
            g.kernelHeight, g.kernelWidth, g.strideHeight, g.strideWidth, g.dilationHeight, g.dilationWidth, g.padTop, g.padLeft);

    /// <summary>
    /// y = requantize(bias + depthwise 3x3 conv of (x - xz) with weights [C][9] (s8, zero weight zero points)),
    /// multipliers per channel (or one). Callers check <see cref="IsSupported"/> and <see cref="Fits"/>.
    /// </summary>
    public static void Run<TX, TY>(ReadOnlySpan<TX> x, int xZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> bias,
        ReadOnlySpan<float> multipliers, int yZeroPoint, Span<TY> y, in ConvGeometry g, ReadOnlySpan<int> table = default)
        where TX : unmanaged where TY : unmanaged
    {
        if (!IsSupported) throw new PlatformNotSupportedException("AVX-512 BW is not supported on this machine");
        if (typeof(TX) != typeof(byte) && typeof(TX) != typeof(sbyte)) throw new NotSupportedException(typeof(TX).Name);
        if (typeof(TY) != typeof(byte) && typeof(TY) != typeof(sbyte)) throw new NotSupportedException(typeof(TY).Name);
        if (!Fits(g)) throw new ArgumentException("depthwise geometry does not fit the channels-last kernel");
        int c = g.inChannels, inPlane = g.inHeight * g.inWidth, outPlane = g.outHeight * g.outWidth;
        if (weights.Length != c * 9) throw new ArgumentException($"depthwise weights have {weights.Length} values, expected {c * 9}");
        if (x.Length != g.batch * c * inPlane || y.Length != g.batch * c * outPlane) throw new ArgumentException("input or output has the wrong length");
        if (!bias.IsEmpty && bias.Length != c) throw new ArgumentException("bias has the wrong length");
        if (multipliers.Length != 1 && multipliers.Length != c) throw new ArgumentException("multipliers have the wrong length");

        int cp = (c + Block - 1) / Block * Block, blocks = cp / Block;
        int pw = g.inWidth + 2, ph = g.inHeight + 2;
        bool signedX = typeof(TX) == typeof(sbyte);
        int xzShifted = xZeroPoint + (signedX ? 128 : 0);

        // One block of 32 channels at a time, pixel-major: the padded input (int16, border = shifted zero point,
        // filled once; each block overwrites the interior) and the output, 16 KB and 6 KB for a 14x14 plane, so they stay in L1
        // (whole-tensor buffers, hundreds of KB, came back cold from L3 on every call).
        Span<short> input = QuantScratch<short>.Get(ScratchInput, ph * pw * Block);
        Span<byte> output = QuantScratch<byte>.Get(ScratchOutput, outPlane * Block);
        FillBorder(input, g.inHeight, g.inWidth, Block, (short)xzShifted);
        Span<int> at = QuantScratch<int>.Get(ScratchPixels, inPlane);
        for (int r = 0, i = 0; r < g.inHeight; r++)
            for (int q = 0; q < g.inWidth; q++, i++) at[i] = ((r + 1) * pw + q + 1) * Block;

        // Per block: 5 tap-pair weight vectors and the starting sums for each half, then the multipliers: the
        // caller's table (see Table), or built here (about 5 ns a channel, a fifth of a 7x7 layer).
        ReadOnlySpan<int> parameters;
        ReadOnlySpan<float> scales;
        if (table.Length == TableLength(c))
        {
            parameters = table.Slice(0, blocks * BlockInts);
            scales = MemoryMarshal.Cast<int, float>(table.Slice(blocks * BlockInts));
        }
        else
        {
            var p = QuantScratch<int>.Get(ScratchParameters, blocks * BlockInts);
            var m = QuantScratch<float>.Get(ScratchParameters, cp);
            Prepare(weights, bias, multipliers, xzShifted, c, p, m);
            parameters = p;
            scales = m;
        }

        ReadOnlySpan<byte> xb = MemoryMarshal.AsBytes(x);
        Span<byte> yb = MemoryMarshal.AsBytes(y);
        var lo = Vector512.Create((float)(Requantize.Min<TY>() - yZeroPoint));
        var hi = Vector512.Create((float)(Requantize.Max<TY>() - yZeroPoint));
        var zp = Vector512.Create(yZeroPoint);
        int form = Requant512.FormFor<TY>(multipliers);
        for (int n = 0; n < g.batch; n++)
            for (int b = 0; b < blocks; b++)
            {
                // The last block of an odd multiple of 16 channels has 16; its upper half reads zeros (TransposeIn),
                // has zero weights and is not copied out.
                int c0 = b * Block, count = Math.Min(Block, c - c0);
                TransposeIn(xb.Slice((n * c + c0) * inPlane, count * inPlane), count, inPlane, at, signedX, input);
                var blockParameters = parameters.Slice(b * BlockInts, BlockInts);
                var blockScales = scales.Slice(c0, Block);
                if (form == 1) Compute<Requant512.SaturateToByte>(input, output, blockParameters, blockScales, pw, g, lo, hi, zp);
                else if (form == 2) Compute<Requant512.SaturateToSByte>(input, output, blockParameters, blockScales, pw, g, lo, hi, zp);
                else Compute<Requant512.Clamped>(input, output, blockParameters, blockScales, pw, g, lo, hi, zp);
                TransposeOut(output, count, outPlane, yb.Slice((n * c + c0) * outPlane, count * outPlane));
            }
    }

    /// <summary>
    /// What <see cref="Run{TX, TY}"/> would prepare for these constant weights, bias and multipliers and this shifted input
    /// zero point (input zero point, + 128 for int8 inputs): the block parameters, then the multipliers as float bits.
    /// </summary>
    public static int[] Table(ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> bias, ReadOnlySpan<float> multipliers, int xzShifted, int channels)
    {
        if (channels % 16 != 0 || weights.Length != channels * 9 || (!bias.IsEmpty && bias.Length != channels) ||
            (multipliers.Length != 1 && multipliers.Length != channels))
            throw new ArgumentException("depthwise table arguments do not match");
        var table = new int[TableLength(channels)];
        int blocks = (channels + Block - 1) / Block;
        Prepare(weights, bias, multipliers, xzShifted, channels, table.AsSpan(0, blocks * BlockInts),
            MemoryMarshal.Cast<int, float>(table.AsSpan(blocks * BlockInts)));
        return table;
    }

    private static int TableLength(int channels)
    {
        int blocks = (channels + Block - 1) / Block;
        return blocks * BlockInts + blocks * Block;
    }

    /// <summary>Ints per block of <see cref="Block"/> channels: 5 pair vectors x 2 halves x 16, then 2 x 16 starting sums.</summary>
    private const int BlockInts = 5 * 2 * 16 + 2 * 16;

    [MethodImpl(KernelCompilation.Hot)]
    private static void Prepare(ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> bias, ReadOnlySpan<float> multipliers, int xzShifted, int c,
        Span<int> parameters, Span<float> scales)
    {
        // Channels past c (the last block's upper half when c is an odd multiple of 16) compute nothing.
        if (c % Block != 0)
        {
            parameters.Slice((c / Block) * BlockInts).Clear();
            scales.Slice(c).Clear();
        }
        ref sbyte w = ref MemoryMarshal.GetReference(weights);
        ref int p0 = ref MemoryMarshal.GetReference(parameters);
        for (int ch = 0; ch < c; ch++, w = ref Unsafe.Add(ref w, 9))
        {
            // Block, half and lane of this channel: the low half holds channels 0-15 of its block, the high one 16-31.
            int k = ch % Block, half = k >> 4, lane = k & 15;
            ref int p = ref Unsafe.Add(ref p0, (ch / Block) * BlockInts + half * 16 + lane);
            int w0 = w, w1 = Unsafe.Add(ref w, 1), w2 = Unsafe.Add(ref w, 2), w3 = Unsafe.Add(ref w, 3), w4 = Unsafe.Add(ref w, 4);
            int w5 = Unsafe.Add(ref w, 5), w6 = Unsafe.Add(ref w, 6), w7 = Unsafe.Add(ref w, 7), w8 = Unsafe.Add(ref w, 8);
            p = (w0 & 0xFFFF) | (w1 << 16);
            Unsafe.Add(ref p, 32) = (w2 & 0xFFFF) | (w3 << 16);
            Unsafe.Add(ref p, 64) = (w4 & 0xFFFF) | (w5 << 16);
            Unsafe.Add(ref p, 96) = (w6 & 0xFFFF) | (w7 << 16);
            Unsafe.Add(ref p, 128) = w8 & 0xFFFF;
            Unsafe.Add(ref p, 160) = (bias.IsEmpty ? 0 : bias[ch]) - xzShifted * (w0 + w1 + w2 + w3 + w4 + w5 + w6 + w7 + w8);
            scales[ch] = multipliers[multipliers.Length == 1 ? 0 : ch];
        }
    }

    private static void FillBorder(Span<short> input, int h, int w, int cp, short pad)
    {
        int pw = w + 2;
        input.Slice(0, pw * cp).Fill(pad);
        input.Slice((h + 1) * pw * cp, pw * cp).Fill(pad);
        for (int r = 1; r <= h; r++)
        {
            input.Slice(r * pw * cp, cp).Fill(pad);
            input.Slice((r * pw + w + 1) * cp, cp).Fill(pad);
        }
    }

    /// <summary>Every output pixel of one block of 32 channels, into pixel-major <paramref name="output"/> (32 bytes a pixel).</summary>
    [MethodImpl(KernelCompilation.Hot)]
    private static void Compute<TForm>(ReadOnlySpan<short> input, Span<byte> output, ReadOnlySpan<int> parameters, ReadOnlySpan<float> scales,
        int pw, in ConvGeometry g, Vector512<float> lo, Vector512<float> hi, Vector512<int> zp)
        where TForm : struct
    {
        if (parameters.Length < BlockInts || scales.Length < Block || output.Length < g.outHeight * g.outWidth * Block ||
            input.Length < (g.inHeight + 2) * pw * Block)
            throw new ArgumentException("channels-last block out of range");
        ref short src = ref MemoryMarshal.GetReference(input);
        ref byte outPixel = ref MemoryMarshal.GetReference(output);
        nint row = (nint)pw * Block, col = Block;
        nint o1 = col, o2 = 2 * col, o3 = row, o4 = row + col, o5 = row + 2 * col, o6 = 2 * row, o7 = 2 * row + col, o8 = 2 * row + 2 * col;
        nint stepY = g.strideHeight * row, stepX = g.strideWidth * col;
        int oh = g.outHeight, ow = g.outWidth;
        ref int p = ref MemoryMarshal.GetReference(parameters);
        var w0l = Vector512.LoadUnsafe(ref p, 0).AsInt16(); var w0h = Vector512.LoadUnsafe(ref p, 16).AsInt16();
        var w1l = Vector512.LoadUnsafe(ref p, 32).AsInt16(); var w1h = Vector512.LoadUnsafe(ref p, 48).AsInt16();
        var w2l = Vector512.LoadUnsafe(ref p, 64).AsInt16(); var w2h = Vector512.LoadUnsafe(ref p, 80).AsInt16();
        var w3l = Vector512.LoadUnsafe(ref p, 96).AsInt16(); var w3h = Vector512.LoadUnsafe(ref p, 112).AsInt16();
        var w4l = Vector512.LoadUnsafe(ref p, 128).AsInt16(); var w4h = Vector512.LoadUnsafe(ref p, 144).AsInt16();
        var sl = Vector512.LoadUnsafe(ref p, 160); var sh = Vector512.LoadUnsafe(ref p, 176);
        var ml = Vector512.Create(scales.Slice(0, 16)); var mh = Vector512.Create(scales.Slice(16, 16));
        ref short origin = ref Unsafe.Add(ref src, (1 - g.padTop) * row + (1 - g.padLeft) * col);
        for (int i = 0; i < oh; i++)
        {
            ref short window = ref Unsafe.Add(ref origin, i * stepY);
            for (int j = 0; j < ow; j++, window = ref Unsafe.Add(ref window, stepX), outPixel = ref Unsafe.Add(ref outPixel, Block))
            {
                var t0 = Tap(ref window, 0); var t1 = Tap(ref window, o1);
                var al = sl + Avx512BW.MultiplyAddAdjacent(Avx512BW.UnpackLow(t0, t1), w0l);
                var ah = sh + Avx512BW.MultiplyAddAdjacent(Avx512BW.UnpackHigh(t0, t1), w0h);
                t0 = Tap(ref window, o2); t1 = Tap(ref window, o3);
                al += Avx512BW.MultiplyAddAdjacent(Avx512BW.UnpackLow(t0, t1), w1l);
                ah += Avx512BW.MultiplyAddAdjacent(Avx512BW.UnpackHigh(t0, t1), w1h);
                t0 = Tap(ref window, o4); t1 = Tap(ref window, o5);
                al += Avx512BW.MultiplyAddAdjacent(Avx512BW.UnpackLow(t0, t1), w2l);
                ah += Avx512BW.MultiplyAddAdjacent(Avx512BW.UnpackHigh(t0, t1), w2h);
                t0 = Tap(ref window, o6); t1 = Tap(ref window, o7);
                al += Avx512BW.MultiplyAddAdjacent(Avx512BW.UnpackLow(t0, t1), w3l);
                ah += Avx512BW.MultiplyAddAdjacent(Avx512BW.UnpackHigh(t0, t1), w3h);
                t0 = Tap(ref window, o8);
                al += Avx512BW.MultiplyAddAdjacent(Avx512BW.UnpackLow(t0, Vector512<short>.Zero), w4l);
                ah += Avx512BW.MultiplyAddAdjacent(Avx512BW.UnpackHigh(t0, Vector512<short>.Zero), w4h);
                Vector256.Create(Requant512.Bytes<TForm>(al, ml, lo, hi, zp), Requant512.Bytes<TForm>(ah, mh, lo, hi, zp)).StoreUnsafe(ref outPixel);
            }
        }
    }

    /// <summary>32 channels of one input pixel (int16, in the transposed order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Tap(ref short window, nint offset) => Vector512.LoadUnsafe(ref window, (nuint)offset);

    /// <summary>
    /// <paramref name="c"/> planes (16 or 32, channel-major, <paramref name="plane"/> pixels each) to the padded
    /// pixel-major input of a block, widened to int16: 16 x 16 byte tiles transposed, each pixel's two halves
    /// widened and merged so that every 128-bit lane holds channels 4L..4L+3 and 16+4L..16+4L+3 (the order the
    /// tap-pair unpacks turn back into channels 0-15 and 16-31). A block of 16 channels gets zeros above.
    /// </summary>
    [MethodImpl(KernelCompilation.Hot)]
    private static void TransposeIn(ReadOnlySpan<byte> x, int c, int plane, ReadOnlySpan<int> at, bool flip, Span<short> input)
    {
        if (x.Length < c * plane || c > Block || at.Length < plane) throw new ArgumentException("channels-last transpose out of range");
        ref byte src = ref MemoryMarshal.GetReference(x);
        ref short dst = ref MemoryMarshal.GetReference(input);
        ref int pixelAt = ref MemoryMarshal.GetReference(at);
        var f = Vector128.Create(flip ? (byte)0x80 : (byte)0);
        var merge = Vector512.Create(0L, 8, 1, 9, 2, 10, 3, 11);
        Tile16 high = default;
        for (int p0 = 0; ; p0 += 16)
        {
            if (p0 > plane - 16) p0 = plane - 16;
            var low = Transpose(ref Unsafe.Add(ref src, p0), plane, f);
            if (c > 16) high = Transpose(ref Unsafe.Add(ref src, 16 * (nint)plane + p0), plane, f);
            ref int a = ref Unsafe.Add(ref pixelAt, p0);
            for (int j = 0; j < 16; j++)
            {
                var l = Avx2.ConvertToVector256Int16(low[j]).ToVector512Unsafe().AsInt64();
                var h = Avx2.ConvertToVector256Int16(high[j]).ToVector512Unsafe().AsInt64();
                Avx512F.PermuteVar8x64x2(l, merge, h).AsInt16().StoreUnsafe(ref Unsafe.Add(ref dst, Unsafe.Add(ref a, j)));
            }
            if (p0 == plane - 16) break;
        }
    }

    /// <summary>A block's pixel-major output (32 bytes a pixel) back to <paramref name="c"/> channel planes, 16 x 16 bytes at a time.</summary>
    [MethodImpl(KernelCompilation.Hot)]
    private static void TransposeOut(ReadOnlySpan<byte> output, int c, int plane, Span<byte> y)
    {
        if (y.Length < c * plane || output.Length < plane * Block) throw new ArgumentException("channels-last transpose out of range");
        ref byte src = ref MemoryMarshal.GetReference(output);
        ref byte dst = ref MemoryMarshal.GetReference(y);
        for (int c0 = 0; c0 < c; c0 += 16)
            for (int p0 = 0; ; p0 += 16)
            {
                if (p0 > plane - 16) p0 = plane - 16;
                var t = Transpose(ref Unsafe.Add(ref src, (nint)p0 * Block + c0), Block, Vector128<byte>.Zero);
                ref byte d = ref Unsafe.Add(ref dst, (nint)c0 * plane + p0);
                for (int k = 0; k < 16; k++) t[k].StoreUnsafe(ref Unsafe.Add(ref d, (nint)k * plane));
                if (p0 == plane - 16) break;
            }
    }

    /// <summary>Sixteen rows of 16 bytes.</summary>
    [InlineArray(16)]
    private struct Tile16
    {
        private Vector128<byte> _row;
    }

    /// <summary>
    /// The 16 x 16 bytes at <paramref name="src"/> (rows <paramref name="stride"/> apart, XORed with <paramref name="flip"/>)
    /// transposed: four rounds of unpacks (bytes, words, dwords, qwords) on values held in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Tile16 Transpose(ref byte src, int stride, Vector128<byte> flip)
    {
        nint s = stride;
        // Round 1: byte pairs of rows (2k, 2k+1).
        var b0 = Pair(ref src, 0, s, flip, out var b1);
        var b2 = Pair(ref src, 2 * s, s, flip, out var b3);
        var b4 = Pair(ref src, 4 * s, s, flip, out var b5);
        var b6 = Pair(ref src, 6 * s, s, flip, out var b7);
        var b8 = Pair(ref src, 8 * s, s, flip, out var b9);
        var b10 = Pair(ref src, 10 * s, s, flip, out var b11);
        var b12 = Pair(ref src, 12 * s, s, flip, out var b13);
        var b14 = Pair(ref src, 14 * s, s, flip, out var b15);
        // Round 2: four rows per 32-bit group.
        var c0 = Sse2.UnpackLow(b0, b2).AsInt32(); var c1 = Sse2.UnpackHigh(b0, b2).AsInt32();
        var c2 = Sse2.UnpackLow(b1, b3).AsInt32(); var c3 = Sse2.UnpackHigh(b1, b3).AsInt32();
        var c4 = Sse2.UnpackLow(b4, b6).AsInt32(); var c5 = Sse2.UnpackHigh(b4, b6).AsInt32();
        var c6 = Sse2.UnpackLow(b5, b7).AsInt32(); var c7 = Sse2.UnpackHigh(b5, b7).AsInt32();
        var c8 = Sse2.UnpackLow(b8, b10).AsInt32(); var c9 = Sse2.UnpackHigh(b8, b10).AsInt32();
        var c10 = Sse2.UnpackLow(b9, b11).AsInt32(); var c11 = Sse2.UnpackHigh(b9, b11).AsInt32();
        var c12 = Sse2.UnpackLow(b12, b14).AsInt32(); var c13 = Sse2.UnpackHigh(b12, b14).AsInt32();
        var c14 = Sse2.UnpackLow(b13, b15).AsInt32(); var c15 = Sse2.UnpackHigh(b13, b15).AsInt32();
        // Round 3: eight rows per 64-bit group.
        var d0 = Sse2.UnpackLow(c0, c4).AsInt64(); var d1 = Sse2.UnpackHigh(c0, c4).AsInt64();
        var d2 = Sse2.UnpackLow(c1, c5).AsInt64(); var d3 = Sse2.UnpackHigh(c1, c5).AsInt64();
        var d4 = Sse2.UnpackLow(c2, c6).AsInt64(); var d5 = Sse2.UnpackHigh(c2, c6).AsInt64();
        var d6 = Sse2.UnpackLow(c3, c7).AsInt64(); var d7 = Sse2.UnpackHigh(c3, c7).AsInt64();
        var d8 = Sse2.UnpackLow(c8, c12).AsInt64(); var d9 = Sse2.UnpackHigh(c8, c12).AsInt64();
        var d10 = Sse2.UnpackLow(c9, c13).AsInt64(); var d11 = Sse2.UnpackHigh(c9, c13).AsInt64();
        var d12 = Sse2.UnpackLow(c10, c14).AsInt64(); var d13 = Sse2.UnpackHigh(c10, c14).AsInt64();
        var d14 = Sse2.UnpackLow(c11, c15).AsInt64(); var d15 = Sse2.UnpackHigh(c11, c15).AsInt64();
        // Round 4: all sixteen rows; column j of the input is row j of the result.
        Tile16 t = default;
        t[0] = Sse2.UnpackLow(d0, d8).AsByte(); t[1] = Sse2.UnpackHigh(d0, d8).AsByte();
        t[2] = Sse2.UnpackLow(d1, d9).AsByte(); t[3] = Sse2.UnpackHigh(d1, d9).AsByte();
        t[4] = Sse2.UnpackLow(d2, d10).AsByte(); t[5] = Sse2.UnpackHigh(d2, d10).AsByte();
        t[6] = Sse2.UnpackLow(d3, d11).AsByte(); t[7] = Sse2.UnpackHigh(d3, d11).AsByte();
        t[8] = Sse2.UnpackLow(d4, d12).AsByte(); t[9] = Sse2.UnpackHigh(d4, d12).AsByte();
        t[10] = Sse2.UnpackLow(d5, d13).AsByte(); t[11] = Sse2.UnpackHigh(d5, d13).AsByte();
        t[12] = Sse2.UnpackLow(d6, d14).AsByte(); t[13] = Sse2.UnpackHigh(d6, d14).AsByte();
        t[14] = Sse2.UnpackLow(d7, d15).AsByte(); t[15] = Sse2.UnpackHigh(d7, d15).AsByte();
        return t;
    }

    /// <summary>Rows at <paramref name="at"/> and <paramref name="at"/> + <paramref name="stride"/>, bytes interleaved (low and high halves).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<short> Pair(ref byte src, nint at, nint stride, Vector128<byte> flip, out Vector128<short> high)
    {
        var a = Vector128.LoadUnsafe(ref src, (nuint)at) ^ flip;
        var b = Vector128.LoadUnsafe(ref src, (nuint)(at + stride)) ^ flip;
        high = Sse2.UnpackHigh(a, b).AsInt16();
        return Sse2.UnpackLow(a, b).AsInt16();
    }
}
