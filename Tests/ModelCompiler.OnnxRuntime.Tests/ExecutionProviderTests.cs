using System;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using OrtModels;
using Xunit;

namespace ModelCompiler.OnnxRuntime.Tests;

/// <summary>
/// Execution providers with the plain Microsoft.ML.OnnxRuntime package, which has only the CPU provider:
/// listed providers that are missing are skipped and reported; FallbackToCpu="false" makes that an error
/// naming the package to install; options can change before, and only before, the first use.
/// </summary>
public sealed class ExecutionProviderTests
{
    private static float[] Image() => TestSupport.Digits().Images.AsSpan(0, 64).ToArray();

    private static void RequirePlainPackage()
    {
        var available = OrtEnv.Instance().GetAvailableProviders();
        if (available.Any(p => p != "CPUExecutionProvider"))
            Assert.Skip($"This ONNX Runtime build has more than the CPU provider ({string.Join(", ", available)}); these tests describe the plain package.");
    }

    [Fact]
    public void Missing_providers_are_skipped_in_order_and_reported_with_their_package()
    {
        RequirePlainPackage();
        Assert.Null(DigitsAllProviders.ActiveExecutionProvider);
        Assert.Empty(DigitsAllProviders.SkippedExecutionProviders);

        var output = new float[DigitsAllProviders.OutputLength];
        DigitsAllProviders.Predict(Image(), output);
        TestSupport.Close(TestSupport.Reference(TestSupport.DigitsModel, Image())[0], output, "output");

        Assert.Equal("CPU", DigitsAllProviders.ActiveExecutionProvider);
        var skipped = DigitsAllProviders.SkippedExecutionProviders;
        Assert.Equal(new[] { "TensorRT", "CUDA", "OpenVINO", "QNN", "CoreML", "DirectML" }, skipped.Select(s => s.Name));
        Assert.All(skipped, s => Assert.Contains("not in the installed ONNX Runtime build", s.Reason));
        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu.Linux", skipped.Single(s => s.Name == "CUDA").NuGetPackage);
        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu.Linux", skipped.Single(s => s.Name == "TensorRT").NuGetPackage);
        Assert.Equal("Intel.ML.OnnxRuntime.OpenVino", skipped.Single(s => s.Name == "OpenVINO").NuGetPackage);
        Assert.Equal("Microsoft.ML.OnnxRuntime.QNN", skipped.Single(s => s.Name == "QNN").NuGetPackage);
        Assert.StartsWith("Microsoft.ML.OnnxRuntime.DirectML", skipped.Single(s => s.Name == "DirectML").NuGetPackage);
        Assert.StartsWith("Microsoft.ML.OnnxRuntime ", skipped.Single(s => s.Name == "CoreML").NuGetPackage);

        // The metadata's thread counts and provider options reached the runtime.
        var options = DigitsAllProviders.Runtime.Options;
        Assert.Equal(1, options.IntraOpThreads);
        Assert.Equal(1, options.InterOpThreads);
        Assert.Equal("0", options.OptionsFor("CUDA")["device_id"]);
        Assert.Equal("CPU", options.OptionsFor("OpenVINO")["device_type"]);
    }

    [Fact]
    public void FallbackToCpu_false_throws_at_first_use_naming_the_nuget_package_and_can_be_reconfigured()
    {
        RequirePlainPackage();
        var output = new float[DigitsStrictCuda.OutputLength];
        var e = Assert.Throws<ExecutionProviderUnavailableException>(() => DigitsStrictCuda.Predict(Image(), output));
        Assert.Contains("CUDA", e.Message);
        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu.Linux", e.Message);
        Assert.Contains("FallbackToCpu", e.Message);
        Assert.Equal("CUDA", Assert.Single(e.Skipped).Name);
        Assert.Contains("CPUExecutionProvider", e.AvailableInBuild);
        Assert.Null(DigitsStrictCuda.ActiveExecutionProvider);

        // Still throws on the next call (nothing was created), and a failed first use still allows Configure.
        Assert.Throws<ExecutionProviderUnavailableException>(() => DigitsStrictCuda.Predict(Image(), output));
        DigitsStrictCuda.Configure(o => o.FallbackToCpu = true);
        DigitsStrictCuda.Predict(Image(), output);
        Assert.Equal("CPU", DigitsStrictCuda.ActiveExecutionProvider);
        Assert.Equal("CUDA", Assert.Single(DigitsStrictCuda.SkippedExecutionProviders).Name);
    }

    [Fact]
    public void FallbackToCpu_false_names_the_package_of_every_missing_provider()
    {
        RequirePlainPackage();
        var e = Assert.Throws<ExecutionProviderUnavailableException>(() => DigitsStrictMany.Initialize());
        Assert.Contains("Intel.ML.OnnxRuntime.OpenVino", e.Message);
        Assert.Contains("Microsoft.ML.OnnxRuntime.DirectML", e.Message);
        Assert.Contains("Microsoft.ML.OnnxRuntime.QNN", e.Message);
        Assert.Equal(new[] { "OpenVINO", "DirectML", "QNN" }, e.Skipped.Select(s => s.Name));
    }

    [Fact]
    public void Configure_works_before_the_first_use_and_throws_after_it()
    {
        DigitsConfigured.Configure(o =>
        {
            o.ExecutionProviders.Add("cpu");
            o.IntraOpThreads = 1;
            o.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC;
        });
        Assert.False(DigitsConfigured.Runtime.IsInitialized);
        var output = new float[DigitsConfigured.OutputLength];
        DigitsConfigured.Predict(Image(), output);
        TestSupport.Close(TestSupport.Reference(TestSupport.DigitsModel, Image())[0], output, "output");
        Assert.True(DigitsConfigured.Runtime.IsInitialized);
        Assert.Equal(1, DigitsConfigured.Runtime.Options.IntraOpThreads);
        Assert.Equal("CPU", DigitsConfigured.ActiveExecutionProvider);

        var e = Assert.Throws<InvalidOperationException>(() => DigitsConfigured.Configure(o => o.IntraOpThreads = 2));
        Assert.Contains("before the first use", e.Message);
    }

    [Fact]
    public void Configure_rejects_unknown_providers_and_keeps_the_metadata_defaults()
    {
        var e = Assert.Throws<ArgumentException>(() => DigitsThreads.Configure(o => o.ExecutionProviders.Add("EdgeTPU")));
        Assert.Contains("EdgeTPU", e.Message);
        Assert.Contains("OpenVINO", e.Message); // lists the known ones
        Assert.Empty(DigitsThreads.Runtime.Options.ExecutionProviders);
        Assert.Equal(1, DigitsThreads.Runtime.Options.IntraOpThreads);
    }

    [Fact]
    public void Registering_a_provider_the_build_lacks_throws_what_the_runtime_treats_as_missing()
    {
        RequirePlainPackage();
        foreach (var provider in ExecutionProviderCatalog.All.Where(p => p.Name != "CPU"))
        {
            using var options = new SessionOptions();
            var e = Record.Exception(() => provider.Append(options, new System.Collections.Generic.Dictionary<string, string>()));
            Assert.True(e is not null, $"{provider.Name} registered although GetAvailableProviders does not list it");
            Assert.True(OnnxRuntimeModel.IsProviderFailure(e), $"{provider.Name}: {e.GetType().Name}: {e.Message}");
            TestContext.Current.SendDiagnosticMessage($"{provider.Name}: {e.GetType().Name}: {e.Message}");
        }
    }
}
