using System;
using System.Linq;
using ModelCompiler.Runtime;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Kernels;

/// <summary>
/// <see cref="Signal.Dft{T}"/> against the DFT's definition, X[k] = Σ_j x[j]·e^(∓2πi·jk/L) (divided by L for the
/// inverse), summed in double precision in the test: the radix-2 FFT path (power-of-two lengths) and the direct
/// path (other lengths), real and complex input, one-sided output, zero padding, the inverse one-sided (Hermitian)
/// form. float64 data, so the comparison can be tight: within 1e-9 + 1e-9 relative to the largest bin.
/// </summary>
public sealed class SignalKernelTests
{
    [Theory]
    [InlineData(64, 64, false, false, false)]
    [InlineData(64, 64, true, true, false)]
    [InlineData(45, 48, true, false, false)]
    [InlineData(20, 16, false, false, true)]
    [InlineData(30, 30, true, true, true)]
    [InlineData(7, 512, false, false, true)]
    public void Dft_matches_the_definition(int nIn, int length, bool complexInput, bool inverse, bool oneSided)
    {
        const int outer = 2, inner = 3;
        int c = complexInput ? 2 : 1;
        var x = OnnxModelBuilder.RandomFloats(outer * nIn * inner * c, (uint)(length * 31 + nIn)).Select(v => (double)v).ToArray();
        int nOut = oneSided ? length / 2 + 1 : length;
        var y = new double[outer * nOut * inner * 2];
        Signal.Dft<double>(x, y, Twiddles(length), outer, nIn, inner, complexInput, length, nOut, inverse, hermitianInput: false, realOutput: false);

        double largest = 0;
        var expected = new double[y.Length];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
                for (int k = 0; k < nOut; k++)
                {
                    double re = 0, im = 0;
                    for (int j = 0; j < Math.Min(nIn, length); j++)
                    {
                        int at = ((o * nIn + j) * inner + i) * c;
                        double xr = x[at], xi = complexInput ? x[at + 1] : 0;
                        double angle = (inverse ? 2 : -2) * Math.PI * ((long)j * k % length) / length;
                        re += xr * Math.Cos(angle) - xi * Math.Sin(angle);
                        im += xr * Math.Sin(angle) + xi * Math.Cos(angle);
                    }
                    if (inverse) { re /= length; im /= length; }
                    int to = ((o * nOut + k) * inner + i) * 2;
                    expected[to] = re;
                    expected[to + 1] = im;
                    largest = Math.Max(largest, Math.Max(Math.Abs(re), Math.Abs(im)));
                }
        for (int e = 0; e < y.Length; e++)
            Assert.True(Math.Abs(y[e] - expected[e]) <= 1e-9 + 1e-9 * largest, $"L={length}, element {e}: {y[e]:R}, expected {expected[e]:R}");
    }

    /// <summary>The inverse one-sided transform of a real signal's one-sided spectrum gives the signal back.</summary>
    [Theory]
    [InlineData(32)]
    [InlineData(18)]
    [InlineData(15)]
    public void Inverse_one_sided_dft_recovers_a_real_signal(int length)
    {
        var x = OnnxModelBuilder.RandomFloats(length, (uint)length).Select(v => (double)v).ToArray();
        int bins = length / 2 + 1;
        var spectrum = new double[bins * 2];
        Signal.Dft<double>(x, spectrum, Twiddles(length), 1, length, 1, complexInput: false, length, bins, inverse: false, hermitianInput: false, realOutput: false);
        var back = new double[length];
        Signal.Dft<double>(spectrum, back, Twiddles(length), 1, bins, 1, complexInput: true, length, length, inverse: true, hermitianInput: true, realOutput: true);
        for (int j = 0; j < length; j++)
            Assert.True(Math.Abs(back[j] - x[j]) <= 1e-12, $"L={length}, sample {j}: {back[j]:R}, expected {x[j]:R}");
    }

    private static double[] Twiddles(int length) =>
        Enumerable.Range(0, length).SelectMany(m => new[] { Math.Cos(2 * Math.PI * m / length), Math.Sin(2 * Math.PI * m / length) }).ToArray();
}
