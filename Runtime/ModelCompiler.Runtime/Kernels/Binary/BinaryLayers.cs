using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace ModelCompiler.Runtime;

/// <summary>
/// Binary (XNOR-popcount) convolutions and matrix products: weights are +-alpha per output channel, stored as one
/// bit each (1 for +), 64 per word, in panels of <see cref="Panel"/> output channels ([panels][words][8]) in the
/// order the patches are packed (tap-major, channel-minor for convolutions); activations are binarized and packed
/// on the fly from float32. Every product is exact: the dot of two +-1 vectors is valid - 2 * popcount(a ^ w) over
/// the positions a mask marks valid, so a zero-padded position (and with the three-valued Sign rule an input of 0)
/// counts as neither +1 nor -1.
/// </summary>
/// <remarks>
/// Rules: <c>sign3 = false</c>: +1 when x &gt;= threshold[channel] (thresholds empty: 0), else -1 (BipolarQuant,
/// 1-bit Quant, Where(x &gt;= 0, 1, -1), one-step MultiThreshold); <c>sign3 = true</c>: ONNX Sign (+1, 0, -1).
/// Outputs: scale[c] * dot + bias[c] (<c>ranges</c> empty), or, with the next layer's binarization folded in,
/// +outValue when dot lies in [ranges[4c], ranges[4c+1]], 0 in [ranges[4c+2], ranges[4c+3]], else -outValue.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
[SkipLocalsInit]
public static unsafe class BinaryLayers
{
    /// <summary>Output channels per weight panel.</summary>
    public const int Panel = 8;

    /// <summary>64-bit words holding <paramref name="bits"/> bits.</summary>
    public static int Words(long bits) => (int)((bits + 63) >> 6);

    /// <summary>Words of packed weights for <paramref name="n"/> output channels of <paramref name="k"/> inputs each.</summary>
    public static long PackedWeightWords(int n, long k) => (long)((n + Panel - 1) / Panel) * Words(k) * Panel;

    /// <summary>y[m, n] = out(dot(binarize(x[m, :]), w[n, :])): a fully connected layer (Gemm, MatMul) on binary operands.</summary>
    public static void Dense(ReadOnlySpan<float> x, ReadOnlySpan<ulong> w, ReadOnlySpan<float> thresholds, bool sign3,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, ReadOnlySpan<int> ranges, float outValue, Span<float> y, int m, int n, int k) =>
        Dense(x, w, thresholds, sign3, scale, bias, ranges, outValue, y, m, n, k, BinaryIsa.Auto);

    internal static void Dense(ReadOnlySpan<float> x, ReadOnlySpan<ulong> w, ReadOnlySpan<float> thresholds, bool sign3,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, ReadOnlySpan<int> ranges, float outValue, Span<float> y, int m, int n, int k, BinaryIsa isa)
    {
        if (m <= 0 || n <= 0 || k <= 0) throw new ArgumentException("Matrix sizes must be positive.");
        if (x.Length != (long)m * k) throw new ArgumentException($"X has {x.Length} elements; {m}x{k} needs {(long)m * k}.", nameof(x));
        if (y.Length != (long)m * n) throw new ArgumentException($"Y has {y.Length} elements; {m}x{n} needs {(long)m * n}.", nameof(y));
        CheckChannels(w, thresholds, scale, bias, ranges, n, k, k);
        int words = Words(k);
        long bytes = (long)m * words * 8 * (sign3 ? 2 : 1) + (long)m * 4;
        byte* scratch = KernelScratch.Get(KernelScratch.LayerSlot, bytes);
        ulong* a = (ulong*)scratch;
        ulong* mask = sign3 ? a + (long)m * words : null;
        int* valid = (int*)(a + (long)m * words * (sign3 ? 2 : 1));
        fixed (float* px = x)
        fixed (float* pt = thresholds)
        {
            for (int r = 0; r < m; r++)
            {
                PackRow(px + (long)r * k, thresholds.IsEmpty ? null : pt, sign3, k, a + (long)r * words, sign3 ? mask + (long)r * words : null);
                valid[r] = sign3 ? PopCount(mask + (long)r * words, words) : k;
            }
        }
        var output = new Output(scale, bias, ranges, outValue);
        fixed (ulong* pw = w)
        fixed (float* py = y)
            PopcountGemm.Run(a, mask, valid, m, words, pw, n, py, channelStride: 1, positionStride: n, output, isa);
    }

    /// <summary>
    /// A 2-D convolution (one group) of binarized x [batch, c, h, w] with binary weights, zero padding exact,
    /// into y [batch, n, outH, outW].
    /// </summary>
    public static void Conv2D(ReadOnlySpan<float> x, ReadOnlySpan<ulong> w, ReadOnlySpan<float> thresholds, bool sign3,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, ReadOnlySpan<int> ranges, float outValue, Span<float> y, in BinaryConvShape s) =>
        Conv2D(x, w, thresholds, sign3, scale, bias, ranges, outValue, y, s, default, BinaryIsa.Auto);

    /// <summary>
    /// The same convolution of MaxPool(x): x [batch, c, pool.Height, pool.Width] is binarized and packed, then pooled
    /// on the packed bits (<see cref="BinaryMaxPool"/>: a max of binarized values is an OR of their bits) into the
    /// convolution's input [batch, c, s.Height, s.Width]. Exact, since the binarization is non-decreasing.
    /// </summary>
    public static void Conv2D(ReadOnlySpan<float> x, ReadOnlySpan<ulong> w, ReadOnlySpan<float> thresholds, bool sign3,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, ReadOnlySpan<int> ranges, float outValue, Span<float> y, in BinaryConvShape s, in BinaryPoolShape pool) =>
        Conv2D(x, w, thresholds, sign3, scale, bias, ranges, outValue, y, s, pool, BinaryIsa.Auto);

    internal static void Conv2D(ReadOnlySpan<float> x, ReadOnlySpan<ulong> w, ReadOnlySpan<float> thresholds, bool sign3,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, ReadOnlySpan<int> ranges, float outValue, Span<float> y, in BinaryConvShape s, BinaryIsa isa) =>
        Conv2D(x, w, thresholds, sign3, scale, bias, ranges, outValue, y, s, default, isa);

    /// <summary>Any instruction set; <paramref name="pool"/> default: no pool.</summary>
    internal static void Conv2D(ReadOnlySpan<float> x, ReadOnlySpan<ulong> w, ReadOnlySpan<float> thresholds, bool sign3,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, ReadOnlySpan<int> ranges, float outValue, Span<float> y, in BinaryConvShape s,
        in BinaryPoolShape pool, BinaryIsa isa)
    {
        s.Validate();
        bool pooled = pool.IsPool;
        if (pooled) pool.Validate();
        int plane = s.Height * s.Width, positions = s.OutHeight * s.OutWidth;
        int inPlane = pooled ? pool.Height * pool.Width : plane;
        long k = (long)s.KernelHeight * s.KernelWidth * s.Channels;
        if (x.Length != (long)s.Batch * s.Channels * inPlane) throw new ArgumentException($"X has {x.Length} elements; the shape needs {(long)s.Batch * s.Channels * inPlane}.", nameof(x));
        if (y.Length != (long)s.Batch * s.OutChannels * positions) throw new ArgumentException($"Y has {y.Length} elements; the shape needs {(long)s.Batch * s.OutChannels * positions}.", nameof(y));
        CheckChannels(w, thresholds, scale, bias, ranges, s.OutChannels, k, s.Channels);
        int cw = Words(s.Channels), words = Words(k);
        // Patch rows padded to whole tiles; the padding positions stay zero and are never stored.
        int stride = (positions + PopcountTiles.Block - 1) / PopcountTiles.Block * PopcountTiles.Block;
        bool masked = sign3 || s.IsPadded;
        long pixelWords = (long)plane * cw * (sign3 ? 2 : 1);
        long patchWords = (long)stride * words * (masked ? 2 : 1);
        long rawWords = pooled ? (long)inPlane * cw * (sign3 ? 2 : 1) : 0;
        byte* scratch = KernelScratch.Get(KernelScratch.LayerSlot, (pixelWords + patchWords + cw + rawWords) * 8 + (long)stride * 4);
        ulong* pixels = (ulong*)scratch;
        ulong* pixelMask = sign3 ? pixels + (long)plane * cw : null;
        ulong* a = pixels + pixelWords;
        ulong* mask = masked ? a + (long)stride * words : null;
        ulong* allChannels = a + patchWords;
        ulong* raw = allChannels + cw;
        ulong* rawMask = pooled && sign3 ? raw + (long)inPlane * cw : null;
        int* valid = (int*)(raw + rawWords);
        for (int i = 0; i < cw; i++) allChannels[i] = i < cw - 1 || (s.Channels & 63) == 0 ? ulong.MaxValue : (1UL << (s.Channels & 63)) - 1;
        var output = new Output(scale, bias, ranges, outValue);
        fixed (float* px = x)
        fixed (float* pt = thresholds)
        fixed (ulong* pw = w)
        fixed (float* py = y)
        {
            for (int b = 0; b < s.Batch; b++)
            {
                float* xb = px + (long)b * s.Channels * inPlane;
                if (pooled)
                {
                    BinaryPatches.PackPixels(xb, thresholds.IsEmpty ? null : pt, sign3, s.Channels, inPlane, raw, rawMask, isa);
                    BinaryMaxPool.Run(raw, rawMask, s.Channels, pool, s.Height, s.Width, pixels, pixelMask);
                }
                else BinaryPatches.PackPixels(xb, thresholds.IsEmpty ? null : pt, sign3, s.Channels, plane, pixels, pixelMask, isa);
                BinaryPatches.Build(s, pixels, pixelMask, allChannels, words, stride, a, mask, valid);
                PopcountTiles.Run(a, mask, valid, stride, positions, words, pw, s.OutChannels, py + (long)b * s.OutChannels * positions, output, isa);
            }
        }
    }

    private static void CheckChannels(ReadOnlySpan<ulong> w, ReadOnlySpan<float> thresholds, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias,
        ReadOnlySpan<int> ranges, int n, long k, int inChannels)
    {
        if (w.Length != PackedWeightWords(n, k)) throw new ArgumentException($"The packed weights have {w.Length} words; {n} channels of {k} bits need {PackedWeightWords(n, k)}.", nameof(w));
        if (!thresholds.IsEmpty && thresholds.Length != inChannels) throw new ArgumentException("One threshold per input channel is needed.", nameof(thresholds));
        if (ranges.IsEmpty)
        {
            if (scale.Length != n || bias.Length != n) throw new ArgumentException("One scale and one bias per output channel are needed.", nameof(scale));
        }
        else if (ranges.Length != 4 * n) throw new ArgumentException("Four range bounds per output channel are needed.", nameof(ranges));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsPlus(float v, float* thresholds, int channel, bool sign3) =>
        sign3 ? v > 0f : v >= (thresholds == null ? 0f : thresholds[channel]);

    private static void PackRow(float* x, float* thresholds, bool sign3, int k, ulong* bits, ulong* mask)
    {
        for (int word = 0, i = 0; i < k; word++)
        {
            ulong b = 0, nz = 0;
            int end = Math.Min(k, i + 64);
            for (int j = 0; i < end; i++, j++)
            {
                float v = x[i];
                b |= Bit(IsPlus(v, thresholds, i, sign3)) << j;
                nz |= Bit(v != 0f) << j;
            }
            bits[word] = b;
            if (mask != null) mask[word] = nz;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Bit(bool b) => Unsafe.As<bool, byte>(ref b);

    private static int PopCount(ulong* words, int count)
    {
        int total = 0;
        for (int i = 0; i < count; i++) total += BitOperations.PopCount(words[i]);
        return total;
    }

    /// <summary>What each (position, channel) dot becomes.</summary>
    internal readonly ref struct Output
    {
        public Output(ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, ReadOnlySpan<int> ranges, float outValue)
        {
            Scale = scale;
            Bias = bias;
            Ranges = ranges;
            Value = outValue;
        }

        public readonly ReadOnlySpan<float> Scale, Bias;
        public readonly ReadOnlySpan<int> Ranges;
        public readonly float Value;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Of(int dot, int channel)
        {
            if (Ranges.IsEmpty) return Scale[channel] * dot + Bias[channel];
            // Branch-free (+1, 0 or -1 times Value): which side of a threshold a dot falls is data, not a pattern.
            var r = Ranges.Slice(channel * 4, 4);
            int plus = (dot >= r[0]) & (dot <= r[1]) ? 1 : 0, zero = (dot >= r[2]) & (dot <= r[3]) ? 1 : 0;
            return Value * (plus - (1 - plus) * (1 - zero));
        }
    }
}

/// <summary>A binary convolution's geometry (NCHW, one group), fixed at build time.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct BinaryConvShape
{
    /// <summary>All dimensions, as the generator computed them.</summary>
    public BinaryConvShape(int batch, int channels, int height, int width, int outChannels, int outHeight, int outWidth,
        int kernelHeight, int kernelWidth, int strideHeight, int strideWidth, int dilationHeight, int dilationWidth,
        int padTop, int padLeft, int padBottom, int padRight)
    {
        Batch = batch; Channels = channels; Height = height; Width = width;
        OutChannels = outChannels; OutHeight = outHeight; OutWidth = outWidth;
        KernelHeight = kernelHeight; KernelWidth = kernelWidth; StrideHeight = strideHeight; StrideWidth = strideWidth;
        DilationHeight = dilationHeight; DilationWidth = dilationWidth;
        PadTop = padTop; PadLeft = padLeft; PadBottom = padBottom; PadRight = padRight;
    }

    /// <summary>Images in the batch.</summary>
    public int Batch { get; }
    /// <summary>Input channels.</summary>
    public int Channels { get; }
    /// <summary>Input height.</summary>
    public int Height { get; }
    /// <summary>Input width.</summary>
    public int Width { get; }
    /// <summary>Output channels.</summary>
    public int OutChannels { get; }
    /// <summary>Output height.</summary>
    public int OutHeight { get; }
    /// <summary>Output width.</summary>
    public int OutWidth { get; }
    /// <summary>Kernel height.</summary>
    public int KernelHeight { get; }
    /// <summary>Kernel width.</summary>
    public int KernelWidth { get; }
    /// <summary>Vertical stride.</summary>
    public int StrideHeight { get; }
    /// <summary>Horizontal stride.</summary>
    public int StrideWidth { get; }
    /// <summary>Vertical dilation.</summary>
    public int DilationHeight { get; }
    /// <summary>Horizontal dilation.</summary>
    public int DilationWidth { get; }
    /// <summary>Zero rows above.</summary>
    public int PadTop { get; }
    /// <summary>Zero columns on the left.</summary>
    public int PadLeft { get; }
    /// <summary>Zero rows below.</summary>
    public int PadBottom { get; }
    /// <summary>Zero columns on the right.</summary>
    public int PadRight { get; }

    /// <summary>Whether some output position reads outside the input (where the mask must say so).</summary>
    public bool IsPadded => PadTop > 0 || PadLeft > 0
        || (OutHeight - 1) * StrideHeight + (KernelHeight - 1) * DilationHeight - PadTop >= Height
        || (OutWidth - 1) * StrideWidth + (KernelWidth - 1) * DilationWidth - PadLeft >= Width;

    internal void Validate()
    {
        if (Batch <= 0 || Channels <= 0 || Height <= 0 || Width <= 0 || OutChannels <= 0 || OutHeight <= 0 || OutWidth <= 0
            || KernelHeight <= 0 || KernelWidth <= 0 || StrideHeight <= 0 || StrideWidth <= 0 || DilationHeight <= 0 || DilationWidth <= 0
            || PadTop < 0 || PadLeft < 0 || PadBottom < 0 || PadRight < 0)
            throw new ArgumentException("The binary convolution's dimensions must be positive and its pads non-negative.");
    }
}
