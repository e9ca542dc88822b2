using System;
using System.Linq;
using ModelCompiler.Runtime;
using Xunit;
using static ModelCompiler.Tests.Kernels.KernelTestData;

namespace ModelCompiler.Tests.Kernels;

/// <summary>
/// The depthwise 3x3/5x5 kernel (<see cref="DepthwiseConv"/>) against a scalar reference written in the tests (<see cref="ScalarReference.Conv2D"/>): stride 1 and 2,
/// symmetric and asymmetric padding, widths below, at and past multiples of the vector width (and of the 4-vector
/// blocks), odd heights (the row pairs' last, lone row), batches, every vector width, 1 and 3 threads.
/// </summary>
public sealed class DepthwiseConvTests
{
    public static TheoryData<string> Cases() => new(
        "n=1 c=3 h=9 w=11 k=3 s=1 p=1,1,1,1",
        "n=1 c=5 h=17 w=33 k=3 s=2 p=1,1,1,1",
        "n=1 c=2 h=20 w=21 k=5 s=1 p=2,2,2,2",
        "n=1 c=3 h=19 w=40 k=5 s=2 p=2,2,2,2",
        "n=1 c=4 h=8 w=8 k=3 s=1 p=0,0,0,0",
        "n=1 c=4 h=10 w=9 k=3 s=2 p=0,1,1,0",
        "n=1 c=2 h=3 w=1 k=3 s=1 p=1,1,1,1",
        "n=1 c=2 h=2 w=70 k=3 s=1 p=1,1,1,1",
        "n=1 c=3 h=7 w=65 k=3 s=1 p=1,1,1,1",
        "n=1 c=3 h=7 w=129 k=3 s=2 p=1,1,1,1",
        "n=1 c=2 h=6 w=104 k=3 s=2 p=1,1,1,1",
        "n=1 c=2 h=5 w=5 k=5 s=1 p=4,4,4,4",
        "n=2 c=3 h=11 w=13 k=3 s=1 p=1,1,1,1",
        "n=1 c=6 h=1 w=17 k=3 s=1 p=1,1,1,1");

    private static ConvGeometry Geometry(string spec)
    {
        var p = Parse(spec);
        int n = int.Parse(p["n"]), c = int.Parse(p["c"]), h = int.Parse(p["h"]), w = int.Parse(p["w"]), k = int.Parse(p["k"]), s = int.Parse(p["s"]);
        int[] pads = Ints(p["p"]);
        int oh = (h + pads[0] + pads[2] - k) / s + 1, ow = (w + pads[1] + pads[3] - k) / s + 1;
        return new ConvGeometry(n, c, h, w, c, oh, ow, c, k, k, s, s, pads[0], pads[1], 1, 1);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_reference_convolution_at_every_vector_width(string spec)
    {
        var g = Geometry(spec);
        Assert.True(DepthwiseConv.Supports(g));
        float[] x = Random(g.batch * g.inChannels * g.inHeight * g.inWidth, 21);
        float[] w = Random(g.outChannels * g.kernelHeight * g.kernelWidth, 22, 0.5f);
        float[] bias = Random(g.outChannels, 23);
        var expected = ScalarReference.Conv2D(x, w, bias, g);
        foreach (var width in Widths())
        {
            var y = Enumerable.Repeat(float.NaN, expected.Length).ToArray();
            DepthwiseConv.Conv2D(x, w, bias, default, y, g, Epilogue.None, 1, width);
            AssertClose(expected, y, $"{spec} at {width}");
            var threaded = new float[expected.Length];
            DepthwiseConv.Conv2D(x, w, bias, default, threaded, g, Epilogue.None, 3, width);
            Assert.True(y.AsSpan().SequenceEqual(threaded), $"{spec} at {width}: 3 threads differ from 1");
        }
    }

    [Fact]
    public void The_epilogue_matches_separate_layers()
    {
        var g = Geometry("n=1 c=4 h=13 w=35 k=3 s=1 p=1,1,1,1");
        float[] x = Random(g.inChannels * g.inHeight * g.inWidth, 24), w = Random(g.outChannels * 9, 25, 0.5f);
        float[] residual = Random(g.outChannels * g.outHeight * g.outWidth, 26);
        var conv = ScalarReference.Conv2D(x, w, null, g);
        foreach (var (epilogue, withResidual, reference) in EpilogueTests.Cases())
        {
            var expected = conv.Select((v, i) => reference(v, withResidual ? residual[i] : 0f)).ToArray();
            foreach (var width in Widths())
            {
                var y = new float[expected.Length];
                DepthwiseConv.Conv2D(x, w, default, withResidual ? residual : default, y, g, epilogue, 1, width);
                AssertClose(expected, y, $"{EpilogueTests.Describe(epilogue, withResidual)} at {width}");
            }
        }
    }

    [Fact]
    public void Unsupported_shapes_are_refused()
    {
        Assert.False(DepthwiseConv.Supports(new ConvGeometry(1, 4, 8, 8, 4, 8, 8, 4, 7, 7, 1, 1, 3, 3, 1, 1)));
        Assert.False(DepthwiseConv.Supports(new ConvGeometry(1, 4, 8, 8, 4, 4, 4, 4, 3, 3, 2, 2, 1, 1, 2, 2)));
        Assert.False(DepthwiseConv.Supports(new ConvGeometry(1, 4, 8, 8, 8, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1)));
        Assert.Throws<ArgumentException>(() => DepthwiseConv.Conv2D(new float[256], new float[196], default, default, new float[256],
            new ConvGeometry(1, 4, 8, 8, 4, 8, 8, 4, 7, 7, 1, 1, 3, 3, 1, 1), Epilogue.None));
    }
}
