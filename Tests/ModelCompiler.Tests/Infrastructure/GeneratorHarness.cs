using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>
/// Runs <see cref="ModelGenerator"/> the way the compiler does: a CSharpGeneratorDriver over a compilation,
/// additional files that are real files on disk (whose GetText() returns null, as the compiler does for
/// binaries), and per-file metadata through an analyzer config provider.
/// </summary>
public sealed class GeneratorHarness
{
    public sealed class BinaryAdditionalText : AdditionalText
    {
        public BinaryAdditionalText(string path) => Path = path;
        public override string Path { get; }
        public override SourceText? GetText(CancellationToken cancellationToken = default) => null;
    }

    private sealed class Options : AnalyzerConfigOptions
    {
        private readonly IReadOnlyDictionary<string, string> _values;
        public Options(IReadOnlyDictionary<string, string> values) => _values = values;
        public override bool TryGetValue(string key, out string value)
        {
            if (_values.TryGetValue(key, out var v)) { value = v; return true; }
            value = "";
            return false;
        }
    }

    private sealed class OptionsProvider : AnalyzerConfigOptionsProvider
    {
        private readonly Dictionary<string, Dictionary<string, string>> _perFile;
        private readonly Options _global;
        public OptionsProvider(Dictionary<string, Dictionary<string, string>> perFile, Dictionary<string, string> global)
        {
            _perFile = perFile;
            _global = new Options(global);
        }
        public override AnalyzerConfigOptions GlobalOptions => _global;
        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => new Options(new Dictionary<string, string>());
        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) =>
            new Options(_perFile.TryGetValue(textFile.Path, out var d) ? d : new Dictionary<string, string>());
    }

    private readonly List<AdditionalText> _files = new();
    private readonly Dictionary<string, Dictionary<string, string>> _metadata = new();
    private readonly Dictionary<string, string> _global = new() { ["build_property.RootNamespace"] = "TestApp" };

    public IReadOnlyList<AdditionalText> Files => _files;

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "mc-gen-" + Guid.NewGuid().ToString("N"));

    public GeneratorHarness() => System.IO.Directory.CreateDirectory(Directory);

    /// <summary>Writes <paramref name="bytes"/> to a file and adds it with the given metadata (weights resource set as the targets would).</summary>
    public string AddModel(string fileName, byte[] bytes, Dictionary<string, string>? metadata = null, bool withResource = true)
    {
        string path = Path.Combine(Directory, fileName);
        File.WriteAllBytes(path, bytes);
        AddFile(path, metadata, withResource);
        return path;
    }

    public void AddFile(string path, Dictionary<string, string>? metadata = null, bool withResource = true)
    {
        var meta = new Dictionary<string, string>();
        foreach (var kv in metadata ?? new()) meta["build_metadata.AdditionalFiles." + kv.Key] = kv.Value;
        if (withResource && !meta.ContainsKey("build_metadata.AdditionalFiles.ModelCompilerWeightsResource"))
            meta["build_metadata.AdditionalFiles.ModelCompilerWeightsResource"] = "ModelCompiler///" + Path.GetFileName(path) + ".weights";
        _metadata[path] = meta;
        _files.Add(new BinaryAdditionalText(path));
    }

    public GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create(
            new[] { new ModelGenerator().AsSourceGenerator() },
            _files,
            new CSharpParseOptions(LanguageVersion.Latest),
            new OptionsProvider(_metadata, _global),
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static CSharpCompilation EmptyCompilation(string source = "namespace TestApp { public static class Program { } }") =>
        CSharpCompilation.Create("TestApp",
            new[] { CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest)) },
            Basic.Reference.Assemblies.Net100.References.All.Concat(new[] { MetadataReference.CreateFromFile(typeof(ModelCompiler.Runtime.Arena).Assembly.Location) }),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>Runs the generator once; returns the run result and the output compilation's diagnostics.</summary>
    public (GeneratorDriverRunResult Run, ImmutableArray<Diagnostic> CompilationDiagnostics, GeneratorDriver Driver) Run(CSharpCompilation? compilation = null)
    {
        var driver = CreateDriver().RunGeneratorsAndUpdateCompilation(compilation ?? EmptyCompilation(), out var output, out _);
        return (driver.GetRunResult(), output.GetDiagnostics(), driver);
    }
}
