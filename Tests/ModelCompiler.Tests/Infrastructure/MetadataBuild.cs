using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using ModelCompiler.Compilation;
using Xunit;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>
/// A model compiled the way a consumer's build compiles it, options included: the real generator
/// (<see cref="ModelGenerator"/>, through <see cref="GeneratorHarness"/>) reads the AdditionalFiles metadata
/// (ClassName, Namespace, Threads, Profile...) from the analyzer config, and the weight blob is written from the same
/// metadata as the build targets hand it to <c>modelc weights</c> (ModelCompiler.targets: class, namespace, root
/// namespace, input shape, threads and resource; not Profile). If the generator and the blob disagree about an option
/// that enters the fingerprint, the generated code refuses the blob at its first call.
/// </summary>
internal static class MetadataBuild
{
    public sealed record Result(Assembly Assembly, string Source, string Namespace, string ClassName);

    /// <param name="metadata">AdditionalFiles metadata besides ClassName, Namespace and the weights resource (Threads, Profile, InputShape...).</param>
    /// <param name="extraSource">Test code compiled into the same assembly (probes calling the generated class).</param>
    public static Result Compile(byte[] model, string fileName, string ns, string className, IReadOnlyDictionary<string, string> metadata, string extraSource = "")
    {
        // The resource name the targets give the blob (ModelCompiler.targets, ModelCompilerWeightsResource).
        string resource = $"ModelCompiler/{ns}/{className}/{fileName}.weights";
        var all = new Dictionary<string, string>(metadata) { ["ClassName"] = className, ["Namespace"] = ns, ["ModelCompilerWeightsResource"] = resource };
        var harness = new GeneratorHarness();
        harness.AddModel(fileName, model, all);
        var (run, _, _) = harness.Run();
        Assert.All(run.Results, r => Assert.Null(r.Exception));
        Assert.True(!run.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error), string.Join("\n", run.Diagnostics));
        string source = Assert.Single(run.GeneratedTrees).ToString();

        string? Meta(string key) => ModelOptions.Normalize(all.TryGetValue(key, out var v) ? v : null);
        var blobOptions = new ModelOptions
        {
            FileName = fileName,
            ClassName = Meta("ClassName"),
            Namespace = Meta("Namespace"),
            RootNamespace = "TestApp", // GeneratorHarness's build_property.RootNamespace
            InputShape = Meta("InputShape"),
            WeightsResource = resource,
            Threads = Meta("Threads"),
        };
        var weights = ModelCompilation.Compile(model, blobOptions);
        Assert.True(weights.Success, string.Join("\n", weights.Diagnostics));
        using var blob = new MemoryStream();
        weights.WriteWeights!(blob);

        var units = new List<InMemoryCompiler.Unit> { new(ns + "." + className, source, resource, blob.ToArray()) };
        if (extraSource.Length > 0) units.Add(new InMemoryCompiler.Unit(ns + ".Probe", extraSource));
        var compiled = InMemoryCompiler.Compile(units);
        Assert.True(compiled.Assembly is not null, string.Join("\n", compiled.Diagnostics));
        Assert.Empty(compiled.Warnings);
        return new Result(compiled.Assembly!, source, ns, className);
    }
}
