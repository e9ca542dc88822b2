using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Google.Protobuf;
using ModelCompiler.Graph;
using ModelCompiler.Onnx;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tests.Elementwise;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Quantization;

/// <summary>
/// <c>modelc float-copy</c> (<see cref="FloatCopy"/>): the float32 network behind a quantized model.
/// <list type="bullet">
/// <item>Each QLinear op of <see cref="QuantizedOpsOrtTests"/>, wrapped in QuantizeLinear/DequantizeLinear so it
/// takes and gives floats, fed inputs that lie on its input grid: the int8 model is then the float copy rounded
/// once, at its output. Both run in ONNX Runtime; they must agree within half an output step (plus 1% of a step
/// for float summation order).</item>
/// <item>The float copy compiled by ModelCompiler against ONNX Runtime on the same float copy: 1e-4 relative with
/// an absolute floor of 1e-5 of the output range (float ops, as for every float model).</item>
/// <item>A QDQ model (quantized in the tests) and, from ../shared, the model-zoo int8 MobileNetV2: the same two
/// checks, with the int8-vs-float distance bounded by what a chain of roundings can add up to.</item>
/// </list>
/// </summary>
public sealed class FloatCopyTests
{
    /// <summary>(quantized activation inputs, output scale index, output zero-point index) of each op's case.</summary>
    private static (int[] Activations, int OutScale, int OutZp)? Layout(QCase c) => c.Op switch
    {
        "QLinearConv" or "QLinearMatMul" => (new[] { 0 }, 6, 7),
        "QLinearAdd" or "QLinearMul" => (new[] { 0, 3 }, 6, 7),
        "QLinearLeakyRelu" or "QLinearSigmoid" or "QLinearGlobalAveragePool" or "QLinearAveragePool" => (new[] { 0 }, 3, 4),
        "QLinearConcat" => (Enumerable.Range(0, (c.Inputs.Count - 2) / 3).Select(i => 2 + 3 * i).ToArray(), 0, 1),
        _ => null,
    };

    private static readonly List<QCase> s_cases = QuantizedOpsOrtTests.BaseCases()
        .Where(c => Layout(c) is not null && !(c.Attributes?.ContainsKey("channels_last") ?? false))
        .ToList();

    public static TheoryData<string> Cases() => new(s_cases.Select(c => c.Name));

    /// <summary>The case as a float-in, float-out model: QuantizeLinear before each activation, DequantizeLinear after.</summary>
    private static byte[] FloatEdged(QCase c)
    {
        var (activations, outScale, outZp) = Layout(c)!.Value;
        var constant = Enumerable.Range(0, c.Inputs.Count).Where(i => !activations.Contains(i)).ToArray();
        var model = ModelProto.Parser.ParseFrom((c with { Constant = constant }).Model());
        var g = model.Graph;
        var front = new List<NodeProto>();
        foreach (int a in activations)
        {
            string name = c.Inputs[a]!.Name;
            var input = g.Input.Single(i => i.Name == name);
            input.Name = name + "_float";
            input.Type.TensorType.ElemType = (int)DataType.Float;
            var q = new NodeProto { OpType = "QuantizeLinear", Name = "quantize_" + name };
            q.Input.Add(name + "_float"); q.Input.Add(c.Inputs[a + 1]!.Name); q.Input.Add(c.Inputs[a + 2]!.Name);
            q.Output.Add(name);
            front.Add(q);
        }
        var op = g.Node.Single();
        op.Output[0] = "y_quantized";
        var dq = new NodeProto { OpType = "DequantizeLinear", Name = "dequantize_y" };
        dq.Input.Add("y_quantized"); dq.Input.Add(c.Inputs[outScale]!.Name); dq.Input.Add(c.Inputs[outZp]!.Name);
        dq.Output.Add("y");
        g.Node.Insert(0, front[0]);
        for (int i = 1; i < front.Count; i++) g.Node.Insert(i, front[i]);
        g.Node.Add(dq);
        g.Output.Single().Type.TensorType.ElemType = (int)DataType.Float;
        foreach (var o in model.OpsetImport.Where(o => o.Domain.Length == 0)) o.Version = Math.Max(o.Version, 13);
        return model.ToByteArray();
    }

    /// <summary>Each activation's own integers, dequantized: values the input QuantizeLinear maps back exactly.</summary>
    private static float[][] OnGridInputs(QCase c) => Layout(c)!.Value.Activations.Select(a =>
    {
        var x = c.Inputs[a]!;
        float s = ((float[])c.Inputs[a + 1]!.Data)[0];
        long zp = Convert.ToInt64(c.Inputs[a + 2]!.Data.GetValue(0));
        return x.Data.Cast<object>().Select(v => (float)((Convert.ToInt64(v) - zp) * s)).ToArray();
    }).ToArray();

    private static byte[] Copy(byte[] model)
    {
        var result = FloatCopy.Make(model);
        Assert.True(result.Model is not null, "no float copy: " + string.Join("; ", result.Problems));
        return result.Model!;
    }

    private static readonly Lazy<ModelSuite> s_copies = new(() => new ModelSuite("FloatCopyOps",
        s_cases.Select(c => new ModelSuite.Entry(c.Name, () => Copy(FloatEdged(c))))));

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_quantized_op_is_its_float_copy_rounded_once(string name)
    {
        var c = s_cases.Single(x => x.Name == name);
        byte[] int8 = FloatEdged(c), copy = Copy(int8);
        Assert.DoesNotContain(ModelProto.Parser.ParseFrom(copy).Graph.Node, n => n.OpType.StartsWith("QLinear", StringComparison.Ordinal) || n.OpType == "QuantizeLinear");
        var inputs = OnGridInputs(c);
        var shapes = Layout(c)!.Value.Activations.Select(a => c.Inputs[a]!.Shape).ToArray();
        float step = ((float[])c.Inputs[Layout(c)!.Value.OutScale]!.Data)[0];

        float[] quantized = OrtReference.Run(int8, inputs, shapes)[0];
        float[] floatCopy = OrtReference.Run(copy, inputs, shapes)[0];
        Assert.True(quantized.Distinct().Count() >= 4, $"{name}: the int8 output is degenerate");
        Compare.Close(floatCopy, quantized, rtol: 0, atol: 0.51 * step, $"{name}: int8 model against its float copy (half an output step)");

        // ModelCompiler's float code for the float copy against ONNX Runtime's.
        var ours = s_copies.Value[name].Run(inputs)[0];
        double range = floatCopy.Max(Math.Abs);
        Compare.Close(floatCopy, ours, rtol: 1e-4, atol: 1e-5 * range, $"{name}: compiled float copy against ONNX Runtime");
    }

    [Fact]
    public void A_qdq_model_becomes_float_with_its_saturation_as_clip()
    {
        var prepared = QdqQuantizer.Prepare(TestModels.TinyCnn());
        var calibration = Enumerable.Range(0, 8).Select(s => new[] { QuantCompare.Uniform(64, (uint)(10 + s), -1, 1) }).ToList();
        byte[] qdq = QdqQuantizer.Quantize(prepared, calibration, new QdqQuantizer.Options(false));
        byte[] copy = Copy(qdq);
        var graph = ModelProto.Parser.ParseFrom(copy).Graph;
        Assert.DoesNotContain(graph.Node, n => n.OpType is "QuantizeLinear" or "DequantizeLinear");
        Assert.Contains(graph.Node, n => n.OpType == "Clip");
        Assert.All(graph.Initializer, t => Assert.True(t.DataType is (int)DataType.Float or (int)DataType.Int64, $"{t.Name} is {(DataType)t.DataType}"));

        var ours = new ModelSuite("FloatCopyQdq", new[] { new ModelSuite.Entry("tiny", () => copy) })["tiny"];
        for (uint sample = 0; sample < 3; sample++)
        {
            var x = QuantCompare.Uniform(64, 500 + sample, -1, 1);
            float[] reference = OrtReference.Run(copy, new[] { x })[0];
            float[] int8 = OrtReference.Run(qdq, new[] { x })[0];
            float[] original = OrtReference.Run(prepared, new[] { x })[0];
            double range = reference.Max(Math.Abs);
            Compare.Close(reference, ours.Run(x)[0], rtol: 1e-4, atol: 1e-5 * range, $"sample {sample}: compiled float copy against ONNX Runtime");
            // Same network: the float copy is the float model up to weight rounding and the clips (none active on
            // calibrated inputs), and the int8 model is close to both.
            Compare.AtMost(Compare.RelativeL2(original, reference), 0.05, $"sample {sample}: relative L2 of the float copy against the float model");
            Compare.AtMost(Compare.RelativeL2(reference, int8), 0.05, $"sample {sample}: relative L2 of the int8 model against its float copy");
        }
    }

    [Fact]
    public void Ops_without_a_float_form_are_reported_together_with_their_names()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("a", (int)DataType.UInt8, new[] { 2, 4 });
        b.Input("q", (int)DataType.UInt8, new[] { 4, 3 });
        b.Node("MatMulInteger", new[] { "a", "q" }, "m", "the_matmul");
        b.Node("ConvInteger", new[] { "a", "q" }, "c", "the_conv");
        b.Output("m", (int)DataType.Int32);
        b.Output("c", (int)DataType.Int32);
        var result = FloatCopy.Make(b.Build());
        Assert.Null(result.Model);
        Assert.Contains(result.Problems, p => p.Contains("'a'", StringComparison.Ordinal) && p.Contains("float inputs", StringComparison.Ordinal));
        Assert.Contains(result.Problems, p => p.Contains("MatMulInteger 'the_matmul'", StringComparison.Ordinal));
        Assert.Contains(result.Problems, p => p.Contains("ConvInteger 'the_conv'", StringComparison.Ordinal));

        // A QLinearConv missing its inputs is reported, not thrown.
        var broken = new OnnxModelBuilder(opset: 13);
        broken.Input("x", 1, 2, 4, 4);
        broken.Node("QuantizeLinear", new[] { "x" }, "q", "quantize");
        broken.Node("QLinearConv", new[] { "q" }, "y", "short_conv");
        broken.Output("y", (int)DataType.UInt8);
        var shortResult = FloatCopy.Make(broken.Build());
        Assert.Null(shortResult.Model);
        Assert.Contains(shortResult.Problems, p => p.Contains("'quantize'", StringComparison.Ordinal));
        Assert.Contains(shortResult.Problems, p => p.Contains("'short_conv'", StringComparison.Ordinal));

        var garbage = FloatCopy.Make(new byte[] { 1, 2, 3, 4, 5 });
        Assert.Null(garbage.Model);
        Assert.NotEmpty(garbage.Problems);
    }

    /// <summary>A smooth synthetic image (normalized like ImageNet input): low-frequency colour waves.</summary>
    private static float[] Smooth(uint seed)
    {
        var r = new Rng(seed + 1);
        var x = new float[3 * 224 * 224];
        for (int c = 0; c < 3; c++)
        {
            float fx = r.Float(0.01f, 0.06f), fy = r.Float(0.01f, 0.06f), ph = r.Float(0, 6.28f);
            for (int i = 0; i < 224; i++)
                for (int j = 0; j < 224; j++)
                    x[(c * 224 + i) * 224 + j] = 1.8f * MathF.Sin(fx * j + fy * i + ph) + 0.3f * MathF.Sin(0.2f * (i + 2 * j));
        }
        return x;
    }

    [Fact]
    public void The_model_zoo_int8_mobilenetv2_has_a_float_copy_that_compiles_and_matches()
    {
        string path = Repo.Shared(Path.Combine("models", "mlperf-tiny-int8_Lawrence-lugs-MARP", "mobilenetv2-12-int8.onnx"));
        byte[] int8 = File.ReadAllBytes(path), copy = Copy(int8);
        var ours = new ModelSuite("FloatCopyZoo", new[] { new ModelSuite.Entry("mbv2", () => copy, "1,3,224,224") })["mbv2"];
        Assert.True(ours.Failure is null, ours.Failure);
        var shape = new[] { new[] { 1, 3, 224, 224 } };
        float step = QuantModelInfo.OutputScale(int8) ?? throw new InvalidOperationException("no output scale");
        for (uint sample = 0; sample < 2; sample++)
        {
            var x = sample == 0 ? MlperfInt8ModelTests.Inputs(int8, 3 * 224 * 224, 70) : Smooth(sample);
            float[] reference = OrtReference.Run(copy, new[] { x }, shape)[0];
            float[] quantized = OrtReference.Run(int8, new[] { x }, shape)[0];
            double range = reference.Max(Math.Abs);
            Compare.Close(reference, ours.Run(x)[0], rtol: 1e-4, atol: 1e-5 * range, $"sample {sample}: compiled float copy against ONNX Runtime");
            // The same network, 53 layers each rounding to its grid on synthetic (out-of-distribution) inputs: measured
            // 20 and 13 output steps at worst, relative L2 0.42 and 0.24. The bounds catch a wrong weight, bias or range
            // (which move the logits by their whole range), not the int8 model's accuracy.
            Compare.AtMost(Compare.MaxAbsDifference(reference, quantized) / step, 40, $"sample {sample}: int8 logits' distance from the float copy's, in output steps");
            Compare.AtMost(Compare.RelativeL2(reference, quantized), 0.6, $"sample {sample}: relative L2 of the int8 logits against the float copy's");
        }
    }
}
