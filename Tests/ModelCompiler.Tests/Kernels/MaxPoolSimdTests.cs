using System;
using System.Linq;
using ModelCompiler.Runtime;
using Xunit;
using static ModelCompiler.Tests.Kernels.KernelTestData;

namespace ModelCompiler.Tests.Kernels;

/// <summary>
/// The vectorized <see cref="MaxPool2D"/> against a scalar reference written in the tests (<see cref="ScalarReference.MaxPool"/>): stride 1 and 2 across, other
/// strides down, kernels 1 to 5, padding, ceil-mode output sizes (windows past the input's end), widths around
/// the vector width, at every vector width and on 3 threads. Max pooling only selects, so results are exact.
/// </summary>
public sealed class MaxPoolSimdTests
{
    [Theory]
    [InlineData("c=24 h=208 w=208 oh=104 ow=104 k=3x3 s=2x2 p=1,1")]
    [InlineData("c=3 h=15 w=15 oh=7 ow=7 k=3x3 s=2x2 p=0,0")]
    [InlineData("c=5 h=16 w=16 oh=8 ow=8 k=2x2 s=2x2 p=0,0")]
    [InlineData("c=2 h=9 w=35 oh=9 ow=35 k=3x3 s=1x1 p=1,1")]
    [InlineData("c=2 h=13 w=13 oh=13 ow=13 k=5x5 s=1x1 p=2,2")]
    [InlineData("c=3 h=7 w=7 oh=4 ow=4 k=3x3 s=2x2 p=0,0")]
    [InlineData("c=2 h=10 w=33 oh=4 ow=17 k=2x3 s=3x2 p=0,1")]
    [InlineData("c=1 h=1 w=70 oh=1 ow=35 k=1x2 s=1x2 p=0,0")]
    [InlineData("c=2 h=6 w=1 oh=3 ow=1 k=2x1 s=2x1 p=0,0")]
    [InlineData("c=4 h=12 w=17 oh=12 ow=17 k=1x1 s=1x1 p=0,0")]
    public void Matches_the_reference_pool_exactly(string spec)
    {
        var p = Parse(spec);
        int c = int.Parse(p["c"]), h = int.Parse(p["h"]), w = int.Parse(p["w"]), oh = int.Parse(p["oh"]), ow = int.Parse(p["ow"]);
        int[] k = Ints(p["k"]), s = Ints(p["s"]), pads = Ints(p["p"]);
        Assert.True(MaxPool2D.Supports(h, w, oh, ow, k[0], k[1], s[0], s[1], pads[0], pads[1]));
        float[] x = Random(c * h * w, 41, 5f);
        var expected = ScalarReference.MaxPool(x, c, h, w, oh, ow, k[0], k[1], s[0], s[1], pads[0], pads[1]);
        foreach (var width in Widths())
        {
            var shape = new MaxPool2D.Shape(c, h, w, oh, ow, k[0], k[1], s[0], s[1], pads[0], pads[1]);
            var y = Enumerable.Repeat(float.NaN, expected.Length).ToArray();
            MaxPool2D.Run(x, y, shape, 1, width);
            int differs = Enumerable.Range(0, y.Length).FirstOrDefault(i => y[i] != expected[i], -1);
            Assert.True(differs < 0, $"{spec} at {width}: element {differs} is {(differs < 0 ? 0 : y[differs])}, expected {(differs < 0 ? 0 : expected[differs])}");
            var threaded = new float[expected.Length];
            MaxPool2D.Run(x, threaded, shape, 3, width);
            Assert.True(y.AsSpan().SequenceEqual(threaded), $"{spec} at {width}: 3 threads differ from 1");
        }
    }

    [Fact]
    public void Windows_entirely_in_the_padding_are_refused()
    {
        Assert.False(MaxPool2D.Supports(8, 8, 9, 9, 2, 2, 1, 1, 2, 2));
        Assert.False(MaxPool2D.Supports(8, 8, 3, 3, 3, 3, 3, 3, 0, 0));
        Assert.Throws<ArgumentException>(() => MaxPool2D.Run(new float[64], new float[81], 1, 8, 8, 9, 9, 2, 2, 1, 1, 2, 2));
    }
}
