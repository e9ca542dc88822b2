using System.Linq;
using ModelCompiler.Tests.Infrastructure;
using CompiledModel = ModelCompiler.Tests.Runtime.CompiledModel;
using Xunit;

namespace ModelCompiler.Tests.Passes;

/// <summary>
/// The fusion pass: Conv/Gemm/MatMul followed by activations and a residual Add compile to one layer, the layer
/// comment says what was fused, results still match ONNX Runtime, and nothing is fused that another node or the
/// caller still needs.
/// </summary>
public sealed class EpilogueFusionTests
{
    private const double Rtol = 1e-4, Atol = 1e-5;
    private const int Float = (int)Onnx.Proto.TensorProto.Types.DataType.Float;

    /// <summary>Compiles, runs on seeded inputs and compares every output with ONNX Runtime; returns the generated source.</summary>
    internal static (string Source, int Layers) CompileAndCompare(byte[] model, string ns, uint seed = 50)
    {
        var (result, _) = InMemoryCompiler.Generate(model, ns);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        var compiled = CompiledModel.Compile(model, ns);
        var inputs = compiled.InputLengths.Select((n, i) => OnnxModelBuilder.RandomFloats(n, (uint)(seed + i)).Select(v => v * 3).ToArray()).ToArray();
        var ours = compiled.Run(inputs);
        var reference = OrtReference.Run(model, inputs);
        for (int k = 0; k < ours.Length; k++) Compare.Close(reference[k], ours[k], Rtol, Atol, $"{ns} output {k}");
        return (result.Source!, result.Layers);
    }

    private static OnnxModelBuilder ConvModel(int opset, out string conv, int channels = 3, int outChannels = 8, int size = 10)
    {
        var b = new OnnxModelBuilder(opset);
        b.Input("x", 1, channels, size, size);
        b.Initializer("w", new[] { outChannels, channels, 3, 3 }, OnnxModelBuilder.RandomFloats(outChannels * channels * 9, 3).Select(v => v * 0.4f).ToArray());
        b.Initializer("b", new[] { outChannels }, OnnxModelBuilder.RandomFloats(outChannels, 4));
        conv = b.Node("Conv", new[] { "x", "w", "b" }, "c", "conv", attributes: ("pads", new[] { 1, 1, 1, 1 }));
        return b;
    }

    [Fact]
    public void Conv_and_Relu_become_one_layer()
    {
        var b = ConvModel(13, out string c);
        b.Node("Relu", new[] { c }, "y", "relu");
        b.Output("y", Float, new[] { 1, 8, 10, 10 });
        var (source, layers) = CompileAndCompare(b.Build(), "Fusion.ConvRelu");
        Assert.Equal(1, layers);
        Assert.Contains("// L0  Conv \"conv + relu\"", source);
        Assert.Contains("Conv + Relu", source);
    }

    [Fact]
    public void A_residual_block_becomes_two_layers()
    {
        var (source, layers) = CompileAndCompare(TestModels.ResidualBlock(), "Fusion.Residual");
        Assert.Equal(2, layers);
        Assert.Contains("Conv + Relu", source);
        Assert.Contains("Conv + Add(residual) + Relu", source);
    }

    [Fact]
    public void Gemm_and_Relu_become_one_layer()
    {
        var (source, layers) = CompileAndCompare(TestModels.TinyMlp(), "Fusion.Gemm");
        Assert.Equal(2, layers);
        Assert.Contains("Gemm + Relu", source);
    }

    [Fact]
    public void MatMul_with_a_bias_Add_and_Relu_becomes_one_layer()
    {
        var b = new OnnxModelBuilder(13);
        b.Input("x", 2, 3, 8);
        b.Initializer("w", new[] { 8, 5 }, OnnxModelBuilder.RandomFloats(40, 5));
        b.Initializer("bias", new[] { 5 }, OnnxModelBuilder.RandomFloats(5, 6));
        var m = b.Node("MatMul", new[] { "x", "w" }, "m", "fc");
        var a = b.Node("Add", new[] { m, "bias" }, "a", "fc_bias");
        b.Node("Relu", new[] { a }, "y", "relu");
        b.Output("y", Float, new[] { 2, 3, 5 });
        var (source, layers) = CompileAndCompare(b.Build(), "Fusion.MatMul");
        Assert.Equal(1, layers);
        Assert.Contains("MatMul + Add(bias) + Relu", source);
    }

    [Theory]
    [InlineData("Clip13", "Clip(0, 6)")]
    [InlineData("Clip6", "Clip(-1, 1)")]
    [InlineData("LeakyRelu", "LeakyRelu(0.2)")]
    [InlineData("HardSwish", "HardSwish")]
    [InlineData("HardSigmoid", "HardSigmoid(0.3, 0.4)")]
    [InlineData("Sigmoid", "Sigmoid")]
    public void Each_activation_fuses_with_its_parameters(string which, string text)
    {
        int opset = which == "Clip6" ? 6 : which == "HardSwish" ? 14 : 13;
        var b = ConvModel(opset, out string c);
        switch (which)
        {
            case "Clip13":
                b.Initializer("lo", System.Array.Empty<int>(), new[] { 0f });
                b.Initializer("hi", System.Array.Empty<int>(), new[] { 6f });
                b.Node("Clip", new[] { c, "lo", "hi" }, "y", "act");
                break;
            case "Clip6": b.Node("Clip", new[] { c }, "y", "act", attributes: new (string, object)[] { ("min", -1f), ("max", 1f) }); break;
            case "LeakyRelu": b.Node("LeakyRelu", new[] { c }, "y", "act", attributes: ("alpha", 0.2f)); break;
            case "HardSigmoid": b.Node("HardSigmoid", new[] { c }, "y", "act", attributes: new (string, object)[] { ("alpha", 0.3f), ("beta", 0.4f) }); break;
            default: b.Node(which, new[] { c }, "y", "act"); break;
        }
        b.Output("y", Float, new[] { 1, 8, 10, 10 });
        var (source, layers) = CompileAndCompare(b.Build(), "Fusion.Act" + which);
        Assert.Equal(1, layers);
        Assert.Contains("Conv + " + text, source);
    }

    [Fact]
    public void An_activation_before_the_residual_Add_fuses_too()
    {
        var b = ConvModel(13, out string c, channels: 8, outChannels: 8);
        var r = b.Node("Relu", new[] { c }, "r", "relu");
        b.Node("Add", new[] { "x", r }, "y", "add");
        b.Output("y", Float, new[] { 1, 8, 10, 10 });
        var (source, layers) = CompileAndCompare(b.Build(), "Fusion.PostResidual");
        Assert.Equal(1, layers);
        Assert.Contains("Conv + Relu + Add(residual)", source);
    }

    [Fact]
    public void An_intermediate_with_two_consumers_or_returned_to_the_caller_is_not_fused()
    {
        var b = ConvModel(13, out string c);
        b.Node("Relu", new[] { c }, "y1", "relu");
        b.Node("Sigmoid", new[] { c }, "y2", "sigmoid");
        b.Output("y1", Float, new[] { 1, 8, 10, 10 });
        b.Output("y2", Float, new[] { 1, 8, 10, 10 });
        Assert.Equal(3, CompileAndCompare(b.Build(), "Fusion.TwoConsumers").Layers);

        b = ConvModel(13, out c);
        b.Node("Relu", new[] { c }, "y", "relu");
        b.Output(c, Float, new[] { 1, 8, 10, 10 });
        b.Output("y", Float, new[] { 1, 8, 10, 10 });
        Assert.Equal(2, CompileAndCompare(b.Build(), "Fusion.GraphOutput").Layers);
    }

    [Fact]
    public void A_residual_computed_after_the_layer_moves_the_fused_layer_and_a_later_conv_takes_the_Add_when_it_can()
    {
        // Downsample-style: the 1x1 branch comes first in the order; the later 3x3 conv takes the Add.
        var b = new OnnxModelBuilder(13);
        b.Input("x", 1, 4, 8, 8);
        b.Initializer("wa", new[] { 6, 4, 1, 1 }, OnnxModelBuilder.RandomFloats(24, 7));
        b.Initializer("wb", new[] { 6, 4, 3, 3 }, OnnxModelBuilder.RandomFloats(216, 8).Select(v => v * 0.3f).ToArray());
        var ca = b.Node("Conv", new[] { "x", "wa" }, "ca", "branch_a");
        var cb = b.Node("Conv", new[] { "x", "wb" }, "cb", "branch_b", attributes: ("pads", new[] { 1, 1, 1, 1 }));
        var s = b.Node("Add", new[] { ca, cb }, "s", "add");
        b.Node("Relu", new[] { s }, "y", "relu");
        b.Output("y", Float, new[] { 1, 6, 8, 8 });
        var (source, layers) = CompileAndCompare(b.Build(), "Fusion.LaterConv");
        Assert.Equal(2, layers);
        Assert.Contains("Conv \"branch_b + add + relu\"", source);

        // The other operand comes from a pool after the conv: the fused conv runs after the pool.
        b = new OnnxModelBuilder(13);
        b.Input("x", 1, 4, 8, 8);
        b.Initializer("wa", new[] { 4, 4, 1, 1 }, OnnxModelBuilder.RandomFloats(16, 9));
        ca = b.Node("Conv", new[] { "x", "wa" }, "ca", "conv");
        var p = b.Node("MaxPool", new[] { "x" }, "p", "pool", attributes: new (string, object)[] { ("kernel_shape", new[] { 3, 3 }), ("pads", new[] { 1, 1, 1, 1 }) });
        b.Node("Add", new[] { ca, p }, "y", "add");
        b.Output("y", Float, new[] { 1, 4, 8, 8 });
        (source, layers) = CompileAndCompare(b.Build(), "Fusion.Moved");
        Assert.Equal(2, layers);
        Assert.True(source.IndexOf("L0_MaxPool", System.StringComparison.Ordinal) >= 0, "the pool runs first");
        Assert.Contains("Conv + Add(residual)", source);
    }

    [Fact]
    public void A_depthwise_conv_fuses_HardSwish_and_a_pointwise_conv_the_residual()
    {
        var b = new OnnxModelBuilder(14);
        b.Input("x", 1, 8, 12, 12);
        b.Initializer("dw", new[] { 8, 1, 3, 3 }, OnnxModelBuilder.RandomFloats(72, 10));
        b.Initializer("pw", new[] { 8, 8, 1, 1 }, OnnxModelBuilder.RandomFloats(64, 11).Select(v => v * 0.4f).ToArray());
        var d = b.Node("Conv", new[] { "x", "dw" }, "d", "dw", attributes: new (string, object)[] { ("group", 8), ("pads", new[] { 1, 1, 1, 1 }) });
        var h = b.Node("HardSwish", new[] { d }, "h", "hs");
        var q = b.Node("Conv", new[] { h, "pw" }, "q", "pw");
        b.Node("Add", new[] { q, "x" }, "y", "add");
        b.Output("y", Float, new[] { 1, 8, 12, 12 });
        var (source, layers) = CompileAndCompare(b.Build(), "Fusion.Depthwise");
        Assert.Equal(2, layers);
        Assert.Contains("DepthwiseConv.Conv2D", source);
        Assert.Contains("depthwise, kernel 3x3, pad 1x1 · Conv + HardSwish", source);
        Assert.Contains("Conv + Add(residual)", source);
    }
}
