using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Ops.Nn;

/// <summary>
/// How much work a linear Resize is compiled to. The values are checked against ONNX Runtime in OrtOpsetTests and
/// NonFiniteOrtTests; this guards the cost: an NCHW upsample reads 4 neighbours per output element (2 along H, 2
/// along W) and copies batch and channels, as ONNX Runtime does. Reading two taps on the channel axis too, as a
/// NaN-parity change once did, doubled the work and made NanoDet-m 10-15% slower (BenchmarkDotNet, docs/benchmarks.md).
/// </summary>
public class ResizeCostTests
{
    [Theory]
    [InlineData("half_pixel")]
    [InlineData("pytorch_half_pixel")]
    [InlineData("align_corners")]
    [InlineData("asymmetric")]
    public void A_linear_nchw_upsample_reads_four_neighbours_per_output_element(string coordinates)
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 6, 5, 7);
        string roi = b.Initializer("roi", new[] { 0 }, System.Array.Empty<float>());
        string scales = b.Initializer("scales", new[] { 4 }, new[] { 1f, 1f, 2f, 2f });
        b.Node("Resize", new[] { "x", roi, scales }, "y", "up", "", ("mode", "linear"), ("coordinate_transformation_mode", coordinates));
        b.Output("y");
        var (result, _) = InMemoryCompiler.Generate(b.Build(), "ResizeCost");
        Assert.True(result.Success, string.Join("; ", result.Diagnostics));
        // 1 x 6 x 10 x 14 outputs, 4 multiply-adds each: the plan's tap counts, not a measured time.
        Assert.Contains($"public const long Macs = {6 * 10 * 14 * 4}L;", result.Source);
        Assert.Contains("taps: new int[] { 1, 1, 2, 2 }", result.Source);
    }
}
