using System.Linq;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tests.Infrastructure;

namespace ModelCompiler.Tests.Tool;

/// <summary>Models built in C# for the modelc tests (no ../shared needed).</summary>
internal static class ToolTestModels
{
    private const int Float = (int)TensorProto.Types.DataType.Float;
    public static readonly int[] ConvNetInput = { 1, 3, 8, 8 };

    /// <summary>
    /// x[1,3,8,8] -> Conv 3x3 (8, pad 1) -> Relu -> Conv 1x1 (16) -> BatchNormalization -> Relu -> MaxPool 2x2 ->
    /// Conv 3x3 (16 -> 12, pad 1) -> Relu -> GlobalAveragePool -> Flatten -> Gemm (12 -> 10, transB) -> y[1,10].
    /// MACs: 3*8*9*64 + 8*16*64 + 16*12*9*16 + 12*10 = 13824 + 8192 + 27648 + 120.
    /// </summary>
    public static byte[] ConvNet()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", ConvNetInput);
        b.Initializer("conv1.weight", new[] { 8, 3, 3, 3 }, Scaled(OnnxModelBuilder.RandomFloats(216, 11), 0.5f));
        b.Initializer("conv1.bias", new[] { 8 }, Scaled(OnnxModelBuilder.RandomFloats(8, 12), 0.1f));
        b.Initializer("conv2.weight", new[] { 16, 8, 1, 1 }, Scaled(OnnxModelBuilder.RandomFloats(128, 13), 0.5f));
        b.Initializer("bn.scale", new[] { 16 }, Shifted(OnnxModelBuilder.RandomFloats(16, 14), 1f, 0.5f));
        b.Initializer("bn.bias", new[] { 16 }, Scaled(OnnxModelBuilder.RandomFloats(16, 15), 0.2f));
        b.Initializer("bn.mean", new[] { 16 }, Scaled(OnnxModelBuilder.RandomFloats(16, 16), 0.1f));
        b.Initializer("bn.var", new[] { 16 }, Shifted(OnnxModelBuilder.RandomFloats(16, 17), 1f, 0.5f));
        b.Initializer("conv3.weight", new[] { 12, 16, 3, 3 }, Scaled(OnnxModelBuilder.RandomFloats(1728, 18), 0.3f));
        b.Initializer("conv3.bias", new[] { 12 }, Scaled(OnnxModelBuilder.RandomFloats(12, 19), 0.1f));
        b.Initializer("fc.weight", new[] { 10, 12 }, OnnxModelBuilder.RandomFloats(120, 20));
        b.Initializer("fc.bias", new[] { 10 }, Scaled(OnnxModelBuilder.RandomFloats(10, 21), 0.1f));
        var pad1 = ("pads", (object)new[] { 1, 1, 1, 1 });
        var c1 = b.Node("Conv", new[] { "x", "conv1.weight", "conv1.bias" }, "c1", "conv1", attributes: new[] { ("kernel_shape", (object)new[] { 3, 3 }), pad1 });
        var r1 = b.Node("Relu", new[] { c1 }, "r1", "relu1");
        var c2 = b.Node("Conv", new[] { r1, "conv2.weight" }, "c2", "conv2", attributes: ("kernel_shape", new[] { 1, 1 }));
        var n2 = b.Node("BatchNormalization", new[] { c2, "bn.scale", "bn.bias", "bn.mean", "bn.var" }, "n2", "bn2", attributes: ("epsilon", 1e-5f));
        var r2 = b.Node("Relu", new[] { n2 }, "r2", "relu2");
        var p2 = b.Node("MaxPool", new[] { r2 }, "p2", "pool2", attributes: new[] { ("kernel_shape", (object)new[] { 2, 2 }), ("strides", new[] { 2, 2 }) });
        var c3 = b.Node("Conv", new[] { p2, "conv3.weight", "conv3.bias" }, "c3", "conv3", attributes: new[] { ("kernel_shape", (object)new[] { 3, 3 }), pad1 });
        var r3 = b.Node("Relu", new[] { c3 }, "r3", "relu3");
        var g = b.Node("GlobalAveragePool", new[] { r3 }, "g", "gap");
        var f = b.Node("Flatten", new[] { g }, "f", "flatten");
        b.Node("Gemm", new[] { f, "fc.weight", "fc.bias" }, "y", "fc", attributes: ("transB", 1));
        b.Output("y", Float, new[] { 1, 10 });
        return b.Build();
    }

    public const long ConvNetMacs = 3 * 8 * 9 * 64 + 8 * 16 * 64 + 16 * 12 * 9 * 16 + 12 * 10;

    /// <summary>The same network with a constant <paramref name="shift"/> added to every logit (softmax and argmax unchanged).</summary>
    public static byte[] ConvNetShifted(float shift)
    {
        var proto = ModelProto.Parser.ParseFrom(ConvNet());
        var g = proto.Graph;
        g.Node[^1].Output[0] = "y_unshifted";
        var t = new TensorProto { Name = "shift", DataType = Float };
        t.FloatData.Add(shift);
        g.Initializer.Add(t);
        var add = new NodeProto { OpType = "Add", Name = "shift_add" };
        add.Input.AddRange(new[] { "y_unshifted", "shift" });
        add.Output.Add("y");
        g.Node.Add(add);
        return Google.Protobuf.MessageExtensions.ToByteArray(proto);
    }

    /// <summary>Calibration and test inputs for <see cref="ConvNet"/>: seeded uniform values in [0, 1).</summary>
    public static float[][] Samples(int count, int seed = 100) =>
        Enumerable.Range(0, count).Select(i => ToolHarness.Random(3 * 8 * 8, seed + i)).ToArray();

    private static float[] Scaled(float[] v, float s) => System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Select(v, x => x * s));
    private static float[] Shifted(float[] v, float center, float s) => System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Select(v, x => center + x * s));
}
