using System.Collections.Generic;
using System.IO;
using System.Linq;
using Google.Protobuf;
using Microsoft.CodeAnalysis;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Generator;

/// <summary>What a user sees in the build when a model cannot be compiled: errors with stable ids, on the .onnx file, never a crash.</summary>
public sealed class GeneratorDiagnosticsTests
{
    private static (IReadOnlyList<Diagnostic> Diagnostics, int Sources) RunOne(string fileName, byte[] bytes, Dictionary<string, string>? metadata = null, bool withResource = true)
    {
        var harness = new GeneratorHarness();
        harness.AddModel(fileName, bytes, metadata, withResource);
        var (run, _, _) = harness.Run();
        Assert.All(run.Results, r => Assert.Null(r.Exception));
        return (run.Diagnostics, run.GeneratedTrees.Length);
    }

    [Fact]
    public void Malformed_bytes_report_MC0002_on_the_model_file()
    {
        var (diagnostics, sources) = RunOne("broken.onnx", new byte[] { 0x0A, 0xFF, 0xFF, 0xFF, 0x7F, 0x01, 0x02 });
        var d = Assert.Single(diagnostics);
        Assert.Equal("MC0002", d.Id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.EndsWith("broken.onnx", d.Location.GetLineSpan().Path);
        Assert.Equal(0, sources);
    }

    [Fact]
    public void An_empty_file_reports_MC0002()
    {
        var (diagnostics, _) = RunOne("empty.onnx", new byte[0]);
        Assert.Contains(diagnostics, d => d.Id == "MC0002" && d.GetMessage().Contains("empty"));
    }

    [Fact]
    public void A_missing_file_reports_MC0001()
    {
        var harness = new GeneratorHarness();
        harness.AddFile(Path.Combine(harness.Directory, "does-not-exist.onnx"));
        var (run, _, _) = harness.Run();
        Assert.Contains(run.Diagnostics, d => d.Id == "MC0001");
    }

    [Fact]
    public void Every_unsupported_operator_is_reported_at_once_with_node_name_and_domain()
    {
        var b = new OnnxModelBuilder(opset: 13).Opset("com.example", 1);
        b.Input("x", 1, 4);
        var a = b.Node("StringNormalizer", new[] { "x" }, "a", "normalize_text");
        var c = b.Node("Frobnicate", new[] { a }, "c", "custom_step", domain: "com.example");
        var r = b.Node("Relu", new[] { c }, "r", "relu");
        b.Node("Bernoulli", new[] { r }, "y", "sample");
        b.Output("y");
        var (diagnostics, sources) = RunOne("unsupported.onnx", b.Build());

        var unsupported = diagnostics.Where(d => d.Id == "MC0003").Select(d => d.GetMessage()).ToList();
        Assert.Equal(3, unsupported.Count);
        Assert.Contains(unsupported, m => m.Contains("'normalize_text'") && m.Contains("'StringNormalizer'") && m.Contains("ai.onnx"));
        Assert.Contains(unsupported, m => m.Contains("'custom_step'") && m.Contains("'Frobnicate'") && m.Contains("com.example"));
        Assert.Contains(unsupported, m => m.Contains("'sample'") && m.Contains("'Bernoulli'"));
        Assert.Equal(0, sources);
    }

    internal static byte[] DynamicBatchMlp()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("features", (int)TensorProto.Types.DataType.Float, new[] { -1, 4 }, new[] { "batch_size", null });
        b.Initializer("w", new[] { 4, 2 }, OnnxModelBuilder.RandomFloats(8, 1));
        b.Node("MatMul", new[] { "features", "w" }, "y", "mm");
        b.Output("y");
        return b.Build();
    }

    [Fact]
    public void A_dynamic_input_dimension_reports_MC0004_with_the_metadata_to_add()
    {
        var (diagnostics, sources) = RunOne("dynamic.onnx", DynamicBatchMlp());
        var d = Assert.Single(diagnostics);
        Assert.Equal("MC0004", d.Id);
        string message = d.GetMessage();
        Assert.Contains("'features'", message);
        Assert.Contains("'batch_size'", message);
        Assert.Contains("InputShape=\"1,4\"", message);
        Assert.Equal(0, sources);
    }

    [Fact]
    public void InputShape_metadata_pins_a_dynamic_dimension()
    {
        var (diagnostics, sources) = RunOne("dynamic.onnx", DynamicBatchMlp(), new() { ["InputShape"] = "3,4" });
        Assert.Empty(diagnostics);
        Assert.Equal(1, sources);
    }

    [Fact]
    public void An_InputShape_that_does_not_fit_reports_MC0006()
    {
        var (diagnostics, _) = RunOne("dynamic.onnx", DynamicBatchMlp(), new() { ["InputShape"] = "1,4,1" });
        Assert.Contains(diagnostics, d => d.Id == "MC0006" && d.GetMessage().Contains("does not fit"));
        var (bad, _) = RunOne("dynamic.onnx", DynamicBatchMlp(), new() { ["InputShape"] = "1,four" });
        Assert.Contains(bad, d => d.Id == "MC0006" && d.GetMessage().Contains("'four'"));
    }

    [Fact]
    public void Overriding_a_fixed_dimension_warns_MC1001_and_still_generates()
    {
        var (diagnostics, sources) = RunOne("dynamic.onnx", DynamicBatchMlp(), new() { ["InputShape"] = "2,4" });
        Assert.Empty(diagnostics);
        var (overridden, generated) = RunOne("mlp.onnx", TestModels.TinyMlp(), new() { ["InputShape"] = "2,4" });
        var d = Assert.Single(overridden);
        Assert.Equal("MC1001", d.Id);
        Assert.Equal(Microsoft.CodeAnalysis.DiagnosticSeverity.Warning, d.Severity);
        Assert.Equal(1, generated);
        Assert.Equal(1, sources);
    }

    [Fact]
    public void External_tensor_data_reports_MC0005_naming_the_tensor_and_file()
    {
        var (diagnostics, _) = RunOne("external.onnx", EveryDiagnosticTests.ExternalData());
        var d = Assert.Single(diagnostics, x => x.Id == "MC0005");
        Assert.Contains("'big_weight'", d.GetMessage());
        Assert.Contains("weights.bin", d.GetMessage());
    }

    [Fact]
    public void Without_the_build_targets_a_model_with_weights_reports_MC0009()
    {
        var (diagnostics, sources) = RunOne("mlp.onnx", TestModels.TinyMlp(), withResource: false);
        Assert.Contains(diagnostics, d => d.Id == "MC0009");
        Assert.Equal(0, sources);
    }

    [Fact]
    public void An_invalid_node_reports_MC0008_with_its_name()
    {
        var (diagnostics, _) = RunOne("bad.onnx", EveryDiagnosticTests.InnerDimensionMismatch());
        var d = Assert.Single(diagnostics);
        Assert.Equal("MC0008", d.Id);
        Assert.Contains("'projection'", d.GetMessage());
        Assert.Contains("inner dimensions", d.GetMessage());
    }

    [Fact]
    public void Two_models_with_the_same_class_report_MC0010()
    {
        var harness = new GeneratorHarness();
        harness.AddModel("a.onnx", TestModels.TinyMlp(), new() { ["ClassName"] = "Net" });
        harness.AddModel("b.onnx", TestModels.TinyMlp(), new() { ["ClassName"] = "Net" });
        var (run, _, _) = harness.Run();
        Assert.Contains(run.Diagnostics, d => d.Id == "MC0010");
        Assert.Single(run.GeneratedTrees);
    }

    [Fact]
    public void Class_and_namespace_come_from_metadata_or_the_file_name_and_RootNamespace()
    {
        var harness = new GeneratorHarness();
        harness.AddModel("my-model_v2.onnx", TestModels.TinyMlp());
        harness.AddModel("other.onnx", TestModels.TinyMlp(), new() { ["ClassName"] = "Scorer", ["Namespace"] = "Acme.Models" });
        var (run, compilationDiagnostics, _) = harness.Run();
        Assert.Empty(run.Diagnostics);
        Assert.Empty(compilationDiagnostics);
        var text = string.Join("\n", run.GeneratedTrees.Select(t => t.ToString()));
        Assert.Contains("namespace TestApp", text);
        Assert.Contains("public static partial class MyModelV2", text);
        Assert.Contains("namespace Acme.Models", text);
        Assert.Contains("public static partial class Scorer", text);
    }
}
