using System;
using System.Linq;
using ModelCompiler.Compilation;
using ModelCompiler.Tests.Infrastructure;
using Xunit;
using CompiledModel = ModelCompiler.Tests.Runtime.CompiledModel;

namespace ModelCompiler.Tests.LowBit;

/// <summary>
/// QONNX Quant, BipolarQuant, Trunc (v1, v2) and MultiThreshold, each in a one-node model (the four domain spellings
/// in turn), against <see cref="QonnxReference"/>: bit for bit (the same float32 steps). Inputs include exact halves
/// of the quantization step (rounding ties), values beyond the range, zeros and per-channel parameters; constant
/// Quant weights fold at build time and keep their integer codes in the weight blob.
/// </summary>
public sealed class QonnxOpTests
{
    private static readonly string[] Domains = { "qonnx.custom_op.general", "finn.custom_op.general", "finn", "onnx.brevitas" };

    private static float[] Inputs(int n, float scale, uint seed)
    {
        var r = OnnxModelBuilder.RandomFloats(n, seed);
        // Every fourth value an exact multiple of half a step (a rounding tie or an integer), some far out of range.
        return r.Select((v, i) => i % 4 == 0 ? MathF.Round(v * 40) * 0.5f * scale : i % 7 == 0 ? v * 1000 : i % 11 == 0 ? 0f : v * 10 * scale).ToArray();
    }

    private static void AssertSame(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]) || (expected[i] == 0 && actual[i] == 0),
                $"{what}: element {i} is {actual[i]:R}, expected {expected[i]:R}");
    }

    [Theory]
    [InlineData(4, 1, 1, "ROUND", false)]
    [InlineData(2, 1, 1, "ROUND", true)]
    [InlineData(3, 0, 0, "FLOOR", false)]
    [InlineData(8, 1, 0, "CEIL", true)]
    [InlineData(5, 1, 1, "UP", false)]
    [InlineData(4, 0, 1, "DOWN", false)]
    [InlineData(6, 1, 0, "HALF_UP", true)]
    [InlineData(7, 1, 1, "HALF_DOWN", false)]
    [InlineData(1, 1, 1, "ROUND", true)]
    [InlineData(1, 0, 0, "ROUND", false)]
    public void Quant_matches_the_qonnx_reference(int bits, int signed, int narrow, string mode, bool perChannel)
    {
        int c = 3, hw = 20;
        string domain = Domains[(bits + signed) % Domains.Length];
        var scale = perChannel ? new[] { 0.25f, 0.1f, 0.5f } : new[] { 0.125f };
        var zp = perChannel ? new[] { 0f, 1f, -2f } : new[] { signed == 1 ? 0f : 1f };
        var b = new OnnxModelBuilder();
        b.Input("x", 1, c, hw);
        int[] pShape = perChannel ? new[] { c, 1 } : Array.Empty<int>();
        b.Initializer("scale", pShape, scale);
        b.Initializer("zp", pShape, zp);
        b.Initializer("bits", Array.Empty<int>(), new[] { (float)bits });
        var attributes = new (string, object)[] { ("signed", signed), ("narrow", narrow), ("rounding_mode", mode) };
        b.Node("Quant", new[] { "x", "scale", "zp", "bits" }, "y", domain: domain, attributes: attributes);
        b.Output("y", shape: new[] { 1, c, hw });
        var model = CompiledModel.Compile(b.Build(), "QonnxOps.Quant" + bits + signed + narrow + mode.Replace("_", "") + (perChannel ? "C" : "T"));
        var x = Inputs(c * hw, scale[0], (uint)bits * 17);
        var expected = x.Select((v, i) => QonnxReference.Quant(v, scale[perChannel ? i / hw : 0], zp[perChannel ? i / hw : 0], bits, signed == 1, narrow == 1, mode)).ToArray();
        AssertSame(expected, model.Run(x)[0], $"Quant {bits} bit {mode}");
    }

    [Fact]
    public void Quant_with_default_attributes_is_signed_and_narrow()
    {
        var b = new OnnxModelBuilder();
        b.Input("x", 1, 8);
        b.Initializer("scale", Array.Empty<int>(), new[] { 1f });
        b.Initializer("zp", Array.Empty<int>(), new[] { 0f });
        b.Initializer("bits", Array.Empty<int>(), new[] { 2f });
        b.Node("Quant", new[] { "x", "scale", "zp", "bits" }, "y", domain: "qonnx.custom_op.general");
        b.Output("y", shape: new[] { 1, 8 });
        var model = CompiledModel.Compile(b.Build(), "QonnxOps.QuantDefaults");
        var y = model.Run(new[] { -5f, -1.5f, -0.5f, 0f, 0.5f, 1.5f, 2.5f, 5f })[0];
        // signed narrow 2-bit: [-1, 1]; ties to even.
        Assert.Equal(new[] { -1f, -1f, -0f, 0f, 0f, 1f, 1f, 1f }, y);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void BipolarQuant_matches_the_qonnx_reference_in_every_domain(int domain)
    {
        var b = new OnnxModelBuilder();
        b.Input("x", 2, 9);
        b.Initializer("scale", Array.Empty<int>(), new[] { 0.75f });
        b.Node("BipolarQuant", new[] { "x", "scale" }, "y", domain: Domains[domain]);
        b.Output("y", shape: new[] { 2, 9 });
        var model = CompiledModel.Compile(b.Build(), "QonnxOps.Bipolar" + domain);
        var x = Inputs(18, 1, 5);
        AssertSame(x.Select(v => QonnxReference.Bipolar(v, 0.75f)).ToArray(), model.Run(x)[0], "BipolarQuant");
    }

    [Theory]
    [InlineData(false, "FLOOR")]
    [InlineData(false, "ROUND")]
    [InlineData(true, "FLOOR")]
    [InlineData(true, "CEIL")]
    public void Trunc_matches_the_qonnx_reference(bool v2, string mode)
    {
        var b = new OnnxModelBuilder();
        b.Input("x", 1, 40);
        b.Initializer("scale", Array.Empty<int>(), new[] { 0.0625f });
        b.Initializer("zp", Array.Empty<int>(), new[] { 0f });
        b.Initializer("inBits", Array.Empty<int>(), new[] { 8f });
        if (v2) b.Initializer("outScale", Array.Empty<int>(), new[] { 0.5f });
        b.Initializer("outBits", Array.Empty<int>(), new[] { 4f });
        var inputs = v2 ? new[] { "x", "scale", "zp", "inBits", "outScale", "outBits" } : new[] { "x", "scale", "zp", "inBits", "outBits" };
        b.Node("Trunc", inputs, "y", domain: "qonnx.custom_op.general", attributes: new (string, object)[] { ("rounding_mode", mode) });
        b.Output("y", shape: new[] { 1, 40 });
        var model = CompiledModel.Compile(b.Build(), "QonnxOps.Trunc" + (v2 ? "2" : "1") + mode);
        var x = Inputs(40, 0.0625f, 9);
        var expected = x.Select(v => v2 ? QonnxReference.TruncV2(v, 0.0625f, 0, 0.5f, 4, true, false, mode) : QonnxReference.TruncV1(v, 0.0625f, 0, 8, 4, mode)).ToArray();
        AssertSame(expected, model.Run(x)[0], "Trunc");
    }

    [Theory]
    [InlineData("NCHW", 3)]
    [InlineData("NCHW", 1)]
    [InlineData("NHWC", 3)]
    public void MultiThreshold_matches_the_qonnx_reference(string layout, int rows)
    {
        int c = 3, h = 2, w = 4, steps = 3;
        var thresholds = Enumerable.Range(0, rows * steps).Select(i => (i % steps - 1) * 0.5f + i / steps * 0.1f).ToArray();
        var b = new OnnxModelBuilder();
        int[] shape = layout == "NCHW" ? new[] { 1, c, h, w } : new[] { 1, h, w, c };
        b.Input("x", shape);
        b.Initializer("t", new[] { rows, steps }, thresholds);
        b.Node("MultiThreshold", new[] { "x", "t" }, "y", domain: "finn.custom_op.general",
            attributes: new (string, object)[] { ("out_dtype", "UINT2"), ("out_scale", 2f), ("out_bias", -3f), ("data_layout", layout) });
        b.Output("y", shape: shape);
        var model = CompiledModel.Compile(b.Build(), "QonnxOps.MultiThreshold" + layout + rows);
        var x = Inputs(c * h * w, 0.5f, 3);
        var expected = x.Select((v, i) =>
        {
            int ch = rows == 1 ? 0 : layout == "NCHW" ? i / (h * w) : i % c;
            return QonnxReference.MultiThreshold(v, thresholds.AsSpan(ch * steps, steps), 2f, -3f);
        }).ToArray();
        AssertSame(expected, model.Run(x)[0], "MultiThreshold");
    }

    [Fact]
    public void A_constant_weight_quant_folds_into_narrow_integer_codes()
    {
        int k = 64, n = 32;
        var b = new OnnxModelBuilder();
        b.Input("x", 1, k);
        b.Initializer("w", new[] { k, n }, OnnxModelBuilder.RandomFloats(k * n, 4));
        b.Initializer("scale", new[] { 1, n }, Enumerable.Range(0, n).Select(i => 0.05f + i * 0.01f).ToArray());
        b.Initializer("zp", Array.Empty<int>(), new[] { 0f });
        b.Initializer("bits", Array.Empty<int>(), new[] { 4f });
        b.Node("Quant", new[] { "w", "scale", "zp", "bits" }, "wq", domain: "onnx.brevitas", attributes: new (string, object)[] { ("signed", 1), ("narrow", 0), ("rounding_mode", "ROUND") });
        b.Node("MatMul", new[] { "x", "wq" }, "y");
        b.Output("y", shape: new[] { 1, n });
        var bytes = b.Build();
        var result = ModelCompilation.Compile(bytes, new ModelOptions { ClassName = "Model", Namespace = "T", WeightsResource = "r" });
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        // 4-bit codes: half a byte per weight (+ scales and 64-byte alignment) instead of 4 bytes.
        Assert.True(result.WeightBytes <= k * n / 2 + 4 * n + 3 * 64, $"weight blob {result.WeightBytes} B for {k * n} 4-bit weights");
        var model = CompiledModel.Compile(bytes, "QonnxOps.WeightFold");
        var x = OnnxModelBuilder.RandomFloats(k, 8);
        var w = OnnxModelBuilder.RandomFloats(k * n, 4);
        var expected = new float[n];
        for (int j = 0; j < n; j++)
        {
            double s = 0;
            for (int i = 0; i < k; i++) s += (double)x[i] * QonnxReference.Quant(w[i * n + j], 0.05f + j * 0.01f, 0, 4, true, false, "ROUND");
            expected[j] = (float)s;
        }
        Compare.Close(expected, model.Run(x)[0], rtol: 1e-4, atol: 1e-5, "MatMul with folded 4-bit weights (float tolerance)");
    }

    [Fact]
    public void A_quant_with_a_run_time_scale_is_an_error_naming_the_node()
    {
        var b = new OnnxModelBuilder();
        b.Input("x", 1, 4);
        b.Input("s", 1);
        b.Initializer("zp", Array.Empty<int>(), new[] { 0f });
        b.Initializer("bits", Array.Empty<int>(), new[] { 4f });
        b.Node("Quant", new[] { "x", "s", "zp", "bits" }, "y", name: "act_quant", domain: "qonnx.custom_op.general");
        b.Output("y", shape: new[] { 1, 4 });
        var result = ModelCompilation.Compile(b.Build(), new ModelOptions { ClassName = "Model", Namespace = "T", WeightsResource = "r" });
        var d = Assert.Single(result.Diagnostics, d => d.Id == "MC0008");
        Assert.Contains("act_quant", d.Message);
        Assert.Contains("scale", d.Message);
    }

    [Fact]
    public void A_fractional_bit_width_is_an_error_naming_the_node()
    {
        var b = new OnnxModelBuilder();
        b.Input("x", 1, 4);
        b.Initializer("s", Array.Empty<int>(), new[] { 1f });
        b.Initializer("zp", Array.Empty<int>(), new[] { 0f });
        b.Initializer("bits", Array.Empty<int>(), new[] { 2.5f });
        b.Node("Quant", new[] { "x", "s", "zp", "bits" }, "y", name: "odd_quant", domain: "finn");
        b.Output("y", shape: new[] { 1, 4 });
        var result = ModelCompilation.Compile(b.Build(), new ModelOptions { ClassName = "Model", Namespace = "T", WeightsResource = "r" });
        var d = Assert.Single(result.Diagnostics, d => d.Id == "MC0008");
        Assert.Contains("odd_quant", d.Message);
        Assert.Contains("bit width 2.5", d.Message);
    }
}
