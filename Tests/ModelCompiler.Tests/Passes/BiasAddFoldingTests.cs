using System.Linq;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Passes;

/// <summary>
/// Conv followed by an Add of a constant per-channel bias (how onnx2c's MNIST and TensorFlow exports write the
/// bias) compiles to one Conv layer with the summed bias; results match ONNX Runtime within the float tolerance
/// (relative 1e-4, absolute 1e-5: the bias sum is rounded once instead of twice). Constants that vary along
/// another axis, and Conv outputs someone else reads, are left alone.
/// </summary>
public sealed class BiasAddFoldingTests
{
    private const int Float = (int)Onnx.Proto.TensorProto.Types.DataType.Float;

    private static (string Source, int Layers) CompileAndCompare(byte[] model, string ns) =>
        EpilogueFusionTests.CompileAndCompare(model, ns, seed: 70);

    private static OnnxModelBuilder ConvThenAdd(int[] addShape, bool convBias, out string sum)
    {
        var b = new OnnxModelBuilder(13);
        b.Input("x", 1, 3, 9, 9);
        b.Initializer("w", new[] { 6, 3, 3, 3 }, OnnxModelBuilder.RandomFloats(162, 11).Select(v => v * 0.4f).ToArray());
        var convInputs = new[] { "x", "w" }.ToList();
        if (convBias)
        {
            b.Initializer("b", new[] { 6 }, OnnxModelBuilder.RandomFloats(6, 12));
            convInputs.Add("b");
        }
        var c = b.Node("Conv", convInputs.ToArray(), "c", "conv", attributes: ("pads", new[] { 1, 1, 1, 1 }));
        int count = addShape.Aggregate(1, (p, d) => p * d);
        b.Initializer("k", addShape, OnnxModelBuilder.RandomFloats(count, 13));
        sum = b.Node("Add", new[] { c, "k" }, "s", "bias_add");
        return b;
    }

    [Theory]
    [InlineData(new[] { 6, 1, 1 }, false)]
    [InlineData(new[] { 1, 6, 1, 1 }, true)]
    [InlineData(new[] { 1 }, true)]
    public void A_per_channel_constant_Add_becomes_the_Conv_bias(int[] addShape, bool convBias)
    {
        var b = ConvThenAdd(addShape, convBias, out string s);
        b.Node("Relu", new[] { s }, "y", "relu");
        b.Output("y", Float, new[] { 1, 6, 9, 9 });
        var (source, layers) = CompileAndCompare(b.Build(), "BiasAdd.Folded" + addShape.Length + convBias);
        Assert.Equal(1, layers);
        Assert.Contains("// L0  Conv \"conv + bias_add + relu\"", source);
    }

    [Fact]
    public void A_constant_that_varies_across_the_plane_stays_an_Add()
    {
        var b = ConvThenAdd(new[] { 1, 9, 9 }, true, out string s);
        b.Output(s, Float, new[] { 1, 6, 9, 9 });
        var (source, layers) = CompileAndCompare(b.Build(), "BiasAdd.Plane");
        Assert.Contains("Add \"bias_add\"", source);
        Assert.Equal(2, layers);
    }

    [Fact]
    public void A_Conv_output_read_elsewhere_keeps_its_own_bias()
    {
        var b = ConvThenAdd(new[] { 6, 1, 1 }, true, out string s);
        b.Output(s, Float, new[] { 1, 6, 9, 9 });
        b.Output("c", Float, new[] { 1, 6, 9, 9 });
        var (source, _) = CompileAndCompare(b.Build(), "BiasAdd.Shared");
        Assert.DoesNotContain("conv + bias_add", source);
    }
}
