using System;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Tests.Infrastructure;
using Xunit;
using CompiledModel = ModelCompiler.Tests.Runtime.CompiledModel;

namespace ModelCompiler.Tests.Models;

/// <summary>
/// Models built here whose 3x3 stride-1 convolutions run as Winograd F(2x2, 3x3) (checked in the generated code),
/// against ONNX Runtime running the same graph: 1e-4 relative + 1e-5 absolute per element. Layers the cost rule does
/// not take (stride 2, fewer than 16 channels) keep the packed direct convolution in the same model. Float16 weights
/// stay 2 bytes in the blob and are transformed by the generated code on first use.
/// </summary>
public sealed class WinogradModelTests(ITestOutputHelper output)
{
    /// <summary>
    /// The torchvision-scale models of ../shared (random weights, BatchNormalization statistics re-estimated) against
    /// ONNX Runtime: relative L2 error at most 1e-4, printed. SqueezeNet 1.1's 3x3 expand layers (16 to 64 input
    /// channels, 55x55 down to 13x13) are the ones the cost rule gives Winograd; the others have no 3x3 stride-1 layer
    /// it takes (stride-2 stems, depthwise 3x3), so they check that nothing else changed.
    /// </summary>
    [Theory]
    [InlineData("squeezenet1_1", true)]
    [InlineData("mobilenet_v2", false)]
    [InlineData("shufflenet_v2_x0_5", false)]
    public void Torchvision_scale_models_match_onnx_runtime(string name, bool winograd)
    {
        byte[] bytes = System.IO.File.ReadAllBytes(Repo.Shared(System.IO.Path.Combine("models", "torchvision-scale", name + ".onnx")));
        var (result, _) = InMemoryCompiler.Generate(bytes, $"Winograd.Tv{name}");
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        int layers = result.Source!.Split('\n').Count(l => l.Contains("WinogradConv.Conv2D("));
        Assert.True(winograd ? layers > 0 : layers == 0, $"{name}: {layers} Winograd layers");
        var model = CompiledModel.Compile(bytes, $"Winograd.TvRun{name}");
        for (uint seed = 0; seed < 2; seed++)
        {
            var x = OnnxModelBuilder.RandomFloats(model.InputLengths[0], 90 + seed);
            var expected = OrtReference.Run(bytes, new[] { x })[0];
            double error = Compare.RelativeL2(expected, model.Run(x)[0]);
            output.WriteLine($"{name}: {layers} Winograd layers, seed {seed}: relative L2 error against ONNX Runtime {error:G3}");
            Assert.True(error <= 1e-4, $"{name} seed {seed}: relative L2 {error:G3}");
        }
    }

    /// <summary>
    /// x[1,3,h,h] -> Conv 3x3 3->32 + Relu -> Conv 3x3 32->48 + bias + Relu -> Conv 3x3 48->32 + Add + Relu (a residual
    /// block) -> Conv 3x3 stride 2 32->16 -> Conv 3x3 dilation 2 16->8.
    /// </summary>
    private static byte[] ResidualModel(int h)
    {
        var b = new OnnxModelBuilder(13);
        b.Input("x", 1, 3, h, h);
        float[] W(int n, uint seed, float scale) => OnnxModelBuilder.RandomFloats(n, seed).Select(v => v * scale).ToArray();
        b.Initializer("w0", new[] { 32, 3, 3, 3 }, W(32 * 3 * 9, 1, 0.3f));
        b.Initializer("w1", new[] { 48, 32, 3, 3 }, W(48 * 32 * 9, 2, 0.06f));
        b.Initializer("b1", new[] { 48 }, W(48, 3, 0.5f));
        b.Initializer("w2", new[] { 32, 48, 3, 3 }, W(32 * 48 * 9, 4, 0.05f));
        b.Initializer("w3", new[] { 16, 32, 3, 3 }, W(16 * 32 * 9, 5, 0.06f));
        b.Initializer("w4", new[] { 8, 16, 3, 3 }, W(8 * 16 * 9, 6, 0.08f));
        var pads = ("pads", (object)new[] { 1, 1, 1, 1 });
        var r0 = b.Node("Relu", new[] { b.Node("Conv", new[] { "x", "w0" }, "c0", "conv0", attributes: pads) }, "r0", "relu0");
        var c1 = b.Node("Conv", new[] { r0, "w1", "b1" }, "c1", "conv1", attributes: pads);
        var r1 = b.Node("Relu", new[] { c1 }, "r1", "relu1");
        var c2 = b.Node("Conv", new[] { r1, "w2" }, "c2", "conv2", attributes: pads);
        var s = b.Node("Add", new[] { c2, r0 }, "s", "add");
        var r2 = b.Node("Relu", new[] { s }, "r2", "relu2");
        var c3 = b.Node("Conv", new[] { r2, "w3" }, "c3", "conv3", attributes: new (string, object)[] { ("pads", new[] { 1, 1, 1, 1 }), ("strides", new[] { 2, 2 }) });
        b.Node("Conv", new[] { c3, "w4" }, "y", "conv4", attributes: new (string, object)[] { ("pads", new[] { 2, 2, 2, 2 }), ("dilations", new[] { 2, 2 }) });
        int o = (h - 1) / 2 + 1;
        b.Output("y", (int)Onnx.Proto.TensorProto.Types.DataType.Float, new[] { 1, 8, o, o });
        return b.Build();
    }

    [Theory]
    [InlineData(16, 2)]
    [InlineData(25, 2)]
    [InlineData(23, 4)]
    public void A_residual_block_runs_winograd_and_matches_onnx_runtime(int h, int tile)
    {
        byte[] bytes = ResidualModel(h);
        var (result, _) = InMemoryCompiler.Generate(bytes, $"Winograd.Source{h}");
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        string[] lines = result.Source!.Split('\n');
        // conv1 and conv2 (32 and 48 channels) are Winograd; conv0 (3 input channels: the cost rule), conv3 (stride 2)
        // and conv4 (dilation 2) stay direct.
        Assert.Equal(2, lines.Count(l => l.Contains("WinogradConv.Conv2D(")));
        Assert.Equal(3, lines.Count(l => l.Contains("PackedConv.Conv2D(")));
        Assert.Equal(2, lines.Count(l => l.Contains($"kernel WinogradConv.Conv2D, Winograd F({tile}x{tile}, 3x3)") && l.Contains("transformed G g G^T")));

        var one = CompiledModel.Compile(bytes, $"Winograd.One{h}");
        var two = CompiledModel.Compile(bytes, $"Winograd.Two{h}", threads: "2");
        for (uint seed = 0; seed < 3; seed++)
        {
            var x = OnnxModelBuilder.RandomFloats(one.InputLengths[0], 40 + seed);
            var expected = OrtReference.Run(bytes, new[] { x })[0];
            var actual = one.Run(x)[0];
            Compare.Close(expected, actual, 1e-4, 1e-5, $"h={h} seed {seed}");
            Assert.Equal(actual, two.Run(x)[0]);
        }
    }

    /// <summary>x[1,32,24,24] -> Conv(float16 weights 48x32x3x3, widened by Cast) + Relu -> y.</summary>
    [Fact]
    public void Float16_weights_are_transformed_on_first_use_and_match_onnx_runtime()
    {
        var b = new OnnxModelBuilder(13, producer: "OnnxBuilder", producerVersion: null);
        var x = b.Input("x", DataType.Float, 1, 32, 24, 24);
        var half = OnnxModelBuilder.RandomFloats(48 * 32 * 9, 7).Select(v => (Half)(v * 0.08f)).ToArray();
        var w = b.Op("Cast", new[] { b.Initializer(new[] { 48, 32, 3, 3 }, half) }, OnnxModelBuilder.Int("to", (int)DataType.Float));
        var y = b.Op("Relu", new[] { b.Op("Conv", new[] { x, w }, OnnxModelBuilder.Ints("pads", 1, 1, 1, 1)) });
        b.Output(y, DataType.Float);
        var bytes = b.Build();
        var model = TypedModel.Compile(bytes, "winograd_fp16w");
        Assert.Contains("WinogradConv.Conv2D(", model.Source, StringComparison.Ordinal);
        Assert.Contains("tileSize: 4", model.Source, StringComparison.Ordinal);
        Assert.Contains("WeightLayouts.WinogradPanels(", model.Source, StringComparison.Ordinal);
        Assert.True(model.Result.WeightBytes <= 48 * 32 * 9 * 2 + 64 * model.Result.WeightTensors, $"blob {model.Result.WeightBytes} B");
        for (int s = 0; s < 2; s++)
        {
            var input = OnnxModelBuilder.RandomFloats(32 * 576, (uint)(80 + s));
            var ours = (float[])model.RunTyped(new Array[] { input })[0].Data;
            var ort = (float[])OrtReference.RunTyped(bytes, new[] { TestTensor.Floats("x", new[] { 1, 32, 24, 24 }, input) })[0].Data;
            Compare.Close(ort, ours, 1e-4, 1e-5, $"sample {s}");
        }
    }
}
