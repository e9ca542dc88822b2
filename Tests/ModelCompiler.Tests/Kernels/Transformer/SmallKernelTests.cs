using System;
using System.Linq;
using ModelCompiler.Runtime;
using Xunit;
using static ModelCompiler.Tests.Kernels.KernelTestData;

namespace ModelCompiler.Tests.Kernels.Transformer;

/// <summary>
/// The kernels of the newest ONNX ops (SwiGLU, opset 28; CausalConvWithState, opset 27), which ONNX Runtime 1.31.1
/// cannot run, against references written here from their definitions (double precision); and the float16 entry
/// points against the float32 kernels on the same (rounded) data. 1e-5 absolute + 1e-4 relative for float32,
/// 2e-3 relative for float16 results.
/// </summary>
public sealed class SmallKernelTests
{
    [Fact]
    public void SwiGlu_is_a_times_sigmoid_of_alpha_a_times_b()
    {
        float[] a = Random(300, 91, 4f), b = Random(300, 92, 2f);
        var expected = a.Select((v, i) => (float)(v / (1 + Math.Exp(-0.7 * v)) * b[i])).ToArray();
        var y = new float[300];
        SwiGlu.Run<float>(a, b, y, 0.7f);
        AssertClose(expected, y, "SwiGLU float32");
        var inPlace = (float[])b.Clone();
        SwiGlu.Run<float>(a, inPlace, inPlace, 0.7f);
        AssertClose(expected, inPlace, "SwiGLU float32 in place of b");
        var yd = new double[300];
        SwiGlu.Run<double>(a.Select(v => (double)v).ToArray(), b.Select(v => (double)v).ToArray(), yd, 0.7f);
        AssertClose(expected, yd.Select(v => (float)v).ToArray(), "SwiGLU float64");
        var yh = new Half[300];
        SwiGlu.Run<Half>(a.Select(v => (Half)v).ToArray(), b.Select(v => (Half)v).ToArray(), yh, 0.7f);
        for (int i = 0; i < 300; i++)
        {
            double ha = (double)(Half)a[i], hb = (double)(Half)b[i], e = ha / (1 + Math.Exp(-0.7 * ha)) * hb;
            Assert.True(Math.Abs((double)yh[i] - e) <= 1e-3 + 2e-3 * Math.Abs(e), $"SwiGLU float16 element {i}: {yh[i]}, expected {e}");
        }
    }

    /// <summary>CausalConvWithState's definition: pad the sequence on the left with the past state (or zeros), depthwise valid convolution, optional SiLU.</summary>
    private static (float[] Y, float[] State) CausalReference(float[] x, float[] w, float[]? bias, float[]? past, int batch, int channels, int length, int k, bool silu)
    {
        var y = new float[batch * channels * length];
        var state = new float[batch * channels * (k - 1)];
        for (int b = 0; b < batch; b++)
            for (int c = 0; c < channels; c++)
            {
                int row = b * channels + c;
                var padded = Enumerable.Range(0, k - 1).Select(p => past?[row * (k - 1) + p] ?? 0f).Concat(x.Skip(row * length).Take(length)).ToArray();
                for (int t = 0; t < length; t++)
                {
                    double s = bias?[c] ?? 0;
                    for (int j = 0; j < k; j++) s += w[c * k + j] * (double)padded[t + j];
                    y[row * length + t] = (float)(silu ? s / (1 + Math.Exp(-s)) : s);
                }
                for (int p = 0; p < k - 1; p++) state[row * (k - 1) + p] = padded[padded.Length - (k - 1) + p];
            }
        return (y, state);
    }

    [Theory]
    [InlineData(2, 3, 8, 4, true, true, false)]
    [InlineData(1, 2, 2, 4, false, true, true)]
    [InlineData(2, 4, 5, 1, true, false, true)]
    public void CausalConv_matches_the_definition(int batch, int channels, int length, int k, bool withBias, bool withPast, bool silu)
    {
        float[] x = Random(batch * channels * length, 93), w = Random(channels * k, 94), bias = Random(channels, 95), past = Random(batch * channels * (k - 1), 96);
        var (expected, expectedState) = CausalReference(x, w, withBias ? bias : null, withPast ? past : null, batch, channels, length, k, silu);
        var y = new float[expected.Length];
        var state = new float[expectedState.Length];
        CausalConv.Run(x, w, withBias ? bias : default, withPast ? past : default, y, state, batch, channels, length, k, silu);
        AssertClose(expected, y, "CausalConvWithState output");
        AssertClose(expectedState, state, "CausalConvWithState present state");

        // float16: the same data rounded to float16, through the widening entry point.
        Half[] H(float[] v) => v.Select(f => (Half)f).ToArray();
        float[] R(float[] v) => v.Select(f => (float)(Half)f).ToArray();
        var (hExpected, _) = CausalReference(R(x), R(w), withBias ? R(bias) : null, withPast ? R(past) : null, batch, channels, length, k, silu);
        var hy = new Half[expected.Length];
        int widened = (withBias ? bias.Length : 0) + (withPast ? past.Length : 0) + x.Length + w.Length + hy.Length + expectedState.Length;
        HalfWidening.CausalConv(H(x), H(w), withBias ? H(bias) : default, withPast ? H(past) : default, hy, new Half[expectedState.Length], batch, channels, length, k, silu,
            new byte[widened * sizeof(float)]);
        Assert.Throws<ArgumentException>(() => HalfWidening.CausalConv(H(x), H(w), withBias ? H(bias) : default, withPast ? H(past) : default, hy, new Half[expectedState.Length],
            batch, channels, length, k, silu, new byte[widened * sizeof(float) - 1]));
        for (int i = 0; i < hy.Length; i++)
            Assert.True(Math.Abs((double)hy[i] - hExpected[i]) <= 1e-3 + 2e-3 * Math.Abs(hExpected[i]), $"float16 CausalConvWithState element {i}: {hy[i]}, expected {hExpected[i]}");
    }

    [Fact]
    public void Float16_attention_is_the_float32_kernel_on_widened_data()
    {
        var shape = new AttentionShape(1, 2, 1, 3, 5, 2, 8, 8, false);
        var options = new AttentionOptions(0.35f, 0, true, 3, 7, 0, 0, 0);
        int total = 7;
        float[] q = Random(48, 97), k = Random(40, 98), v = Random(40, 99), mask = Random(7, 100), pk = Random(16, 101), pv = Random(16, 102);
        Half[] H(float[] a) => a.Select(f => (Half)f).ToArray();
        float[] R(float[] a) => a.Select(f => (float)(Half)f).ToArray();
        float[] y = new float[48], yk = new float[8 * total], yv = new float[8 * total], qk = new float[2 * 3 * total];
        Attention.Run(R(q), R(k), R(v), R(mask), default, R(pk), R(pv), default, y, yk, yv, qk, shape, options, new byte[AttentionScratch.Bytes(total, 8)]);
        Half[] hy = new Half[48], hyk = new Half[8 * total], hyv = new Half[8 * total], hqk = new Half[2 * 3 * total];
        long scratch = AttentionScratch.HalfBytes(48 + 40 + 40 + 7 + 16 + 16 + hy.Length + hyk.Length + hyv.Length + hqk.Length, total, 8);
        HalfWidening.Attention(H(q), H(k), H(v), H(mask), default, H(pk), H(pv), default, hy, hyk, hyv, hqk, shape, options, new byte[scratch]);
        Assert.Throws<ArgumentException>(() => HalfWidening.Attention(H(q), H(k), H(v), H(mask), default, H(pk), H(pv), default, hy, hyk, hyv, hqk, shape, options, new byte[scratch - 1]));
        foreach (var (f, h, what) in new[] { (y, hy, "Y"), (yk, hyk, "present_key"), (yv, hyv, "present_value"), (qk, hqk, "qk_matmul_output") })
            for (int i = 0; i < f.Length; i++)
                Assert.True((float)h[i] == (float)(Half)f[i], $"float16 attention {what} element {i}: {h[i]}, expected {(Half)f[i]} (the float32 result rounded once)");
    }
}
