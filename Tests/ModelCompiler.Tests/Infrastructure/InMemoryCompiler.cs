using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ModelCompiler.Compilation;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>
/// Compiles generated model sources (plus small test adapters) into one in-memory assembly, attaching each
/// model's weight blob as a manifest resource exactly as the package's build targets do, and loads it.
/// Compiles in Release so the code under test is what users run.
/// </summary>
public static class InMemoryCompiler
{
    private static readonly Lazy<MetadataReference[]> s_references = new(() =>
        Basic.Reference.Assemblies.Net100.References.All
            .Concat(new[] { MetadataReference.CreateFromFile(typeof(ModelCompiler.Runtime.Arena).Assembly.Location) })
            .ToArray());

    public sealed record Unit(string Name, string Source, string? ResourceName = null, byte[]? Weights = null);

    public sealed record Result(Assembly? Assembly, IReadOnlyList<Diagnostic> Diagnostics)
    {
        public IEnumerable<Diagnostic> Errors => Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error);
        public IEnumerable<Diagnostic> Warnings => Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Warning);
    }

    private static int s_counter;

    public static Result Compile(IEnumerable<Unit> units, string? assemblyName = null)
    {
        var list = units.ToList();
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = list.Select(u => CSharpSyntaxTree.ParseText(u.Source, parse, path: u.Name + ".cs", encoding: Encoding.UTF8)).ToList();
        var options = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary,
            optimizationLevel: OptimizationLevel.Release, nullableContextOptions: NullableContextOptions.Enable,
            warningLevel: 9999, deterministic: true);
        var compilation = CSharpCompilation.Create(assemblyName ?? "Models" + System.Threading.Interlocked.Increment(ref s_counter), trees, s_references.Value, options);
        var resources = list.Where(u => u.ResourceName is not null && u.Weights is not null)
            .Select(u => new ResourceDescription(u.ResourceName!, () => new MemoryStream(u.Weights!), isPublic: true))
            .ToList();
        using var pe = new MemoryStream();
        var emit = compilation.Emit(pe, manifestResources: resources);
        var diagnostics = emit.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        if (!emit.Success) return new Result(null, diagnostics);
        return new Result(Assembly.Load(pe.ToArray()), diagnostics);
    }

    /// <summary>Compiles one model through <see cref="ModelCompilation"/> with a weights resource named after it.</summary>
    internal static (CompileResult Result, Unit? Unit) Generate(byte[] model, string ns, string className = "Model", string? inputShape = null, string fileName = "model.onnx", string? threads = null)
    {
        var options = new ModelOptions
        {
            FileName = fileName,
            ClassName = className,
            Namespace = ns,
            InputShape = inputShape,
            Threads = threads,
            WeightsResource = $"ModelCompiler/{ns}/{className}/{fileName}.weights",
        };
        var result = ModelCompilation.Compile(model, options);
        if (!result.Success) return (result, null);
        using var blob = new MemoryStream();
        result.WriteWeights!(blob);
        return (result, new Unit(ns + "." + className, result.Source!, options.WeightsResource, blob.ToArray()));
    }
}
