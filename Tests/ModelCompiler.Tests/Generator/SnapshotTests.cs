using System.Linq;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Generator;

/// <summary>
/// The generated C# is part of the product: these snapshots pin it for small models (an MLP, a CNN with a
/// folded BatchNorm, a residual block, a two-input two-output graph). A change to generated code shows up
/// as a diff here; accept it deliberately with MODELCOMPILER_ACCEPT_SNAPSHOTS=1.
/// </summary>
public sealed class SnapshotTests
{
    [Theory]
    [InlineData("TinyMlp")]
    [InlineData("TinyCnn")]
    [InlineData("ResidualBlock")]
    [InlineData("TwoInputsTwoOutputs")]
    public void Generated_code_matches_the_approved_snapshot(string model)
    {
        byte[] bytes = model switch
        {
            "TinyMlp" => TestModels.TinyMlp(),
            "TinyCnn" => TestModels.TinyCnn(),
            "ResidualBlock" => TestModels.ResidualBlock(),
            _ => TestModels.TwoInputsTwoOutputs(),
        };
        var harness = new GeneratorHarness();
        harness.AddModel(model.ToLowerInvariant() + ".onnx", bytes);
        var (run, compilationDiagnostics, _) = harness.Run();
        Assert.Empty(run.Diagnostics);
        Assert.Empty(compilationDiagnostics); // no errors and no warnings in the consumer's build
        Approvals.Verify(model, run.GeneratedTrees.Single().ToString());
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
