using System;
using System.IO;
using System.Linq;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Models;

/// <summary>Prints a layer-by-layer comparison with ONNX Runtime for the model named in MODELCOMPILER_PROBE (skipped otherwise).</summary>
public sealed class DivergenceProbe
{
    [Fact]
    public void Trace_the_model_named_in_MODELCOMPILER_PROBE()
    {
        string? path = Environment.GetEnvironmentVariable("MODELCOMPILER_PROBE");
        if (string.IsNullOrEmpty(path)) Assert.Skip("set MODELCOMPILER_PROBE=<model.onnx>[|InputShape] to trace a model against ONNX Runtime");
        string? shape = path!.Contains('|') ? path.Split('|')[1] : null;
        byte[] model = File.ReadAllBytes(path.Split('|')[0]);
        var (result, _) = InMemoryCompiler.Generate(model, "Probe", inputShape: shape);
        var inputs = result.Inputs.Select((i, k) => OnnxModelBuilder.RandomFloats((int)i.Length, (uint)(1234 + k)).Select(v => (v + 1) / 2).ToArray()).ToArray();
        var suite = new ModelSuite("ProbeSuite", new[] { new ModelSuite.Entry("m", () => model, shape) });
        var ours = suite["m"].Run(inputs);
        var reference = OrtReference.Run(model, inputs, result.Inputs.Select(i => i.Shape).ToList());
        for (int k = 0; k < ours.Length; k++)
        {
            int worst = Enumerable.Range(0, ours[k].Length).OrderByDescending(i => Math.Abs(ours[k][i] - reference[k][i])).First();
            Console.Error.WriteLine($"output {k} '{result.Outputs[k].Name}': rel L2 {Compare.RelativeL2(reference[k], ours[k]):G3}; worst element {worst}: ours {ours[k][worst]:R} ORT {reference[k][worst]:R}");
        }
        var trace = Divergence.Trace(model, inputs, shape);
        foreach (var (value, op, error) in trace) TestContext.Current.SendDiagnosticMessage($"{error,10:G3}  {op}  -> {value}");
        Console.Error.WriteLine(string.Join("\n", trace.Select(t => $"{t.Error,10:G3}  {t.Op}  -> {t.Value}")));
        Assert.NotEmpty(trace);
    }
}
