using System;
using System.Linq;
using ModelCompiler.Runtime;
using Xunit;
using static ModelCompiler.Tests.Kernels.KernelTestData;

namespace ModelCompiler.Tests.Kernels.Transformer;

/// <summary>
/// The vectorized float32 GELU against the ONNX definitions evaluated in double (erfc from the test's own series
/// and continued fraction, tanh from Math.Tanh), at every vector width, from -12 to 12 and at the tails of
/// lengths that are not whole vectors: within 1e-6 absolute + 1e-5 relative.
/// </summary>
public sealed class GeluKernelTests
{
    /// <summary>erfc(a) for a &gt;= 0: 1 - erf by its Taylor series below 3, the continued fraction (60 terms) above (double precision).</summary>
    private static double Erfc(double a)
    {
        if (a < 3)
        {
            double sum = 0, term = a;
            for (int n = 0; n < 200; n++)
            {
                sum += term / (2 * n + 1);
                term *= -a * a / (n + 1);
            }
            return 1 - 2 / Math.Sqrt(Math.PI) * sum;
        }
        double f = 0;
        for (int n = 60; n >= 1; n--) f = n / 2.0 / (a + f);
        return Math.Exp(-a * a) / Math.Sqrt(Math.PI) / (a + f);
    }

    /// <summary>0.5 x (1 + erf(x / sqrt 2)), with 1 + erf(u) = 2 - erfc(u) for u &gt;= 0 and erfc(-u) below (no cancellation in the tail).</summary>
    private static double GeluErf(double x)
    {
        double u = x / Math.Sqrt(2);
        return 0.5 * x * (u >= 0 ? 2 - Erfc(u) : Erfc(-u));
    }

    private static double GeluTanh(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gelu_matches_the_definition_at_every_vector_width(bool tanh)
    {
        var x = Enumerable.Range(0, 2401).Select(i => -12f + i * 0.01f).Concat(new[] { 0f, -0f, 1e-30f, -1e-30f, 30f, -30f }).ToArray();
        var expected = x.Select(v => (float)(tanh ? GeluTanh(v) : GeluErf(v))).ToArray();
        foreach (var width in Widths())
        {
            foreach (int length in new[] { x.Length, 1, 7, 19 })
            {
                var y = new float[length];
                GeluKernel.Run(x.AsSpan(0, length), y, tanh, width);
                for (int i = 0; i < length; i++)
                {
                    double error = Math.Abs(y[i] - (double)expected[i]);
                    Assert.True(error <= 1e-6 + 1e-5 * Math.Abs(expected[i]),
                        $"{(tanh ? "tanh" : "erf")} GELU at {width}, x = {x[i]:R}: {y[i]:R}, expected {expected[i]:R}");
                }
            }
        }
    }

    [Fact]
    public void Gelu_keeps_NaN_and_runs_in_place()
    {
        foreach (var width in Widths())
        {
            var x = new[] { float.NaN, 1f, -1f, 2f, float.NaN, 0.5f, -0.5f, 3f, -3f };
            var copy = (float[])x.Clone();
            GeluKernel.Run(x, x, tanh: false, width);
            Assert.True(float.IsNaN(x[0]) && float.IsNaN(x[4]), $"NaN lost at {width}");
            for (int i = 0; i < x.Length; i++)
                if (!float.IsNaN(copy[i])) Assert.True(Math.Abs(x[i] - GeluErf(copy[i])) <= 1e-6, $"in place at {width}, x = {copy[i]}");
        }
    }
}
