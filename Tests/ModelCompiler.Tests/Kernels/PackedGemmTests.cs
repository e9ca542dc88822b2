using System;
using System.Linq;
using ModelCompiler.Runtime;
using Xunit;
using static ModelCompiler.Tests.Kernels.KernelTestData;

namespace ModelCompiler.Tests.Kernels;

/// <summary>
/// The strip-packed matrix product (<see cref="PackedGemm"/>) against <see cref="Gemm.Multiply"/> + <see cref="Gemm.AddBias"/>:
/// row counts around the 4-row tiles, column counts around the 16-column strips and 64-column tiles, short and long
/// k, B transposed or not, alpha folded into the packing, at every vector width and on 3 threads.
/// </summary>
public sealed class PackedGemmTests
{
    [Theory]
    [InlineData(1, 10, 24, true, 1f)]
    [InlineData(1, 1000, 300, true, 1f)]
    [InlineData(1, 100, 300, false, 1f)]
    [InlineData(3, 17, 5, false, 1f)]
    [InlineData(5, 33, 7, true, 0.5f)]
    [InlineData(9, 64, 64, false, 1f)]
    [InlineData(4, 15, 1, false, 2f)]
    [InlineData(7, 129, 33, true, 1f)]
    [InlineData(2, 1, 9, false, 1f)]
    [InlineData(6, 80, 17, false, 1f)]
    public void Matches_the_reference_product_at_every_vector_width(int m, int n, int k, bool transposedB, float alpha)
    {
        float[] a = Random(m * k, 31), b = Random(k * n, 32, 1f / MathF.Sqrt(k)), bias = Random(n, 33);
        var expected = new float[m * n];
        Gemm.Multiply(a, b, expected, m, n, k, false, transposedB, alpha);
        Gemm.AddBias(bias, 1, n, expected, m, n, 1f);
        float[] packed = WeightLayouts.GemmStrips(b, k, n, transposedB, alpha);
        Assert.Equal(PackedGemm.PackedLength(k, n), packed.Length);
        float[] paddedBias = WeightLayouts.PadColumns(bias, n);
        foreach (var width in Widths())
        {
            var y = Enumerable.Repeat(float.NaN, m * n).ToArray();
            PackedGemm.Multiply(a, packed, paddedBias, default, y, m, n, k, Epilogue.None, 1, width);
            AssertClose(expected, y, $"{m}x{k} * {k}x{n}{(transposedB ? " (B transposed)" : "")} at {width}");
            var threaded = new float[m * n];
            PackedGemm.Multiply(a, packed, paddedBias, default, threaded, m, n, k, Epilogue.None, 3, width);
            Assert.True(y.AsSpan().SequenceEqual(threaded), $"{m}x{k} * {k}x{n} at {width}: 3 threads differ from 1");
        }
    }

    [Fact]
    public void The_epilogue_matches_separate_layers()
    {
        int m = 5, n = 37, k = 20;
        float[] a = Random(m * k, 34), b = Random(k * n, 35, 0.3f), residual = Random(m * n, 36);
        var product = new float[m * n];
        Gemm.Multiply(a, b, product, m, n, k, false, false, 1f);
        float[] packed = WeightLayouts.GemmStrips(b, k, n, false, 1f);
        foreach (var (epilogue, withResidual, reference) in EpilogueTests.Cases())
        {
            var expected = product.Select((v, i) => reference(v, withResidual ? residual[i] : 0f)).ToArray();
            foreach (var width in Widths())
            {
                var y = new float[m * n];
                PackedGemm.Multiply(a, packed, default, withResidual ? residual : default, y, m, n, k, epilogue, 1, width);
                AssertClose(expected, y, $"{EpilogueTests.Describe(epilogue, withResidual)} at {width}");
            }
        }
    }

    [Fact]
    public void Short_spans_throw()
    {
        var packed = new float[PackedGemm.PackedLength(8, 20)];
        Assert.Throws<ArgumentException>(() => PackedGemm.Multiply(new float[7], packed, default, default, new float[20], 1, 20, 8, Epilogue.None));
        Assert.Throws<ArgumentException>(() => PackedGemm.Multiply(new float[8], packed, new float[20], default, new float[20], 1, 20, 8, Epilogue.None));
        Assert.Throws<ArgumentException>(() => PackedGemm.Multiply(new float[8], packed.AsSpan(1), default, default, new float[20], 1, 20, 8, Epilogue.None));
    }
}
