using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelCompiler.Runtime;

/// <summary>The GEMM form of <see cref="QuantizedConv"/>: im2col packing of pixel blocks into <see cref="QGemm"/> tiles.</summary>
public static partial class QuantizedConv
{
    private static void Gemm<TX, TSink>(scoped ReadOnlySpan<TX> x, int xZeroPoint, scoped ReadOnlySpan<sbyte> weights, scoped ReadOnlySpan<int> weightZeroPoints,
        scoped ReadOnlySpan<int> columnTerms, ref TSink sink, in ConvGeometry g)
        where TX : unmanaged where TSink : IIntegerSink, allows ref struct
    {
        if (typeof(TX) != typeof(byte) && typeof(TX) != typeof(sbyte)) throw new NotSupportedException(typeof(TX).Name);
        int m = g.outChannels, cg = g.inChannels / g.groups, mg = m / g.groups;
        int k = cg * g.kernelHeight * g.kernelWidth, kq = PaddedK(k) / 4;
        int p = g.outHeight * g.outWidth;
        if (weights.Length != m * kq * 4) throw new ArgumentException($"packed weights have {weights.Length} bytes, expected {m * kq * 4}");
        if (columnTerms.Length != m) throw new ArgumentException("column terms have the wrong length");
        if (x.Length != g.batch * g.inChannels * g.inHeight * g.inWidth) throw new ArgumentException("input has the wrong length");

        var path = IntegerPaths.Current;
        bool signedX = typeof(TX) == typeof(sbyte);
        byte pad = (byte)(xZeroPoint + (signedX ? 128 : 0));
        ReadOnlySpan<int> rows8 = MemoryMarshal.Cast<sbyte, int>(weights);
        Span<long> rows16 = default;
        if (QGemm.NeedsWideRows(path))
        {
            rows16 = QuantScratch<long>.Get(0, rows8.Length);
            QGemm.WidenRows(rows8, unsigned: false, rows16);
        }

        int block = Math.Clamp(PackedBlockBytes / (kq * 4) / QGemm.TileCols * QGemm.TileCols, QGemm.TileCols, MaxBlockPixels);
        block = Math.Min(block, (p + QGemm.TileCols - 1) / QGemm.TileCols * QGemm.TileCols);
        Span<int> packed = QuantScratch<int>.Get(SlotPacked, kq * block);
        bool zeroPoints = !weightZeroPoints.IsEmpty;
        Span<int> sums = zeroPoints ? QuantScratch<int>.Get(SlotSums, block + QGemm.TileCols) : default;
        Span<int> tile = stackalloc int[QGemm.TileRows * QGemm.TileCols];
        ReadOnlySpan<byte> xb = MemoryMarshal.AsBytes(x);

        for (int n = 0; n < g.batch; n++)
        {
            for (int grp = 0; grp < g.groups; grp++)
            {
                ReadOnlySpan<byte> xg = xb.Slice((n * g.inChannels + grp * cg) * g.inHeight * g.inWidth, cg * g.inHeight * g.inWidth);
                for (int p0 = 0; p0 < p; p0 += block)
                {
                    int pc = Math.Min(block, p - p0);
                    int ldc = (pc + QGemm.TileCols - 1) / QGemm.TileCols * QGemm.TileCols;
                    Span<int> a = packed.Slice(0, kq * ldc);
                    Pack(xg, signedX, pad, k, kq, p0, pc, ldc, a, g);
                    if (zeroPoints) PixelSums(a, kq, ldc, pc, sums);
                    else if (sink.TryConvBlock(path, rows8, kq, grp * mg, mg, a, ldc, pc, columnTerms.Slice(grp * mg, mg), (n * m + grp * mg) * p + p0, p))
                        continue;
                    for (int m0 = 0; m0 < mg; m0 += QGemm.TileRows)
                    {
                        int rc = Math.Min(QGemm.TileRows, mg - m0);
                        int row0 = grp * mg + m0;
                        for (int c0 = 0; c0 < pc; c0 += QGemm.TileCols)
                        {
                            QGemm.Tile(path, rows8, rows16, row0, kq, rc, a, ldc, c0, kq, rowsUnsigned: false, tile);
                            int cc = Math.Min(QGemm.TileCols, pc - c0);
                            sink.StoreChannelRows(tile, rc, cc, row0, columnTerms.Slice(row0, rc),
                                zeroPoints ? weightZeroPoints.Slice(row0, rc) : default, zeroPoints ? sums.Slice(c0) : default,
                                (n * m + row0) * p + p0 + c0, p);
                        }
                    }
                }
            }
        }
    }

    /// <summary>pixel sums of the packed (shifted) activations: the sum x' term for nonzero weight zero points.</summary>
    private static void PixelSums(ReadOnlySpan<int> a, int kq, int ldc, int pc, Span<int> sums)
    {
        sums.Slice(0, pc).Clear();
        for (int q = 0; q < kq; q++)
        {
            var row = a.Slice(q * ldc, pc);
            for (int j = 0; j < pc; j++)
            {
                int v = row[j];
                sums[j] += (v & 0xFF) + ((v >> 8) & 0xFF) + ((v >> 16) & 0xFF) + ((v >>> 24) & 0xFF);
            }
        }
    }

    /// <summary>
    /// im2col of pixels [p0, p0 + pc) into a[q * ldc + j] (4 K-values per int, K padded with zeros); input bytes
    /// are shifted to uint8 (XOR 0x80 for int8), padding positions take the shifted zero point.
    /// </summary>
    internal static void Pack(ReadOnlySpan<byte> x, bool signedX, byte pad, int k, int kq, int p0, int pc, int ldc, Span<int> a, in ConvGeometry g)
    {
        byte flip = signedX ? (byte)0x80 : (byte)0;
        int hw = g.inHeight * g.inWidth;
        bool pointwise = g.kernelHeight == 1 && g.kernelWidth == 1 && g.strideHeight == 1 && g.strideWidth == 1 &&
            g.padTop == 0 && g.padLeft == 0 && g.outHeight == g.inHeight && g.outWidth == g.inWidth;
        if (pointwise)
        {
            PackPointwise(x, flip, k, kq, p0, pc, ldc, hw, a);
            return;
        }
        int kk = g.kernelHeight * g.kernelWidth;
        Span<int> rowOffset = stackalloc int[4], colOffset = stackalloc int[4], planeOffset = stackalloc int[4];
        Span<bool> used = stackalloc bool[4];
        bool vector = Sse2.IsSupported && g.strideWidth <= 2;
        for (int q = 0; q < kq; q++)
        {
            for (int t = 0; t < 4; t++)
            {
                int kIndex = 4 * q + t;
                used[t] = kIndex < k;
                if (!used[t]) continue;
                int ic = kIndex / kk, r = kIndex - ic * kk;
                int kh = r / g.kernelWidth, kw = r - kh * g.kernelWidth;
                planeOffset[t] = ic * hw;
                rowOffset[t] = kh * g.dilationHeight - g.padTop;
                colOffset[t] = kw * g.dilationWidth - g.padLeft;
            }
            Span<int> dst = a.Slice(q * ldc, pc);
            int j = 0, oh = p0 / g.outWidth, ow = p0 - oh * g.outWidth;
            while (j < pc)
            {
                int seg = Math.Min(g.outWidth - ow, pc - j);
                // Output columns where all four taps read inside the input.
                int lo = ow, hi = ow + seg;
                for (int t = 0; t < 4 && lo < hi; t++)
                {
                    if (!used[t]) continue;
                    int ih = oh * g.strideHeight + rowOffset[t];
                    if ((uint)ih >= (uint)g.inHeight) { hi = lo; break; }
                    int c = colOffset[t];
                    int first = c >= 0 ? 0 : (-c + g.strideWidth - 1) / g.strideWidth;
                    int lastCol = g.inWidth - 1 - c;
                    int end = lastCol < 0 ? 0 : lastCol / g.strideWidth + 1;
                    lo = Math.Max(lo, first);
                    hi = Math.Min(hi, end);
                }
                if (hi < lo) hi = lo;
                for (int o = ow; o < lo; o++) dst[j + o - ow] = PackOne(x, flip, pad, used, planeOffset, rowOffset, colOffset, oh, o, g);
                int o2 = lo;
                if (vector && hi - lo >= 16)
                {
                    for (; o2 + 16 <= hi; o2 += 16)
                        if (!PackSixteen(x, flip, used, planeOffset, rowOffset, colOffset, oh, o2, g, dst.Slice(j + o2 - ow, 16))) break;
                    // Overlap the last block with the previous one rather than packing a scalar tail.
                    if (o2 < hi && o2 + 16 > hi && PackSixteen(x, flip, used, planeOffset, rowOffset, colOffset, oh, hi - 16, g, dst.Slice(j + hi - 16 - ow, 16)))
                        o2 = hi;
                }
                else if (vector && hi - lo >= 8)
                {
                    // Narrow rows (8 to 15 inside): two overlapping 8-pixel blocks.
                    if (PackSixteen(x, flip, used, planeOffset, rowOffset, colOffset, oh, lo, g, dst.Slice(j + lo - ow, 8), eight: true) &&
                        PackSixteen(x, flip, used, planeOffset, rowOffset, colOffset, oh, hi - 8, g, dst.Slice(j + hi - 8 - ow, 8), eight: true))
                        o2 = hi;
                }
                for (; o2 < ow + seg; o2++) dst[j + o2 - ow] = PackOne(x, flip, pad, used, planeOffset, rowOffset, colOffset, oh, o2, g);
                j += seg;
                ow = 0;
                oh++;
            }
        }
    }

    /// <summary>The packed int of one pixel: four K-values (padding = the zero point, K past the end = 0).</summary>
    private static int PackOne(ReadOnlySpan<byte> x, byte flip, byte pad, ReadOnlySpan<bool> used, ReadOnlySpan<int> planeOffset,
        ReadOnlySpan<int> rowOffset, ReadOnlySpan<int> colOffset, int oh, int ow, in ConvGeometry g)
    {
        int packed = 0;
        for (int t = 0; t < 4; t++)
        {
            if (!used[t]) continue;
            int ih = oh * g.strideHeight + rowOffset[t], iw = ow * g.strideWidth + colOffset[t];
            int v = (uint)ih < (uint)g.inHeight && (uint)iw < (uint)g.inWidth ? x[planeOffset[t] + ih * g.inWidth + iw] ^ flip : pad;
            packed |= v << (8 * t);
        }
        return packed;
    }

    /// <summary>16 pixels whose taps are all inside (stride 1 or 2): four byte rows interleaved with SSE2 unpacks.</summary>
    private static bool PackSixteen(ReadOnlySpan<byte> x, byte flip, ReadOnlySpan<bool> used, ReadOnlySpan<int> planeOffset,
        ReadOnlySpan<int> rowOffset, ReadOnlySpan<int> colOffset, int oh, int ow, in ConvGeometry g, Span<int> dst, bool eight = false)
    {
        if (dst.Length < (eight ? 8 : 16)) return false;
        int load = g.strideWidth == 1 ? 16 : 32;
        for (int t = 0; t < 4; t++)
            if (used[t] && planeOffset[t] + (oh * g.strideHeight + rowOffset[t]) * g.inWidth + ow * g.strideWidth + colOffset[t] + load > x.Length) return false;
        var f = Vector128.Create(flip);
        int rowBase = oh * g.strideHeight * g.inWidth + ow * g.strideWidth;
        Vector128<byte> v0 = SixteenOf(x, used[0], planeOffset[0] + rowBase + rowOffset[0] * g.inWidth + colOffset[0], g.strideWidth, f);
        Vector128<byte> v1 = SixteenOf(x, used[1], planeOffset[1] + rowBase + rowOffset[1] * g.inWidth + colOffset[1], g.strideWidth, f);
        Vector128<byte> v2 = SixteenOf(x, used[2], planeOffset[2] + rowBase + rowOffset[2] * g.inWidth + colOffset[2], g.strideWidth, f);
        Vector128<byte> v3 = SixteenOf(x, used[3], planeOffset[3] + rowBase + rowOffset[3] * g.inWidth + colOffset[3], g.strideWidth, f);
        var lo01 = Sse2.UnpackLow(v0, v1).AsInt16();
        var hi01 = Sse2.UnpackHigh(v0, v1).AsInt16();
        var lo23 = Sse2.UnpackLow(v2, v3).AsInt16();
        var hi23 = Sse2.UnpackHigh(v2, v3).AsInt16();
        ref int o = ref MemoryMarshal.GetReference(dst);
        Sse2.UnpackLow(lo01, lo23).AsInt32().StoreUnsafe(ref o, 0);
        Sse2.UnpackHigh(lo01, lo23).AsInt32().StoreUnsafe(ref o, 4);
        if (eight) return true;
        Sse2.UnpackLow(hi01, hi23).AsInt32().StoreUnsafe(ref o, 8);
        Sse2.UnpackHigh(hi01, hi23).AsInt32().StoreUnsafe(ref o, 12);
        return true;
    }

    /// <summary>16 bytes at x[at], or every other byte from there (stride 2), shifted; zeros for an unused K slot.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> SixteenOf(ReadOnlySpan<byte> x, bool used, int at, int stride, Vector128<byte> flip)
    {
        if (!used) return default;
        ref byte src = ref Unsafe.Add(ref MemoryMarshal.GetReference(x), at);
        if (stride == 1) return Vector128.LoadUnsafe(ref src) ^ flip;
        var mask = Vector128.Create((short)0xFF);
        var even0 = Vector128.LoadUnsafe(ref src).AsInt16() & mask;
        var even1 = Vector128.LoadUnsafe(ref src, 16).AsInt16() & mask;
        return Sse2.PackUnsignedSaturate(even0, even1) ^ flip;
    }

    /// <summary>1x1 stride-1 unpadded convolution: K = channels, so each packed int interleaves 4 channel planes.</summary>
    private static void PackPointwise(ReadOnlySpan<byte> x, byte flip, int k, int kq, int p0, int pc, int ldc, int hw, Span<int> a)
    {
        for (int q = 0; q < kq; q++)
        {
            int c = 4 * q;
            ReadOnlySpan<byte> s0 = x.Slice(c * hw + p0, pc);
            ReadOnlySpan<byte> s1 = c + 1 < k ? x.Slice((c + 1) * hw + p0, pc) : default;
            ReadOnlySpan<byte> s2 = c + 2 < k ? x.Slice((c + 2) * hw + p0, pc) : default;
            ReadOnlySpan<byte> s3 = c + 3 < k ? x.Slice((c + 3) * hw + p0, pc) : default;
            Span<int> row = a.Slice(q * ldc, pc);
            int j = 0;
            if (Sse2.IsSupported && c + 3 < k)
            {
                var f = Vector128.Create(flip);
                ref byte r0 = ref MemoryMarshal.GetReference(s0), r1 = ref MemoryMarshal.GetReference(s1);
                ref byte r2 = ref MemoryMarshal.GetReference(s2), r3 = ref MemoryMarshal.GetReference(s3);
                ref int o = ref MemoryMarshal.GetReference(row);
                for (; j <= pc - 16; j += 16)
                {
                    var v0 = Vector128.LoadUnsafe(ref r0, (nuint)j) ^ f;
                    var v1 = Vector128.LoadUnsafe(ref r1, (nuint)j) ^ f;
                    var v2 = Vector128.LoadUnsafe(ref r2, (nuint)j) ^ f;
                    var v3 = Vector128.LoadUnsafe(ref r3, (nuint)j) ^ f;
                    var lo01 = Sse2.UnpackLow(v0, v1).AsInt16();
                    var hi01 = Sse2.UnpackHigh(v0, v1).AsInt16();
                    var lo23 = Sse2.UnpackLow(v2, v3).AsInt16();
                    var hi23 = Sse2.UnpackHigh(v2, v3).AsInt16();
                    Sse2.UnpackLow(lo01, lo23).AsInt32().StoreUnsafe(ref o, (nuint)j);
                    Sse2.UnpackHigh(lo01, lo23).AsInt32().StoreUnsafe(ref o, (nuint)(j + 4));
                    Sse2.UnpackLow(hi01, hi23).AsInt32().StoreUnsafe(ref o, (nuint)(j + 8));
                    Sse2.UnpackHigh(hi01, hi23).AsInt32().StoreUnsafe(ref o, (nuint)(j + 12));
                }
            }
            for (; j < pc; j++)
            {
                int b0 = s0[j] ^ flip;
                int b1 = s1.IsEmpty ? 0 : s1[j] ^ flip;
                int b2 = s2.IsEmpty ? 0 : s2[j] ^ flip;
                int b3 = s3.IsEmpty ? 0 : s3[j] ^ flip;
                row[j] = b0 | (b1 << 8) | (b2 << 16) | (b3 << 24);
            }
        }
    }
}
