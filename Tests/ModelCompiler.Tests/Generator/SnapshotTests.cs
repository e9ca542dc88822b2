using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Generator;

/// <summary>
/// The generated C# is part of the product: these snapshots pin it for small models (an MLP, a CNN with a
/// folded BatchNorm, a residual block, a two-input two-output graph), an int8 QDQ model, a layer split over
/// two threads (Threads="2"), per-layer timing (Profile="true") and the ONNX Runtime backend. A change to generated
/// code shows up as a diff here; accept it deliberately with MODELCOMPILER_ACCEPT_SNAPSHOTS=1.
/// </summary>
public sealed class SnapshotTests
{
    [Theory]
    [InlineData("TinyMlp")]
    [InlineData("TinyCnn")]
    [InlineData("ResidualBlock")]
    [InlineData("TwoInputsTwoOutputs")]
    [InlineData("TinyCnnInt8")]
    [InlineData("ThreadedConv")]
    [InlineData("ResidualBlockProfiled")]
    public void Generated_code_matches_the_approved_snapshot(string model)
    {
        (byte[] bytes, Dictionary<string, string>? metadata) = model switch
        {
            "TinyMlp" => (TestModels.TinyMlp(), null),
            "TinyCnn" => (TestModels.TinyCnn(), null),
            "ResidualBlock" => (TestModels.ResidualBlock(), null),
            "TwoInputsTwoOutputs" => (TestModels.TwoInputsTwoOutputs(), null),
            "TinyCnnInt8" => (TinyCnnInt8(), null),
            "ThreadedConv" => (ThreadedConv(), new Dictionary<string, string> { ["Threads"] = "2" }),
            _ => (TestModels.ResidualBlock(), new Dictionary<string, string> { ["Profile"] = "true" }),
        };
        var harness = new GeneratorHarness();
        harness.AddModel(model.ToLowerInvariant() + ".onnx", bytes, metadata);
        var (run, compilationDiagnostics, _) = harness.Run();
        Assert.Empty(run.Diagnostics);
        Assert.Empty(compilationDiagnostics); // no errors and no warnings in the consumer's build
        Approvals.Verify(model, run.GeneratedTrees.Single().ToString());
    }

    /// <summary>Backend="OnnxRuntime": the same small MLP, run by ONNX Runtime through the generated wrapper.</summary>
    [Fact]
    public void The_onnx_runtime_backend_matches_the_approved_snapshot()
    {
        var harness = new GeneratorHarness();
        harness.AddModel("tinymlp.onnx", TestModels.TinyMlp(), new Dictionary<string, string>
        {
            ["Backend"] = "OnnxRuntime",
            ["ModelCompilerModelResource"] = "ModelCompiler/TestApp/Tinymlp/tinymlp.onnx",
        }, withResource: false);
        var compilation = CSharpCompilation.Create("TestApp",
            new[] { CSharpSyntaxTree.ParseText("namespace TestApp { public static class Program { } }", new CSharpParseOptions(LanguageVersion.Latest)) },
            OnnxRuntimeBackend.References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var (run, compilationDiagnostics, _) = harness.Run(compilation);
        Assert.Empty(run.Diagnostics);
        Assert.Empty(compilationDiagnostics);
        Approvals.Verify("TinyMlpOnnxRuntime", run.GeneratedTrees.Single().ToString());
    }

    /// <summary>
    /// Every layer of every approved snapshot of the compiled backend says which run-time kernel runs it (the line
    /// under the layer's header starts with "kernel"), or that it needs no code (a view of its input).
    /// </summary>
    [Fact]
    public void Every_snapshot_names_the_kernel_of_each_layer()
    {
        var files = Directory.GetFiles(Approvals.Directory, "*.verified.cs");
        Assert.True(files.Length >= 8, $"{files.Length} snapshots in {Approvals.Directory}");
        int layers = 0;
        foreach (string file in files)
        {
            var lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                if (!Regex.IsMatch(lines[i], @"^\s*// L\d+  ")) continue;
                layers++;
                string plan = i + 1 < lines.Length ? lines[i + 1].Trim() : "";
                Assert.True(plan.StartsWith("//     kernel ", System.StringComparison.Ordinal) || plan.StartsWith("//     (no code", System.StringComparison.Ordinal),
                    $"{Path.GetFileName(file)}: layer '{lines[i].Trim()}' is followed by '{plan}', not by the kernel it runs");
            }
        }
        Assert.True(layers >= 15, $"only {layers} layers found");
    }

    /// <summary>TinyCnn quantized as ONNX Runtime's static quantizer does (uint8 activations, int8 weights per channel), calibrated on fixed inputs.</summary>
    private static byte[] TinyCnnInt8()
    {
        var prepared = QdqQuantizer.Prepare(TestModels.TinyCnn());
        var calibration = Enumerable.Range(0, 8).Select(s => new[] { QuantCompare.Uniform(64, (uint)(10 + s), -1, 1) }).ToList();
        return QdqQuantizer.Quantize(prepared, calibration, new QdqQuantizer.Options(false));
    }

    /// <summary>x[1,16,64,64] -> Conv(16, 3x3, pad 1) -> Relu: 9.4 M MACs, above the size from which a layer is split over threads.</summary>
    private static byte[] ThreadedConv()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 16, 64, 64);
        b.Initializer("conv.weight", new[] { 16, 16, 3, 3 }, OnnxModelBuilder.RandomFloats(16 * 16 * 9, 11));
        b.Initializer("conv.bias", new[] { 16 }, OnnxModelBuilder.RandomFloats(16, 12));
        var c = b.Node("Conv", new[] { "x", "conv.weight", "conv.bias" }, "c", "conv", attributes: ("pads", new[] { 1, 1, 1, 1 }));
        b.Node("Relu", new[] { c }, "y", "relu");
        b.Output("y", (int)Onnx.Proto.TensorProto.Types.DataType.Float, new[] { 1, 16, 64, 64 });
        return b.Build();
    }

    [Fact]
    public void Generated_code_does_not_depend_on_the_current_culture()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 4);
        b.Node("LeakyRelu", new[] { "x" }, "y", "leaky", attributes: ("alpha", 0.125f));
        b.Output("y");
        byte[] model = b.Build();
        string Generate(string culture)
        {
            var saved = System.Globalization.CultureInfo.CurrentCulture;
            try
            {
                // de-DE writes 0,125; fa-IR uses a different minus sign and digits in some runtimes.
                System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo(culture);
                var harness = new GeneratorHarness();
                harness.AddModel("leaky.onnx", model);
                return harness.Run().Run.GeneratedTrees.Single().ToString();
            }
            finally { System.Globalization.CultureInfo.CurrentCulture = saved; }
        }
        string invariant = Generate("");
        Assert.Contains("0.125f", invariant);
        Assert.Equal(invariant, Generate("de-DE"));
        Assert.Equal(invariant, Generate("fa-IR"));
    }

    [Fact]
    public void Generation_is_deterministic()
    {
        string Generate()
        {
            var harness = new GeneratorHarness();
            harness.AddModel("tinycnn.onnx", TestModels.TinyCnn());
            return harness.Run().Run.GeneratedTrees.Single().ToString();
        }
        Assert.Equal(Generate(), Generate());
    }
}
