using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
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

    /// <summary>Compiles through the tool's <see cref="ModelCompiler.Tool.Running.RoslynCompiler"/> (one implementation for modelc and the tests).</summary>
    public static Result Compile(IEnumerable<Unit> units, string? assemblyName = null)
    {
        var result = ModelCompiler.Tool.Running.RoslynCompiler.Compile(
            units.Select(u => new ModelCompiler.Tool.Running.RoslynCompiler.Unit(u.Name, u.Source, u.ResourceName, u.Weights)),
            s_references.Value, assemblyName ?? "Models" + System.Threading.Interlocked.Increment(ref s_counter));
        return new Result(result.Assembly, result.Diagnostics);
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
        var (result, unit) = ModelCompiler.Tool.Running.InProcessModel.Generate(model, options);
        return (result, unit is null ? null : new Unit(ns + "." + className, unit.Source, unit.ResourceName, unit.Weights));
    }
}
