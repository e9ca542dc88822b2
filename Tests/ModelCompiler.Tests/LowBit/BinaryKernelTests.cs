using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.Intrinsics.X86;
using ModelCompiler.Kernels.Binary;
using ModelCompiler.Runtime;
using Xunit;

namespace ModelCompiler.Tests.LowBit;

/// <summary>
/// The XNOR-popcount kernels (<see cref="BinaryLayers"/>) against a plain integer reference written here: the sum of
/// b(x) * sign(w) over the taps inside the input (zero padding contributes nothing), with b(x) = +1 if x &gt;= t else -1,
/// or Sign(x) (0 stays 0). Channel counts around multiples of 64, strides, dilations and pads; every popcount path the
/// machine has (scalar, AVX2, AVX-512BW nibble tables). The dot is an integer, so results are exact: y = scale * dot
/// + bias computed in float32 the same way, or the folded next binarization.
/// </summary>
public sealed class BinaryKernelTests
{
    internal static IEnumerable<BinaryIsa> Paths()
    {
        yield return BinaryIsa.Scalar;
        if (Avx2.IsSupported) yield return BinaryIsa.Avx2;
        if (Avx512BW.IsSupported)
        {
            yield return BinaryIsa.Avx512;
            yield return BinaryIsa.Avx512Lookup; // convolutions of 7 words or more without the carry-save tree
        }
    }

    private static float[] Inputs(int n, int seed, bool zeros)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => zeros && r.Next(5) == 0 ? 0f : (float)(r.NextDouble() * 2 - 1)).ToArray();
    }

    internal static float[] SignedWeights(int n, long perChannel, int seed, out float[] alpha)
    {
        var r = new Random(seed);
        var a = Enumerable.Range(0, n).Select(_ => (float)(0.1 + r.NextDouble())).ToArray();
        alpha = a;
        var w = new float[n * perChannel];
        for (int o = 0; o < n; o++)
            for (long i = 0; i < perChannel; i++) w[o * perChannel + i] = r.Next(2) == 0 ? a[o] : -a[o];
        return w;
    }

    private static int B(float x, float t, bool sign3) => sign3 ? Math.Sign(x) : x >= t ? 1 : -1;

    [Theory]
    [InlineData(1, 1, 1, 1, false)]
    [InlineData(1, 63, 9, 2, false)]
    [InlineData(2, 64, 8, 1, true)]
    [InlineData(3, 65, 7, 3, false)]
    [InlineData(1, 130, 17, 1, true)]
    [InlineData(1, 200, 1, 2, false)]
    [InlineData(4, 128, 16, 1, true)]
    public void Dense_matches_the_integer_reference(int m, int k, int n, int seed, bool sign3)
    {
        var x = Inputs(m * k, seed, sign3);
        var r = new Random(seed + 100);
        var thresholds = sign3 ? Array.Empty<float>() : Enumerable.Range(0, k).Select(_ => (float)(r.NextDouble() - 0.5) * 0.5f).ToArray();
        var w = SignedWeights(n, k, seed + 1, out var alpha);
        var packed = Ulongs(BinaryWeights.Pack(w, n, k, (o, i) => o * (long)k + i));
        var scale = alpha.Select(a => a * 0.5f).ToArray();
        var bias = Enumerable.Range(0, n).Select(i => i * 0.25f - 1).ToArray();
        var dots = new int[m * n];
        for (int row = 0; row < m; row++)
            for (int o = 0; o < n; o++)
            {
                int d = 0;
                for (int i = 0; i < k; i++) d += B(x[row * k + i], sign3 ? 0 : thresholds[i], sign3) * Math.Sign(w[o * k + i]);
                dots[row * n + o] = d;
            }
        foreach (var isa in Paths())
        {
            var y = Enumerable.Repeat(float.NaN, m * n).ToArray();
            BinaryLayers.Dense(x, packed, thresholds, sign3, scale, bias, default, 1f, y, m, n, k, isa);
            for (int i = 0; i < y.Length; i++)
            {
                float expected = scale[i % n] * dots[i] + bias[i % n];
                Assert.True(y[i] == expected, $"{isa}: y[{i}] = {y[i]}, expected {expected} (dot {dots[i]})");
            }
            // The folded next binarization: +2 where dot >= 3 (or <= -3 for odd channels), 0 at dot == 1 on Sign.
            var ranges = new int[4 * n];
            for (int o = 0; o < n; o++)
            {
                (ranges[4 * o], ranges[4 * o + 1]) = o % 2 == 0 ? (3, int.MaxValue) : (int.MinValue, -3);
                (ranges[4 * o + 2], ranges[4 * o + 3]) = (1, 1);
            }
            BinaryLayers.Dense(x, packed, thresholds, sign3, default, default, ranges, 2f, y, m, n, k, isa);
            for (int i = 0; i < y.Length; i++)
            {
                int o = i % n, d = dots[i];
                float expected = (o % 2 == 0 ? d >= 3 : d <= -3) ? 2f : d == 1 ? 0f : -2f;
                Assert.True(y[i] == expected, $"{isa} ranges: y[{i}] = {y[i]}, expected {expected} (dot {d})");
            }
        }
    }

    [Theory]
    // batch, c, h, w, n, kh, kw, stride, dilation, pad, sign3
    [InlineData(1, 16, 8, 8, 48, 3, 3, 1, 1, 1, true)]
    [InlineData(1, 1, 5, 7, 3, 3, 3, 1, 1, 1, false)]
    [InlineData(2, 63, 6, 5, 9, 3, 3, 2, 1, 1, false)]
    [InlineData(1, 64, 5, 5, 8, 3, 3, 1, 1, 0, false)]
    [InlineData(1, 65, 7, 6, 7, 3, 2, 2, 1, 2, true)]
    [InlineData(1, 130, 4, 4, 17, 1, 1, 1, 1, 0, true)]
    [InlineData(1, 20, 9, 9, 5, 3, 3, 1, 2, 2, false)]
    [InlineData(1, 128, 3, 3, 16, 3, 3, 1, 1, 1, false)]
    // Row-wise patches: stride 2 with padding at every border, channel counts around multiples of 64, positions
    // and pixel planes that are not whole tiles (8 positions, 8 / 4 pixels per packing step), kernels wider than
    // the input, a tap word that spills into the next patch word (48 channels: bit 48 + 48 crosses 64).
    [InlineData(1, 127, 9, 11, 13, 3, 3, 2, 1, 1, true)]
    [InlineData(1, 129, 6, 6, 16, 3, 3, 1, 1, 1, false)]
    [InlineData(2, 32, 10, 3, 24, 5, 5, 1, 1, 2, true)]
    [InlineData(1, 48, 7, 9, 9, 3, 3, 2, 1, 1, false)]
    [InlineData(1, 64, 16, 16, 64, 3, 3, 1, 1, 1, false)]
    [InlineData(1, 192, 5, 5, 20, 3, 3, 1, 1, 0, true)]
    [InlineData(1, 16, 8, 8, 48, 3, 3, 2, 1, 0, false)]
    [InlineData(1, 3, 1, 13, 5, 1, 3, 1, 1, 1, true)]
    // Vectorized row copies (8 and 4 positions at a time at stride 1) whose tap words spill into the next patch word (40 channels: tap 1 at bit 40).
    [InlineData(1, 40, 12, 12, 8, 3, 3, 1, 1, 1, false)]
    [InlineData(1, 40, 5, 13, 11, 3, 3, 1, 1, 1, true)]
    public void Conv2D_matches_the_integer_reference(int batch, int c, int h, int wd, int n, int kh, int kw, int stride, int dilation, int pad, bool sign3)
    {
        int oh = (h + 2 * pad - dilation * (kh - 1) - 1) / stride + 1, ow = (wd + 2 * pad - dilation * (kw - 1) - 1) / stride + 1;
        var x = Inputs(batch * c * h * wd, c + h, sign3);
        var thresholds = sign3 ? Array.Empty<float>() : Enumerable.Range(0, c).Select(i => (i % 3 - 1) * 0.1f).ToArray();
        long per = (long)c * kh * kw;
        var w = SignedWeights(n, per, c + n, out var alpha); // ONNX order [n, c, kh, kw]
        long At(int o, long i) { long ch = i % c, tap = i / c; return ((long)o * c + ch) * kh * kw + tap; }
        var packed = Ulongs(BinaryWeights.Pack(w, n, per, At));
        var scale = alpha;
        var bias = Enumerable.Range(0, n).Select(i => 0.5f - i * 0.125f).ToArray();
        var dots = new int[batch * n * oh * ow];
        for (int b = 0; b < batch; b++)
            for (int o = 0; o < n; o++)
                for (int y0 = 0; y0 < oh; y0++)
                    for (int x0 = 0; x0 < ow; x0++)
                    {
                        int d = 0;
                        for (int ch = 0; ch < c; ch++)
                            for (int ky = 0; ky < kh; ky++)
                                for (int kx = 0; kx < kw; kx++)
                                {
                                    int iy = y0 * stride - pad + ky * dilation, ix = x0 * stride - pad + kx * dilation;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                                    d += B(x[((b * c + ch) * h + iy) * wd + ix], sign3 ? 0 : thresholds[ch], sign3) * Math.Sign(w[((o * c + ch) * kh + ky) * kw + kx]);
                                }
                        dots[((b * n + o) * oh + y0) * ow + x0] = d;
                    }
        var shape = new BinaryConvShape(batch, c, h, wd, n, oh, ow, kh, kw, stride, stride, dilation, dilation, pad, pad, pad, pad);
        foreach (var isa in Paths())
        {
            var y = Enumerable.Repeat(float.NaN, dots.Length).ToArray();
            BinaryLayers.Conv2D(x, packed, thresholds, sign3, scale, bias, default, 1f, y, shape, isa);
            for (int i = 0; i < y.Length; i++)
            {
                int o = i / (oh * ow) % n;
                float expected = scale[o] * dots[i] + bias[o];
                Assert.True(y[i] == expected, $"{isa}: y[{i}] = {y[i]}, expected {expected} (dot {dots[i]})");
            }
            // The folded next binarization (vector epilogue): +3 where dot >= 1 (or <= -1 for odd channels), 0 at dot == 0 or -2.
            var ranges = new int[4 * n];
            for (int o = 0; o < n; o++)
            {
                (ranges[4 * o], ranges[4 * o + 1]) = o % 2 == 0 ? (1, int.MaxValue) : (int.MinValue, -1);
                (ranges[4 * o + 2], ranges[4 * o + 3]) = o % 3 == 0 ? (0, 0) : (-2, -2);
            }
            y = Enumerable.Repeat(float.NaN, dots.Length).ToArray();
            BinaryLayers.Conv2D(x, packed, thresholds, sign3, default, default, ranges, 3f, y, shape, isa);
            for (int i = 0; i < y.Length; i++)
            {
                int o = i / (oh * ow) % n, d = dots[i];
                float expected = (o % 2 == 0 ? d >= 1 : d <= -1) ? 3f : d == (o % 3 == 0 ? 0 : -2) ? 0f : -3f;
                Assert.True(y[i] == expected, $"{isa} ranges: y[{i}] = {y[i]}, expected {expected} (dot {d})");
            }
        }
    }

    [Fact]
    public void Wrong_lengths_throw_ArgumentException()
    {
        var packed = new ulong[BinaryLayers.PackedWeightWords(2, 3)];
        Assert.Throws<ArgumentException>(() => BinaryLayers.Dense(new float[4], packed, default, false, new float[2], new float[2], default, 1f, new float[2], 1, 2, 3));
        Assert.Throws<ArgumentException>(() => BinaryLayers.Dense(new float[3], packed, default, false, new float[1], new float[2], default, 1f, new float[2], 1, 2, 3));
    }

    internal static ulong[] Ulongs(Graph.Tensor t)
    {
        var u = new ulong[t.Raw.Length / 8];
        Buffer.BlockCopy(t.Raw, 0, u, 0, t.Raw.Length);
        return u;
    }
}
