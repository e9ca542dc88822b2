using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ModelCompiler.Compilation;
using Xunit;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>
/// Compiles models for Backend="OnnxRuntime" in memory, as the build would: the generated class plus a float
/// adapter, with the .onnx file itself attached as the manifest resource the build targets embed, and
/// references to ModelCompiler.OnnxRuntime and ONNX Runtime.
/// </summary>
public static class OnnxRuntimeBackend
{
    public static readonly Lazy<MetadataReference[]> References = new(() =>
        Basic.Reference.Assemblies.Net100.References.All
            .Concat(new[]
            {
                MetadataReference.CreateFromFile(typeof(ModelCompiler.Runtime.Arena).Assembly.Location),
                MetadataReference.CreateFromFile(typeof(ModelCompiler.OnnxRuntime.OnnxRuntimeModel).Assembly.Location),
                MetadataReference.CreateFromFile(typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.Location),
            })
            .ToArray());

    internal static ModelOptions Options(string ns, string className = "Model", string? inputShape = null, string fileName = "model.onnx") => new()
    {
        FileName = fileName,
        ClassName = className,
        Namespace = ns,
        InputShape = inputShape,
        Backend = "OnnxRuntime",
        ModelResource = $"ModelCompiler/{ns}/{className}/{fileName}",
    };

    private static int s_counter;

    /// <summary>Generates and compiles; returns the loaded assembly or fails the test with the diagnostics.</summary>
    internal static Assembly Compile(byte[] model, ModelOptions options, IReadOnlyList<string> inputTypes, IReadOnlyList<string> outputTypes)
    {
        var result = ModelCompilation.Compile(model, options);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        string adapter = Adapter.Source(options.ResolvedNamespace, options.ResolvedClassName, inputTypes, outputTypes);
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = new[] { result.Source!, adapter }.Select((s, i) => CSharpSyntaxTree.ParseText(s, parse, path: $"unit{i}.cs", encoding: Encoding.UTF8));
        var compilation = CSharpCompilation.Create("OrtModels" + System.Threading.Interlocked.Increment(ref s_counter), trees, References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release,
                nullableContextOptions: NullableContextOptions.Enable, warningLevel: 9999, deterministic: true));
        using var pe = new MemoryStream();
        var emit = compilation.Emit(pe, manifestResources: new[] { new ResourceDescription(options.ModelResource!, () => new MemoryStream(model), isPublic: true) });
        var problems = emit.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(emit.Success && problems.Count == 0, string.Join("\n", problems));
        return Assembly.Load(pe.ToArray());
    }
}
