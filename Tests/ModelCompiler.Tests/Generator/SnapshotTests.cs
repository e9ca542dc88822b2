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
/// two threads (Threads="2"), per-layer timing (Profile="true"), a QONNX binary MLP (XNOR-popcount layers) and the
/// ONNX Runtime backend. A change to generated
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
    [InlineData("QonnxBinaryMlp")]
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
            "QonnxBinaryMlp" => (QonnxBinaryMlp(), null),
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
        var files = Directory.GetFiles(Approvals.Directory, "*.verified.cs").Where(f => !f.EndsWith("OnnxRuntime.verified.cs", System.StringComparison.Ordinal)).ToArray();
        Assert.True(files.Length >= 8, $"{files.Length} snapshots of the compiled backend in {Approvals.Directory}");
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

    /// <summary>
    /// x[1,32] -> BipolarQuant -> Gemm(16, BipolarQuant weights) -> BatchNorm -> BipolarQuant -> MatMul(4, binary
    /// weights, one |value| per column) -> Mul: two XNOR-popcount dense layers, QONNX ops in their own domain.
    /// </summary>
    private static byte[] QonnxBinaryMlp()
    {
        const string domain = "qonnx.custom_op.general";
        const int k = 32, n1 = 16, n2 = 4;
        var b = new OnnxModelBuilder();
        b.Input("x", 1, k);
        b.Initializer("one", System.Array.Empty<int>(), new[] { 1f });
        b.Node("BipolarQuant", new[] { "x", "one" }, "a0", "binarize_input", domain: domain);
        b.Initializer("fc1.weight_float", new[] { n1, k }, OnnxModelBuilder.RandomFloats(n1 * k, 22));
        b.Initializer("fc1.weight_scale", System.Array.Empty<int>(), new[] { 0.5f });
        b.Node("BipolarQuant", new[] { "fc1.weight_float", "fc1.weight_scale" }, "fc1.weight", "binarize_fc1_weight", domain: domain);
        b.Initializer("fc1.bias", new[] { n1 }, OnnxModelBuilder.RandomFloats(n1, 23));
        b.Node("Gemm", new[] { "a0", "fc1.weight", "fc1.bias" }, "g1", "fc1", attributes: ("transB", 1));
        var r = OnnxModelBuilder.RandomFloats(4 * n1, 24);
        b.Initializer("bn1.weight", new[] { n1 }, r.Take(n1).Select(v => 0.5f + System.MathF.Abs(v)).ToArray());
        b.Initializer("bn1.bias", new[] { n1 }, r.Skip(n1).Take(n1).ToArray());
        b.Initializer("bn1.mean", new[] { n1 }, r.Skip(2 * n1).Take(n1).ToArray());
        b.Initializer("bn1.var", new[] { n1 }, r.Skip(3 * n1).Take(n1).Select(v => 1 + System.MathF.Abs(v)).ToArray());
        b.Node("BatchNormalization", new[] { "g1", "bn1.weight", "bn1.bias", "bn1.mean", "bn1.var" }, "n1", "bn1");
        b.Node("BipolarQuant", new[] { "n1", "one" }, "a1", "binarize_hidden", domain: domain);
        var signs = OnnxModelBuilder.RandomFloats(n1 * n2, 25);
        b.Initializer("fc2.weight", new[] { n1, n2 }, signs.Select((v, i) => v >= 0 ? 0.25f + 0.05f * (i % n2) : -(0.25f + 0.05f * (i % n2))).ToArray());
        b.Node("MatMul", new[] { "a1", "fc2.weight" }, "g2", "fc2");
        b.Initializer("fc2.scale", new[] { n2 }, OnnxModelBuilder.RandomFloats(n2, 26));
        b.Node("Mul", new[] { "g2", "fc2.scale" }, "y", "fc2_scale");
        b.Output("y", shape: new[] { 1, n2 });
        return b.Build();
    }

    /// <summary>
    /// Names that collide with what generated code names: the class is called like the run-time alias
    /// (ClassName="Runtime__"), layers and weights are called "System", "global::System.Span", "Arena", and the user's
    /// namespace declares types and namespaces named like run-time and System types. The generated code must bind to
    /// the run-time library all the same: the user's look-alikes have none of the members it calls, so any wrong
    /// binding is a compile error.
    /// </summary>
    [Fact]
    public void Generated_code_compiles_when_model_and_user_names_collide_with_the_names_it_uses()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("Span", 1, 2, 6, 6);
        b.Initializer("global::System.Span", new[] { 3, 2, 3, 3 }, OnnxModelBuilder.RandomFloats(3 * 2 * 9, 31));
        b.Initializer("Arena", new[] { 3 }, OnnxModelBuilder.RandomFloats(3, 32));
        var c = b.Node("Conv", new[] { "Span", "global::System.Span", "Arena" }, "Runtime__", "System", attributes: ("pads", new[] { 1, 1, 1, 1 }));
        var r = b.Node("Relu", new[] { c }, "System__", "Runtime__");
        b.Node("Flatten", new[] { r }, "ModelCompiler.Runtime", "global");
        b.Output("ModelCompiler.Runtime", shape: new[] { 1, 108 });
        const string user = @"
namespace TestApp
{
    public static class Program { }
    public class Arena { }
    public class Guard { }
    public class Span<T> { }
    public class ReadOnlySpan<T> { }
    public static class PackedConv { }
    public static class Activations { }
    public class WeightBlob { }
    namespace System { public class Span<T> { } }
    namespace ModelCompiler { namespace Runtime { public class Arena { } } }
}";
        var harness = new GeneratorHarness();
        harness.AddModel("runtime__.onnx", b.Build(), new Dictionary<string, string> { ["ClassName"] = "Runtime__" });
        var (run, compilationDiagnostics, _) = harness.Run(GeneratorHarness.EmptyCompilation(user));
        Assert.Empty(run.Diagnostics);
        string code = run.GeneratedTrees.Single().ToString();
        Assert.Empty(compilationDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        Assert.Contains("public static partial class Runtime__", code);
        Assert.Contains("using Runtime___ = global::ModelCompiler.Runtime;", code); // one more underscore: the class took the name
        Assert.Contains("Runtime___.Arena.ForCurrentThread(", code);
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
