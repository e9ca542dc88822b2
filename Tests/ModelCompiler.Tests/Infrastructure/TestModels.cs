using ModelCompiler.Onnx.Proto;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>
/// Small models built in C# that the self-contained tests share (snapshots, generator behaviour, runtime
/// properties). Weights are deterministic pseudo-random values.
/// </summary>
internal static class TestModels
{
    private const int Float = (int)TensorProto.Types.DataType.Float;

    /// <summary>x[1,4] -> Gemm(8, transB) -> Relu -> Gemm(3, transB) -> y[1,3].</summary>
    public static byte[] TinyMlp()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 4);
        b.Initializer("fc1.weight", new[] { 8, 4 }, OnnxModelBuilder.RandomFloats(32, 1));
        b.Initializer("fc1.bias", new[] { 8 }, OnnxModelBuilder.RandomFloats(8, 2));
        b.Initializer("fc2.weight", new[] { 3, 8 }, OnnxModelBuilder.RandomFloats(24, 3));
        b.Initializer("fc2.bias", new[] { 3 }, OnnxModelBuilder.RandomFloats(3, 4));
        var h = b.Node("Gemm", new[] { "x", "fc1.weight", "fc1.bias" }, "h", "fc1", attributes: ("transB", 1));
        var r = b.Node("Relu", new[] { h }, "h_relu", "relu1");
        b.Node("Gemm", new[] { r, "fc2.weight", "fc2.bias" }, "y", "fc2", attributes: ("transB", 1));
        b.Output("y", Float, new[] { 1, 3 });
        return b.Build();
    }

    /// <summary>
    /// x[1,1,8,8] -> Conv(4, 3x3, pad 1) -> BatchNormalization (folded) -> Relu -> Reshape[1,256] -> MatMul[256,10] -> Add -> y[1,10].
    /// </summary>
    public static byte[] TinyCnn()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("image", 1, 1, 8, 8);
        b.Initializer("conv.weight", new[] { 4, 1, 3, 3 }, OnnxModelBuilder.RandomFloats(36, 5));
        b.Initializer("conv.bias", new[] { 4 }, OnnxModelBuilder.RandomFloats(4, 6));
        b.Initializer("bn.scale", new[] { 4 }, new[] { 1.5f, 0.5f, 1f, 2f });
        b.Initializer("bn.shift", new[] { 4 }, new[] { 0.1f, -0.2f, 0f, 0.3f });
        b.Initializer("bn.mean", new[] { 4 }, new[] { 0.05f, -0.1f, 0.2f, 0f });
        b.Initializer("bn.var", new[] { 4 }, new[] { 1f, 0.5f, 2f, 0.25f });
        b.Int64Initializer("flat_shape", 1, -1);
        b.Initializer("fc.weight", new[] { 256, 10 }, OnnxModelBuilder.RandomFloats(2560, 7));
        b.Initializer("fc.bias", new[] { 10 }, OnnxModelBuilder.RandomFloats(10, 8));
        var c = b.Node("Conv", new[] { "image", "conv.weight", "conv.bias" }, "conv_out", "conv1",
            attributes: new (string, object)[] { ("kernel_shape", new[] { 3, 3 }), ("pads", new[] { 1, 1, 1, 1 }) });
        var n = b.Node("BatchNormalization", new[] { c, "bn.scale", "bn.shift", "bn.mean", "bn.var" }, "bn_out", "bn1", attributes: ("epsilon", 1e-5f));
        var r = b.Node("Relu", new[] { n }, "relu_out", "relu1");
        var f = b.Node("Reshape", new[] { r, "flat_shape" }, "flat", "flatten");
        var m = b.Node("MatMul", new[] { f, "fc.weight" }, "fc_mm", "fc");
        b.Node("Add", new[] { m, "fc.bias" }, "logits", "fc_bias");
        b.Output("logits", Float, new[] { 1, 10 });
        return b.Build();
    }

    /// <summary>A residual block: y = Relu(Conv(Relu(Conv(x))) + x), x[1,2,6,6].</summary>
    public static byte[] ResidualBlock()
    {
        var b = new OnnxModelBuilder(opset: 11);
        b.Input("x", 1, 2, 6, 6);
        b.Initializer("w1", new[] { 2, 2, 3, 3 }, OnnxModelBuilder.RandomFloats(36, 9));
        b.Initializer("w2", new[] { 2, 2, 3, 3 }, OnnxModelBuilder.RandomFloats(36, 10));
        var pads = ("pads", (object)new[] { 1, 1, 1, 1 });
        var c1 = b.Node("Conv", new[] { "x", "w1" }, "c1", "block.conv1", attributes: pads);
        var r1 = b.Node("Relu", new[] { c1 }, "r1", "block.relu1");
        var c2 = b.Node("Conv", new[] { r1, "w2" }, "c2", "block.conv2", attributes: pads);
        var s = b.Node("Add", new[] { c2, "x" }, "sum", "block.residual");
        b.Node("Relu", new[] { s }, "y", "block.relu2");
        b.Output("y", Float, new[] { 1, 2, 6, 6 });
        return b.Build();
    }

    /// <summary>Two inputs, two outputs: sum = a + b, product = a * b (all [2,3]).</summary>
    public static byte[] TwoInputsTwoOutputs()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("input.a", 2, 3);
        b.Input("input.b", 2, 3);
        b.Node("Add", new[] { "input.a", "input.b" }, "sum", "add");
        b.Node("Mul", new[] { "input.a", "input.b" }, "product", "mul");
        b.Output("sum", Float, new[] { 2, 3 });
        b.Output("product", Float, new[] { 2, 3 });
        return b.Build();
    }
}
