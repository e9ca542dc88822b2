using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ModelCompiler.Compilation;
using ModelCompiler.Tests.Infrastructure;
using Xunit;
using Float = ModelCompiler.Onnx.Proto.TensorProto.Types.DataType;

namespace ModelCompiler.Tests.Generator;

/// <summary>
/// Backend="OnnxRuntime" at the generator level: any operator ONNX Runtime runs is fine, shapes come from
/// inference or the model's declaration, options are checked at build time, and the public API is the
/// managed backend's.
/// </summary>
public sealed class OnnxRuntimeBackendGeneratorTests
{
    private static Dictionary<string, string> Ort(params (string Key, string Value)[] extra)
    {
        var d = new Dictionary<string, string> { ["Backend"] = "OnnxRuntime", ["ModelCompilerModelResource"] = "ModelCompiler/TestApp/Model/model.onnx" };
        foreach (var (k, v) in extra) d[k] = v;
        return d;
    }

    private static (GeneratorDriverRunResult Run, IReadOnlyList<Diagnostic> Compilation) Generate(byte[] model, Dictionary<string, string> metadata, string file = "model.onnx")
    {
        var harness = new GeneratorHarness();
        harness.AddModel(file, model, metadata, withResource: false);
        var compilation = CSharpCompilation.Create("TestApp",
            new[] { CSharpSyntaxTree.ParseText("namespace TestApp { public static class Program { } }", new CSharpParseOptions(LanguageVersion.Latest)) },
            OnnxRuntimeBackend.References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, warningLevel: 9999));
        var (run, diagnostics, _) = harness.Run(compilation);
        Assert.All(run.Results, r => Assert.Null(r.Exception));
        return (run, diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList());
    }

    /// <summary>x[1,4] -> MatMul -> Hardmax (which the managed backend does not implement) -> Relu -> y, y declared as given.</summary>
    internal static byte[] HardmaxModel(int[]? declaredOutput = null, int[]? input = null)
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", (int)Float.Float, input ?? new[] { 1, 4 }, new[] { "batch", null });
        b.Initializer("w", new[] { 4, 4 }, OnnxModelBuilder.RandomFloats(16, 5));
        var m = b.Node("MatMul", new[] { "x", "w" }, "m", "project");
        var h = b.Node("Hardmax", new[] { m }, "h", "pick", attributes: ("axis", (object)1L));
        b.Node("Relu", new[] { h }, "y", "relu");
        b.Output("y", (int)Float.Float, declaredOutput ?? new[] { 1, 4 });
        return b.Build();
    }

    [Fact]
    public void An_operator_the_managed_backend_lacks_still_generates_code_that_compiles()
    {
        var model = HardmaxModel();
        if (global::ModelCompiler.Ops.OpRegistry.Find("", "Hardmax") is null)
        {
            var managed = ModelCompilation.Compile(model, new ModelOptions { ClassName = "Model", Namespace = "TestApp", WeightsResource = "r" });
            Assert.Contains(managed.Diagnostics, d => d.Id == "MC0003" && d.Message.Contains("Hardmax"));
        }

        var (run, compilation) = Generate(model, Ort(("ExecutionProviders", "cuda, OpenVINO ,CPU"), ("FallbackToCpu", "False"), ("IntraOpThreads", "2"),
            ("ProviderOptions", "CUDA:device_id=1,OpenVINO:device_type=NPU")));
        Assert.Empty(run.Diagnostics);
        Assert.Empty(compilation); // no errors and no warnings in the consumer's build
        string source = run.GeneratedTrees.Single().ToString();
        Assert.Contains("public static partial class Model", source);
        Assert.Contains("public static void Predict(global::System.ReadOnlySpan<float> input, global::System.Span<float> output)", source);
        Assert.Contains("public static string? ActiveExecutionProvider", source);
        Assert.Contains("public static void Configure(", source);
        Assert.Contains("o.ExecutionProviders.AddRange(new string[] { \"CUDA\", \"OpenVINO\", \"CPU\" });", source);
        Assert.Contains("o.FallbackToCpu = false;", source);
        Assert.Contains("o.IntraOpThreads = 2;", source);
        Assert.Contains("o.SetProviderOption(\"OpenVINO\", \"device_type\", \"NPU\");", source);
        Assert.Contains("\"ModelCompiler/TestApp/Model/model.onnx\"", source);
    }

    [Fact]
    public void The_generated_class_runs_through_onnx_runtime()
    {
        var model = HardmaxModel();
        var assembly = OnnxRuntimeBackend.Compile(model, OnnxRuntimeBackend.Options("Ort.Hardmax"), new[] { "float" }, new[] { "float" });
        var input = new[] { 0.5f, -1f, 2f, 0.25f };
        var output = new float[4];
        Adapter.Run(assembly, "Ort.Hardmax", new object[] { input }, new object[] { output });
        var expected = OrtReference.Run(model, new[] { input });
        Assert.Equal(expected[0], output);
        Assert.Equal(1f, output.Sum()); // one-hot
        Assert.Equal("CPU", assembly.GetType("Ort.Hardmax.Model")!.GetProperty("ActiveExecutionProvider")!.GetValue(null));
    }

    [Fact]
    public void Mixed_element_types_and_an_input_returned_as_an_output_run_through_onnx_runtime()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("counts", (int)Float.Int64, new[] { 2, 2 });
        b.Input("bias", (int)Float.Float, new[] { 2, 2 });
        var c = b.Node("Cast", new[] { "counts" }, "c", "to_float", attributes: ("to", (object)(long)Float.Float));
        b.Node("Add", new[] { c, "bias" }, "sum", "add");
        b.Output("sum", (int)Float.Float, new[] { 2, 2 });
        b.Output("bias", (int)Float.Float, new[] { 2, 2 });
        b.Initializer("table", new[] { 3 }, new[] { 7f, 8f, 9f });
        b.Output("table", (int)Float.Float, new[] { 3 });
        var model = b.Build();

        var assembly = OnnxRuntimeBackend.Compile(model, OnnxRuntimeBackend.Options("Ort.Mixed"), new[] { "long", "float" }, new[] { "float", "float", "float" });
        var counts = new long[] { 1, 2, 3, 40 };
        var bias = new[] { 0.5f, -0.5f, 0.25f, 2f };
        var sum = new float[4];
        var echoed = new float[4];
        var table = new float[3];
        for (int run = 0; run < 3; run++)
        {
            bias[0] = run;
            Adapter.Run(assembly, "Ort.Mixed", new object[] { counts, bias }, new object[] { sum, echoed, table });
            Assert.Equal(new[] { 1f + run, 1.5f, 3.25f, 42f }, sum);
            Assert.Equal(bias, echoed);
            Assert.Equal(new[] { 7f, 8f, 9f }, table);
        }
        var predict = assembly.GetType("Ort.Mixed.Model")!.GetMethod("Predict")!;
        Assert.Equal(new[] { "counts", "bias", "sum", "bias2", "table" }, predict.GetParameters().Select(p => p.Name));
    }

    [Fact]
    public void Dynamic_dims_are_pinned_with_InputShape_and_outputs_fall_back_to_the_declared_shape()
    {
        var model = HardmaxModel(declaredOutput: new[] { 3, 4 }, input: new[] { -1, 4 });
        var (unpinned, _) = Generate(model, Ort());
        Assert.Contains(unpinned.Diagnostics, d => d.Id == "MC0004" && d.GetMessage().Contains("'batch'"));

        var (run, compilation) = Generate(model, Ort(("InputShape", "3,4")));
        Assert.Empty(run.Diagnostics);
        Assert.Empty(compilation);
        string source = run.GeneratedTrees.Single().ToString();
        Assert.Contains("public const int InputLength = 12;", source);
        Assert.Contains("public const int OutputLength = 12;", source);
        // Hardmax runs in the managed backend since issue 16, so its shape inference now reaches y; before, y fell
        // back to the declared shape. (The fallback still serves ops the managed backend lacks.)
        Assert.Contains(global::ModelCompiler.Ops.OpRegistry.Find("", "Hardmax") is null ? "y: declared by the model" : "y: inferred", source);
    }

    [Fact]
    public void Shapes_are_inferred_where_the_managed_passes_reach()
    {
        // All supported: the output shape comes from inference even though the model declares it dynamic.
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", (int)Float.Float, new[] { -1, 4 }, new[] { "batch", null });
        b.Initializer("w", new[] { 4, 2 }, OnnxModelBuilder.RandomFloats(8, 1));
        b.Node("MatMul", new[] { "x", "w" }, "y", "mm");
        b.Output("y", (int)Float.Float, new[] { -1, 2 });
        var (run, compilation) = Generate(b.Build(), Ort(("InputShape", "5,4")));
        Assert.Empty(run.Diagnostics);
        Assert.Empty(compilation);
        string source = run.GeneratedTrees.Single().ToString();
        Assert.Contains("public const int OutputLength = 10;", source);
        Assert.Contains("y: inferred", source);
        Assert.Contains("public const long Macs = 40L;", source); // the managed count, since it supports every op
    }

    [Fact]
    public void An_output_shape_that_cannot_be_determined_reports_MC0012()
    {
        var b = new OnnxModelBuilder(opset: 13).Opset("com.example", 1);
        b.Input("x", 1, 4);
        b.Node("Frobnicate", new[] { "x" }, "y", "custom_step", domain: "com.example");
        b.Output("y", (int)Float.Float, new[] { -1, 4 });
        var (run, _) = Generate(b.Build(), Ort());
        var d = Assert.Single(run.Diagnostics);
        Assert.Equal("MC0012", d.Id);
        Assert.Contains("'y'", d.GetMessage());
        Assert.Contains("InputShape", d.GetMessage());
        Assert.Empty(run.GeneratedTrees);
    }

    [Theory]
    [InlineData("Backend", "Tflite", "'Tflite' is not a backend")]
    [InlineData("ExecutionProviders", "CUDA,EdgeTPU", "'EdgeTPU' is not an execution provider")]
    [InlineData("FallbackToCpu", "maybe", "'maybe' is not true or false")]
    [InlineData("IntraOpThreads", "two", "'two' is not a thread count")]
    [InlineData("ProviderOptions", "CUDA", "Provider:key=value")]
    [InlineData("ProviderOptions", "Movidius:device=0", "'Movidius'")]
    public void Invalid_options_report_MC0006(string option, string value, string message)
    {
        var metadata = option == "Backend" ? new Dictionary<string, string> { ["Backend"] = value } : Ort((option, value));
        var (run, _) = Generate(TestModels.TinyMlp(), metadata);
        var d = Assert.Single(run.Diagnostics);
        Assert.Equal("MC0006", d.Id);
        Assert.Contains(option, d.GetMessage());
        Assert.Contains(message, d.GetMessage());
        Assert.Empty(run.GeneratedTrees);
    }

    [Fact]
    public void Backend_names_ignore_case_and_Managed_is_the_default()
    {
        var (ort, _) = Generate(TestModels.TinyMlp(), new Dictionary<string, string> { ["Backend"] = "onnxruntime", ["ModelCompilerModelResource"] = "r" });
        Assert.Empty(ort.Diagnostics);
        Assert.Contains("OnnxRuntimeModel", ort.GeneratedTrees.Single().ToString());
        var (managed, _) = Generate(TestModels.TinyMlp(), new Dictionary<string, string> { ["Backend"] = "Managed", ["ModelCompilerWeightsResource"] = "r" });
        Assert.Empty(managed.Diagnostics);
        Assert.DoesNotContain("OnnxRuntime", managed.GeneratedTrees.Single().ToString());
    }

    [Fact]
    public void Without_the_build_targets_the_model_resource_is_missing_and_reports_MC0009()
    {
        var (run, _) = Generate(TestModels.TinyMlp(), new Dictionary<string, string> { ["Backend"] = "OnnxRuntime" });
        var d = Assert.Single(run.Diagnostics);
        Assert.Equal("MC0009", d.Id);
        Assert.Contains("ModelCompilerModelResource", d.GetMessage());
    }

    [Fact]
    public void The_public_api_is_the_managed_backends_plus_the_provider_members()
    {
        static INamedTypeSymbol Class(GeneratorDriverRunResult run, IReadOnlyList<MetadataReference> references)
        {
            var compilation = CSharpCompilation.Create("X", run.GeneratedTrees, references,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
            return compilation.GetTypeByMetadataName("TestApp.Model")!;
        }
        var model = TestModels.TwoInputsTwoOutputs();
        var (ort, _) = Generate(model, Ort(("ClassName", "Model")));
        var (managed, _) = Generate(model, new Dictionary<string, string> { ["ClassName"] = "Model", ["ModelCompilerWeightsResource"] = "r" });
        var o = Class(ort, OnnxRuntimeBackend.References.Value);
        var m = Class(managed, OnnxRuntimeBackend.References.Value);

        static IEnumerable<string> Public(INamedTypeSymbol t) =>
            t.GetMembers().Where(s => s.DeclaredAccessibility == Accessibility.Public && !s.IsImplicitlyDeclared).Select(s => s.ToDisplayString());
        var missing = Public(m).Except(Public(o)).ToList();
        Assert.True(missing.Count == 0, "missing in the OnnxRuntime backend: " + string.Join(", ", missing));
        var predict = (IMethodSymbol)o.GetMembers("Predict").Single();
        Assert.Equal(new[] { "inputA", "inputB", "sum", "product" }, predict.Parameters.Select(p => p.Name));
        foreach (string extra in new[] { "ActiveExecutionProvider", "ActiveExecutionProviders", "SkippedExecutionProviders", "Configure", "Initialize", "Runtime", "Backend" })
            Assert.NotEmpty(o.GetMembers(extra));
    }

    [Fact]
    public void The_generator_knows_the_same_providers_as_the_runtime()
    {
        Assert.Equal(ModelCompiler.OnnxRuntime.ExecutionProviderCatalog.Names, OnnxRuntimeSettings.KnownProviders.Select(p => p.Name));
        foreach (var (name, aliases) in OnnxRuntimeSettings.KnownProviders)
            foreach (string alias in aliases)
                Assert.Equal(name, ModelCompiler.OnnxRuntime.ExecutionProviderCatalog.Find(alias)?.Name);
    }
}
