using System;
using System.IO;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Models;

/// <summary>
/// The benchmark project compiles Tests/ModelCompiler.Benchmarks/Models/transformer_encoder.onnx, a committed copy
/// of <see cref="TransformerEncoder.Decomposed"/> (so the benchmark builds without running the test builders).
/// This keeps the copy byte-identical to the builder; MODELCOMPILER_ACCEPT_SNAPSHOTS=1 rewrites it.
/// </summary>
public sealed class TransformerEncoderAssetTests
{
    public static string AssetPath => Path.Combine(Repo.Root, "Tests", "ModelCompiler.Benchmarks", "Models", "transformer_encoder.onnx");

    [Fact]
    public void The_benchmark_asset_is_the_decomposed_encoder()
    {
        byte[] model = TransformerEncoder.Decomposed();
        if (Environment.GetEnvironmentVariable("MODELCOMPILER_ACCEPT_SNAPSHOTS") == "1") File.WriteAllBytes(AssetPath, model);
        Assert.True(File.Exists(AssetPath), $"{AssetPath} is missing; run this test with MODELCOMPILER_ACCEPT_SNAPSHOTS=1 to write it.");
        Assert.True(model.AsSpan().SequenceEqual(File.ReadAllBytes(AssetPath)),
            $"{AssetPath} differs from TransformerEncoder.Decomposed(); run this test with MODELCOMPILER_ACCEPT_SNAPSHOTS=1 to rewrite it.");
    }
}
