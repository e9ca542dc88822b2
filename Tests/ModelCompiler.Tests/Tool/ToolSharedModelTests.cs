using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tests.Infrastructure;
using Xunit;
using static ModelCompiler.Tests.Tool.ToolHarness;

namespace ModelCompiler.Tests.Tool;

/// <summary>
/// modelc on the PyTorch exports in ../shared/models/torch-exports (digits models, their digits_test split, the
/// distillation teacher and student, MobileNetV2 0.5x). References: the exports' stored outputs and accuracies (json),
/// their ORT-layout QDQ models, and ONNX Runtime.
/// </summary>
public sealed class ToolSharedModelTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Exports(string file) => Repo.Shared("models/torch-exports/" + file);

    private static JsonElement Json(string model) => JsonDocument.Parse(File.ReadAllText(Exports(model + ".json"))).RootElement;

    /// <summary>The digits test split as .npy (shaped for CNNs [n,1,8,8] or MLPs [n,64]) and its labels.</summary>
    private (string X, string Y, float[][] Rows, int[] Labels) Digits(bool cnn, int from = 0, int count = 450)
    {
        var x = TestTensor.ReadFloatBin(Exports("digits_test.x.bin"));
        var yBytes = File.ReadAllBytes(Exports("digits_test.y.bin"));
        var labels = new int[yBytes.Length / 4];
        Buffer.BlockCopy(yBytes, 0, labels, 0, yBytes.Length);
        var rows = Enumerable.Range(from, count).Select(i => x.AsSpan(i * 64, 64).ToArray()).ToArray();
        string xPath = _dir.File($"digits_{(cnn ? "cnn" : "mlp")}_{from}_{count}.npy"), yPath = _dir.File($"labels_{from}_{count}.npy");
        WriteFloatNpy(xPath, cnn ? new[] { count, 1, 8, 8 } : new[] { count, 64 }, rows.SelectMany(r => r).ToArray());
        WriteLabelsNpy(yPath, labels.Skip(from).Take(count).ToArray());
        return (xPath, yPath, rows, labels.Skip(from).Take(count).ToArray());
    }

    private static int[] InputShape(string model) => Json(model).GetProperty("inputs")[0].GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();

    private static double Accuracy(IReadOnlyList<float[]> logits, int[] labels) =>
        logits.Select((o, i) => Array.IndexOf(o, o.Max()) == labels[i] ? 1 : 0).Sum() / (double)labels.Length;

    [Theory]
    [InlineData("tiny_resnet3")]
    [InlineData("tiny_shufflenet3")]
    [InlineData("mlp_96_48")]
    public void Int8_qdq_keeps_digits_accuracy_within_1_percent(string name)
    {
        bool cnn = InputShape(name).Length == 4;
        var calibration = Digits(cnn, 0, 150);
        var test = Digits(cnn);
        string output = _dir.File(name + "_q.onnx");
        Ok("quantize", Exports(name + ".onnx"), "-o", output, "--calibration", calibration.X, "--per-channel");
        double floatAccuracy = Json(name).GetProperty("accuracy_digits_test").GetDouble();
        var shape = InputShape(name);
        double ort = Accuracy(Ort(File.ReadAllBytes(output), shape, test.Rows, GraphOptimizationLevel.ORT_ENABLE_ALL), test.Labels);
        double compiled = Accuracy(Compiled(File.ReadAllBytes(output), test.Rows), test.Labels);
        Assert.True(Math.Abs(ort - floatAccuracy) <= 0.01, $"{name}: int8 accuracy {ort:P2} (ONNX Runtime) vs float {floatAccuracy:P2}");
        Assert.True(Math.Abs(compiled - floatAccuracy) <= 0.01, $"{name}: int8 accuracy {compiled:P2} (ModelCompiler) vs float {floatAccuracy:P2}");
    }

    [Theory]
    [InlineData("tiny_resnet3")]
    [InlineData("tiny_shufflenet3")]
    [InlineData("mlp_96_48")]
    public void Qdq_layout_matches_onnx_runtime_quantizer(string name)
    {
        var calibration = Digits(InputShape(name).Length == 4, 0, 100);
        string output = _dir.File(name + "_q.onnx");
        Ok("quantize", Exports(name + ".onnx"), "-o", output, "--calibration", calibration.X, "--per-channel");
        var ours = Load(output).Graph;
        var theirs = Load(Exports(name + "_int8_qdq.onnx")).Graph;

        string Ops(GraphProto g) => string.Join(",", g.Node.GroupBy(n => n.OpType).OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Key}:{k.Count()}"));
        Assert.Equal(Ops(theirs), Ops(ours));
        string Wrapped(GraphProto g) => string.Join(",", g.Node.Where(n => n.OpType == "QuantizeLinear").Select(n => n.Input[0]).OrderBy(s => s, StringComparer.Ordinal));
        Assert.Equal(Wrapped(theirs), Wrapped(ours));

        // Every float op reads the same kinds of inputs: a dequantized activation, int8 weights (per channel or not), int32 bias, or float.
        foreach (var node in theirs.Node.Where(n => n.OpType is not ("QuantizeLinear" or "DequantizeLinear")))
        {
            var mine = ours.Node.Single(n => n.Name == node.Name);
            Assert.Equal(Pattern(theirs, node), Pattern(ours, mine));
        }
        // Bias: int32, zero point 0, scale = x_scale * w_scale as float32, per output channel where the weight is.
        foreach (var dq in ours.Node.Where(n => n.OpType == "DequantizeLinear" && Init(ours, n.Input[0])?.DataType == (int)TensorProto.Types.DataType.Int32))
        {
            var consumer = ours.Node.Single(n => n.Input.Contains(dq.Output[0]));
            Assert.True(consumer.Input.Count == 3 && consumer.Input[2] == dq.Output[0], $"{dq.Name} feeds {consumer.OpType} '{consumer.Name}' ({string.Join(", ", consumer.Input)})");
            var wScale = Floats(Init(ours, Producer(ours, consumer.Input[1])!.Input[1])!);
            var xScale = Floats(Init(ours, GridOf(ours, consumer.Input[0]).Input[1])!)[0];
            Assert.Equal(wScale.Select(w => xScale * w).ToArray(), Floats(Init(ours, dq.Input[1])!));
            Assert.All(ModelCompiler.Onnx.TensorReader.Read(Init(ours, dq.Input[2])!).ToLongs(), z => Assert.Equal(0, z));
        }
    }

    /// <summary>The DequantizeLinear whose grid a tensor is on, through value-preserving ops (MaxPool, Flatten, Reshape...).</summary>
    private static NodeProto GridOf(GraphProto g, string tensor)
    {
        var p = Producer(g, tensor)!;
        while (p.OpType != "DequantizeLinear") p = Producer(g, p.Input[0])!;
        return p;
    }

    private static TensorProto? Init(GraphProto g, string name) =>
        InitOnly(g, name) ?? (Producer(g, name) is { OpType: "Constant" } c ? c.Attribute.Single(a => a.Name == "value").T : null);

    private static TensorProto? InitOnly(GraphProto g, string name) => g.Initializer.FirstOrDefault(t => t.Name == name);
    private static NodeProto? Producer(GraphProto g, string tensor) => g.Node.FirstOrDefault(n => n.Output.Contains(tensor));

    /// <summary>"DQ(activation uint8)", "DQ(int8 weight, 12 scales, axis 0)", "DQ(int32 bias, zp 0)" or "float" for each input.</summary>
    private static string Pattern(GraphProto g, NodeProto node) => string.Join(" | ", node.Input.Select(i =>
    {
        var dq = Producer(g, i);
        if (dq?.OpType != "DequantizeLinear") return Init(g, i) is null ? "float" : "constant";
        var q = Init(g, dq.Input[0]);
        var zp = Init(g, dq.Input[2])!;
        var scaleValues = Floats(Init(g, dq.Input[1])!);
        // The exports broadcast a per-tensor bias scale to one (equal) value per element; ONNX Runtime writes it once.
        // Both are the same grid, so equal values count as one scale.
        var scales = scaleValues.Distinct().Count() == 1 ? 1 : scaleValues.Length;
        if (q is null) return $"DQ(activation {(TensorProto.Types.DataType)zp.DataType})";
        var zeros = ModelCompiler.Onnx.TensorReader.Read(zp).ToLongs().All(z => z == 0) ? "zp 0" : "zp != 0";
        string axis = scales > 1 ? ", axis " + (dq.Attribute.FirstOrDefault(a => a.Name == "axis")?.I ?? 1) : "";
        return $"DQ({(TensorProto.Types.DataType)q.DataType} {zeros}, {scales} scales{axis})";
    }));

    [Fact]
    public void Prune_09_leaves_89_percent_zeros_and_the_compiled_model_stays_correct()
    {
        var digits = Digits(cnn: true, 0, 16);
        string output = _dir.File("pruned.onnx");
        Ok("prune", Exports("tiny_resnet3.onnx"), "-o", output, "--sparsity", "0.9", "--data", digits.X);
        var weights = Load(output).Graph.Initializer.Where(t => t.Dims.Count >= 2 && t.DataType == 1).SelectMany(Floats).ToList();
        double zeros = weights.Count(v => v == 0) / (double)weights.Count;
        Assert.True(zeros >= 0.89, $"{zeros:P2} zeros");
        RunsInOrtAndCompiler(output, new[] { 1, 1, 8, 8 }, digits.Rows);
    }

    [Theory]
    [InlineData("tiny_resnet3")]
    [InlineData("mlp_96_48")]
    [InlineData("kd_student_cnn4x8")]
    public void Lowrank_at_full_rank_reproduces_the_stored_outputs(string name)
    {
        string output = _dir.File(name + "_lr.onnx");
        var r = Ok("lowrank", Exports(name + ".onnx"), "-o", output, "--energy", "1", "--force");
        Assert.DoesNotContain("kept:", r.Out);
        var shape = InputShape(name);
        var inputs = new[] { 0, 1 }.Select(k => TestTensor.ReadFloatBin(Exports($"{name}.in{k}.bin"))).ToList();
        var outputs = Ort(File.ReadAllBytes(output), shape, inputs);
        for (int k = 0; k < 2; k++)
            Compare.Close(TestTensor.ReadFloatBin(Exports($"{name}.out{k}.bin")), outputs[k], 1e-3, 1e-4, $"{name} full-rank factors, sample {k} (README tolerance)");
        RunsInOrtAndCompiler(output, shape, inputs);
    }

    [Fact]
    public void Compare_on_the_distillation_pair_reports_what_the_stored_outputs_imply()
    {
        string teacher = "kd_teacher_resnet3_w32", student = "kd_student_cnn4x8";
        var inputs = new[] { 0, 1 }.Select(k => TestTensor.ReadFloatBin(Exports($"{teacher}.in{k}.bin"))).ToList();
        for (int k = 0; k < 2; k++) Assert.Equal(inputs[k], TestTensor.ReadFloatBin(Exports($"{student}.in{k}.bin")));
        var t = new[] { 0, 1 }.Select(k => TestTensor.ReadFloatBin(Exports($"{teacher}.out{k}.bin"))).ToList();
        var s = new[] { 0, 1 }.Select(k => TestTensor.ReadFloatBin(Exports($"{student}.out{k}.bin"))).ToList();
        string data = _dir.File("kd.npy");
        WriteFloatNpy(data, new[] { 2, 1, 8, 8 }, inputs.SelectMany(i => i).ToArray());

        var f = JsonDocument.Parse(Ok("compare", Exports(teacher + ".onnx"), Exports(student + ".onnx"), "--data", data, "--json").Out).RootElement.GetProperty("fidelity");
        double agreement = Enumerable.Range(0, 2).Count(k => Array.IndexOf(t[k], t[k].Max()) == Array.IndexOf(s[k], s[k].Max())) / 2.0;
        double maxDiff = Enumerable.Range(0, 2).Max(k => t[k].Zip(s[k], (a, b) => Math.Abs((double)a - b)).Max());
        double kl = Enumerable.Range(0, 2).Average(k => Kl(t[k], s[k]));
        Assert.Equal(agreement, f.GetProperty("agreement").GetDouble());
        Assert.True(Math.Abs(maxDiff - f.GetProperty("maxAbsDiff").GetDouble()) <= 1e-4, $"max diff {f.GetProperty("maxAbsDiff")} vs stored {maxDiff}");
        Assert.True(Math.Abs(kl - f.GetProperty("klDivergence").GetDouble()) <= 1e-4, $"KL {f.GetProperty("klDivergence")} vs stored {kl}");

        // On the whole split, each model's accuracy is the one its json states.
        var digits = Digits(cnn: true);
        var all = JsonDocument.Parse(Ok("compare", Exports(teacher + ".onnx"), Exports(student + ".onnx"), "--data", digits.X, "--labels", digits.Y, "--json").Out).RootElement.GetProperty("fidelity");
        Assert.Equal(Json(teacher).GetProperty("accuracy_digits_test").GetDouble(), all.GetProperty("accuracyA").GetDouble(), 4);
        Assert.Equal(Json(student).GetProperty("accuracy_digits_test").GetDouble(), all.GetProperty("accuracyB").GetDouble(), 4);
    }

    /// <summary>KL(softmax(p) || softmax(q)), computed here from the definition.</summary>
    private static double Kl(float[] p, float[] q)
    {
        double[] Softmax(float[] v)
        {
            double m = v.Max();
            var e = v.Select(x => Math.Exp(x - m)).ToArray();
            double sum = e.Sum();
            return e.Select(x => x / sum).ToArray();
        }
        var a = Softmax(p);
        var b = Softmax(q);
        return a.Zip(b, (x, y) => x * Math.Log(x / y)).Sum();
    }

    [Fact]
    public void Fp16_matches_the_exports_float16_model()
    {
        string output = _dir.File("fp16.onnx");
        Ok("fp16", Exports("tiny_densenet4.onnx"), "-o", output);
        var inputs = new[] { 0, 1 }.Select(k => TestTensor.ReadFloatBin(Exports($"tiny_densenet4_fp16w.in{k}.bin"))).ToList();
        var outputs = Ort(File.ReadAllBytes(output), InputShape("tiny_densenet4"), inputs);
        for (int k = 0; k < 2; k++)
            Compare.Close(TestTensor.ReadFloatBin(Exports($"tiny_densenet4_fp16w.out{k}.bin")), outputs[k], 1e-3, 1e-4, $"fp16 weights, sample {k}, against the export's own float16 model");
        RunsInOrtAndCompiler(output, InputShape("tiny_densenet4"), inputs);
    }

    /// <summary>MACs always; parameters only for models without BatchNorm (PyTorch counts its folded gamma and beta too).</summary>
    [Theory]
    [InlineData("tiny_resnet3", false)]
    [InlineData("kd_student_cnn4x8", true)]
    [InlineData("mlp_96_48", true)]
    [InlineData("mobilenet_v2_w050_160", false)]
    public void Inspect_counts_the_macs_and_parameters_the_exports_state(string name, bool checkParameters)
    {
        var doc = JsonDocument.Parse(Ok("inspect", Exports(name + ".onnx"), "--json").Out).RootElement;
        Assert.Equal(Json(name).GetProperty("macs").GetInt64(), doc.GetProperty("macs").GetInt64());
        if (checkParameters) Assert.Equal(Json(name).GetProperty("params").GetInt64(), doc.GetProperty("parameters").GetInt64());
        Assert.True(doc.GetProperty("layers").GetArrayLength() > 0);
    }

    [Fact]
    public void MobileNetV2_quantizes_to_a_model_both_engines_run()
    {
        string name = "mobilenet_v2_w050_160";
        var inputs = new[] { 0, 1 }.Select(k => TestTensor.ReadFloatBin(Exports($"{name}.in{k}.bin"))).ToList();
        string data = _dir.File("mbv2.npy");
        WriteFloatNpy(data, new[] { 2, 3, 160, 160 }, inputs.SelectMany(i => i).ToArray());
        string output = _dir.File("mbv2_q.onnx");
        var r = Ok("quantize", Exports(name + ".onnx"), "-o", output, "--calibration", data, "--per-channel", "--data", data);
        Assert.Contains("top-1 agreement", r.Out);
        // ModelCompiler compiles it to integer kernels (no Roslyn here: the C# of a 2 M-parameter model takes long to compile).
        var compiled = ModelCompiler.Compilation.ModelCompilation.Compile(File.ReadAllBytes(output), new ModelCompiler.Compilation.ModelOptions { FileName = "m.onnx", WeightsResource = "w" });
        Assert.True(compiled.Success, string.Join("; ", compiled.Diagnostics));
        Assert.Contains(compiled.LayerSummaries, l => l.Inputs.Any(i => i.Type == ModelCompiler.Graph.DataType.UInt8));
    }

    [Fact]
    public void Report_of_a_digits_model_renders_in_chromium()
    {
        string html = _dir.File("report.html");
        var digits = Digits(cnn: true, 0, 4);
        Ok("report", Exports("tiny_resnet3.onnx"), "-o", html, "--data", digits.X, "--profile-seconds", "0.2");
        var r = Chromium.Render(html, _dir.File("report.png"));
        Assert.True(r.ConsoleErrors.Count == 0, string.Join("\n", r.ConsoleErrors));
        Assert.Equal(11, r.LayerRows);
        Assert.True(r.NonBlank, "the screenshot is blank");
    }
}
