using System;
using System.Linq;
using ModelCompiler.Kernels.Binary;
using ModelCompiler.Runtime;
using Xunit;

namespace ModelCompiler.Tests.LowBit;

/// <summary>
/// The binary convolution with a MaxPool folded into its input packing (<see cref="BinaryPoolShape"/>: pack, then
/// OR the packed bits over each window) against a reference written here from the ops' published semantics: ONNX
/// MaxPool in float32 (the max of the window cells inside the input; padding never wins, a window with no cell
/// inside gives -inf), then the binarization b(x) = +1 if x &gt;= t else -1, or Sign (0 stays 0), then the integer
/// dot sum b(x) * sign(w) over the taps inside the pooled map. Real-valued inputs and bipolar maps (+-1, and 0 for
/// Sign, as a folded binary layer writes them), channel counts around 64, pool and conv strides, pads, dilations;
/// every popcount path the machine has. Results are exact.
/// </summary>
public sealed class BinaryPoolKernelTests
{
    [Theory]
    // batch, c, h, w, pool k, pool stride, pool pad, pool dilation, ceil, n, conv k, conv stride, conv pad, sign3, bipolar
    [InlineData(1, 48, 8, 8, 2, 2, 0, 1, false, 48, 3, 1, 1, true, true)]   // tiny_bnn3_sign's pools
    [InlineData(1, 48, 4, 4, 2, 2, 0, 1, false, 32, 3, 1, 1, true, true)]
    [InlineData(1, 64, 16, 16, 2, 2, 0, 1, false, 64, 3, 1, 1, false, false)]
    [InlineData(2, 63, 9, 7, 3, 2, 1, 1, false, 9, 3, 1, 1, true, false)]
    [InlineData(1, 65, 7, 9, 3, 2, 1, 1, true, 17, 3, 2, 1, false, true)]
    [InlineData(1, 127, 6, 6, 2, 1, 1, 1, false, 8, 1, 1, 0, true, false)]
    [InlineData(1, 129, 10, 10, 2, 2, 1, 2, false, 16, 3, 1, 0, false, false)]
    [InlineData(1, 40, 5, 11, 3, 3, 0, 1, true, 7, 2, 1, 1, true, true)]
    [InlineData(1, 16, 6, 6, 1, 1, 1, 1, false, 5, 3, 1, 1, true, false)]  // pad >= kernel: border windows hold no cell (max -inf, so -1)
    [InlineData(1, 1, 3, 13, 2, 2, 0, 1, true, 3, 1, 1, 0, false, false)]
    public void A_pooled_binary_convolution_matches_maxpool_then_the_integer_reference(int batch, int c, int h, int wd, int pk, int ps, int pp, int pdil, bool ceil,
        int n, int k, int stride, int pad, bool sign3, bool bipolar)
    {
        int span = h + 2 * pp - pdil * (pk - 1) - 1, spanW = wd + 2 * pp - pdil * (pk - 1) - 1;
        int ph = Out(span, ps, ceil, h, pp), pw = Out(spanW, ps, ceil, wd, pp);
        int oh = (ph + 2 * pad - k) / stride + 1, ow = (pw + 2 * pad - k) / stride + 1;
        var r = new Random(c * 31 + h);
        var x = Enumerable.Range(0, batch * c * h * wd).Select(_ => bipolar ? (sign3 ? r.Next(3) - 1 : r.Next(2) * 2 - 1)
            : sign3 && r.Next(6) == 0 ? 0f : (float)(r.NextDouble() * 2 - 1)).ToArray();
        var thresholds = sign3 ? Array.Empty<float>() : Enumerable.Range(0, c).Select(i => bipolar ? 0f : (i % 3 - 1) * 0.1f).ToArray();

        // ONNX MaxPool (float32), then the binarization.
        var pooled = new float[batch * c * ph * pw];
        for (int bc = 0; bc < batch * c; bc++)
            for (int y0 = 0; y0 < ph; y0++)
                for (int x0 = 0; x0 < pw; x0++)
                {
                    float m = float.NegativeInfinity;
                    for (int ky = 0; ky < pk; ky++)
                        for (int kx = 0; kx < pk; kx++)
                        {
                            int iy = y0 * ps - pp + ky * pdil, ix = x0 * ps - pp + kx * pdil;
                            if (iy >= 0 && iy < h && ix >= 0 && ix < wd) m = Math.Max(m, x[(bc * h + iy) * wd + ix]);
                        }
                    pooled[(bc * ph + y0) * pw + x0] = m;
                }
        long per = (long)c * k * k;
        var w = BinaryKernelTests.SignedWeights(n, per, c + n, out var alpha);
        long At(int o, long i) { long ch = i % c, tap = i / c; return ((long)o * c + ch) * k * k + tap; }
        var packed = BinaryKernelTests.Ulongs(BinaryWeights.Pack(w, n, per, At));
        var dots = new int[batch * n * oh * ow];
        for (int b = 0; b < batch; b++)
            for (int o = 0; o < n; o++)
                for (int y0 = 0; y0 < oh; y0++)
                    for (int x0 = 0; x0 < ow; x0++)
                    {
                        int d = 0;
                        for (int ch = 0; ch < c; ch++)
                            for (int ky = 0; ky < k; ky++)
                                for (int kx = 0; kx < k; kx++)
                                {
                                    int iy = y0 * stride - pad + ky, ix = x0 * stride - pad + kx;
                                    if (iy < 0 || iy >= ph || ix < 0 || ix >= pw) continue;
                                    float v = pooled[((b * c + ch) * ph + iy) * pw + ix];
                                    int bit = sign3 ? Math.Sign(v) : v >= thresholds[ch] ? 1 : -1;
                                    d += bit * Math.Sign(w[((o * c + ch) * k + ky) * k + kx]);
                                }
                        dots[((b * n + o) * oh + y0) * ow + x0] = d;
                    }
        var bias = Enumerable.Range(0, n).Select(i => 0.25f - i * 0.125f).ToArray();
        var shape = new BinaryConvShape(batch, c, ph, pw, n, oh, ow, k, k, stride, stride, 1, 1, pad, pad, pad, pad);
        var pool = new BinaryPoolShape(h, wd, pk, pk, ps, ps, pdil, pdil, pp, pp);
        foreach (var isa in BinaryKernelTests.Paths())
        {
            var y = Enumerable.Repeat(float.NaN, dots.Length).ToArray();
            BinaryLayers.Conv2D(x, packed, thresholds, sign3, alpha, bias, default, 1f, y, shape, pool, isa);
            for (int i = 0; i < y.Length; i++)
            {
                int o = i / (oh * ow) % n;
                float expected = alpha[o] * dots[i] + bias[o];
                Assert.True(y[i] == expected, $"{isa}: y[{i}] = {y[i]}, expected {expected} (dot {dots[i]})");
            }
        }
    }

    /// <summary>ONNX pool output size (ceil_mode: the last window must start inside the input or the left padding).</summary>
    private static int Out(int span, int stride, bool ceil, int input, int padBegin)
    {
        int o = ceil ? (span + stride - 1) / stride + 1 : span / stride + 1;
        if (ceil && (o - 1) * stride >= input + padBegin) o--;
        return o;
    }

    [Fact]
    public void A_wrong_input_length_for_the_pool_throws_ArgumentException()
    {
        var packed = new ulong[BinaryLayers.PackedWeightWords(8, 9 * 16)];
        var shape = new BinaryConvShape(1, 16, 4, 4, 8, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1);
        var pool = new BinaryPoolShape(8, 8, 2, 2, 2, 2, 1, 1, 0, 0);
        Assert.Throws<ArgumentException>(() => BinaryLayers.Conv2D(new float[16 * 16], packed, default, true, new float[8], new float[8], default, 1f, new float[8 * 16], shape, pool));
        BinaryLayers.Conv2D(new float[16 * 64], packed, default, true, new float[8], new float[8], default, 1f, new float[8 * 16], shape, pool);
    }
}
