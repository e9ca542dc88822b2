using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using ModelCompiler.Compilation;
using ModelCompiler.Graph;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Generator;

/// <summary>
/// Every diagnostic README's table lists, and every id the compiler declares (<see cref="ModelCompiler.Diagnostics.DiagnosticDescriptors"/>),
/// produced through the real generator from a model (or a project) that should cause it, with its severity, on the
/// .onnx file, without the generator throwing. This list must name exactly those ids, so a new README row or a new
/// descriptor needs a case here. MC9999 is reached by making the compiler throw from the inside through
/// <see cref="ModelGenerator.CompileOverrideForTests"/> (an internal, flow-local test seam).
/// </summary>
public sealed class EveryDiagnosticTests
{
    /// <summary>Id -> the generator run that must report it.</summary>
    private static readonly IReadOnlyDictionary<string, Func<GeneratorHarness>> s_cases = new Dictionary<string, Func<GeneratorHarness>>
    {
        ["MC0001"] = () => With(h => h.AddFile(Path.Combine(h.Directory, "does-not-exist.onnx"))),
        ["MC0002"] = () => One("broken.onnx", new byte[] { 0x0A, 0xFF, 0xFF, 0xFF, 0x7F, 0x01, 0x02 }),
        ["MC0003"] = () => One("unsupported.onnx", Single("Bernoulli")),
        ["MC0004"] = () => One("dynamic.onnx", GeneratorDiagnosticsTests.DynamicBatchMlp()),
        ["MC0005"] = () => One("external.onnx", ExternalData()),
        ["MC0006"] = () => One("mlp.onnx", TestModels.TinyMlp(), new() { ["Threads"] = "four" }),
        ["MC0007"] = () => One("strings.onnx", StringInput()),
        ["MC0008"] = () => One("mismatch.onnx", InnerDimensionMismatch()),
        ["MC0009"] = () => With(h => h.AddModel("mlp.onnx", TestModels.TinyMlp(), withResource: false)),
        ["MC0010"] = () => With(h =>
        {
            h.AddModel("a.onnx", TestModels.TinyMlp(), new() { ["ClassName"] = "Net" });
            h.AddModel("b.onnx", TestModels.TinyMlp(), new() { ["ClassName"] = "Net" });
        }),
        ["MC0011"] = () => One("undefined.onnx", UndefinedValue()),
        ["MC0012"] = () => With(h => h.AddModel("custom.onnx", CustomOpWithDynamicOutput(), new()
        {
            ["Backend"] = "OnnxRuntime",
            ["ModelCompilerModelResource"] = "ModelCompiler/TestApp/Model/custom.onnx",
        }, withResource: false)),
        ["MC0013"] = () => One("huge.onnx", Hardening.MalformedModelTests.ResizeModel(1e30f)),
        ["MC1001"] = () => One("mlp.onnx", TestModels.TinyMlp(), new() { ["InputShape"] = "2,4" }),
        ["MC1002"] = () => One("bias.onnx", QdqConvWithWrongBiasScale()),
        ["MC2001"] = () => One("pruned.onnx", Pruning.StructuredPruningTests.ResidualModel(prune: true)),
        ["MC9999"] = () => One("mlp.onnx", TestModels.TinyMlp()),
    };

    public static TheoryData<string> Ids() => new(s_cases.Keys.OrderBy(k => k, StringComparer.Ordinal));

    /// <summary>README's diagnostics table: id -> severity (error, warning or info).</summary>
    private static Dictionary<string, string> ReadmeTable()
    {
        string readme = File.ReadAllText(Path.Combine(Repo.Root, "README.md"));
        int section = readme.IndexOf("## Diagnostics", StringComparison.Ordinal);
        Assert.True(section >= 0, "README.md has no Diagnostics section");
        int next = readme.IndexOf("\n## ", section + 5, StringComparison.Ordinal);
        string table = readme.Substring(section, (next < 0 ? readme.Length : next) - section);
        return Regex.Matches(table, @"^\| (MC\d{4}) \| (error|warning|info) \|", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
    }

    /// <summary>Every id the compiler declares, with its severity (the DiagnosticDescriptors fields).</summary>
    private static Dictionary<string, DiagnosticSeverity> Declared() =>
        typeof(ModelCompiler.Diagnostics.DiagnosticDescriptors).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Select(f => f.GetValue(null)).OfType<ModelCompiler.Diagnostics.DiagnosticDescriptor>()
            .GroupBy(d => d.Id)
            .ToDictionary(g => g.Key, g => Roslyn(g.First().Severity));

    private static DiagnosticSeverity Roslyn(ModelCompiler.Diagnostics.Severity s) => s switch
    {
        ModelCompiler.Diagnostics.Severity.Error => DiagnosticSeverity.Error,
        ModelCompiler.Diagnostics.Severity.Warning => DiagnosticSeverity.Warning,
        _ => DiagnosticSeverity.Info,
    };

    private static DiagnosticSeverity Listed(string severity) => severity switch
    {
        "error" => DiagnosticSeverity.Error,
        "warning" => DiagnosticSeverity.Warning,
        _ => DiagnosticSeverity.Info,
    };

    [Fact]
    public void Every_id_README_lists_or_the_compiler_declares_has_a_case_here_and_no_other()
    {
        var readme = ReadmeTable();
        Assert.True(readme.Count >= 10, $"only {readme.Count} ids found in README's Diagnostics table");
        var declared = Declared();
        Assert.True(declared.Count >= readme.Count, $"only {declared.Count} descriptors found");
        Assert.Equal(readme.Keys.Union(declared.Keys).OrderBy(k => k, StringComparer.Ordinal), s_cases.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var (id, severity) in readme)
            Assert.True(declared.TryGetValue(id, out var d) && d == Listed(severity),
                $"README lists {id} as {severity}; the compiler declares it as {(declared.ContainsKey(id) ? declared[id].ToString() : "nothing")}");
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void The_generator_reports_it_with_READMEs_severity_on_the_model_file(string id)
    {
        var harness = s_cases[id]();
        (GeneratorDriverRunResult Run, System.Collections.Immutable.ImmutableArray<Diagnostic>, GeneratorDriver) result;
        if (id == "MC9999")
        {
            // An internal failure: the compiler throws from the inside. The seam is flow-local: only this run sees it.
            ModelGenerator.CompileOverrideForTests.Value = (_, _, _) => throw new InvalidOperationException("injected internal failure");
            try { result = harness.Run(); }
            finally { ModelGenerator.CompileOverrideForTests.Value = null; }
        }
        else result = harness.Run();
        var run = result.Run;

        Assert.All(run.Results, r => Assert.Null(r.Exception)); // the generator never throws
        var reported = run.Diagnostics.Where(d => d.Id == id).ToList();
        Assert.True(reported.Count > 0, $"expected {id}, got: {string.Join("; ", run.Diagnostics)}");
        var severity = ReadmeTable().TryGetValue(id, out var listed) ? Listed(listed) : Declared()[id];
        Assert.All(reported, d =>
        {
            Assert.Equal(severity, d.Severity);
            Assert.EndsWith(".onnx", d.Location.GetLineSpan().Path);
            Assert.False(string.IsNullOrWhiteSpace(d.GetMessage()));
        });
        if (id == "MC9999")
        {
            var d = Assert.Single(reported);
            Assert.Contains("InvalidOperationException", d.GetMessage());
            Assert.Contains("injected internal failure", d.GetMessage());
            Assert.Empty(run.GeneratedTrees);
        }
        if (severity != DiagnosticSeverity.Error) Assert.NotEmpty(run.GeneratedTrees); // a warning or an info still generates
        if (id != "MC9999") Assert.DoesNotContain(run.Diagnostics, d => d.Id == "MC9999");
    }

    [Fact]
    public async System.Threading.Tasks.Task The_injected_failure_stays_on_its_own_flow()
    {
        // Set on another flow (a task that has finished), the seam is not seen here: this run compiles normally.
        await System.Threading.Tasks.Task.Run(() => ModelGenerator.CompileOverrideForTests.Value = (_, _, _) => throw new InvalidOperationException("elsewhere"), TestContext.Current.CancellationToken);
        var (run, _, _) = One("mlp.onnx", TestModels.TinyMlp()).Run();
        Assert.Empty(run.Diagnostics);
        Assert.Single(run.GeneratedTrees);
    }

    private static GeneratorHarness With(Action<GeneratorHarness> add)
    {
        var h = new GeneratorHarness();
        add(h);
        return h;
    }

    private static GeneratorHarness One(string file, byte[] model, Dictionary<string, string>? metadata = null) =>
        With(h => h.AddModel(file, model, metadata));

    private static byte[] Single(string op)
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 4);
        b.Node(op, new[] { "x" }, "y", "the_node");
        b.Output("y");
        return b.Build();
    }

    /// <summary>A MatMul whose weight 'big_weight' keeps its data in weights.bin.</summary>
    internal static byte[] ExternalData()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 4);
        b.ExternalInitializer("big_weight", (int)TensorProto.Types.DataType.Float, new[] { 4, 4 }, "weights.bin");
        b.Node("MatMul", new[] { "x", "big_weight" }, "y", "mm");
        b.Output("y");
        return b.Build();
    }

    private static byte[] StringInput()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("text", (int)TensorProto.Types.DataType.String, new[] { 1, 4 });
        b.Node("Identity", new[] { "text" }, "y", "copy");
        b.Output("y", (int)TensorProto.Types.DataType.String, new[] { 1, 4 });
        return b.Build();
    }

    /// <summary>MatMul 'projection' of [1,4] by [5,2].</summary>
    internal static byte[] InnerDimensionMismatch()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 4);
        b.Initializer("w", new[] { 5, 2 }, OnnxModelBuilder.RandomFloats(10, 1));
        b.Node("MatMul", new[] { "x", "w" }, "y", "projection");
        b.Output("y");
        return b.Build();
    }

    /// <summary>A custom-domain op (which only ONNX Runtime could run) whose output 'y' is declared [?,4]: no static shape.</summary>
    private static byte[] CustomOpWithDynamicOutput()
    {
        var b = new OnnxModelBuilder(opset: 13).Opset("com.example", 1);
        b.Input("x", 1, 4);
        b.Node("Frobnicate", new[] { "x" }, "y", "custom_step", domain: "com.example");
        b.Output("y", (int)TensorProto.Types.DataType.Float, new[] { -1, 4 });
        return b.Build();
    }

    private static byte[] UndefinedValue()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 4);
        b.Node("Add", new[] { "x", "nowhere" }, "y", "add");
        b.Output("y");
        return b.Build();
    }

    /// <summary>Q/DQ around a Conv whose int32 bias has a scale other than x_scale * w_scale: no integer kernel fits.</summary>
    private static byte[] QdqConvWithWrongBiasScale()
    {
        var b = new OnnxModelBuilder(13, producer: "OnnxBuilder", producerVersion: null);
        string Scalar(float v) => b.Initializer(Array.Empty<int>(), new[] { v });
        string Zero() => b.Initializer(Array.Empty<int>(), new[] { (byte)128 });
        var x = b.Input("x", DataType.Float, 1, 2, 4, 4);
        var xq = b.Op("DequantizeLinear", new[] { b.Op("QuantizeLinear", new[] { x, Scalar(0.02f), Zero() }), Scalar(0.02f), Zero() });
        var (wq, ws) = QdqQuantizer.SymmetricInt8(OnnxModelBuilder.RandomFloats(3 * 2 * 9, 51), new[] { 3, 2, 3, 3 }, 0);
        var w = b.Op("DequantizeLinear", new[] { b.Initializer(new[] { 3, 2, 3, 3 }, wq.Select(v => (sbyte)v).ToArray()), b.Initializer(new[] { 3 }, ws), b.Initializer(new[] { 3 }, new sbyte[3]) },
            OnnxModelBuilder.Int("axis", 0));
        var biasScale = ws.Select(s => 0.02f * s * 0.5f).ToArray(); // half the scale the pattern needs
        var bias = b.Op("DequantizeLinear", new[] { b.Initializer(new[] { 3 }, new[] { 10, -20, 30 }), b.Initializer(new[] { 3 }, biasScale), b.Initializer(new[] { 3 }, new int[3]) },
            OnnxModelBuilder.Int("axis", 0));
        var conv = b.Op("Conv", new[] { xq, w, bias });
        var y = b.Op("DequantizeLinear", new[] { b.Op("QuantizeLinear", new[] { conv, Scalar(0.05f), Zero() }), Scalar(0.05f), Zero() });
        b.Output(y, DataType.Float);
        return b.Build();
    }
}
