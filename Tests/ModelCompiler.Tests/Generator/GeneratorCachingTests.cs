using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Generator;

/// <summary>The generator is incremental: editing C# never recompiles a model; changing the model does.</summary>
public sealed class GeneratorCachingTests
{
    [Fact]
    public void An_unrelated_source_change_is_fully_cached()
    {
        var harness = new GeneratorHarness();
        harness.AddModel("mlp.onnx", TestModels.TinyMlp());
        var compilation = GeneratorHarness.EmptyCompilation();
        var driver = harness.CreateDriver().RunGenerators(compilation);

        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace TestApp { class Unrelated { int X => 1; } }"));
        var second = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (string step in new[] { ModelGenerator.RequestStep, ModelGenerator.CompileStep })
        {
            var outputs = second.TrackedSteps[step].SelectMany(s => s.Outputs).ToList();
            Assert.NotEmpty(outputs);
            Assert.All(outputs, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                $"step {step} output was {o.Reason}"));
        }
        Assert.All(second.TrackedSteps[ModelGenerator.CompileStep].SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void Changing_the_model_file_recompiles_it()
    {
        var harness = new GeneratorHarness();
        string path = harness.AddModel("mlp.onnx", TestModels.TinyMlp());
        var compilation = GeneratorHarness.EmptyCompilation();
        var driver = harness.CreateDriver().RunGenerators(compilation);
        string before = driver.GetRunResult().GeneratedTrees.Single().ToString();

        File.WriteAllBytes(path, TestModels.TinyCnn());
        File.SetLastWriteTimeUtc(path, File.GetLastWriteTimeUtc(path).AddSeconds(5));
        // The compiler hands the generator a new AdditionalText when a file changes; do the same.
        driver = driver.ReplaceAdditionalText(harness.Files.Single(), new GeneratorHarness.BinaryAdditionalText(path));
        var result = driver.RunGenerators(compilation).GetRunResult();
        Assert.Contains(result.Results.Single().TrackedSteps[ModelGenerator.CompileStep].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.NotEqual(before, result.GeneratedTrees.Single().ToString());
    }
}
