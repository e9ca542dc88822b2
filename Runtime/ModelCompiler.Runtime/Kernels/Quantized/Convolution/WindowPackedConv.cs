using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelCompiler.Runtime;

/// <summary>
/// The activation packing of int8 convolutions with few input channels (the 3-channel stems of MobileNet and the
/// like) done with byte permutes.
/// <para>
/// The general packing (<see cref="QuantizedConv.Pack"/>) puts four consecutive K values in each int, across
/// kernel-row and channel boundaries, gathering every one of them separately: for a 3x3 stem with K = 27 that took
/// most of the layer's time. Here each int holds one kernel row of one channel, <c>[x(kw=0) x(kw=1) x(kw=2) -]</c>,
/// which is exactly the window that one <c>vpermb</c> of a padded input row makes for 8 pixels at once
/// (<see cref="WindowChunks"/>, as in <see cref="DepthwiseVnni"/>): one load, one permute and one store per 8
/// pixels, channel and kernel row. The cost is more dot-product steps per pixel, C x KH instead of ceil(K / 4)
/// (9 instead of 7 for the stem), with the weights repacked the same way on each call (a few hundred bytes; the
/// byte past a row's taps has weight 0, so whatever the permute put there adds nothing). The products and the
/// requantization are the fused block kernel's (<see cref="QGemmRequant"/>), so results are identical.
/// </para>
/// </summary>
internal static class WindowPackedConv
{
    /// <summary>Bytes of packed activations one pixel block aims at (the block stays in L2).</summary>
    private const int BlockBytes = 128 * 1024;

    /// <summary>
    /// Packs and runs the convolution through <paramref name="sink"/>'s fused block kernel. Weights are the
    /// build-time layout, [M][K padded to 4] s8 with zero weight zero points, and <paramref name="columnTerms"/> the
    /// per-channel terms for activations shifted to u8. False (nothing written) when the sink has no block kernel.
    /// </summary>
    public static bool TryRun<TX, TSink>(scoped ReadOnlySpan<TX> x, int xZeroPoint, scoped ReadOnlySpan<sbyte> weights, scoped ReadOnlySpan<int> columnTerms,
        ref TSink sink, in ConvGeometry g)
        where TX : unmanaged where TSink : IIntegerSink, allows ref struct
    {
        int c = g.inChannels, kh = g.kernelHeight, kw = g.kernelWidth, m = g.outChannels;
        int k = c * kh * kw, kp = QuantizedConv.PaddedK(k), kq = c * kh;
        int inPlane = g.inHeight * g.inWidth, p = g.outHeight * g.outWidth;
        if (!QuantizedConvForms.WindowedFits(g)) throw new ArgumentException("the geometry does not fit window packing");
        if (weights.Length != m * kp || columnTerms.Length != m || x.Length != g.batch * c * inPlane)
            throw new ArgumentException("weights, terms or input have the wrong length");

        // Weights: one int per (channel, kernel row), the row's taps in its low bytes.
        Span<int> words = QuantScratch<int>.Get(3, m * kq);
        for (int oc = 0, i = 0; oc < m; oc++)
            for (int r = 0; r < kq; r++, i++)
            {
                int word = 0;
                for (int t = 0; t < kw; t++) word |= (weights[oc * kp + r * kw + t] & 0xFF) << (8 * t);
                words[i] = word;
            }

        // Padded planes (the shifted zero point around each), chunk tables, and the block buffer.
        bool signedX = typeof(TX) == typeof(sbyte);
        byte pad = (byte)(xZeroPoint + (signedX ? 128 : 0));
        int pw = WindowChunks.PaddedWidth(g), planeBytes = WindowChunks.PlaneBytes(g);
        Span<byte> planes = QuantScratch<byte>.Get(1, c * planeBytes);
        planes.Fill(pad);
        var layout = WindowChunks.Choose(g);
        int chunks = WindowChunks.ChunkCount(g, layout);
        Span<int> inputAt = QuantScratch<int>.Get(1, 2 * chunks);
        Span<int> outputAt = QuantScratch<int>.Get(2, chunks);
        Span<byte> patterns = QuantScratch<byte>.Get(2, 2 * chunks * WindowChunks.LoadBytes);
        WindowChunks.BuildChunks(g, layout, pw, inputAt, outputAt, patterns);
        int blockPixels = Math.Max(WindowChunks.Chunk, BlockBytes / (kq * 4));
        Span<int> cols = QuantScratch<int>.Get(0, kq * RoundUp16(blockPixels + WindowChunks.Chunk));
        Span<int> rowOffsets = stackalloc int[kh];
        for (int r = 0; r < kh; r++) rowOffsets[r] = r * g.dilationHeight * pw;

        ReadOnlySpan<byte> xb = MemoryMarshal.AsBytes(x);
        for (int n = 0; n < g.batch; n++)
        {
            for (int ic = 0; ic < c; ic++)
                WindowChunks.CopyRows(xb, (n * c + ic) * inPlane, g, pw, signedX, pad, planes.Slice(ic * planeBytes, planeBytes));
            for (int first = 0; first < chunks;)
            {
                // Consecutive chunks cover consecutive outputs (a row's last chunk overlaps the one before it).
                int p0 = outputAt[first], end = p0 + WindowChunks.Chunk, last = first + 1;
                while (last < chunks && outputAt[last] + WindowChunks.Chunk - p0 <= blockPixels) end = Math.Max(end, outputAt[last++] + WindowChunks.Chunk);
                int ldc = RoundUp16(end - p0);
                Pack(planes, planeBytes, c, rowOffsets, inputAt, outputAt, patterns, first, last, p0, cols, ldc);
                if (!sink.TryConvBlock(IntegerPath.AvxVnni, words, kq, 0, m, cols.Slice(0, kq * ldc), ldc, end - p0, columnTerms, n * m * p + p0, p))
                    return false;
                first = last;
            }
        }
        return true;
    }

    private static int RoundUp16(int v) => (v + 15) & ~15;

    /// <summary>cols[(ic * KH + r) * ldc + pixel - p0] = the window int of kernel row r of channel ic, for chunks [first, last).</summary>
    [MethodImpl(KernelCompilation.Hot)]
    private static void Pack(ReadOnlySpan<byte> planes, int planeBytes, int channels, ReadOnlySpan<int> rowOffsets, ReadOnlySpan<int> inputAt,
        ReadOnlySpan<int> outputAt, ReadOnlySpan<byte> patterns, int first, int last, int p0, Span<int> cols, int ldc)
    {
        ref byte src = ref MemoryMarshal.GetReference(planes);
        ref byte pat = ref MemoryMarshal.GetReference(patterns);
        ref int dst = ref MemoryMarshal.GetReference(cols);
        int kh = rowOffsets.Length;
        for (int c = first; c < last; c++)
        {
            int at = outputAt[c] - p0;
            for (int h = 0; h < 2; h++)
            {
                var pattern = Vector256.LoadUnsafe(ref pat, (nuint)((2 * c + h) * WindowChunks.LoadBytes));
                int origin = inputAt[2 * c + h], column = at + h * WindowChunks.Half;
                for (int ic = 0; ic < channels; ic++)
                {
                    ref byte plane = ref Unsafe.Add(ref src, ic * planeBytes + origin);
                    for (int r = 0; r < kh; r++)
                    {
                        var window = Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref Unsafe.Add(ref plane, rowOffsets[r])), pattern);
                        window.AsInt32().StoreUnsafe(ref dst, (nuint)((ic * kh + r) * ldc + column));
                    }
                }
            }
        }
    }
}
