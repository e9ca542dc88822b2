using System;
using System.Linq;
using ModelCompiler.Runtime;
using Xunit;
using static ModelCompiler.Tests.Kernels.KernelTestData;

namespace ModelCompiler.Tests.Kernels.Transformer;

/// <summary>
/// LayerNormalization, RMSNormalization and GroupNormalization kernels against references written here from the
/// ONNX definitions (double precision, two-pass statistics), at every vector width: row lengths around the vector
/// widths and their tails, with and without bias, in place, and the Mean/InvStdDev outputs. Float tolerance
/// 1e-5 absolute + 1e-4 relative.
/// </summary>
public sealed class NormalizationKernelTests
{
    /// <summary>ONNX LayerNormalization on [rows, cols]: (x - mean) / sqrt(var + eps) * scale + bias, biased variance.</summary>
    private static (float[] Y, float[] Mean, float[] Inv) LayerNormReference(float[] x, float[] scale, float[]? bias, int rows, int cols, float eps)
    {
        var y = new float[x.Length];
        var mean = new float[rows];
        var inv = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            var row = x.Skip(r * cols).Take(cols).Select(v => (double)v).ToArray();
            double m = row.Average();
            double variance = row.Select(v => (v - m) * (v - m)).Average();
            double i = 1 / Math.Sqrt(variance + eps);
            for (int c = 0; c < cols; c++) y[r * cols + c] = (float)((row[c] - m) * i * scale[c] + (bias?[c] ?? 0));
            mean[r] = (float)m;
            inv[r] = (float)i;
        }
        return (y, mean, inv);
    }

    [Theory]
    [InlineData(3, 1)]
    [InlineData(2, 7)]
    [InlineData(5, 16)]
    [InlineData(4, 33)]
    [InlineData(16, 64)]
    [InlineData(2, 100)]
    public void LayerNorm_matches_the_definition_at_every_vector_width(int rows, int cols)
    {
        // An offset on x: the statistics must survive values far from zero (the deviations are formed before squaring).
        float[] x = Random(rows * cols, 41, 3f).Select(v => v + 20f).ToArray(), scale = Random(cols, 42), bias = Random(cols, 43);
        foreach (bool withBias in new[] { true, false })
        {
            var (expected, mean, inv) = LayerNormReference(x, scale, withBias ? bias : null, rows, cols, 1e-5f);
            foreach (var width in Widths())
            {
                var y = new float[x.Length];
                float[] m = new float[rows], i = new float[rows];
                LayerNorm.Normalize(x, scale, withBias ? bias : default, y, m, i, rows, cols, 1e-5f, width);
                AssertClose(expected, y, $"LayerNorm {rows}x{cols}{(withBias ? "" : " without bias")} at {width}");
                AssertClose(mean, m, $"LayerNorm mean at {width}");
                AssertClose(inv, i, $"LayerNorm inverse standard deviation at {width}");
                var inPlace = (float[])x.Clone();
                LayerNorm.Normalize(inPlace, scale, withBias ? bias : default, inPlace, default, default, rows, cols, 1e-5f, width);
                AssertClose(expected, inPlace, $"LayerNorm in place at {width}");
            }
        }
    }

    [Theory]
    [InlineData(3, 1)]
    [InlineData(5, 17)]
    [InlineData(8, 64)]
    public void RmsNorm_matches_the_definition_at_every_vector_width(int rows, int cols)
    {
        float[] x = Random(rows * cols, 44, 2f), scale = Random(cols, 45);
        var expected = new float[x.Length];
        for (int r = 0; r < rows; r++)
        {
            double ms = Enumerable.Range(0, cols).Select(c => (double)x[r * cols + c] * x[r * cols + c]).Average();
            for (int c = 0; c < cols; c++) expected[r * cols + c] = (float)(x[r * cols + c] / Math.Sqrt(ms + 1e-3) * scale[c]);
        }
        foreach (var width in Widths())
        {
            var y = new float[x.Length];
            LayerNorm.RootMeanSquare(x, scale, y, rows, cols, 1e-3f, width);
            AssertClose(expected, y, $"RMSNorm {rows}x{cols} at {width}");
        }
    }

    [Theory]
    [InlineData(2, 4, 2, 9, false)]
    [InlineData(1, 6, 3, 1, true)]
    [InlineData(3, 8, 8, 20, false)]
    [InlineData(2, 32, 4, 17, true)]
    public void GroupNorm_matches_the_definition_at_every_vector_width(int batch, int channels, int groups, int spatial, bool perGroup)
    {
        float[] x = Random(batch * channels * spatial, 46, 2f).Select(v => v - 5f).ToArray();
        int parameters = perGroup ? groups : channels;
        float[] scale = Random(parameters, 47), bias = Random(parameters, 48);
        var expected = new float[x.Length];
        int per = channels / groups;
        for (int b = 0; b < batch; b++)
            for (int g = 0; g < groups; g++)
            {
                int start = (b * channels + g * per) * spatial, n = per * spatial;
                double m = Enumerable.Range(start, n).Average(i => (double)x[i]);
                double variance = Enumerable.Range(start, n).Average(i => (x[i] - m) * (x[i] - m));
                for (int c = 0; c < per; c++)
                {
                    int p = perGroup ? g : g * per + c;
                    for (int s = 0; s < spatial; s++)
                    {
                        int i = start + c * spatial + s;
                        expected[i] = (float)((x[i] - m) / Math.Sqrt(variance + 1e-5) * scale[p] + bias[p]);
                    }
                }
            }
        foreach (var width in Widths())
        {
            var y = new float[x.Length];
            GroupNorm.Normalize(x, scale, bias, y, batch, channels, spatial, groups, perGroup, 1e-5f, width);
            AssertClose(expected, y, $"GroupNorm {batch}x{channels}x{spatial}, {groups} groups at {width}");
        }
    }

    [Fact]
    public void Short_spans_throw()
    {
        Assert.Throws<ArgumentException>(() => LayerNorm.Normalize(new float[7], new float[4], default, new float[8], default, default, 2, 4, 1e-5f));
        Assert.Throws<ArgumentException>(() => LayerNorm.Normalize(new float[8], new float[3], default, new float[8], default, default, 2, 4, 1e-5f));
        Assert.Throws<ArgumentException>(() => LayerNorm.Normalize(new float[8], new float[4], new float[4], new float[8], new float[1], default, 2, 4, 1e-5f));
        Assert.Throws<ArgumentException>(() => LayerNorm.RootMeanSquare(new float[8], new float[4], new float[7], 2, 4, 1e-5f));
        Assert.Throws<ArgumentException>(() => GroupNorm.Normalize(new float[12], new float[3], new float[3], new float[12], 1, 3, 4, 2, false, 1e-5f));
        Assert.Throws<ArgumentException>(() => GroupNorm.Normalize(new float[12], new float[2], new float[3], new float[12], 1, 3, 4, 3, false, 1e-5f));
    }
}
