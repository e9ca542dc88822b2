using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Quantization;

/// <summary>
/// The QOperator PyTorch export ../shared/models/torch-exports/tiny_squeezenet_b_int8_qop.onnx (QuantizeLinear,
/// QLinearConv with per-channel int8 weights, uint8 MaxPool and Concat, DequantizeLinear, float
/// GlobalAveragePool): its stored outputs come from an exact integer reference, so every uint8 tensor must be
/// identical and only the final float average may differ by float rounding (the reference averages in float64);
/// that is far below one final_output_quantum. It must also keep its stated accuracy on the digits test split.
/// </summary>
public sealed class TorchExportQOperatorTests
{
    private const string Name = "tiny_squeezenet_b_int8_qop";
    private static string Folder => Path.Combine(Repo.SharedRoot, "models", "torch-exports");

    private static readonly ModelSuite s_suite = new("TorchExportsQop",
        new[] { new ModelSuite.Entry(Name, () => File.ReadAllBytes(Path.Combine(Folder, Name + ".onnx"))) });

    private static (ModelSuite.Compiled Model, JsonElement Json) Load()
    {
        Repo.Shared(Path.Combine("models", "torch-exports", Name + ".onnx"));
        var model = s_suite[Name];
        Assert.True(model.Failure is null, $"{Name}: {model.Failure}");
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, Name + ".json"))).RootElement;
        return (model, json);
    }

    [Fact]
    public void Reproduces_the_stored_outputs()
    {
        var (model, json) = Load();
        double quantum = json.GetProperty("final_output_quantum").GetDouble();
        foreach (int sample in new[] { 0, 1 })
        {
            var input = TestTensor.ReadFloatBin(Path.Combine(Folder, $"{Name}.in{sample}.bin"));
            var expected = TestTensor.ReadFloatBin(Path.Combine(Folder, $"{Name}.out{sample}.bin"));
            var actual = model.Run(input)[0];
            double worst = Compare.MaxAbsDifference(expected, actual);
            // Identical integers leave only the float32-vs-float64 rounding of the final mean (about 1e-6).
            Compare.AtMost(worst, 1e-5, $"{Name} sample {sample}: max |difference| (final_output_quantum {quantum:G3}); the integer layers should be identical");
        }
    }

    [Fact]
    public void Keeps_its_stated_accuracy_on_the_digits_test_split()
    {
        var (model, json) = Load();
        double stated = json.GetProperty("accuracy_digits_test").GetDouble();
        var (accuracy, correct, count) = DigitsTestSplit.Accuracy(input => model.Run(input)[0]);
        Assert.True(accuracy >= stated - 1e-4, $"{Name}: accuracy {accuracy:F4} ({correct}/{count}) is below the stated {stated:F4}");
    }
}
