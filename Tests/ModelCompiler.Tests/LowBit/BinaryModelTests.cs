using System;
using System.Linq;
using System.Text.RegularExpressions;
using ModelCompiler.Compilation;
using ModelCompiler.Tests.Infrastructure;
using Xunit;
using CompiledModel = ModelCompiler.Tests.Runtime.CompiledModel;

namespace ModelCompiler.Tests.LowBit;

/// <summary>
/// Binarized networks built in the test and compiled whole, against ONNX Runtime running the same graph in float32
/// (QONNX ops rewritten by <see cref="QonnxRewrite"/>). Each must run its binary layers as XNOR-popcount (checked in
/// the generated code) and match within float tolerance: relative L2 at most 1e-4 (element-wise 1e-4 relative +
/// 1e-5 absolute otherwise). Channel counts around multiples of 64, strides, pads, Sign (0 stays 0) and
/// Where(x >= 0, 1, -1) binarizers, BatchNormalization with positive and with mixed-sign scales (the MaxPool
/// commutes with the folded binarization only for the first), QONNX BipolarQuant and MultiThreshold dense layers.
/// </summary>
public sealed class BinaryModelTests
{
    private static readonly ModelOptions Options = new() { ClassName = "Model", Namespace = "T", WeightsResource = "r" };

    private static float[] Binary(int n, long per, uint seed)
    {
        var signs = OnnxModelBuilder.RandomFloats((int)(n * per), seed);
        var alpha = OnnxModelBuilder.RandomFloats(n, seed + 1).Select(a => 0.05f + MathF.Abs(a) * 0.2f).ToArray();
        return signs.Select((s, i) => s >= 0 ? alpha[i / per] : -alpha[i / per]).ToArray();
    }

    private static void AddBatchNorm(OnnxModelBuilder b, string name, int n, bool mixedSigns, uint seed)
    {
        var r = OnnxModelBuilder.RandomFloats(4 * n, seed);
        b.Initializer(name + "_g", new[] { n }, r.Take(n).Select((v, i) => (0.5f + MathF.Abs(v)) * (mixedSigns && i % 3 == 1 ? -1 : 1)).ToArray());
        b.Initializer(name + "_b", new[] { n }, r.Skip(n).Take(n).ToArray());
        b.Initializer(name + "_m", new[] { n }, r.Skip(2 * n).Take(n).Select(v => v * 3).ToArray());
        b.Initializer(name + "_v", new[] { n }, r.Skip(3 * n).Take(n).Select(v => 1 + MathF.Abs(v) * 4).ToArray());
    }

    [Theory]
    // c0, c, n, n2, h, stride, pad, mixed BN signs, Where instead of the second Sign
    [InlineData(1, 16, 48, 32, 8, 1, 1, false, false)]
    [InlineData(2, 63, 65, 9, 7, 1, 1, true, false)]
    [InlineData(3, 64, 64, 64, 6, 2, 1, false, true)]
    [InlineData(1, 70, 130, 8, 9, 1, 0, true, true)]
    [InlineData(2, 5, 3, 2, 5, 2, 2, false, false)]
    public void A_binary_cnn_matches_onnx_runtime(int c0, int c, int n, int n2, int h, int stride, int pad, bool mixed, bool where)
    {
        var b = new OnnxModelBuilder();
        b.Input("x", 1, c0, h, h);
        b.Initializer("w1", new[] { c, c0, 3, 3 }, OnnxModelBuilder.RandomFloats(c * c0 * 9, 11).Select(v => v * 0.5f).ToArray());
        b.Node("Conv", new[] { "x", "w1" }, "c1", attributes: new (string, object)[] { ("pads", new[] { 1, 1, 1, 1 }) });
        b.Node("Sign", new[] { "c1" }, "s1");
        b.Initializer("w2", new[] { n, c, 3, 3 }, Binary(n, c * 9L, 12));
        b.Initializer("b2", new[] { n }, OnnxModelBuilder.RandomFloats(n, 13));
        b.Node("Conv", new[] { "s1", "w2", "b2" }, "c2", name: "binary_conv_2", attributes: new (string, object)[] { ("pads", new[] { pad, pad, pad, pad }), ("strides", new[] { stride, stride }) });
        AddBatchNorm(b, "bn2", n, mixed, 14);
        b.Node("BatchNormalization", new[] { "c2", "bn2_g", "bn2_b", "bn2_m", "bn2_v" }, "n2");
        b.Node("MaxPool", new[] { "n2" }, "p2", attributes: new (string, object)[] { ("kernel_shape", new[] { 2, 2 }), ("strides", new[] { 2, 2 }) });
        if (where)
        {
            b.Initializer("zero", Array.Empty<int>(), new[] { 0f });
            b.Initializer("plus", Array.Empty<int>(), new[] { 1f });
            b.Initializer("minus", Array.Empty<int>(), new[] { -1f });
            b.Node("GreaterOrEqual", new[] { "p2", "zero" }, "ge2");
            b.Node("Where", new[] { "ge2", "plus", "minus" }, "s2");
        }
        else b.Node("Sign", new[] { "p2" }, "s2");
        b.Initializer("w3", new[] { n2, n, 3, 3 }, Binary(n2, n * 9L, 15));
        b.Node("Conv", new[] { "s2", "w3" }, "c3", name: "binary_conv_3", attributes: new (string, object)[] { ("pads", new[] { 1, 1, 1, 1 }) });
        b.Node("Flatten", new[] { "c3" }, "f");
        int oh = ((h + 2 * pad - 3) / stride + 1) / 2;
        int features = n2 * oh * oh;
        b.Initializer("wf", new[] { 10, features }, OnnxModelBuilder.RandomFloats(10 * features, 16).Select(v => v * 0.1f).ToArray());
        b.Node("Gemm", new[] { "f", "wf" }, "y", attributes: new (string, object)[] { ("transB", 1) });
        b.Output("y", shape: new[] { 1, 10 });
        var bytes = b.Build();
        string ns = $"Binary.Cnn{c0}_{c}_{n}_{n2}_{h}_{stride}_{pad}_{(mixed ? 1 : 0)}{(where ? 1 : 0)}";

        var result = ModelCompilation.Compile(bytes, Options);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        Assert.Equal(2, Regex.Matches(result.Source!, @"BinaryLayers\.Conv2D\(").Count);
        Assert.Equal(mixed ? 0 : 1, Regex.Matches(result.Source!, "next binarization folded").Count);
        // The MaxPool (over +-1/0 from the folded binarization, or over real values with mixed BN signs) runs inside binary_conv_3's packing.
        Assert.Single(Regex.Matches(result.Source!, @"MaxPool '[^']*' \(2x2, stride 2x2, [0-9x]+ -> [0-9x]+\) folded into the input packing"));
        Assert.DoesNotContain("MaxPool2D", result.Source!);
        var model = CompiledModel.Compile(bytes, ns);
        for (uint seed = 0; seed < 3; seed++)
        {
            var x = OnnxModelBuilder.RandomFloats(c0 * h * h, 100 + seed);
            var expected = OrtReference.Run(bytes, new[] { x })[0];
            var actual = model.Run(x)[0];
            double error = Compare.RelativeL2(expected, actual);
            if (!(error <= 1e-4)) Compare.Close(expected, actual, rtol: 1e-4, atol: 1e-5, $"{ns} seed {seed} (relative L2 {error:G3})");
        }
    }

    [Fact]
    public void A_maxpool_that_something_else_reads_stays_a_float_pool()
    {
        var b = new OnnxModelBuilder();
        b.Input("x", 1, 20, 6, 6);
        b.Node("MaxPool", new[] { "x" }, "p", attributes: new (string, object)[] { ("kernel_shape", new[] { 2, 2 }), ("strides", new[] { 2, 2 }) });
        b.Node("Sign", new[] { "p" }, "s");
        b.Initializer("w", new[] { 8, 20, 3, 3 }, Binary(8, 20 * 9L, 31));
        b.Node("Conv", new[] { "s", "w" }, "y", attributes: new (string, object)[] { ("pads", new[] { 1, 1, 1, 1 }) });
        b.Output("y", shape: new[] { 1, 8, 3, 3 });
        b.Output("p", shape: new[] { 1, 20, 3, 3 });
        var bytes = b.Build();
        var result = ModelCompilation.Compile(bytes, Options);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        Assert.Contains("BinaryLayers.Conv2D(", result.Source!);
        Assert.Contains("MaxPool2D", result.Source!);
        Assert.DoesNotContain("folded into the input packing", result.Source!);
        var model = CompiledModel.Compile(bytes, "Binary.PoolKept");
        var x = OnnxModelBuilder.RandomFloats(20 * 36, 41);
        var expected = OrtReference.Run(bytes, new[] { x });
        var actual = model.Run(x);
        for (int i = 0; i < 2; i++) Compare.Close(expected[i], actual[i], rtol: 1e-4, atol: 1e-5, $"output {i}");
    }

    [Theory]
    // m, k, n1, n2, MultiThreshold input (else BipolarQuant)
    [InlineData(1, 784, 64, 10, false)]
    [InlineData(3, 63, 65, 7, true)]
    [InlineData(2, 128, 128, 64, false)]
    [InlineData(1, 1, 9, 1, true)]
    public void A_qonnx_binary_mlp_matches_onnx_runtime(int m, int k, int n1, int n2, bool multiThreshold)
    {
        const string domain = "qonnx.custom_op.general";
        var b = new OnnxModelBuilder();
        b.Input("x", m, k);
        b.Initializer("one", Array.Empty<int>(), new[] { 1f });
        if (multiThreshold)
        {
            b.Initializer("t", new[] { k, 1 }, OnnxModelBuilder.RandomFloats(k, 21).Select(v => v * 0.3f).ToArray());
            b.Node("MultiThreshold", new[] { "x", "t" }, "a0", domain: domain, attributes: new (string, object)[] { ("out_dtype", "BIPOLAR"), ("out_scale", 2f), ("out_bias", -1f) });
        }
        else b.Node("BipolarQuant", new[] { "x", "one" }, "a0", domain: domain);
        b.Initializer("w1f", new[] { n1, k }, OnnxModelBuilder.RandomFloats(n1 * k, 22));
        b.Initializer("s1", Array.Empty<int>(), new[] { 0.5f });
        b.Node("BipolarQuant", new[] { "w1f", "s1" }, "w1", domain: domain);
        b.Initializer("c1", new[] { n1 }, OnnxModelBuilder.RandomFloats(n1, 23));
        b.Node("Gemm", new[] { "a0", "w1", "c1" }, "g1", attributes: new (string, object)[] { ("transB", 1) });
        AddBatchNorm(b, "bn1", n1, true, 24);
        b.Node("BatchNormalization", new[] { "g1", "bn1_g", "bn1_b", "bn1_m", "bn1_v" }, "n1");
        b.Node("BipolarQuant", new[] { "n1", "one" }, "a1", domain: domain);
        b.Node("MatMul", new[] { "a1", "w2t" }, "g2");
        b.Initializer("mul", new[] { n2 }, OnnxModelBuilder.RandomFloats(n2, 26));
        b.Node("Mul", new[] { "g2", "mul" }, "y");
        b.Output("y", shape: new[] { m, n2 });
        // MatMul weights [n1, n2] with one |value| per column: the transpose of a per-row binary matrix.
        var rows = Binary(n2, n1, 25);
        var w2t = new float[n1 * n2];
        for (int j = 0; j < n2; j++) for (int i = 0; i < n1; i++) w2t[i * n2 + j] = rows[j * n1 + i];
        b.Initializer("w2t", new[] { n1, n2 }, w2t);
        var bytes = b.Build();
        string ns = $"Binary.Mlp{m}_{k}_{n1}_{n2}_{(multiThreshold ? 1 : 0)}";

        var result = ModelCompilation.Compile(bytes, Options);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        Assert.Equal(2, Regex.Matches(result.Source!, @"BinaryLayers\.Dense\(").Count);
        Assert.Contains("next binarization folded", result.Source!);
        var model = CompiledModel.Compile(bytes, ns);
        var reference = QonnxRewrite.ToStandardOnnx(bytes);
        for (uint seed = 0; seed < 3; seed++)
        {
            var x = OnnxModelBuilder.RandomFloats(m * k, 200 + seed);
            var expected = OrtReference.Run(reference, new[] { x })[0];
            var actual = model.Run(x)[0];
            double error = Compare.RelativeL2(expected, actual);
            if (!(error <= 1e-4)) Compare.Close(expected, actual, rtol: 1e-4, atol: 1e-5, $"{ns} seed {seed} (relative L2 {error:G3})");
        }
    }

    [Fact]
    public void Binary_weights_take_one_bit_each_in_the_weight_blob()
    {
        int c = 128, n = 128;
        var b = new OnnxModelBuilder();
        b.Input("x", 1, c, 6, 6);
        b.Node("Sign", new[] { "x" }, "s");
        b.Initializer("w", new[] { n, c, 3, 3 }, Binary(n, c * 9L, 3));
        b.Node("Conv", new[] { "s", "w" }, "y", attributes: new (string, object)[] { ("pads", new[] { 1, 1, 1, 1 }) });
        b.Output("y", shape: new[] { 1, n, 6, 6 });
        var result = ModelCompilation.Compile(b.Build(), Options);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        long bits = (long)n * c * 9;
        // One bit per weight, plus a scale and a bias per channel and 64-byte alignment of 3 tensors.
        Assert.True(result.WeightBytes <= bits / 8 + 8 * n + 3 * 64, $"{result.WeightBytes} B for {bits} binary weights ({bits / 8} B of bits)");
    }
}
