using System;
using System.Linq;
using ModelCompiler.Runtime;
using Xunit;
using static ModelCompiler.Tests.Kernels.KernelTestData;

namespace ModelCompiler.Tests.Kernels;

/// <summary>
/// Winograd F(2x2, 3x3) and F(4x4, 3x3) convolution (<see cref="WinogradConv"/>) against the scalar direct convolution written in the
/// tests (<see cref="ScalarReference.Conv2D"/>, from the ONNX Conv definition), both tile sizes: output sizes that are not whole tiles, padding
/// 0, 1, 2 and asymmetric, channel counts that are not multiples of the 8-row panels or the vector width, rows of
/// tiles split across blocks, batches; at every vector width this machine runs, on 3 threads (the same bits as 1) and
/// on arena scratch full of stale NaN bytes (the same bits as its own scratch). The epilogues (bias, activations,
/// residual Add) against the same reference applied element by element.
/// </summary>
public sealed class WinogradConvTests
{
    public static TheoryData<string> Cases() => new(
        "n=1 c=5 h=9 w=11 m=7 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1",
        "n=1 c=16 h=14 w=14 m=24 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1",
        "n=1 c=64 h=7 w=7 m=40 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1",
        "n=1 c=3 h=8 w=8 m=9 k=3x3 s=1x1 p=0,0,0,0 d=1x1 g=1",
        "n=1 c=4 h=10 w=12 m=11 k=3x3 s=1x1 p=0,1,2,0 d=1x1 g=1",
        "n=1 c=6 h=11 w=13 m=10 k=3x3 s=1x1 p=2,2,2,2 d=1x1 g=1",
        "n=1 c=9 h=1 w=40 m=10 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1",
        "n=1 c=17 h=3 w=3 m=17 k=3x3 s=1x1 p=0,0,0,0 d=1x1 g=1",
        "n=1 c=12 h=37 w=35 m=20 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1",
        "n=1 c=8 h=20 w=101 m=8 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1",
        "n=1 c=33 h=15 w=17 m=65 k=3x3 s=1x1 p=1,0,1,2 d=1x1 g=1",
        "n=2 c=5 h=6 w=9 m=9 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1",
        "n=1 c=1 h=4 w=4 m=1 k=3x3 s=1x1 p=0,0,0,0 d=1x1 g=1");

    private static (ConvGeometry G, float[] X, float[] W, float[] Bias) Data(string spec, int seed)
    {
        var (g, kg) = PackedConvTests.Geometry(spec);
        float[] x = Random(g.batch * g.inChannels * g.inHeight * g.inWidth, seed);
        float[] w = Random(g.outChannels * kg, seed + 1, 1f / MathF.Sqrt(kg));
        float[] bias = Random(g.outChannels, seed + 2);
        return (g, x, w, bias);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_direct_convolution_at_every_vector_width(string spec)
    {
        var (g, x, w, bias) = Data(spec, 1);
        Assert.True(WinogradConvShape.Fits(g));
        var expected = ScalarReference.Conv2D(x, w, bias, g);
        foreach (int tile in new[] { 2, 4 })
        {
            float[] transformed = WeightLayouts.WinogradPanels(w, g.outChannels, g.inChannels, tile);
            Assert.Equal(WinogradConv.PackedLength(g.outChannels, g.inChannels, tile), transformed.Length);
            foreach (var width in Widths())
            {
                string what = $"{spec} F({tile}x{tile}) at {width}";
                var y = new float[expected.Length];
                WinogradConv.Conv2D(x, transformed, bias, default, y, g, Epilogue.None, tile, 1, default, width);
                AssertClose(expected, y, what);
                var threaded = new float[expected.Length];
                WinogradConv.Conv2D(x, transformed, bias, default, threaded, g, Epilogue.None, tile, 3, default, width);
                Assert.True(y.AsSpan().SequenceEqual(threaded), $"{what}: 3 threads differ from 1");
                // Stale data in the arena region: NaN bytes everywhere, so a read of memory the kernel did not write shows.
                var scratch = new byte[WinogradConvShape.ScratchBytes(g, tile)];
                scratch.AsSpan().Fill(0xFF);
                var onArena = new float[expected.Length];
                WinogradConv.Conv2D(x, transformed, bias, default, onArena, g, Epilogue.None, tile, 1, scratch, width);
                Assert.True(y.AsSpan().SequenceEqual(onArena), $"{what}: arena scratch differs");
            }
        }
    }

    [Fact]
    public void Without_bias_the_outputs_start_at_zero()
    {
        var (g, x, w, _) = Data("n=1 c=5 h=9 w=11 m=7 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1", 4);
        var expected = ScalarReference.Conv2D(x, w, null, g);
        foreach (int tile in new[] { 2, 4 })
        {
            var y = Enumerable.Repeat(float.NaN, expected.Length).ToArray();
            WinogradConv.Conv2D(x, WeightLayouts.WinogradPanels(w, g.outChannels, g.inChannels, tile), default, default, y, g, Epilogue.None, tile, 1, default);
            AssertClose(expected, y, $"no bias, F({tile}x{tile})");
        }
    }

    [Theory]
    [InlineData("n=1 c=8 h=10 w=10 m=16 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1")]
    [InlineData("n=2 c=6 h=9 w=5 m=12 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1")]
    [InlineData("n=1 c=20 h=13 w=37 m=9 k=3x3 s=1x1 p=0,1,1,0 d=1x1 g=1")]
    public void The_epilogue_adds_the_residual_and_applies_activations_like_separate_layers(string spec)
    {
        var (g, x, w, bias) = Data(spec, 6);
        float[] residual = Random(g.batch * g.outChannels * g.outHeight * g.outWidth, 9);
        var conv = ScalarReference.Conv2D(x, w, bias, g);
        foreach (int tile in new[] { 2, 4 })
        {
            float[] transformed = WeightLayouts.WinogradPanels(w, g.outChannels, g.inChannels, tile);
            foreach (var (epilogue, withResidual, reference) in EpilogueTests.Cases())
            {
                var expected = conv.Select((v, i) => reference(v, withResidual ? residual[i] : 0f)).ToArray();
                foreach (var width in Widths())
                {
                    var y = new float[expected.Length];
                    WinogradConv.Conv2D(x, transformed, bias, withResidual ? residual : default, y, g, epilogue, tile, 1, default, width);
                    AssertClose(expected, y, $"{spec} F({tile}x{tile}) {EpilogueTests.Describe(epilogue, withResidual)} at {width}");
                }
            }
        }
    }

    [Theory]
    [InlineData("n=1 c=4 h=9 w=9 m=4 k=3x3 s=2x2 p=1,1,1,1 d=1x1 g=1")]
    [InlineData("n=1 c=4 h=9 w=9 m=4 k=3x3 s=1x1 p=2,2,2,2 d=2x2 g=1")]
    [InlineData("n=1 c=4 h=9 w=9 m=4 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=2")]
    [InlineData("n=1 c=4 h=9 w=9 m=4 k=5x5 s=1x1 p=2,2,2,2 d=1x1 g=1")]
    public void Other_convolutions_are_not_taken(string spec)
    {
        var (g, _) = PackedConvTests.Geometry(spec);
        Assert.False(WinogradConvShape.Fits(g));
        Assert.Throws<ArgumentException>(() => WinogradConv.Conv2D(new float[4 * 81], new float[100_000], default, default, new float[4 * 81], g, Epilogue.None, 2, 1, default));
    }

    [Fact]
    public void Short_spans_scratch_and_other_tile_sizes_throw_instead_of_reading_past_them()
    {
        var (g, _) = PackedConvTests.Geometry("n=1 c=5 h=9 w=11 m=7 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1");
        var packed = new float[WinogradConv.PackedLength(g.outChannels, g.inChannels, 4)];
        Assert.Throws<ArgumentException>(() => WinogradConv.Conv2D(new float[10], packed, default, default, new float[7 * 99], g, Epilogue.None, 4, 1, default));
        Assert.Throws<ArgumentException>(() => WinogradConv.Conv2D(new float[5 * 99], packed, default, default, new float[10], g, Epilogue.None, 4, 1, default));
        Assert.Throws<ArgumentException>(() => WinogradConv.Conv2D(new float[5 * 99], packed.AsSpan(1), default, default, new float[7 * 99], g, Epilogue.None, 4, 1, default));
        Assert.Throws<ArgumentException>(() => WinogradConv.Conv2D(new float[5 * 99], packed, new float[3], default, new float[7 * 99], g, Epilogue.None, 4, 1, default));
        Assert.Throws<ArgumentException>(() => WinogradConv.Conv2D(new float[5 * 99], packed, default, default, new float[7 * 99], g, Epilogue.None, 3, 1, default));
        var scratch = new byte[WinogradConvShape.ScratchBytes(g, 4) - 1];
        Assert.Throws<ArgumentException>(() => WinogradConv.Conv2D(new float[5 * 99], packed, default, default, new float[7 * 99], g, Epilogue.None, 4, 1, scratch));
        Assert.Throws<ArgumentException>(() => WeightLayouts.WinogradPanels(new float[5 * 7 * 9], 7, 5, 6));
    }
}
