using System;
using System.IO;
using System.Linq;
using ModelCompiler.Compilation;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Generator;

/// <summary>
/// Profile="true" adds PredictProfiled, LayerCount and LayerNames for per-layer timing, and changes nothing
/// else: without it the generated code is what it always was, with it Predict and the layers are the same text.
/// </summary>
public sealed class ProfileOptionTests
{
    private static CompileResult Compile(string? profile, string ns = "Profile.Test") =>
        ModelCompilation.Compile(TestModels.ResidualBlock(), new ModelOptions
        {
            FileName = "residualblock.onnx",
            ClassName = "Model",
            Namespace = ns,
            WeightsResource = $"ModelCompiler/{ns}/Model/residualblock.onnx.weights",
            Profile = profile,
        });

    [Fact]
    public void Without_the_option_nothing_is_added_and_with_it_every_other_line_stays()
    {
        string plain = Compile(null).Source!;
        string off = Compile("false").Source!;
        string on = Compile("true").Source!;
        Assert.Equal(plain, off);
        Assert.DoesNotContain("PredictProfiled", plain);
        Assert.Contains("public static void PredictProfiled(global::System.ReadOnlySpan<float> input, global::System.Span<float> output, global::System.Span<long> ticksPerLayer)", on);
        Assert.Contains("public const int LayerCount = ", on);

        // The plain source's lines appear, in order, in the profiled one: the option only inserts.
        var onLines = on.Split('\n');
        int at = 0;
        foreach (string line in plain.Split('\n'))
        {
            while (at < onLines.Length && onLines[at] != line) at++;
            Assert.True(at < onLines.Length, $"line missing from the profiled source: {line}");
            at++;
        }
    }

    /// <summary>Probe.Run(x): Predict's output, PredictProfiled's (third call), the ticks and LayerNames; Probe.WrongTicks().</summary>
    private static string Probe(string ns) => $$"""
        namespace {{ns}}
        {
            public static class Probe
            {
                public static object[] Run(float[] x)
                {
                    var plain = new float[Model.OutputLength];
                    var profiled = new float[Model.OutputLength];
                    var ticks = new long[Model.LayerCount];
                    Model.Predict(x, plain);
                    for (int i = 0; i < 3; i++) Model.PredictProfiled(x, profiled, ticks);
                    return new object[] { plain, profiled, ticks, global::System.Linq.Enumerable.ToArray(Model.LayerNames) };
                }

                public static void WrongTicks() => Model.PredictProfiled(new float[Model.InputLength], new float[Model.OutputLength], new long[Model.LayerCount + 1]);
            }
        }
        """;

    [Fact]
    public void PredictProfiled_gives_Predicts_outputs_and_a_time_for_every_layer_that_runs()
    {
        const string ns = "Profile.Run";
        var result = Compile("true", ns);
        using var blob = new MemoryStream();
        result.WriteWeights!(blob);
        var unit = new InMemoryCompiler.Unit(ns + ".Model", result.Source!, $"ModelCompiler/{ns}/Model/residualblock.onnx.weights", blob.ToArray());
        var compiled = InMemoryCompiler.Compile(new[] { unit, new InMemoryCompiler.Unit(ns + ".Probe", Probe(ns)) });
        Assert.True(compiled.Assembly is not null, string.Join("\n", compiled.Diagnostics));
        Assert.Empty(compiled.Warnings);
        var type = compiled.Assembly!.GetType(ns + ".Probe")!;
        var x = OnnxModelBuilder.RandomFloats(72, 5);
        var r = (object[])type.GetMethod("Run")!.Invoke(null, new object[] { x })!;
        Assert.Equal((float[])r[0], (float[])r[1]);
        var ticks = (long[])r[2];
        var names = (string[])r[3];
        Assert.Equal(result.Layers, ticks.Length);
        Assert.Equal(ticks.Length, names.Length);
        Assert.Equal("L0 Conv block.conv1 + block.relu1", names[0]); // the Relu is fused into the Conv
        Assert.All(ticks, t => Assert.True(t >= 0));
        Assert.True(ticks.Sum() > 0);
        var e = Assert.Throws<System.Reflection.TargetInvocationException>(() => type.GetMethod("WrongTicks")!.Invoke(null, null));
        Assert.Contains("ticksPerLayer", Assert.IsType<ArgumentException>(e.InnerException).Message);
    }

    /// <summary>
    /// Profile as a consumer sets it: AdditionalFiles metadata read by the real generator, with the weight blob written
    /// as the build targets write it (modelc does not get Profile, so the option must not change the blob's fingerprint).
    /// </summary>
    [Fact]
    public void Profile_metadata_reaches_the_generator_and_the_profiled_build_runs_on_the_targets_blob()
    {
        const string ns = "Profile.Metadata";
        var profiled = MetadataBuild.Compile(TestModels.ResidualBlock(), "residualblock.onnx", ns, "Model",
            new System.Collections.Generic.Dictionary<string, string> { ["Profile"] = "true", ["Threads"] = "2" }, Probe(ns));
        var r = (object[])profiled.Assembly.GetType(ns + ".Probe")!.GetMethod("Run")!.Invoke(null, new object[] { OnnxModelBuilder.RandomFloats(72, 9) })!;
        Assert.Equal((float[])r[0], (float[])r[1]);
        Assert.True(((long[])r[2]).Sum() > 0, "no layer recorded any time");

        var plain = MetadataBuild.Compile(TestModels.ResidualBlock(), "residualblock.onnx", ns + ".Plain", "Model",
            new System.Collections.Generic.Dictionary<string, string> { ["Profile"] = "false" });
        Assert.DoesNotContain("PredictProfiled", plain.Source);
    }

    [Fact]
    public void A_profile_value_that_is_not_a_boolean_is_MC0006()
    {
        var result = Compile("yes");
        Assert.False(result.Success);
        var d = Assert.Single(result.Diagnostics);
        Assert.Equal("MC0006", d.Id);
        Assert.Contains("Profile", d.Message);
    }
}
