using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using ModelCompiler.Compilation;
using ModelCompiler.Graph;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Quantization;

/// <summary>
/// The QDQ fusion pass on small hand-built graphs (no ../shared needed): each group must become the integer
/// layer it stands for and give the 8-bit tensors ONNX Runtime computes for the same QDQ graph, run as written
/// (float ops between real QuantizeLinear/DequantizeLinear) and with its own QDQ fusion. Integer accumulation
/// and the float32 sum can round differently at a tie, so the bound is one step; these small cases come out exact.
/// </summary>
public sealed class QdqFusionTests
{
    /// <summary>Builds QDQ graphs by hand: Q/DQ pairs, int8 symmetric weights (per tensor or per channel), int32 biases.</summary>
    private sealed class Qdq
    {
        public readonly OnnxModelBuilder B;
        public Qdq(int opset = 13) => B = new OnnxModelBuilder(opset, producer: "OnnxBuilder", producerVersion: null);

        public string Q(string x, float scale, long zp, bool signed = false) => signed
            ? B.Op("QuantizeLinear", new[] { x, B.Initializer(Array.Empty<int>(), new[] { scale }), B.Initializer(Array.Empty<int>(), new[] { (sbyte)zp }) })
            : B.Op("QuantizeLinear", new[] { x, B.Initializer(Array.Empty<int>(), new[] { scale }), B.Initializer(Array.Empty<int>(), new[] { (byte)zp }) });

        public string Dq(string q, float scale, long zp, bool signed = false) => signed
            ? B.Op("DequantizeLinear", new[] { q, B.Initializer(Array.Empty<int>(), new[] { scale }), B.Initializer(Array.Empty<int>(), new[] { (sbyte)zp }) })
            : B.Op("DequantizeLinear", new[] { q, B.Initializer(Array.Empty<int>(), new[] { scale }), B.Initializer(Array.Empty<int>(), new[] { (byte)zp }) });

        public string QDq(string x, float scale, long zp, bool signed = false) => Dq(Q(x, scale, zp, signed), scale, zp, signed);

        /// <summary>DQ of an int8 symmetric weight, per slice along <paramref name="axis"/> (-1: per tensor); returns (output, scales).</summary>
        public (string Output, float[] Scales) Weight(int[] shape, uint seed, int axis)
        {
            int n = shape.Aggregate(1, (a, d) => a * d);
            var w = OnnxModelBuilder.RandomFloats(n, seed);
            var (q, s) = QdqQuantizer.SymmetricInt8(w, shape, axis);
            string qi = B.Initializer(shape, q.Select(v => (sbyte)v).ToArray());
            string si = axis < 0 ? B.Initializer(Array.Empty<int>(), s) : B.Initializer(new[] { s.Length }, s);
            string zi = axis < 0 ? B.Initializer(Array.Empty<int>(), new sbyte[1]) : B.Initializer(new[] { s.Length }, new sbyte[s.Length]);
            var attributes = axis < 0 ? Array.Empty<Onnx.Proto.AttributeProto>() : new[] { OnnxModelBuilder.Int("axis", axis) };
            return (B.Op("DequantizeLinear", new[] { qi, si, zi }, attributes), s);
        }

        /// <summary>DQ of an int32 bias with scale x_scale * w_scale[c] (or a deliberately wrong scale).</summary>
        public string Bias(int channels, uint seed, float xScale, float[] wScales, float scaleFactor = 1f)
        {
            var b = OnnxModelBuilder.RandomFloats(channels, seed);
            var s = Enumerable.Range(0, channels).Select(c => xScale * wScales[wScales.Length == 1 ? 0 : c] * scaleFactor).ToArray();
            var q = b.Select((v, c) => (int)Math.Round(v / s[c])).ToArray();
            return B.Op("DequantizeLinear", new[] { B.Initializer(new[] { channels }, q), B.Initializer(new[] { channels }, s), B.Initializer(new[] { channels }, new int[channels]) },
                OnnxModelBuilder.Int("axis", 0));
        }
    }

    private static (CompiledModel Model, byte[] Bytes) Compile(Qdq q, string output, string name)
    {
        q.B.Output(output, DataType.Float);
        var bytes = QuantCompare.ExposeQuantized(q.B.Build());
        return (TypedModel.Compile(bytes, name), bytes);
    }

    /// <summary>
    /// Every 8-bit output within <paramref name="maxSteps"/> of ONNX Runtime (both optimization levels); the float
    /// output (a DequantizeLinear with scale <paramref name="outputScale"/>) within as many of its steps.
    /// </summary>
    private static void MatchesOnnxRuntime(CompiledModel model, byte[] bytes, int[] shape, long maxSteps = 1, float outputScale = 0)
    {
        int n = shape.Aggregate(1, (a, d) => a * d);
        foreach (var level in new[] { GraphOptimizationLevel.ORT_DISABLE_ALL, GraphOptimizationLevel.ORT_ENABLE_ALL })
            for (int sample = 0; sample < 3; sample++)
            {
                var x = QuantCompare.Uniform(n, (uint)(40 + sample), -1.5f, 1.5f);
                var ours = model.RunTyped(new Array[] { x });
                var ort = OrtReference.RunTyped(bytes, new[] { TestTensor.Floats("x", shape, x) }, level);
                for (int k = 0; k < ours.Length; k++)
                {
                    if (ours[k].Data is float[] f) { Compare.Close(ort[k].Data, f, 1e-5, 1e-6 + maxSteps * outputScale * 1.0001, $"{level} sample {sample} output {k}"); continue; }
                    var (steps, count) = QuantCompare.Steps(ort[k].Data, ours[k].Data);
                    if (count > 0) TestContext.Current.TestOutputHelper?.WriteLine($"{level} sample {sample}: '{ours[k].Name}' {count} element(s) differ from ONNX Runtime, by up to {steps} step(s)");
                    Assert.True(steps <= maxSteps, $"{level} sample {sample}: '{ours[k].Name}' differs from ONNX Runtime by {steps} steps ({count} elements)");
                }
            }
    }

    private static List<string> Layers(CompiledModel m) =>
        m.Source.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("// L", StringComparison.Ordinal)).Select(l => l.Split("  ")[1]).ToList();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Conv_relu_becomes_QLinearConv_with_a_clamp_when_the_zero_point_is_above_the_minimum(bool signed)
    {
        var q = new Qdq();
        var x = q.B.Input("x", DataType.Float, 1, 2, 5, 5);
        var xq = q.QDq(x, 0.02f, signed ? 0 : 128, signed);
        var (w, ws) = q.Weight(new[] { 3, 2, 3, 3 }, 7, 0);
        var conv = q.B.Op("Conv", new[] { xq, w, q.Bias(3, 8, 0.02f, ws) }, OnnxModelBuilder.Ints("pads", 1, 1, 1, 1));
        var relu = q.B.Op("Relu", new[] { conv });
        var y = q.Dq(q.Q(relu, 0.01f, signed ? -28 : 100, signed), 0.01f, signed ? -28 : 100, signed);
        var (model, bytes) = Compile(q, y, "conv_relu");
        var layers = Layers(model);
        Assert.Contains(layers, l => l.StartsWith("QLinearConv", StringComparison.Ordinal));
        Assert.Contains(layers, l => l.StartsWith("Clip", StringComparison.Ordinal));
        Assert.DoesNotContain(layers, l => l.StartsWith("Conv ", StringComparison.Ordinal) || l.StartsWith("Relu", StringComparison.Ordinal));
        MatchesOnnxRuntime(model, bytes, new[] { 1, 2, 5, 5 });
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Asymmetric_uint8_weights_with_per_channel_zero_points_run_on_integers(bool perChannel)
    {
        var q = new Qdq();
        var x = q.B.Input("x", DataType.Float, 1, 3, 5, 5);
        var xq = q.QDq(x, 0.02f, 128);
        // uint8 weights, MinMax asymmetric per output channel (or per tensor), zero points away from 128.
        int[] shape = { 4, 3, 3, 3 };
        var w = OnnxModelBuilder.RandomFloats(108, 91).Select((v, i) => v * 0.5f + 0.2f * (i / 27)).ToArray();
        int channels = perChannel ? 4 : 1, per = 108 / channels;
        var scales = new float[channels];
        var zps = new byte[channels];
        var qw = new byte[108];
        for (int c = 0; c < channels; c++)
        {
            var slice = w.Skip(c * per).Take(per).ToArray();
            var (s, z) = QdqQuantizer.Activation(slice.Min(), slice.Max(), signed: false);
            scales[c] = s;
            zps[c] = (byte)z;
            for (int i = 0; i < per; i++) qw[c * per + i] = (byte)Math.Clamp(Math.Round(slice[i] / s, MidpointRounding.ToEven) + z, 0, 255);
        }
        var dqInputs = perChannel
            ? new[] { q.B.Initializer(shape, qw), q.B.Initializer(new[] { 4 }, scales), q.B.Initializer(new[] { 4 }, zps) }
            : new[] { q.B.Initializer(shape, qw), q.B.Initializer(Array.Empty<int>(), scales), q.B.Initializer(Array.Empty<int>(), zps) };
        var wd = q.B.Op("DequantizeLinear", dqInputs, perChannel ? new[] { OnnxModelBuilder.Int("axis", 0) } : Array.Empty<Onnx.Proto.AttributeProto>());
        var conv = q.B.Op("Conv", new[] { xq, wd, q.Bias(4, 92, 0.02f, scales) }, OnnxModelBuilder.Ints("pads", 1, 1, 1, 1));
        var y = q.Dq(q.Q(conv, 0.05f, 120), 0.05f, 120);
        var (model, bytes) = Compile(q, y, "uint8_weights");
        Assert.Contains(Layers(model), l => l.StartsWith("QLinearConv", StringComparison.Ordinal));
        MatchesOnnxRuntime(model, bytes, new[] { 1, 3, 5, 5 });
    }

    [Fact]
    public void Conv_relu6_folds_both_bounds_and_a_saturating_relu_leaves_nothing()
    {
        var q = new Qdq();
        var x = q.B.Input("x", DataType.Float, 1, 3, 4, 4);
        var xq = q.QDq(x, 0.015f, 100);
        var (w, ws) = q.Weight(new[] { 4, 3, 1, 1 }, 11, 0);
        var conv = q.B.Op("Conv", new[] { xq, w, q.Bias(4, 12, 0.015f, ws) });
        var clip = q.B.Op("Clip", new[] { conv, q.B.Initializer(Array.Empty<int>(), new[] { 0f }), q.B.Initializer(Array.Empty<int>(), new[] { 0.5f }) });
        var c1 = q.QDq(clip, 0.005f, 20); // 0.5 is inside the range: both bounds clamp
        var (w2, ws2) = q.Weight(new[] { 4, 4, 1, 1 }, 13, 0);
        var conv2 = q.B.Op("Conv", new[] { c1, w2, q.Bias(4, 14, 0.005f, ws2) });
        var relu = q.B.Op("Relu", new[] { conv2 });
        var y = q.Dq(q.Q(relu, 0.01f, 0), 0.01f, 0); // zero point 0: the Relu is the uint8 saturation itself
        var (model, bytes) = Compile(q, y, "conv_relu6");
        var layers = Layers(model);
        Assert.Equal(2, layers.Count(l => l.StartsWith("QLinearConv", StringComparison.Ordinal)));
        Assert.Single(layers, l => l.StartsWith("Clip", StringComparison.Ordinal));
        MatchesOnnxRuntime(model, bytes, new[] { 1, 3, 4, 4 });
    }

    [Fact]
    public void Element_wise_functions_and_requantization_become_tables_and_equal_grids_cancel()
    {
        var q = new Qdq();
        var x = q.B.Input("x", DataType.Float, 2, 8);
        var a = q.QDq(x, 0.02f, 120);
        var sig = q.Dq(q.Q(q.B.Op("Sigmoid", new[] { a }), 1f / 256, 0), 1f / 256, 0);
        var tanh = q.Dq(q.Q(q.B.Op("Tanh", new[] { sig }), 1f / 128, 128), 1f / 128, 128);
        var requantized = q.QDq(tanh, 0.011f, 90); // DQ -> Q with another grid
        var same = q.QDq(requantized, 0.011f, 90);  // and with the same grid: nothing to do
        var (model, bytes) = Compile(q, same, "tables");
        var layers = Layers(model);
        Assert.Equal(3, layers.Count(l => l.StartsWith("QLinearLookup", StringComparison.Ordinal)));
        Assert.DoesNotContain(layers, l => l.StartsWith("Sigmoid", StringComparison.Ordinal) || l.StartsWith("Tanh", StringComparison.Ordinal));
        MatchesOnnxRuntime(model, bytes, new[] { 2, 8 });
    }

    /// <summary>
    /// Which ops become tables is what their schemas declare (<c>OpTraits.ElementWise</c>), not a list in the pass:
    /// Swish, Atan and a Sub of a constant scalar, which no list ever named, are fused, within one step of ONNX Runtime.
    /// </summary>
    [Fact]
    public void Any_op_declared_element_wise_becomes_a_table()
    {
        var q = new Qdq(opset: 24);
        var x = q.B.Input("x", DataType.Float, 2, 8);
        var a = q.QDq(x, 0.02f, 120);
        var swish = q.Dq(q.Q(q.B.Op("Swish", new[] { a }), 0.01f, 30), 0.01f, 30);
        var atan = q.Dq(q.Q(q.B.Op("Atan", new[] { swish }), 1f / 128, 128), 1f / 128, 128);
        var sub = q.QDq(q.B.Op("Sub", new[] { atan, q.B.Initializer(Array.Empty<int>(), new[] { 0.25f }) }), 1f / 100, 140);
        var (model, bytes) = Compile(q, sub, "traits");
        var layers = Layers(model);
        Assert.Equal(3, layers.Count(l => l.StartsWith("QLinearLookup", StringComparison.Ordinal)));
        Assert.DoesNotContain(layers, l => l.StartsWith("Swish", StringComparison.Ordinal) || l.StartsWith("Atan", StringComparison.Ordinal) || l.StartsWith("Sub", StringComparison.Ordinal));
        MatchesOnnxRuntime(model, bytes, new[] { 2, 8 });
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Gemm_with_per_channel_weights_runs_on_integers_either_way_round(bool transB)
    {
        var q = new Qdq();
        var x = q.B.Input("x", DataType.Float, 3, 6);
        var xq = q.QDq(x, 0.012f, 128);
        var (w, ws) = q.Weight(transB ? new[] { 5, 6 } : new[] { 6, 5 }, 21, transB ? 0 : 1);
        var gemm = q.B.Op("Gemm", new[] { xq, w, q.Bias(5, 22, 0.012f, ws) }, OnnxModelBuilder.Int("transB", transB ? 1 : 0));
        var y = q.Dq(q.Q(gemm, 0.03f, 128), 0.03f, 128);
        var (model, bytes) = Compile(q, y, "gemm");
        Assert.DoesNotContain(Layers(model), l => l.StartsWith("Gemm", StringComparison.Ordinal));
        MatchesOnnxRuntime(model, bytes, new[] { 3, 6 });
    }

    /// <summary>
    /// A Gemm whose float output is a graph output (a classifier's logits, no QuantizeLinear after it) runs on
    /// integers as MatMulIntegerToFloat; float output within 1e-5 relative of ONNX Runtime (its float graph rounds
    /// every product, ours only the final scale and bias).
    /// </summary>
    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void Gemm_with_a_float_output_becomes_MatMulIntegerToFloat(bool transB, bool bias)
    {
        var q = new Qdq();
        var x = q.B.Input("x", DataType.Float, 2, 40);
        var xq = q.QDq(x, 0.012f, 128);
        var (w, ws) = q.Weight(transB ? new[] { 7, 40 } : new[] { 40, 7 }, 23, transB ? 0 : 1);
        var inputs = bias ? new[] { xq, w, q.Bias(7, 24, 0.012f, ws) } : new[] { xq, w };
        var y = q.B.Op("Gemm", inputs, OnnxModelBuilder.Int("transB", transB ? 1 : 0));
        var (model, bytes) = Compile(q, y, "gemm_float_output");
        var layers = Layers(model);
        Assert.Contains(layers, l => l.StartsWith("MatMulIntegerToFloat", StringComparison.Ordinal));
        Assert.DoesNotContain(layers, l => l.StartsWith("Gemm", StringComparison.Ordinal) || l.StartsWith("DequantizeLinear", StringComparison.Ordinal));
        MatchesOnnxRuntime(model, bytes, new[] { 2, 40 });
    }

    [Fact]
    public void MatMul_with_per_column_weights_becomes_QLinearMatMul()
    {
        var q = new Qdq();
        var x = q.B.Input("x", DataType.Float, 2, 3, 4);
        var xq = q.QDq(x, 0.012f, 128);
        var (w, _) = q.Weight(new[] { 4, 6 }, 31, 1);
        var y = q.Dq(q.Q(q.B.Op("MatMul", new[] { xq, w }), 0.02f, 128), 0.02f, 128);
        var (model, bytes) = Compile(q, y, "matmul");
        Assert.Contains(Layers(model), l => l.StartsWith("QLinearMatMul", StringComparison.Ordinal));
        MatchesOnnxRuntime(model, bytes, new[] { 2, 3, 4 });
    }

    [Fact]
    public void Concat_of_different_grids_requantizes_its_inputs_and_Mul_becomes_QLinearMul()
    {
        var q = new Qdq();
        var x = q.B.Input("x", DataType.Float, 1, 2, 3, 3);
        var a = q.QDq(x, 0.02f, 128);
        var b = q.QDq(q.B.Op("Neg", new[] { x }), 0.03f, 100);
        var cat = q.QDq(q.B.Op("Concat", new[] { a, b }, OnnxModelBuilder.Int("axis", 1)), 0.025f, 110);
        var swapped = q.QDq(q.B.Op("Concat", new[] { b, a }, OnnxModelBuilder.Int("axis", 1)), 0.03f, 120);
        var mul = q.B.Op("Mul", new[] { cat, swapped });
        var y = q.Dq(q.Q(mul, 0.02f, 128), 0.02f, 128);
        var (model, bytes) = Compile(q, y, "concat_mul");
        var layers = Layers(model);
        Assert.Contains(layers, l => l.StartsWith("QLinearMul", StringComparison.Ordinal));
        Assert.Equal(2, layers.Count(l => l.StartsWith("Concat", StringComparison.Ordinal)));
        // QLinearMul multiplies the integers and requantizes once; the float path rounds the product of two
        // dequantized floats first: one step apart at a tie (ONNX Runtime's own QLinearMul agrees with ours).
        MatchesOnnxRuntime(model, bytes, new[] { 1, 2, 3, 3 }, outputScale: 0.02f);
    }

    [Fact]
    public void Data_movement_between_groups_runs_on_the_integers()
    {
        var q = new Qdq();
        var x = q.B.Input("x", DataType.Float, 1, 4, 6, 6);
        var xq = q.QDq(x, 0.02f, 128);
        var pool = q.B.Op("MaxPool", new[] { xq }, OnnxModelBuilder.Ints("kernel_shape", 2, 2), OnnxModelBuilder.Ints("strides", 2, 2));
        var t = q.B.Op("Transpose", new[] { pool }, OnnxModelBuilder.Ints("perm", 0, 2, 3, 1));
        var flat = q.B.Op("Flatten", new[] { t });
        var (w, ws) = q.Weight(new[] { 3, 36 }, 41, 0);
        var gemm = q.B.Op("Gemm", new[] { flat, w, q.Bias(3, 42, 0.02f, ws) }, OnnxModelBuilder.Int("transB", 1));
        var y = q.Dq(q.Q(gemm, 0.05f, 128), 0.05f, 128);
        var (model, bytes) = Compile(q, y, "movement");
        var layers = Layers(model);
        Assert.Single(layers, l => l.StartsWith("DequantizeLinear", StringComparison.Ordinal)); // only the graph output's
        MatchesOnnxRuntime(model, bytes, new[] { 1, 4, 6, 6 });
    }

    [Fact]
    public void A_group_that_does_not_fit_runs_as_written_with_warning_MC1002_naming_the_node()
    {
        var q = new Qdq();
        var x = q.B.Input("x", DataType.Float, 1, 2, 4, 4);
        var xq = q.QDq(x, 0.02f, 128);
        var (w, ws) = q.Weight(new[] { 3, 2, 3, 3 }, 51, 0);
        var conv = q.B.Op("Conv", new[] { xq, w, q.Bias(3, 52, 0.02f, ws, scaleFactor: 0.5f) });
        var y = q.Dq(q.Q(conv, 0.05f, 128), 0.05f, 128);
        var (model, bytes) = Compile(q, y, "bad_bias");
        var d = Assert.Single(model.Result.Diagnostics, d => d.Id == "MC1002");
        Assert.Contains("Conv_", d.Message, StringComparison.Ordinal);
        Assert.Contains("bias scale", d.Message, StringComparison.Ordinal);
        Assert.Contains("Expected: ", d.Message, StringComparison.Ordinal);
        Assert.Contains(Layers(model), l => l.StartsWith("Conv", StringComparison.Ordinal));
        MatchesOnnxRuntime(model, bytes, new[] { 1, 2, 4, 4 }, maxSteps: 0);
    }

    [Fact]
    public void Integer_tensors_record_their_quantization_parameters()
    {
        var q = new Qdq();
        var x = q.B.Input("x", DataType.Float, 1, 2, 4, 4);
        var xq = q.QDq(x, 0.02f, 128);
        var (w, ws) = q.Weight(new[] { 3, 2, 1, 1 }, 61, 0);
        var conv = q.B.Op("Conv", new[] { xq, w, q.Bias(3, 62, 0.02f, ws) });
        var yq = q.Q(conv, 0.04f, 77);
        q.B.Output(q.Dq(yq, 0.04f, 77), DataType.Float);
        var diagnostics = new List<Diagnostics.CompilerDiagnostic>();
        var graph = Onnx.OnnxReader.Read(q.B.Build(), diagnostics)!;
        global::ModelCompiler.Passes.InputPinning.Run(graph, new ModelOptions { FileName = "m.onnx" }, diagnostics);
        global::ModelCompiler.Passes.ShapeInference.Run(graph, diagnostics);
        global::ModelCompiler.Passes.Simplify.Run(graph);
        global::ModelCompiler.Passes.QdqFusion.Run(graph, diagnostics);
        Assert.Empty(diagnostics);
        var fused = Assert.Single(graph.Nodes, n => n.OpType == "QLinearConv");
        var quant = fused.Output(0)!.Quant;
        Assert.NotNull(quant);
        Assert.Equal(0.04f, quant!.Scale.GetFloat(0));
        Assert.Equal(77, quant.ZeroPoint!.GetLong(0));
        Assert.Equal(0.02f, fused.Input(0)!.Quant!.Scale.GetFloat(0));
    }
}
