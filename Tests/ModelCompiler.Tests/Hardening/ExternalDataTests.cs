using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using ModelCompiler.Compilation;
using ModelCompiler.Diagnostics;
using ModelCompiler.Graph;
using ModelCompiler.Onnx;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Hardening;

/// <summary>
/// External tensor data as ONNX lays it out (a location relative to the model's folder, offset, length): read
/// from beside the model, hashed into the weight fingerprint; any location that leaves the folder is MC0005 and
/// nothing is read. Models built here and written to a temporary folder; the real migraphx cases need ../shared.
/// </summary>
public sealed class ExternalDataTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mc-ext-" + Guid.NewGuid().ToString("N"));
    private readonly string _outside;

    public ExternalDataTests()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "model", "data"));
        _outside = Path.Combine(_dir, "secret.bin");
        File.WriteAllBytes(_outside, Enumerable.Range(0, 4096).Select(i => (byte)i).ToArray());
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static readonly float[] s_weights = OnnxModelBuilder.RandomFloats(12, 3);

    /// <summary>x[1,4] MatMul w[4,3] -> y[1,3]; w either inside the model or external at <paramref name="location"/>.</summary>
    private static byte[] MatMulModel(string? location, long offset = 0, long? length = null)
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 4);
        if (location is null) b.Initializer("w", new[] { 4, 3 }, s_weights);
        else b.ExternalInitializer("w", (int)TensorProto.Types.DataType.Float, new[] { 4, 3 }, location, offset, length);
        b.Node("MatMul", new[] { "x", "w" }, "y", "mm");
        b.Output("y");
        return b.Build();
    }

    private static byte[] WeightBytes() => s_weights.SelectMany(BitConverter.GetBytes).ToArray();

    private string ModelPath => Path.Combine(_dir, "model", "m.onnx");

    private static CompileResult Compile(byte[] model, ExternalDataSource? source) =>
        ModelCompilation.Compile(model, new ModelOptions { FileName = "m.onnx", ClassName = "M", Namespace = "N", WeightsResource = "ModelCompiler/N/M/m.onnx.weights" }, default, source);

    /// <summary>Compiles (weights from beside <paramref name="modelPath"/>) and runs Predict on float inputs; outputs in their own element types.</summary>
    private static Array[] Run(byte[] model, string modelPath, float[][] inputs)
    {
        string ns = "Ext" + Guid.NewGuid().ToString("N");
        var options = new ModelOptions { FileName = Path.GetFileName(modelPath), ClassName = "Model", Namespace = ns, WeightsResource = $"ModelCompiler/{ns}/Model/m.weights" };
        var result = ModelCompilation.Compile(model, options, default, ExternalDataSource.Beside(modelPath));
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        using var blob = new MemoryStream();
        result.WriteWeights!(blob);
        var outputTypes = result.Outputs.Select(o => o.Type.CSharpName()!).ToList();
        var units = new[]
        {
            new InMemoryCompiler.Unit(ns + ".Model", result.Source!, options.WeightsResource, blob.ToArray()),
            new InMemoryCompiler.Unit(ns + ".Adapter", Adapter.Source(ns, "Model", inputs.Select(_ => "float").ToList(), outputTypes)),
        };
        var compiled = InMemoryCompiler.Compile(units);
        Assert.True(compiled.Assembly is not null, string.Join("\n", compiled.Errors));
        var outputs = result.Outputs.Select((o, k) => Adapter.NewArray(outputTypes[k], (int)o.Length)).ToArray();
        Adapter.Run(compiled.Assembly!, ns, inputs.Cast<object>().ToArray(), outputs.Cast<object>().ToArray());
        return outputs;
    }

    private static float[] Floats(Array a) => a.Cast<object>().Select(Convert.ToSingle).ToArray();

    [Fact]
    public void Weights_beside_the_model_at_an_offset_give_the_same_outputs_as_embedded_weights()
    {
        // The data file holds 100 bytes of something else first, then the weights (as onnx's save_model with
        // all_tensors_to_one_file lays several tensors one after another).
        var file = new byte[100].Concat(WeightBytes()).Concat(new byte[7]).ToArray();
        File.WriteAllBytes(Path.Combine(_dir, "model", "data", "weights.bin"), file);
        var external = MatMulModel("data/weights.bin", offset: 100, length: 48);
        File.WriteAllBytes(ModelPath, external);
        var x = new[] { OnnxModelBuilder.RandomFloats(4, 9) };

        var fromFile = (float[])Run(external, ModelPath, x)[0];
        var embedded = (float[])Run(MatMulModel(null), ModelPath, x)[0];
        var expected = new float[3];
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 4; k++) expected[j] += x[0][k] * s_weights[k * 3 + j];
        Compare.Close(expected, fromFile, 1e-5, 1e-6, "MatMul with external weights vs the reference product");
        Assert.Equal(embedded, fromFile);
    }

    [Fact]
    public void A_changed_data_file_changes_the_weight_fingerprint()
    {
        string data = Path.Combine(_dir, "model", "w.bin");
        File.WriteAllBytes(data, WeightBytes());
        var model = MatMulModel("w.bin");
        var first = Compile(model, ExternalDataSource.Beside(ModelPath));
        var source = ExternalDataSource.Beside(ModelPath);
        File.WriteAllBytes(data, WeightBytes().Reverse().ToArray());
        var second = Compile(model, source);
        Assert.True(first.Success && second.Success);
        Assert.Equal(new[] { Path.GetFullPath(data) }, source.FilesRead);
        string Fingerprint(CompileResult r) => r.Source!.Split('\n').Single(l => l.Contains("WeightBlob.Load(")).Trim();
        Assert.NotEqual(Fingerprint(first), Fingerprint(second));
    }

    [Theory]
    [InlineData("../secret.bin", "leaves the model's folder")]
    [InlineData("data/../../secret.bin", "leaves the model's folder")]
    [InlineData("..\\secret.bin", "leaves the model's folder")]
    [InlineData("/etc/hostname", "not a path relative")]
    [InlineData("C:\\Windows\\win.ini", "not a path relative")]
    [InlineData("missing.bin", "no such file")]
    [InlineData("", "names no location")]
    public void A_location_outside_the_folder_or_missing_is_MC0005_and_nothing_is_read(string location, string reason)
    {
        var source = ExternalDataSource.Beside(ModelPath);
        var result = Compile(MatMulModel(location), source);
        var d = Assert.Single(result.Diagnostics, x => x.Severity == Severity.Error);
        Assert.Equal("MC0005", d.Id);
        Assert.Contains("'w'", d.Message);
        Assert.Contains(reason, d.Message);
        Assert.Empty(source.FilesRead);
        Assert.Null(source.Digest());
    }

    [Fact]
    public void A_link_inside_the_folder_is_followed_only_when_its_target_stays_inside()
    {
        string inside = Path.Combine(_dir, "model", "data", "real.bin");
        File.WriteAllBytes(inside, WeightBytes());
        File.CreateSymbolicLink(Path.Combine(_dir, "model", "ok.bin"), inside);
        File.CreateSymbolicLink(Path.Combine(_dir, "model", "escape.bin"), _outside);
        Directory.CreateSymbolicLink(Path.Combine(_dir, "model", "up"), _dir);

        Assert.True(Compile(MatMulModel("ok.bin"), ExternalDataSource.Beside(ModelPath)).Success);
        foreach (string location in new[] { "escape.bin", "up/secret.bin" })
        {
            var source = ExternalDataSource.Beside(ModelPath);
            var d = Assert.Single(Compile(MatMulModel(location), source).Diagnostics, x => x.Severity == Severity.Error);
            Assert.Equal("MC0005", d.Id);
            Assert.Contains("outside the model's folder", d.Message);
            Assert.Empty(source.FilesRead);
        }
    }

    [Theory]
    [InlineData(4090L, null, "not inside the file")]
    [InlineData(-1L, null, "not a number")]
    [InlineData(0L, 44L, "length is 44 bytes")]
    [InlineData(long.MaxValue, null, "not inside the file")]
    public void An_offset_or_length_that_does_not_fit_is_MC0005(long offset, long? length, string reason)
    {
        File.WriteAllBytes(Path.Combine(_dir, "model", "w.bin"), new byte[4096]);
        var d = Assert.Single(Compile(MatMulModel("w.bin", offset, length), ExternalDataSource.Beside(ModelPath)).Diagnostics, x => x.Severity == Severity.Error);
        Assert.Equal("MC0005", d.Id);
        Assert.Contains(reason, d.Message);
    }

    [Fact]
    public void Compiling_bytes_alone_or_for_the_OnnxRuntime_backend_reports_external_data_as_MC0005()
    {
        File.WriteAllBytes(Path.Combine(_dir, "model", "w.bin"), WeightBytes());
        var alone = Assert.Single(Compile(MatMulModel("w.bin"), null).Diagnostics, x => x.Severity == Severity.Error);
        Assert.Equal("MC0005", alone.Id);
        Assert.Contains("without its folder", alone.Message);
        var ort = ModelCompilation.Compile(MatMulModel("w.bin"), new ModelOptions { FileName = "m.onnx", Backend = "OnnxRuntime", ModelResource = "r" }, default, ExternalDataSource.Beside(ModelPath));
        Assert.Contains(ort.Diagnostics, x => x.Id == "MC0005" && x.Message.Contains("OnnxRuntime backend"));
    }

    [Fact]
    public void The_generator_recompiles_a_model_when_the_build_rewrites_its_weight_blob()
    {
        // The build targets rewrite the blob whenever a data file changes and pass its path as metadata; the
        // generator's cached result is stamped with it (the model file itself did not change).
        var harness = new GeneratorHarness();
        string blob = Path.Combine(harness.Directory, "m.weights");
        File.WriteAllBytes(blob, new byte[] { 1 });
        harness.AddModel("mlp.onnx", TestModels.TinyMlp(), new() { ["ModelCompilerWeightsBlob"] = blob });
        var compilation = GeneratorHarness.EmptyCompilation();
        var driver = harness.CreateDriver().RunGenerators(compilation);

        File.SetLastWriteTimeUtc(blob, File.GetLastWriteTimeUtc(blob).AddSeconds(5));
        string path = harness.Files.Single().Path;
        driver = driver.ReplaceAdditionalText(harness.Files.Single(), new GeneratorHarness.BinaryAdditionalText(path));
        var steps = driver.RunGenerators(compilation).GetRunResult().Results.Single().TrackedSteps[ModelGenerator.CompileStep];
        // It ran again (Cached would mean it was skipped); its output is unchanged here only because this test's
        // model and data did not really change.
        var outputs = steps.SelectMany(s => s.Outputs).ToList();
        Assert.NotEmpty(outputs);
        Assert.All(outputs, o => Assert.NotEqual(Microsoft.CodeAnalysis.IncrementalStepRunReason.Cached, o.Reason));
    }

    private static float[][] OrtRun(string path, float[][] inputs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(path, options);
        var feeds = session.InputMetadata.Select((kv, i) => NamedOnnxValue.CreateFromTensor(kv.Key,
            new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(inputs[i], kv.Value.Dimensions))).ToList();
        using var results = session.Run(feeds);
        return results.Select(r => r.Value switch
        {
            Microsoft.ML.OnnxRuntime.Tensors.Tensor<float> f => f.ToArray(),
            Microsoft.ML.OnnxRuntime.Tensors.Tensor<long> l => l.Select(v => (float)v).ToArray(),
            var other => throw new NotSupportedException(other?.GetType().Name),
        }).ToArray();
    }

    [Theory]
    [InlineData("op-fixtures/migraphx-test-onnx/external_constant_test.onnx")]
    [InlineData("op-fixtures/migraphx-test-onnx/external_data_test.onnx")]
    public void Real_models_with_external_data_match_ONNX_Runtime(string relative)
    {
        string path = Repo.Shared(relative);
        byte[] model = File.ReadAllBytes(path);
        var proto = ModelProto.Parser.ParseFrom(model);
        var initializers = proto.Graph.Initializer.Select(i => i.Name).ToHashSet();
        var inputs = proto.Graph.Input.Where(i => !initializers.Contains(i.Name))
            .Select((i, k) => OnnxModelBuilder.RandomFloats((int)i.Type.TensorType.Shape.Dim.Aggregate(1L, (p, d) => p * d.DimValue), (uint)(k + 11))).ToArray();
        var expected = OrtRun(path, inputs);
        var actual = Run(model, path, inputs).Select(Floats).ToArray();
        // Real-model tolerance (README): relative L2 <= 1e-4 per output (a convolution's sums in another order).
        for (int k = 0; k < expected.Length; k++)
        {
            double error = Compare.RelativeL2(expected[k], actual[k]);
            Assert.True(error <= 1e-4, $"{relative} output {k}: relative L2 {error} vs ONNX Runtime");
        }
    }
}
