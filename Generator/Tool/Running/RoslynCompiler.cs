using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ModelCompiler.Tool.Running;

/// <summary>
/// Compiles C# (generated model code plus small adapters) into one in-memory assembly and loads it, attaching each
/// model's weight blob as a manifest resource exactly as the package's build targets do. Release, nullable on, all
/// warnings reported: the code that runs is what users build. The test suite compiles through this too.
/// </summary>
internal static class RoslynCompiler
{
    public sealed record Unit(string Name, string Source, string? ResourceName = null, byte[]? Weights = null);

    public sealed record Result(Assembly? Assembly, IReadOnlyList<Diagnostic> Diagnostics)
    {
        public IEnumerable<Diagnostic> Errors => Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error);
        public IEnumerable<Diagnostic> Warnings => Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Warning);
    }

    /// <summary>
    /// The assemblies of the running .NET (the trusted platform assemblies) plus ModelCompiler.Runtime: what a tool
    /// has without reference-assembly packages. Generated code only needs System.* and the run-time library.
    /// </summary>
    public static IReadOnlyList<MetadataReference> RuntimeReferences => s_runtimeReferences.Value;

    private static readonly Lazy<IReadOnlyList<MetadataReference>> s_runtimeReferences = new(() =>
    {
        var paths = ((AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string) ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => Path.GetFileName(p) is var f && (f.StartsWith("System.", StringComparison.Ordinal) || f is "netstandard.dll" or "mscorlib.dll"))
            .Append(typeof(ModelCompiler.Runtime.Arena).Assembly.Location)
            .Distinct(StringComparer.Ordinal);
        return paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToList();
    });

    public static Result Compile(IEnumerable<Unit> units, IEnumerable<MetadataReference> references, string assemblyName)
    {
        var list = units.ToList();
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = list.Select(u => CSharpSyntaxTree.ParseText(u.Source, parse, path: u.Name + ".cs", encoding: Encoding.UTF8)).ToList();
        var options = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary,
            optimizationLevel: OptimizationLevel.Release, nullableContextOptions: NullableContextOptions.Enable,
            warningLevel: 9999, deterministic: true);
        var compilation = CSharpCompilation.Create(assemblyName, trees, references, options);
        var resources = list.Where(u => u.ResourceName is not null && u.Weights is not null)
            .Select(u => new ResourceDescription(u.ResourceName!, () => new MemoryStream(u.Weights!), isPublic: true))
            .ToList();
        using var pe = new MemoryStream();
        var emit = compilation.Emit(pe, manifestResources: resources);
        var diagnostics = emit.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        if (!emit.Success) return new Result(null, diagnostics);
        return new Result(Assembly.Load(pe.ToArray()), diagnostics);
    }
}
