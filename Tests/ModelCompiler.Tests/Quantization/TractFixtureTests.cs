using System;
using System.IO;
using System.Linq;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Quantization;

/// <summary>
/// tract's ONNX fixtures (../shared/op-fixtures/tract/*/model.onnx with io.npz): quantized relu, sigmoid, tanh
/// (QuantizeLinear -> DequantizeLinear -> f -> QuantizeLinear -> DequantizeLinear) and a QLinearConv TDNN with
/// int32 biases, plus two float cases. Inputs and outputs come from the .npz; dynamic dimensions are pinned to
/// the stored input's shape. Outputs of quantized models are dequantized 8-bit values, so they must agree within
/// one quantization step (the largest DequantizeLinear scale of the model): tract evaluates f in its own
/// arithmetic, and a value at a rounding tie can land one step away. Float fixtures use the ONNX tolerance.
/// Fixtures whose ops are outside ModelCompiler's scope (Scan, ai.onnx.ml) are reported as skipped.
/// The TDNN fixture's stored output has 10 time steps where ONNX's VALID convolution of 10 steps with a
/// 3-tap kernel has 8 (tract runs it with one step of context on each side): there the output must equal
/// ONNX Runtime's exactly, and tract's middle 8 steps.
/// </summary>
public sealed class TractFixtureTests
{
    private static string Root => Path.Combine(Repo.SharedRoot, "op-fixtures", "tract");

    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        if (!Directory.Exists(Root)) { data.Add("(shared test material missing)"); return data; }
        foreach (var d in Directory.GetDirectories(Root).OrderBy(d => d, StringComparer.Ordinal))
            if (File.Exists(Path.Combine(d, "io.npz"))) data.Add(Path.GetFileName(d));
        return data;
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Matches_the_stored_outputs(string fixture)
    {
        string dir = Repo.Shared(Path.Combine("op-fixtures", "tract", fixture));
        var bytes = File.ReadAllBytes(Path.Combine(dir, "model.onnx"));
        var proto = ModelProto.Parser.ParseFrom(bytes);
        var outside = proto.Graph.Node.Where(n => n.OpType is "Scan" or "Loop" or "If" || n.Domain.StartsWith("ai.onnx.ml", StringComparison.Ordinal)).Select(n => n.OpType).Distinct().ToList();
        if (outside.Count > 0) Assert.Skip($"uses {string.Join(", ", outside)}, outside ModelCompiler's scope (control flow, ai.onnx.ml)");

        var io = Npy.ReadNpz(Path.Combine(dir, "io.npz"));
        var initializers = proto.Graph.Initializer.Select(i => i.Name).ToHashSet();
        var inputNames = proto.Graph.Input.Where(i => !initializers.Contains(i.Name)).Select(i => i.Name).ToList();
        var inputs = inputNames.Select(n => io.First(t => t.Name == n)).ToList();
        string shapes = inputs.Count == 1
            ? string.Join(",", inputs[0].Shape)
            : string.Join(" ", inputs.Select(t => t.Name + ":" + string.Join(",", t.Shape)));
        var model = TypedModel.Compile(bytes, "tract_" + fixture, shapes);
        var outputs = model.RunTyped(inputs.Select(t => t.Data).ToArray());

        bool quantized = proto.Graph.Node.Any(n => n.OpType is "QuantizeLinear" or "DequantizeLinear" or "QLinearConv");
        double step = proto.Graph.Node.Where(n => n.OpType == "DequantizeLinear")
            .Select(n => proto.Graph.Initializer.FirstOrDefault(i => i.Name == n.Input[1]))
            .Where(t => t is not null).Select(t => (double)BitConverter.ToSingle(t!.RawData.Length > 0 ? t.RawData.ToByteArray() : BitConverter.GetBytes(t.FloatData[0]), 0))
            .DefaultIfEmpty(0).Max();
        for (int k = 0; k < outputs.Length; k++)
        {
            var expected = io.First(t => t.Name == proto.Graph.Output[k].Name);
            if (!expected.Shape.SequenceEqual(outputs[k].Shape))
            {
                var ort = OrtReference.RunTyped(QdqQuantizer.Prepare(bytes, inputs.Select(t => t.Shape).ToList()), inputs);
                Compare.Exact(ort[k].Data, outputs[k].Data, $"{fixture} output {k} vs ONNX Runtime");
                int rows = outputs[k].Shape[0], cols = outputs[k].Shape[1], skip = (expected.Shape[0] - rows) / 2;
                Assert.Equal(cols, expected.Shape[1]);
                var middle = ((float[])expected.Data).Skip(skip * cols).Take(rows * cols).ToArray();
                Compare.Exact(middle, outputs[k].Data, $"{fixture} output {k} vs tract's middle {rows} steps");
                TestContext.Current.TestOutputHelper?.WriteLine($"{fixture}: tract stores {expected.Shape[0]} steps, ONNX gives {rows}; equal to ONNX Runtime and to tract's middle steps");
                continue;
            }
            if (quantized)
            {
                double worst = Compare.MaxAbsDifference((float[])expected.Data, (float[])outputs[k].Data);
                TestContext.Current.TestOutputHelper?.WriteLine($"{fixture}: max |ours - tract| = {worst:G4} ({worst / step:F2} steps of {step:G4})");
                Compare.AtMost(worst, step * 1.0001, $"{fixture}: output '{expected.Name}' max |ours - tract| (one step {step:G4})");
            }
            else Compare.Close(expected.Data, outputs[k].Data, 1e-4, 1e-5, $"{fixture} output {k}");
        }
    }
}
