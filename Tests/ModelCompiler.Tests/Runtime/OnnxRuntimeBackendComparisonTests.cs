using System;
using System.IO;
using System.Linq;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Runtime;

/// <summary>
/// The two backends agree: each real model is compiled for Backend="OnnxRuntime" and for the managed
/// backend, both in memory, and run on the same inputs (rel. L2 &lt;= 1e-4, or every element within
/// 1e-5 + 1e-4 |expected|). Every model listed must compile for the managed backend: comparing the OnnxRuntime
/// backend with a direct ONNX Runtime session would compare ONNX Runtime with itself.
/// </summary>
public sealed class OnnxRuntimeBackendComparisonTests
{
    [Theory]
    [InlineData("models/torch-exports/tiny_resnet3.onnx", null)]
    [InlineData("models/torch-exports/tiny_shufflenet3.onnx", null)]
    [InlineData("models/torch-exports/mlp_96_48.onnx", null)]
    [InlineData("models/onnx2c/test/mnist/model.onnx", null)]
    [InlineData("models/EMCLab-iPrune/pruning/onnx_models/energy/HAR.onnx", null)]
    [InlineData("models/libfacedetection.train/yunet/yunet_n_320_320.onnx", null)]
    [InlineData("models/ultraface/models_onnx/version-slim-320.onnx", null)]
    public void OnnxRuntime_backend_matches_the_managed_backend(string relative, string? inputShape)
    {
        byte[] model = File.ReadAllBytes(Repo.Shared(relative));
        string ns = "Cmp." + Identifiers(relative);

        var options = OnnxRuntimeBackend.Options(ns + ".Ort", inputShape: inputShape);
        var probe = ModelCompiler.Compilation.ModelCompilation.Compile(model, options);
        Assert.True(probe.Success, string.Join("\n", probe.Diagnostics));
        var runtimeInfo = ReadIo(probe.Source!);
        var ort = OnnxRuntimeBackend.Compile(model, options, runtimeInfo.Inputs.Select(_ => "float").ToList(), runtimeInfo.Outputs.Select(_ => "float").ToList());

        var inputs = runtimeInfo.Inputs.Select((n, k) => Random(n, (uint)(k + 7))).ToArray();
        var ortOutputs = runtimeInfo.Outputs.Select(n => new float[n]).ToArray();
        Adapter.Run(ort, ns + ".Ort", inputs.Cast<object>().ToArray(), ortOutputs.Cast<object>().ToArray());

        // The reference is the managed backend, compiled from the same bytes: never ONNX Runtime itself, which
        // would compare the OnnxRuntime backend with the library it wraps.
        var (managed, unit) = InMemoryCompiler.Generate(model, ns + ".Managed", inputShape: inputShape);
        Assert.True(unit is not null, $"{relative}: the managed backend does not compile it, so there is nothing independent to compare with: " +
            string.Join("; ", managed.Diagnostics.Select(d => d.Id + " " + d.Message)));
        string adapter = Adapter.Source(ns + ".Managed", "Model", inputs.Select(_ => "float").ToList(), ortOutputs.Select(_ => "float").ToList());
        var compiled = InMemoryCompiler.Compile(new[] { unit!, new InMemoryCompiler.Unit(ns + ".Managed.Adapter", adapter) });
        Assert.True(compiled.Assembly is not null, string.Join("\n", compiled.Errors));
        var expected = ortOutputs.Select(o => new float[o.Length]).ToArray();
        Adapter.Run(compiled.Assembly!, ns + ".Managed", inputs.Cast<object>().ToArray(), expected.Cast<object>().ToArray());
        const string against = "the managed backend";

        Assert.Equal(expected.Length, ortOutputs.Length);
        for (int k = 0; k < expected.Length; k++)
            Compare.RelativeL2OrElementwise(expected[k], ortOutputs[k], l2Tolerance: 1e-4, rtol: 1e-4, atol: 1e-5, $"{relative} output {k} against {against}");
    }

    private static string Identifiers(string relative) =>
        ModelCompiler.Compilation.Identifiers.PascalCase(Path.GetFileNameWithoutExtension(relative) + "_" + Path.GetFileName(Path.GetDirectoryName(relative)), "M");

    /// <summary>Input and output lengths, from the generated constants (the managed API: InputLength or &lt;Name&gt;Length, in graph order).</summary>
    private static (int[] Inputs, int[] Outputs) ReadIo(string source)
    {
        var tensors = System.Text.RegularExpressions.Regex.Matches(source, @"new global::ModelCompiler\.OnnxRuntime\.OnnxRuntimeTensor\(""(?:[^""\\]|\\.)*"", \d+, new long\[\] \{ ([0-9, ]*) \}\)")
            .Select(m => m.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries).Aggregate(1, (p, d) => p * int.Parse(d.Trim(), System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();
        var inputsLine = source.Split('\n').First(l => l.TrimStart().StartsWith("new global::ModelCompiler.OnnxRuntime.OnnxRuntimeTensor[] {", StringComparison.Ordinal));
        int inputCount = System.Text.RegularExpressions.Regex.Matches(inputsLine, "new global::ModelCompiler.OnnxRuntime.OnnxRuntimeTensor\\(").Count;
        return (tensors.Take(inputCount).ToArray(), tensors.Skip(inputCount).ToArray());
    }

    private static float[] Random(int length, uint seed)
    {
        var x = new float[length];
        uint s = seed * 2654435761u + 1;
        for (int i = 0; i < x.Length; i++)
        {
            s ^= s << 13; s ^= s >> 17; s ^= s << 5;
            x[i] = (s >> 8) / (float)(1 << 24);
        }
        return x;
    }
}
