using System;
using System.Linq;
using ModelCompiler.Runtime;
using Xunit;
using static ModelCompiler.Tests.Kernels.KernelTestData;

namespace ModelCompiler.Tests.Kernels;

/// <summary>
/// The packed-panel convolution (<see cref="PackedConv"/>) against the straightforward <see cref="Conv.Conv2D"/>
/// on shapes that hit every edge: channel counts that are not multiples of the 8-row panels, widths that are not
/// multiples of the vector width, padding, strides, dilations, groups, batches, 1x1 and 1-D, at every vector
/// width this machine runs, and on 3 threads (which must give the same bits as 1).
/// </summary>
public sealed class PackedConvTests
{
    public static TheoryData<string> Cases() => new(
        "n=1 c=24 h=40 w=40 m=58 k=1x1 s=1x1 p=0,0,0,0 d=1x1 g=1",
        "n=1 c=16 h=7 w=9 m=8 k=1x1 s=1x1 p=0,0,0,0 d=1x1 g=1",
        "n=1 c=3 h=5 w=5 m=3 k=1x1 s=1x1 p=0,0,0,0 d=1x1 g=1",
        "n=1 c=12 h=9 w=11 m=20 k=1x1 s=2x2 p=0,0,0,0 d=1x1 g=1",
        "n=1 c=7 h=6 w=6 m=5 k=1x1 s=1x1 p=1,1,1,1 d=1x1 g=1",
        "n=1 c=5 h=9 w=11 m=7 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1",
        "n=1 c=16 h=14 w=14 m=24 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1",
        "n=1 c=64 h=7 w=7 m=40 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1",
        "n=1 c=6 h=13 w=7 m=9 k=3x3 s=2x2 p=1,1,1,1 d=1x1 g=1",
        "n=1 c=3 h=33 w=31 m=16 k=3x3 s=2x2 p=1,1,1,1 d=1x1 g=1",
        "n=1 c=4 h=10 w=12 m=11 k=3x3 s=1x1 p=0,1,2,0 d=1x1 g=1",
        "n=1 c=4 h=12 w=13 m=10 k=3x3 s=1x1 p=2,2,2,2 d=2x2 g=1",
        "n=1 c=3 h=17 w=19 m=9 k=3x3 s=3x3 p=1,1,1,1 d=2x2 g=1",
        "n=1 c=3 h=30 w=30 m=16 k=7x7 s=2x2 p=3,3,3,3 d=1x1 g=1",
        "n=1 c=5 h=11 w=9 m=6 k=5x3 s=2x1 p=2,1,2,1 d=1x1 g=1",
        "n=1 c=6 h=13 w=7 m=9 k=3x3 s=2x2 p=2,2,2,2 d=1x1 g=3",
        "n=1 c=8 h=9 w=10 m=16 k=1x1 s=1x1 p=0,0,0,0 d=1x1 g=4",
        "n=1 c=12 h=8 w=8 m=12 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=2",
        "n=1 c=4 h=6 w=7 m=8 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=4",
        "n=2 c=5 h=6 w=9 m=9 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1",
        "n=2 c=9 h=5 w=7 m=13 k=1x1 s=1x1 p=0,0,0,0 d=1x1 g=1",
        "n=1 c=4 h=1 w=50 m=6 k=1x5 s=1x2 p=0,2,0,2 d=1x1 g=1",
        "n=1 c=3 h=1 w=1 m=5 k=1x1 s=1x1 p=0,0,0,0 d=1x1 g=1",
        "n=1 c=2 h=3 w=3 m=17 k=3x3 s=1x1 p=0,0,0,0 d=1x1 g=1");

    internal static (ConvGeometry G, int KPerGroup) Geometry(string spec)
    {
        var p = Parse(spec);
        int[] k = Ints(p["k"]), s = Ints(p["s"]), pads = Ints(p["p"]), d = Ints(p["d"]);
        int n = int.Parse(p["n"]), c = int.Parse(p["c"]), h = int.Parse(p["h"]), w = int.Parse(p["w"]), m = int.Parse(p["m"]), g = int.Parse(p["g"]);
        int oh = (h + pads[0] + pads[2] - ((k[0] - 1) * d[0] + 1)) / s[0] + 1;
        int ow = (w + pads[1] + pads[3] - ((k[1] - 1) * d[1] + 1)) / s[1] + 1;
        var geometry = new ConvGeometry(n, c, h, w, m, oh, ow, g, k[0], k[1], s[0], s[1], pads[0], pads[1], d[0], d[1]);
        return (geometry, c / g * k[0] * k[1]);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_reference_convolution_at_every_vector_width(string spec)
    {
        var (g, kg) = Geometry(spec);
        float scale = 1f / MathF.Sqrt(kg);
        float[] x = Random(g.batch * g.inChannels * g.inHeight * g.inWidth, 1);
        float[] w = Random(g.outChannels * kg, 2, scale);
        float[] bias = Random(g.outChannels, 3);
        var expected = new float[g.batch * g.outChannels * g.outHeight * g.outWidth];
        Conv.Conv2D(x, w, bias, expected, g);
        float[] packed = WeightLayouts.ConvPanels(w, g.outChannels, g.groups, kg);
        Assert.Equal(PackedConv.PackedLength(g.outChannels, g.groups, kg), packed.Length);

        foreach (var width in Widths())
        {
            var y = new float[expected.Length];
            PackedConv.Conv2D(x, packed, bias, default, y, g, Epilogue.None, 1, width);
            AssertClose(expected, y, $"{spec} at {width}");
            var threaded = new float[expected.Length];
            PackedConv.Conv2D(x, packed, bias, default, threaded, g, Epilogue.None, 3, width);
            Assert.True(y.AsSpan().SequenceEqual(threaded), $"{spec} at {width}: 3 threads differ from 1");
        }
    }

    [Fact]
    public void Without_bias_the_accumulators_start_at_zero()
    {
        var (g, kg) = Geometry("n=1 c=5 h=9 w=11 m=7 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1");
        float[] x = Random(g.inChannels * g.inHeight * g.inWidth, 4), w = Random(g.outChannels * kg, 5, 0.3f);
        var expected = new float[g.outChannels * g.outHeight * g.outWidth];
        Conv.Conv2D(x, w, default, expected, g);
        var y = Enumerable.Repeat(float.NaN, expected.Length).ToArray();
        PackedConv.Conv2D(x, WeightLayouts.ConvPanels(w, g.outChannels, 1, kg), default, default, y, g, Epilogue.None);
        AssertClose(expected, y, "no bias");
    }

    [Theory]
    [InlineData("n=1 c=8 h=10 w=10 m=16 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1")]
    [InlineData("n=1 c=10 h=7 w=9 m=11 k=1x1 s=1x1 p=0,0,0,0 d=1x1 g=1")]
    [InlineData("n=2 c=6 h=9 w=5 m=12 k=3x3 s=2x2 p=1,1,1,1 d=1x1 g=1")]
    public void The_epilogue_adds_the_residual_and_applies_activations_like_separate_layers(string spec)
    {
        var (g, kg) = Geometry(spec);
        float[] x = Random(g.batch * g.inChannels * g.inHeight * g.inWidth, 6), w = Random(g.outChannels * kg, 7, 1f / MathF.Sqrt(kg));
        float[] bias = Random(g.outChannels, 8), residual = Random(g.batch * g.outChannels * g.outHeight * g.outWidth, 9);
        var conv = new float[residual.Length];
        Conv.Conv2D(x, w, bias, conv, g);
        float[] packed = WeightLayouts.ConvPanels(w, g.outChannels, g.groups, kg);
        foreach (var (epilogue, withResidual, reference) in EpilogueTests.Cases())
        {
            var expected = conv.Select((v, i) => reference(v, withResidual ? residual[i] : 0f)).ToArray();
            foreach (var width in Widths())
            {
                var y = new float[expected.Length];
                PackedConv.Conv2D(x, packed, bias, withResidual ? residual : default, y, g, epilogue, 1, width);
                AssertClose(expected, y, $"{spec} {EpilogueTests.Describe(epilogue, withResidual)} at {width}");
            }
        }
    }

    [Fact]
    public void Short_spans_throw_instead_of_reading_past_them()
    {
        var (g, kg) = Geometry("n=1 c=5 h=9 w=11 m=7 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1");
        var packed = new float[PackedConv.PackedLength(g.outChannels, 1, kg)];
        Assert.Throws<ArgumentException>(() => PackedConv.Conv2D(new float[10], packed, default, default, new float[7 * 99], g, Epilogue.None));
        Assert.Throws<ArgumentException>(() => PackedConv.Conv2D(new float[5 * 99], packed, default, default, new float[10], g, Epilogue.None));
        Assert.Throws<ArgumentException>(() => PackedConv.Conv2D(new float[5 * 99], packed.AsSpan(1), default, default, new float[7 * 99], g, Epilogue.None));
    }
}
