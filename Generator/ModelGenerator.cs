using System;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using ModelCompiler.Compilation;
using ModelCompiler.Diagnostics;
using Severity = ModelCompiler.Diagnostics.Severity;

namespace ModelCompiler;

/// <summary>
/// The Roslyn incremental generator. Wiring only: each <c>AdditionalFiles</c> item ending in .onnx, with its
/// per-file metadata, becomes a <see cref="ModelRequest"/>; each request is compiled by
/// <see cref="ModelCompilation"/> into source and diagnostics. A request changes only when the file's
/// path, size, timestamp or options change, so edits to the user's C# never recompile a model.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class ModelGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names for the pipeline steps (tests assert on them).</summary>
    public const string RequestStep = "ModelRequest";
    public const string CompileStep = "CompiledModel";

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var requests = context.AdditionalTextsProvider
            .Where(static t => t.Path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            .Combine(context.AnalyzerConfigOptionsProvider)
            .Select(static (pair, _) => ModelRequest.Create(pair.Left, pair.Right))
            .WithTrackingName(RequestStep);

        var compiled = requests
            .Select(static (request, ct) => CompileSafely(request, ct))
            .WithTrackingName(CompileStep);

        context.RegisterSourceOutput(compiled.Collect(), static (spc, models) =>
        {
            var seen = new System.Collections.Generic.Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var model in models.OrderBy(m => m.Path, StringComparer.Ordinal))
            {
                foreach (var d in model.Diagnostics) spc.ReportDiagnostic(ToRoslyn(d, model.Path));
                if (model.Source is null || model.FullName is null) continue;
                if (seen.TryGetValue(model.FullName, out string? other))
                {
                    spc.ReportDiagnostic(ToRoslyn(CompilerDiagnostic.Create(DiagnosticDescriptors.DuplicateClass,
                        Path.GetFileName(other), Path.GetFileName(model.Path), model.FullName), model.Path));
                    continue;
                }
                seen.Add(model.FullName, model.Path);
                spc.AddSource(model.FullName + ".g.cs", SourceText.From(model.Source, System.Text.Encoding.UTF8));
            }
        });
    }

    /// <summary>
    /// Test seam, not an option: when set on the current async flow, runs instead of <see cref="ModelCompilation.Compile"/>.
    /// ModelCompiler.Tests sets it to make the compiler fail from the inside and check that the failure becomes MC9999
    /// rather than a crashed build. Internal (users cannot reach it) and flow-local (AsyncLocal: a build, or a test running
    /// beside, never sees another flow's value).
    /// </summary>
    internal static readonly AsyncLocal<Func<byte[], ModelOptions, CancellationToken, CompileResult>?> CompileOverrideForTests = new();

    private static GeneratedModel CompileSafely(ModelRequest request, CancellationToken ct)
    {
        try
        {
            byte[] bytes;
            try
            {
#pragma warning disable RS1035 // Binary model files cannot go through AdditionalText.GetText() (it rejects NUL bytes, CS2015); read them directly, as CsWin32 does with .winmd files.
                bytes = File.ReadAllBytes(request.Path);
#pragma warning restore RS1035
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return new GeneratedModel(request.Path, null, null, new EquatableArray<CompilerDiagnostic>(new[]
                {
                    CompilerDiagnostic.Create(DiagnosticDescriptors.UnreadableFile, e.Message),
                }));
            }
            var result = CompileOverrideForTests.Value is { } compile ? compile(bytes, request.Options, ct) : ModelCompilation.Compile(bytes, request.Options, ct, Onnx.ExternalDataSource.Beside(request.Path));
            // The emitters write every name fully qualified (global::...); the file the user sees gets short aliases.
            // Done here, not in the emitters, because the rewrite needs Roslyn, which modelc (weights, reports) does not ship.
            string? source = result.Source is null ? null : Emit.NameAliases.Shorten(result.Source);
            return new GeneratedModel(request.Path, result.Success ? result.Namespace + "." + result.ClassName : null, source, result.Diagnostics);
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception e)
        {
            // The generator never throws: a compiler bug becomes an error on the model, not a crashed build.
            return new GeneratedModel(request.Path, null, null, new EquatableArray<CompilerDiagnostic>(new[]
            {
                CompilerDiagnostic.Create(DiagnosticDescriptors.InternalError, e.GetType().Name, e.Message),
            }));
        }
    }

    private static Diagnostic ToRoslyn(CompilerDiagnostic d, string path)
    {
        var descriptor = new Microsoft.CodeAnalysis.DiagnosticDescriptor(d.Id, d.Title, "{0}", "ModelCompiler",
            d.Severity switch { Severity.Error => DiagnosticSeverity.Error, Severity.Warning => DiagnosticSeverity.Warning, _ => DiagnosticSeverity.Info },
            isEnabledByDefault: true);
        var location = Location.Create(path, default, new LinePositionSpan(default, default));
        return Diagnostic.Create(descriptor, location, d.Message);
    }
}

/// <summary>One model to compile: where it is, a cheap change stamp, and its options. Value-equatable.</summary>
internal sealed record ModelRequest(string Path, long Length, long LastWriteTicks, long WeightsBlobTicks, ModelOptions Options)
{
    /// <summary>Length and last write time of a file, (-1, 0) when it cannot be seen.</summary>
    private static (long Length, long Ticks) Stamp(string path)
    {
        try
        {
#pragma warning disable RS1035 // The stamp lets the pipeline notice a changed model without reading it on every keystroke.
            var info = new FileInfo(path);
            if (info.Exists) return (info.Length, info.LastWriteTimeUtc.Ticks);
#pragma warning restore RS1035
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException) { }
        return (-1, 0);
    }

    public static ModelRequest Create(AdditionalText file, AnalyzerConfigOptionsProvider provider)
    {
        var options = provider.GetOptions(file);
        string? Meta(string name) =>
            options.TryGetValue("build_metadata.AdditionalFiles." + name, out string? v) ? ModelOptions.Normalize(v) : null;
        provider.GlobalOptions.TryGetValue("build_property.RootNamespace", out string? rootNamespace);

        var (length, ticks) = Stamp(file.Path);
        // The weight blob the build targets wrote for this model (rewritten whenever the model, its options or its
        // external data files change): its stamp makes a changed data file recompile the model, which the model's
        // own stamp would not.
        var (_, blobTicks) = Meta("ModelCompilerWeightsBlob") is { } blob ? Stamp(blob) : (-1, 0);

        return new ModelRequest(file.Path, length, ticks, blobTicks, new ModelOptions
        {
            FileName = System.IO.Path.GetFileName(file.Path),
            ClassName = Meta("ClassName"),
            Namespace = Meta("Namespace"),
            RootNamespace = ModelOptions.Normalize(rootNamespace),
            InputShape = Meta("InputShape"),
            WeightsResource = Meta("ModelCompilerWeightsResource"),
            Threads = Meta("Threads"),
            Backend = Meta("Backend"),
            ExecutionProviders = Meta("ExecutionProviders"),
            FallbackToCpu = Meta("FallbackToCpu"),
            IntraOpThreads = Meta("IntraOpThreads"),
            InterOpThreads = Meta("InterOpThreads"),
            ProviderOptions = Meta("ProviderOptions"),
            ModelResource = Meta("ModelCompilerModelResource"),
            Profile = Meta("Profile"),
        });
    }
}

/// <summary>A compiled model as the pipeline caches it: plain strings and an equatable diagnostic list.</summary>
internal sealed record GeneratedModel(string Path, string? FullName, string? Source, EquatableArray<CompilerDiagnostic> Diagnostics);
