using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Quantization;

/// <summary>
/// The quantized PyTorch exports in ../shared/models/torch-exports: int8 QDQ models (tiny ResNet, ShuffleNet,
/// MLP, MobileNetV2 0.5x at 160x160) and the QOperator SqueezeNet. ModelCompiler runs their QDQ groups on
/// integer kernels, so:
/// <list type="bullet">
/// <item>every 8-bit tensor (each QuantizeLinear output, exposed as an extra graph output) matches ONNX Runtime
/// with its graph optimizations on, which fuses the same groups into its integer kernels, to within
/// <see cref="Bound"/>.OrtSteps steps;</item>
/// <item>the stored outputs (a float fake-quant simulation of the QDQ graph) are reproduced within
/// <see cref="Bound"/>.Logits: fusing DQ -> op -> Q into int32 accumulation and one requantization rounds
/// differently from the float simulation now and then (one step), and a step moves the logits by about
/// x_scale * |w| of the layers after it;</item>
/// <item>the stated accuracy on the 450 test digits is kept.</item>
/// </list>
/// </summary>
public sealed class QdqTorchExportTests
{
    /// <summary>Per model: max |ours - stored| on the logits, and max steps vs ONNX Runtime at 8-bit tensors (see the class comment).</summary>
    /// <remarks>
    /// Measured: every 8-bit tensor of every model equals ONNX Runtime's (0 steps). Against the stored float
    /// simulation the tiny models agree to float rounding (at most 2e-6), so their bound is 1e-5. MobileNetV2
    /// (random weights) sample 0: one element of its 5th quantized tensor lies at a rounding tie that integer
    /// accumulation (ONNX Runtime's QLinearConv and ours) and the float32 sum round to neighbouring values; the
    /// random weights amplify that single step through 50 layers (up to 98 steps in the last ones, 9% of the
    /// elements) and the logits, which span about +-1, move by up to 0.044: bound 0.05. Sample 1 agrees to 1e-6.
    /// </remarks>
    public static readonly (string Name, double Logits, long OrtSteps)[] Models =
    {
        ("tiny_resnet3_int8_qdq", 1e-5, 0),
        ("tiny_shufflenet3_int8_qdq", 1e-5, 0),
        ("mlp_96_48_int8_qdq", 1e-5, 0),
        ("tiny_squeezenet_b_int8_qop", 1e-5, 0),
        ("mobilenet_v2_w050_160_int8_qdq", 0.05, 0),
    };

    private static (double Logits, long OrtSteps) Bound(string name) { var m = Models.First(x => x.Name == name); return (m.Logits, m.OrtSteps); }

    private static string Folder => Path.Combine(Repo.SharedRoot, "models", "torch-exports");

    private static readonly ConcurrentDictionary<string, Lazy<CompiledModel>> s_compiled = new();

    public static TheoryData<string> Names() => new(Models.Select(m => m.Name));
    public static TheoryData<string> Trained() => new(Models.Select(m => m.Name).Where(n => !n.StartsWith("mobilenet", StringComparison.Ordinal)));

    private static byte[] Bytes(string name) => File.ReadAllBytes(Repo.Shared(Path.Combine("models", "torch-exports", name + ".onnx")));

    private static CompiledModel Compiled(string name, bool exposed = false)
    {
        var bytes = Bytes(name);
        return s_compiled.GetOrAdd(name + (exposed ? "#exposed" : ""), _ => new Lazy<CompiledModel>(() =>
            TypedModel.Compile(exposed ? QuantCompare.ExposeQuantized(bytes) : bytes, name))).Value;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Runs_its_quantized_groups_on_integer_kernels(string name)
    {
        var model = Compiled(name);
        var layers = model.Source.Split('\n').Where(l => l.TrimStart().StartsWith("// L", StringComparison.Ordinal)).ToList();
        var floatCompute = layers.Where(l => l.Contains("  Conv \"", StringComparison.Ordinal) || l.Contains("  Add \"", StringComparison.Ordinal)).ToList();
        TestContext.Current.TestOutputHelper?.WriteLine(string.Join("\n", layers.Select(l => l.Trim().Split("  ")[1])));
        Assert.True(floatCompute.Count == 0, $"{name}: float Conv/Add layers left: {string.Join("; ", floatCompute.Take(3))}");
        Assert.True(!model.Result.Diagnostics.Any(d => d.Id == "MC1002"), string.Join("\n", model.Result.Diagnostics));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Reproduces_the_stored_outputs_within_a_few_quanta(string name)
    {
        var model = Compiled(name);
        var bound = Bound(name).Logits;
        foreach (int sample in new[] { 0, 1 })
        {
            var input = TestTensor.ReadFloatBin(Path.Combine(Folder, $"{name}.in{sample}.bin"));
            var expected = TestTensor.ReadFloatBin(Path.Combine(Folder, $"{name}.out{sample}.bin"));
            var actual = (float[])model.RunTyped(new Array[] { input })[0].Data;
            double diff = Compare.MaxAbsDifference(expected, actual);
            TestContext.Current.TestOutputHelper?.WriteLine($"{name} sample {sample}: max |ours - stored| = {diff:G4} (bound {bound:G3}), logits in [{expected.Min():G3}, {expected.Max():G3}]");
            Compare.AtMost(diff, bound, $"{name} sample {sample}: max |ours - stored|");
            Assert.Equal(Array.IndexOf(expected, expected.Max()), Array.IndexOf(actual, actual.Max()));
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Matches_onnxruntime_integer_kernels_at_every_8bit_tensor(string name)
    {
        var model = Compiled(name, exposed: true);
        var bytes = QuantCompare.ExposeQuantized(Bytes(name));
        var (logitsBound, stepBound) = Bound(name);
        foreach (int sample in new[] { 0, 1 })
        {
            var input = TestTensor.ReadFloatBin(Path.Combine(Folder, $"{name}.in{sample}.bin"));
            var shape = model.Result.Inputs[0].Shape;
            var ours = model.RunTyped(new Array[] { input });
            var ort = OrtReference.RunTyped(bytes, new[] { TestTensor.Floats("input", shape, input) }, GraphOptimizationLevel.ORT_ENABLE_ALL);
            long worst = 0;
            int differing = 0, total = 0;
            for (int k = 0; k < ours.Length; k++)
            {
                if (ours[k].Data is float[] f)
                {
                    Compare.AtMost(Compare.MaxAbsDifference((float[])ort[k].Data, f), logitsBound, $"{name} sample {sample}: output '{ours[k].Name}' max |ours - ONNX Runtime|");
                    continue;
                }
                var (steps, count) = QuantCompare.Steps(ort[k].Data, ours[k].Data);
                worst = Math.Max(worst, steps);
                differing += count;
                total += ours[k].Data.Length;
            }
            TestContext.Current.TestOutputHelper?.WriteLine($"{name} sample {sample}: {ours.Length - 1} 8-bit tensors, {differing} of {total} elements differ from ONNX Runtime (ORT_ENABLE_ALL), at most {worst} step(s)");
            // For the record: the graph as written (float ops between QuantizeLinear/DequantizeLinear).
            var literal = OrtReference.RunTyped(bytes, new[] { TestTensor.Floats("input", shape, input) }, GraphOptimizationLevel.ORT_DISABLE_ALL);
            long literalWorst = 0;
            int literalDiffering = 0;
            for (int k = 0; k < ours.Length; k++)
            {
                if (ours[k].Data is float[]) continue;
                var (steps, count) = QuantCompare.Steps(literal[k].Data, ours[k].Data);
                literalWorst = Math.Max(literalWorst, steps);
                literalDiffering += count;
            }
            TestContext.Current.TestOutputHelper?.WriteLine($"{name} sample {sample}: vs the graph as written (ORT_DISABLE_ALL): {literalDiffering} of {total} elements differ, at most {literalWorst} step(s)");
            Assert.True(worst <= stepBound, $"{name} sample {sample}: an 8-bit tensor differs from ONNX Runtime by {worst} steps ({differing} of {total} elements differ)");
        }
    }

    [Theory]
    [MemberData(nameof(Trained))]
    public void Keeps_its_stated_accuracy_on_the_digits_test_split(string name)
    {
        var model = Compiled(name);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, name + ".json")));
        double stated = json.RootElement.GetProperty("accuracy_digits_test").GetDouble();
        var (accuracy, correct, count) = DigitsTestSplit.Accuracy(input => (float[])model.RunTyped(new Array[] { input })[0].Data);
        TestContext.Current.TestOutputHelper?.WriteLine($"{name}: accuracy {accuracy:F4} ({correct}/{count}), stated {stated:F4}");
        Assert.True(accuracy >= stated - 1e-4, $"{name}: accuracy {accuracy:F4} ({correct}/{count}) is below the stated {stated:F4}");
    }
}
