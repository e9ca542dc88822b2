using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelCompiler.Runtime;

/// <summary>
/// The activation side of a binary convolution: binarize and pack the input image 64 channels per word, then lay out
/// one bit patch per output position (im2col on bits). Both are word-major, so that consecutive pixels and
/// consecutive output positions sit side by side: pixels [channel word][pixel], patches [patch word][position] with
/// a row length (stride) padded to whole tiles of <see cref="PopcountTiles"/>. Patch bits are tap-major,
/// channel-minor (bit tap * channels + c), the weights' order.
/// </summary>
[SkipLocalsInit]
internal static unsafe class BinaryPatches
{
    /// <summary>
    /// bits[w][i] bit j = x[64w + j, i] binarizes to +1; mask (Sign rule only) bit j = x is not 0. Branch-free and,
    /// on AVX-512 / AVX2, 8 / 4 pixels at a time (one compare, one widen and one or per channel).
    /// </summary>
    public static void PackPixels(float* x, float* thresholds, bool sign3, int channels, int plane, ulong* bits, ulong* mask, BinaryIsa isa)
    {
        var path = PopcountGemm.Resolve(isa);
        for (int c0 = 0; c0 < channels; c0 += 64)
        {
            int c1 = Math.Min(channels, c0 + 64);
            ulong* b = bits + (long)(c0 >> 6) * plane;
            ulong* m = mask == null ? null : mask + (long)(c0 >> 6) * plane;
            int i = 0;
            if (path == BinaryIsa.Avx512 && Avx512F.IsSupported)
                for (; i + 8 <= plane; i += 8)
                {
                    Vector512<long> plus = Vector512<long>.Zero, nonzero = Vector512<long>.Zero;
                    for (int c = c0; c < c1; c++)
                    {
                        var v = Vector256.Load(x + (long)c * plane + i);
                        var bit = Vector512.Create(1L << (c - c0));
                        var t = Vector256.Create(thresholds == null ? 0f : thresholds[c]);
                        var p = sign3 ? Vector256.GreaterThan(v, Vector256<float>.Zero) : Vector256.GreaterThanOrEqual(v, t);
                        plus |= Avx512F.ConvertToVector512Int64(p.AsInt32()) & bit;
                        if (sign3) nonzero |= Avx512F.ConvertToVector512Int64(~Vector256.Equals(v, Vector256<float>.Zero).AsInt32()) & bit;
                    }
                    plus.AsUInt64().Store(b + i);
                    if (m != null) nonzero.AsUInt64().Store(m + i);
                }
            else if (path != BinaryIsa.Scalar && Avx2.IsSupported)
                for (; i + 4 <= plane; i += 4)
                {
                    Vector256<long> plus = Vector256<long>.Zero, nonzero = Vector256<long>.Zero;
                    for (int c = c0; c < c1; c++)
                    {
                        var v = Vector128.Load(x + (long)c * plane + i);
                        var bit = Vector256.Create(1L << (c - c0));
                        var t = Vector128.Create(thresholds == null ? 0f : thresholds[c]);
                        var p = sign3 ? Vector128.GreaterThan(v, Vector128<float>.Zero) : Vector128.GreaterThanOrEqual(v, t);
                        plus |= Avx2.ConvertToVector256Int64(p.AsInt32()) & bit;
                        if (sign3) nonzero |= Avx2.ConvertToVector256Int64(~Vector128.Equals(v, Vector128<float>.Zero).AsInt32()) & bit;
                    }
                    plus.AsUInt64().Store(b + i);
                    if (m != null) nonzero.AsUInt64().Store(m + i);
                }
            for (; i < plane; i++)
            {
                ulong plus = 0, nonzero = 0;
                for (int c = c0; c < c1; c++)
                {
                    float v = x[(long)c * plane + i];
                    plus |= Bit(sign3 ? v > 0f : v >= (thresholds == null ? 0f : thresholds[c])) << (c - c0);
                    nonzero |= Bit(v != 0f) << (c - c0);
                }
                b[i] = plus;
                if (m != null) m[i] = nonzero;
            }
        }
    }

    /// <summary>
    /// The patches of all output positions, built a tap and a channel word at a time over whole rows of positions
    /// (one shift-or per word, bounds worked out once per tap and row, contiguous and vectorized at stride 1).
    /// Taps outside the input (zero padding) leave their bits and mask bits 0. valid[p]: the bits the mask marks
    /// (all taps times channels when there is no mask); valid past the positions is 0.
    /// </summary>
    public static void Build(in BinaryConvShape s, ulong* pixels, ulong* pixelMask, ulong* allChannels, int words, int stride,
        ulong* a, ulong* mask, int* valid)
    {
        int c = s.Channels, cw = BinaryLayers.Words(c), plane = s.Height * s.Width, positions = s.OutHeight * s.OutWidth;
        NativeMemory.Clear(a, (nuint)((long)words * stride * 8));
        if (mask != null) NativeMemory.Clear(mask, (nuint)((long)words * stride * 8));
        for (int ky = 0; ky < s.KernelHeight; ky++)
            for (int kx = 0; kx < s.KernelWidth; kx++)
            {
                int tap = ky * s.KernelWidth + kx;
                // Input column of output column ox: ox * strideW - lo. Columns [ox0, ox1) read inside the input.
                int lo = s.PadLeft - kx * s.DilationWidth;
                int ox0 = lo <= 0 ? 0 : (lo + s.StrideWidth - 1) / s.StrideWidth;
                int hi = s.Width - 1 + lo;
                int ox1 = hi < 0 ? 0 : Math.Min(s.OutWidth, hi / s.StrideWidth + 1);
                if (ox0 >= ox1) continue;
                int n = ox1 - ox0;
                for (int wi = 0; wi < cw; wi++)
                {
                    long at = (long)tap * c + wi * 64L;
                    long d = at >> 6;
                    int shift = (int)(at & 63), count = Math.Min(64, c - wi * 64);
                    bool spill = shift != 0 && shift + count > 64;
                    for (int oy = 0; oy < s.OutHeight; oy++)
                    {
                        int iy = oy * s.StrideHeight - s.PadTop + ky * s.DilationHeight;
                        if ((uint)iy >= (uint)s.Height) continue;
                        long src = (long)wi * plane + (long)iy * s.Width + ((long)ox0 * s.StrideWidth - lo);
                        long dst = d * stride + (long)oy * s.OutWidth + ox0;
                        OrShifted(a + dst, spill ? a + dst + stride : null, pixels + src, s.StrideWidth, n, shift);
                        if (mask == null) continue;
                        if (pixelMask != null) OrShifted(mask + dst, spill ? mask + dst + stride : null, pixelMask + src, s.StrideWidth, n, shift);
                        else OrConstant(mask + dst, spill ? mask + dst + stride : null, allChannels[wi], n, shift);
                    }
                }
            }
        new Span<int>(valid, stride).Clear();
        if (mask == null)
        {
            new Span<int>(valid, positions).Fill(s.KernelHeight * s.KernelWidth * c);
            return;
        }
        if (pixelMask == null)
        {
            // Only the padding is masked: taps inside = rows inside times columns inside, no need to count bits.
            for (int oy = 0; oy < s.OutHeight; oy++)
            {
                int rows = Inside(oy * s.StrideHeight - s.PadTop, s.KernelHeight, s.DilationHeight, s.Height);
                for (int ox = 0; ox < s.OutWidth; ox++)
                    valid[oy * s.OutWidth + ox] = rows * Inside(ox * s.StrideWidth - s.PadLeft, s.KernelWidth, s.DilationWidth, s.Width) * c;
            }
            return;
        }
        for (int i = 0; i < words; i++)
        {
            ulong* row = mask + (long)i * stride;
            for (int p = 0; p < positions; p++) valid[p] += BitOperations.PopCount(row[p]);
        }
    }

    /// <summary>How many of the taps start, start + dilation, ... (count of them) lie in [0, size).</summary>
    private static int Inside(int start, int count, int dilation, int size)
    {
        int inside = 0;
        for (int t = 0, i = start; t < count; t++, i += dilation) if ((uint)i < (uint)size) inside++;
        return inside;
    }

    /// <summary>dst[j] |= src[j * step] &lt;&lt; shift and, where given, spill[j] |= the bits shifted out, for j &lt; n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OrShifted(ulong* dst, ulong* spill, ulong* src, int step, int n, int shift)
    {
        int j = 0;
        if (step == 1)
        {
            if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
            {
                // Whole rows in vectors of 8, the last one masked (small maps: rows of 2 to 8 positions need no scalar tail).
                for (; j < n; j += 8)
                {
                    var lanes = n - j >= 8 ? Vector512<ulong>.AllBitsSet : Vector512.LessThan(Vector512<ulong>.Indices, Vector512.Create((ulong)(n - j)));
                    var v = Avx512F.MaskLoad(src + j, lanes, Vector512<ulong>.Zero);
                    Avx512F.MaskStore(dst + j, lanes, Avx512F.MaskLoad(dst + j, lanes, Vector512<ulong>.Zero) | (v << shift));
                    if (spill != null) Avx512F.MaskStore(spill + j, lanes, Avx512F.MaskLoad(spill + j, lanes, Vector512<ulong>.Zero) | (v >>> (64 - shift)));
                }
                return;
            }
            if (Vector256.IsHardwareAccelerated)
                for (; j + 4 <= n; j += 4)
                {
                    var v = Vector256.Load(src + j);
                    (Vector256.Load(dst + j) | (v << shift)).Store(dst + j);
                    if (spill != null) (Vector256.Load(spill + j) | (v >>> (64 - shift))).Store(spill + j);
                }
        }
        for (; j < n; j++)
        {
            ulong v = src[(long)j * step];
            dst[j] |= v << shift;
            if (spill != null) spill[j] |= v >> (64 - shift);
        }
    }

    private static void OrConstant(ulong* dst, ulong* spill, ulong value, int n, int shift)
    {
        ulong low = value << shift, high = spill != null ? value >> (64 - shift) : 0;
        for (int j = 0; j < n; j++) dst[j] |= low;
        if (spill != null) for (int j = 0; j < n; j++) spill[j] |= high;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Bit(bool b) => Unsafe.As<bool, byte>(ref b);
}
