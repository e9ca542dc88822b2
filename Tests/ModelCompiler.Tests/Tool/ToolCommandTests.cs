using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tests.Infrastructure;
using Xunit;
using static ModelCompiler.Tests.Tool.ToolHarness;

namespace ModelCompiler.Tests.Tool;

/// <summary>
/// Every modelc command on models built in C#: exit codes, messages, and the models they write, each loaded and run
/// by ONNX Runtime and compiled and run by ModelCompiler (float outputs within 1e-4 relative, 1e-5 absolute of ONNX
/// Runtime unless a test says otherwise). References are computed here from the published semantics or by ONNX
/// Runtime, never by the tool.
/// </summary>
public sealed class ToolCommandTests : IDisposable
{
    private readonly TempFolder _dir = new();
    private readonly string _model;
    private readonly string _data;
    private readonly float[][] _samples = ToolTestModels.Samples(12);

    public ToolCommandTests()
    {
        _model = _dir.Write("convnet.onnx", ToolTestModels.ConvNet());
        _data = _dir.File("data.npy");
        WriteFloatNpy(_data, new[] { _samples.Length, 3, 8, 8 }, _samples.SelectMany(s => s).ToArray());
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Help_lists_every_command_and_each_command_has_help()
    {
        var root = Ok("--help");
        foreach (var c in new[] { "inspect", "prune", "quantize", "lowrank", "fp16", "compare", "report", "bench", "generate", "float-copy" })
        {
            Assert.Contains(c, root.Out);
            var r = Ok(c, "--help");
            Assert.Contains("Usage", r.Out);
        }
    }

    [Fact]
    public void Bad_input_is_one_clear_message_and_exit_code_1()
    {
        var missing = Run("inspect", _dir.File("nope.onnx"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("cannot read", missing.Err);
        Assert.DoesNotContain("   at ", missing.Err); // no stack trace

        var garbage = Run("inspect", _dir.Write("garbage.onnx", new byte[] { 1, 2, 3, 4, 5, 6, 7 }));
        Assert.Equal(1, garbage.ExitCode);
        Assert.Contains("not an ONNX model", garbage.Err);

        string wrong = _dir.File("wrong.npy");
        WriteFloatNpy(wrong, new[] { 2, 3, 4, 4 }, new float[96]);
        var shape = Run("compare", _model, _model, "--data", wrong);
        Assert.Equal(1, shape.ExitCode);
        Assert.Contains("[1, 3, 8, 8]", shape.Err);

        var noCalibration = Run("quantize", _model, "-o", _dir.File("q.onnx"));
        Assert.Equal(1, noCalibration.ExitCode);
        Assert.Contains("--calibration", noCalibration.Err);

        var badOption = Run("prune", _model, "-o", _dir.File("p.onnx"), "--sparsity", "0.5", "--structured", "diagonal");
        Assert.NotEqual(0, badOption.ExitCode);
        Assert.False(File.Exists(_dir.File("p.onnx")));

        var badSparsity = Run("prune", _model, "-o", _dir.File("p.onnx"), "--sparsity", "1.5");
        Assert.Equal(1, badSparsity.ExitCode);
        Assert.Contains("--sparsity", badSparsity.Err);
    }

    [Fact]
    public void Inspect_json_lists_each_compiled_layer_with_kernel_macs_and_arena_offsets()
    {
        var r = Ok("inspect", _model, "--json");
        using var doc = JsonDocument.Parse(r.Out);
        var root = doc.RootElement;
        Assert.Equal(ToolTestModels.ConvNetMacs, root.GetProperty("macs").GetInt64());
        long arena = root.GetProperty("arenaBytes").GetInt64();
        var layers = root.GetProperty("layers").EnumerateArray().ToList();
        // Compiled: conv1+relu, conv2 (+BN folded, +relu), maxpool, conv3+relu, gap, flatten, gemm.
        Assert.Equal(new[] { "Conv", "Conv", "MaxPool", "Conv", "GlobalAveragePool", "Flatten", "Gemm" }, layers.Select(l => l.GetProperty("op").GetString()).ToArray());
        Assert.Equal(8 * 3 * 9 + 8, layers[0].GetProperty("parameters").GetInt64());
        Assert.Equal(3 * 8 * 9 * 64, layers[0].GetProperty("macs").GetInt64());
        Assert.All(layers, l => Assert.False(string.IsNullOrEmpty(l.GetProperty("kernel").GetString())));
        foreach (var l in layers.Where(l => l.GetProperty("arenaOffset").ValueKind == JsonValueKind.Number))
        {
            long offset = l.GetProperty("arenaOffset").GetInt64(), bytes = l.GetProperty("outputBytes").GetInt64();
            Assert.True(offset >= 0 && offset + bytes <= arena, $"layer {l.GetProperty("index")} at {offset}+{bytes} outside the {arena}-byte arena");
        }
        Assert.Equal(32, layers[0].GetProperty("bits").GetInt32());

        var table = Ok("inspect", _model);
        Assert.Contains("conv1", table.Out);
        Assert.Contains("arena per thread", table.Out);
    }

    [Fact]
    public void Prune_unstructured_zeroes_the_smallest_weights_of_each_layer()
    {
        string output = _dir.File("pruned.onnx");
        Ok("prune", _model, "-o", output, "--sparsity", "0.9", "--data", _data);
        var before = Load(_model).Graph;
        var after = Load(output).Graph;
        foreach (var name in new[] { "conv1.weight", "conv2.weight", "conv3.weight", "fc.weight" })
        {
            var w = Floats(before.Initializer.Single(t => t.Name == name));
            var p = Floats(after.Initializer.Single(t => t.Name == name));
            int zeros = (int)Math.Ceiling(0.9 * w.Length);
            Assert.Equal(zeros, p.Count(v => v == 0));
            // The survivors are the largest magnitudes (BatchNorm scales conv2's channels, so it is checked per channel below).
            if (name != "conv2.weight")
                Assert.True(p.Where(v => v != 0).Min(Math.Abs) >= w.OrderBy(Math.Abs).Take(zeros).Max(Math.Abs), name);
            Assert.All(Enumerable.Range(0, w.Length).Where(i => p[i] != 0), i => Assert.Equal(w[i], p[i]));
        }
        RunsInOrtAndCompiler(output, ToolTestModels.ConvNetInput, _samples);
    }

    [Fact]
    public void Prune_channels_is_batchnorm_aware_and_blocks_are_whole()
    {
        string channels = _dir.File("channels.onnx");
        Ok("prune", _model, "-o", channels, "--sparsity", "0.5", "--structured", "channels", "--layers", "conv2");
        var g = Load(channels).Graph;
        var w = Floats(g.Initializer.Single(t => t.Name == "conv2.weight"));
        var gamma = Floats(g.Initializer.Single(t => t.Name == "bn.scale"));
        var beta = Floats(g.Initializer.Single(t => t.Name == "bn.bias"));
        var dead = Enumerable.Range(0, 16).Where(c => w.Skip(c * 8).Take(8).All(v => v == 0)).ToList();
        Assert.Equal(8, dead.Count);
        Assert.All(dead, c => Assert.True(gamma[c] == 0 && beta[c] == 0, $"channel {c}: BatchNorm must output 0 for a removed channel"));
        Assert.Equal(Floats(Load(_model).Graph.Initializer.Single(t => t.Name == "conv1.weight")), Floats(g.Initializer.Single(t => t.Name == "conv1.weight"))); // not selected
        // The BatchNorm output of a removed channel is exactly 0: ONNX Runtime on the pruned model, with that tensor exposed.
        var proto = Load(channels);
        proto.Graph.Output.Add(OnnxModelBuilder.ValueInfo("n2", 1, null));
        var n2 = (float[])OrtReference.RunTyped(Google.Protobuf.MessageExtensions.ToByteArray(proto), new[] { new TestTensor("x", 1, ToolTestModels.ConvNetInput, _samples[0]) })[1].Data;
        Assert.All(dead, c => Assert.All(n2.Skip(c * 64).Take(64), v => Assert.Equal(0f, v)));
        RunsInOrtAndCompiler(channels, ToolTestModels.ConvNetInput, _samples);

        string blocks = _dir.File("blocks.onnx");
        Ok("prune", _model, "-o", blocks, "--sparsity", "0.75", "--structured", "4x1", "--layers", "conv3");
        var w3 = Floats(Load(blocks).Graph.Initializer.Single(t => t.Name == "conv3.weight")); // [12, 16, 3, 3]: 3 blocks of 4 channels x 144 positions
        int zeroBlocks = 0;
        for (int block = 0; block < 3; block++)
            for (int pos = 0; pos < 144; pos++)
            {
                var values = Enumerable.Range(block * 4, 4).Select(c => w3[c * 144 + pos]).ToList();
                Assert.True(values.All(v => v == 0) || values.All(v => v != 0), $"block {block} at {pos} is partly zero");
                if (values.All(v => v == 0)) zeroBlocks++;
            }
        Assert.Equal((int)Math.Ceiling(0.75 * 3 * 144), zeroBlocks);
        RunsInOrtAndCompiler(blocks, ToolTestModels.ConvNetInput, _samples);
    }

    [Fact]
    public void Quantize_static_qdq_writes_ort_layout_that_runs_in_both()
    {
        string output = _dir.File("qdq.onnx");
        var r = Ok("quantize", _model, "-o", output, "--calibration", _data, "--per-channel", "--data", _data);
        Assert.Contains("top-1 agreement", r.Out);
        var g = Load(output).Graph;
        var init = g.Initializer.ToDictionary(t => t.Name);
        // Conv weights: int8 per output channel (axis 0), zero points 0; the Gemm weight per tensor.
        var wdq = g.Node.Single(n => n.OpType == "DequantizeLinear" && n.Input[0] == "conv3.weight_quantized");
        Assert.Equal(0, wdq.Attribute.Single(a => a.Name == "axis").I);
        Assert.Equal((int)TensorProto.Types.DataType.Int8, init["conv3.weight_quantized"].DataType);
        Assert.Equal(12, Floats(init["conv3.weight_scale"]).Length);
        Assert.All(ModelCompiler.Onnx.TensorReader.Read(init["conv3.weight_zero_point"]).ToLongs(), z => Assert.Equal(0, z));
        Assert.Empty(init["fc.weight_scale"].Dims);
        // Bias int32 with scale x_scale * w_scale (float32 product) and zero point 0.
        var ws = Floats(init["conv3.weight_scale"]);
        var bs = Floats(init["conv3.bias_scale"]);
        Assert.False(init.ContainsKey("p2_scale")); // MaxPool keeps its input's grid: conv3's input scale is relu2's
        float r2s = Floats(init["r2_scale"])[0];
        Assert.Equal(ws.Select(w => r2s * w).ToArray(), bs);
        Assert.Equal((int)TensorProto.Types.DataType.Int32, init["conv3.bias_quantized"].DataType);
        // Q -> DQ pairs: the input, the Relu outputs (not the Conv outputs only a Relu reads), conv2's output (BatchNorm
        // reads it) and BatchNorm's, the pool; MaxPool and Flatten keep their input's grid; the logits stay float.
        var wrapped = g.Node.Where(n => n.OpType == "QuantizeLinear").Select(n => n.Input[0]).OrderBy(s => s, StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "c2", "g", "n2", "r1", "r2", "r3", "x" }, wrapped);
        Assert.Equal((int)TensorProto.Types.DataType.Uint8, init["r1_zero_point"].DataType);
        // ModelCompiler fuses the groups into integer kernels; ONNX Runtime (all optimizations) does too: outputs agree to
        // within a few output quanta of the logits (requantization order differs).
        RunsInOrtAndCompiler(output, ToolTestModels.ConvNetInput, _samples, rtol: 0, atol: 0.05, level: GraphOptimizationLevel.ORT_ENABLE_ALL);
    }

    [Theory]
    [InlineData("qoperator", "QLinearConv")]
    [InlineData("dynamic", "ConvInteger")]
    [InlineData("int4", "DequantizeLinear")]
    [InlineData("int8-activations", "QuantizeLinear")]
    public void Quantize_variants_write_models_that_run_in_both(string variant, string expectedOp)
    {
        string output = _dir.File(variant + ".onnx");
        string[] extra = variant switch
        {
            "qoperator" => new[] { "--calibration", _data, "--format", "qoperator", "--per-channel" },
            "dynamic" => new[] { "--dynamic", "--per-channel" },
            "int4" => new[] { "--calibration", _data, "--weights", "int4", "--per-channel" },
            _ => new[] { "--calibration", _data, "--activations", "int8", "--method", "percentile" },
        };
        Ok(new[] { "quantize", _model, "-o", output }.Concat(extra).ToArray());
        var proto = Load(output);
        Assert.Contains(proto.Graph.Node, n => n.OpType == expectedOp);
        if (variant == "qoperator")
        {
            Assert.Equal(3, proto.Graph.Node.Count(n => n.OpType == "QLinearConv"));
            Assert.Contains(proto.Graph.Node, n => n.OpType == "MatMulIntegerToFloat" && n.Domain == "com.microsoft");
            // MaxPool runs on the 8-bit tensor (relu2's QuantizeLinear output).
            Assert.Contains(proto.Graph.Node, n => n.OpType == "MaxPool" && n.Input[0] == "r2_QuantizeLinear_Output");
        }
        if (variant == "int4")
        {
            Assert.Equal(21, proto.OpsetImport.Single(o => o.Domain == "").Version);
            Assert.Equal((int)TensorProto.Types.DataType.Int4, proto.Graph.Initializer.Single(t => t.Name == "conv1.weight_quantized").DataType);
            Assert.All(ModelCompiler.Onnx.TensorReader.Read(proto.Graph.Initializer.Single(t => t.Name == "conv1.weight_quantized")).ToLongs(), v => Assert.InRange(v, -7, 7));
        }
        if (variant == "int8-activations") Assert.Equal((int)TensorProto.Types.DataType.Int8, proto.Graph.Initializer.Single(t => t.Name == "r1_zero_point").DataType);
        // Integer groups may requantize in another order than ONNX Runtime: a few quanta of the logits.
        RunsInOrtAndCompiler(output, ToolTestModels.ConvNetInput, _samples, rtol: 0, atol: 0.05, level: GraphOptimizationLevel.ORT_ENABLE_ALL);
    }

    [Fact]
    public void Calibration_methods_narrow_the_minmax_range()
    {
        string minmax = _dir.File("mm.onnx"), percentile = _dir.File("pc.onnx"), entropy = _dir.File("en.onnx");
        Ok("quantize", _model, "-o", minmax, "--calibration", _data);
        Ok("quantize", _model, "-o", percentile, "--calibration", _data, "--method", "percentile", "--percentile", "99");
        Ok("quantize", _model, "-o", entropy, "--calibration", _data, "--method", "entropy");
        float Scale(string path, string t) => Floats(Load(path).Graph.Initializer.Single(i => i.Name == t + "_scale"))[0];
        foreach (var t in new[] { "r1", "r2", "r3" })
        {
            Assert.True(Scale(percentile, t) <= Scale(minmax, t), $"{t}: the 99th percentile range is wider than min-max");
            Assert.True(Scale(entropy, t) <= Scale(minmax, t) * 1.0001f, $"{t}: the entropy range is wider than min-max");
        }
        Assert.True(Scale(percentile, "r3") < Scale(minmax, "r3"));
    }

    [Fact]
    public void Lowrank_at_full_rank_reproduces_the_model_and_energy_shrinks_it()
    {
        string full = _dir.File("full.onnx");
        Ok("lowrank", _model, "-o", full, "--rank", "1000", "--force");
        var g = Load(full).Graph;
        Assert.Equal(3 + 2 + 3, g.Node.Count(n => n.OpType == "Conv")); // conv1, conv3 Tucker-2 (3 each); conv2 1x1 SVD (2)
        Assert.Equal(2, g.Node.Count(n => n.OpType == "Gemm"));
        var original = Ort(File.ReadAllBytes(_model), ToolTestModels.ConvNetInput, _samples);
        var factorized = Ort(File.ReadAllBytes(full), ToolTestModels.ConvNetInput, _samples);
        for (int i = 0; i < _samples.Length; i++) Compare.Close(original[i], factorized[i], 1e-4, 1e-5, $"sample {i}: full-rank factors vs original");
        RunsInOrtAndCompiler(full, ToolTestModels.ConvNetInput, _samples);

        string small = _dir.File("small.onnx");
        var r = Ok("lowrank", _model, "-o", small, "--energy", "0.6", "--data", _data);
        Assert.Contains("top-1 agreement", r.Out);
        long Params(string path) => Load(path).Graph.Initializer.Where(t => t.Dims.Count >= 2).Sum(t => t.Dims.Aggregate(1L, (a, d) => a * d));
        Assert.True(Params(small) < Params(_model), $"{Params(small)} >= {Params(_model)}");
        RunsInOrtAndCompiler(small, ToolTestModels.ConvNetInput, _samples);
    }

    [Fact]
    public void Fp16_stores_float16_weights_read_through_cast()
    {
        string output = _dir.File("fp16.onnx");
        Ok("fp16", _model, "-o", output);
        var g = Load(output).Graph;
        var half = g.Initializer.Single(t => t.Name == "conv3.weight_fp16");
        Assert.Equal((int)TensorProto.Types.DataType.Float16, half.DataType);
        Assert.Contains(g.Node, n => n.OpType == "Cast" && n.Input[0] == "conv3.weight_fp16" && n.Output[0] == "conv3.weight");
        var w = Floats(Load(_model).Graph.Initializer.Single(t => t.Name == "conv3.weight"));
        Assert.Equal(w.Select(v => (float)(Half)v).ToArray(), Floats(half)); // round to nearest even
        RunsInOrtAndCompiler(output, ToolTestModels.ConvNetInput, _samples);
    }

    [Fact]
    public void Compare_reports_agreement_kl_and_differences()
    {
        string shifted = _dir.Write("shifted.onnx", ToolTestModels.ConvNetShifted(0.25f));
        var labels = Ort(File.ReadAllBytes(_model), ToolTestModels.ConvNetInput, _samples).Select(o => Array.IndexOf(o, o.Max())).ToArray();
        labels[0] = (labels[0] + 1) % 10; // one wrong label: accuracy 11/12
        string labelsPath = _dir.File("labels.npy");
        WriteLabelsNpy(labelsPath, labels);
        var r = Ok("compare", _model, shifted, "--data", _data, "--labels", labelsPath, "--json");
        var f = JsonDocument.Parse(r.Out).RootElement.GetProperty("fidelity");
        Assert.Equal(12, f.GetProperty("samples").GetInt32());
        Assert.Equal(1.0, f.GetProperty("agreement").GetDouble());
        Assert.True(Math.Abs(f.GetProperty("maxAbsDiff").GetDouble() - 0.25) <= 1e-5, r.Out);
        Assert.True(Math.Abs(f.GetProperty("meanAbsDiff").GetDouble() - 0.25) <= 1e-5, r.Out);
        Assert.True(f.GetProperty("klDivergence").GetDouble() <= 1e-9, r.Out); // softmax ignores a constant shift
        Assert.Equal(11 / 12.0, f.GetProperty("accuracyA").GetDouble(), 12);
        Assert.Equal(11 / 12.0, f.GetProperty("accuracyB").GetDouble(), 12);

        var compiled = Ok("compare", _model, "--compiled", "--data", _data, "--json");
        var c = JsonDocument.Parse(compiled.Out).RootElement.GetProperty("fidelity");
        Assert.Equal(1.0, c.GetProperty("agreement").GetDouble());
        Assert.True(c.GetProperty("maxAbsDiff").GetDouble() <= 1e-4, compiled.Out);

        var table = Ok("compare", _model, shifted, "--data", _data);
        Assert.Contains("top-1 agreement", table.Out);
        Assert.Contains("MACs", table.Out);
    }

    [Fact]
    public void Data_can_be_raw_float32_or_an_image_folder()
    {
        string bin = _dir.File("data.bin");
        var bytes = new byte[_samples.Length * 192 * 4];
        Buffer.BlockCopy(_samples.SelectMany(s => s).ToArray(), 0, bytes, 0, bytes.Length);
        File.WriteAllBytes(bin, bytes);
        var fromBin = JsonDocument.Parse(Ok("compare", _model, _model, "--data", bin, "--json").Out).RootElement.GetProperty("fidelity");
        Assert.Equal(12, fromBin.GetProperty("samples").GetInt32());
        File.WriteAllBytes(bin, bytes.Take(100).ToArray());
        Assert.Contains("not a whole number", Run("compare", _model, _model, "--data", bin).Err);

        // An 8x8 PNG and an 8x8 PPM: the loader must give (pixel / 255 - mean) / std per channel, NCHW, in file-name order.
        string folder = Path.Combine(_dir.Path, "images");
        Directory.CreateDirectory(folder);
        var pixels = new byte[2][];
        for (int k = 0; k < 2; k++) pixels[k] = Enumerable.Range(0, 8 * 8 * 3).Select(i => (byte)((i * 7 + k * 31) % 256)).ToArray();
        File.WriteAllBytes(Path.Combine(folder, "img0.png"), TestImages.Png(8, 8, pixels[0]));
        File.WriteAllBytes(Path.Combine(folder, "img1.ppm"), System.Text.Encoding.ASCII.GetBytes("P6\n# a comment\n8 8\n255\n").Concat(pixels[1]).ToArray());
        var input = new ModelCompiler.Tool.Data.ModelInput("x", ToolTestModels.ConvNetInput);
        var options = new ModelCompiler.Tool.Data.ImageOptions { Mean = new[] { 0.5f, 0.4f, 0.3f }, Std = new[] { 0.2f, 0.25f, 0.5f }, Channels = "bgr" };
        var set = ModelCompiler.Tool.Data.DataSet.Load(folder, input, options);
        Assert.Equal(2, set.Count);
        for (int k = 0; k < 2; k++)
            for (int c = 0; c < 3; c++)
                for (int p = 0; p < 64; p++)
                {
                    float expected = (pixels[k][p * 3 + (2 - c)] / 255f - options.Mean[c]) / options.Std[c];
                    Assert.True(Math.Abs(set.Samples[k][c * 64 + p] - expected) <= 1e-6, $"image {k} channel {c} pixel {p}");
                }
        Ok("quantize", _model, "-o", _dir.File("from-images.onnx"), "--calibration", folder, "--mean", "0.5,0.4,0.3", "--std", "0.2,0.25,0.5", "--channels", "bgr");
    }

    [Fact]
    public void Report_is_one_self_contained_html_file_with_a_row_per_layer()
    {
        string html = _dir.File("report.html");
        Ok("report", _model, "-o", html, "--profile-seconds", "0.1");
        string text = File.ReadAllText(html);
        Assert.Equal(7, text.Split("<tr class=\"layer ").Length - 1);
        Assert.DoesNotContain("<script", text);
        Assert.DoesNotContain("src=", text);
        Assert.DoesNotContain("href=", text);
        Assert.DoesNotContain(System.Text.RegularExpressions.Regex.Matches(text, "https?://"), m => !text.Substring(m.Index).StartsWith("http://www.w3.org/2000/svg", StringComparison.Ordinal));
        foreach (var id in new[] { "graph", "chart-macs", "chart-params", "chart-zeros", "chart-bits", "chart-latency", "arena" })
            Assert.Contains($"id=\"{id}\"", text);
        var check = Chromium.Render(html, _dir.File("report.png"));
        Assert.True(check.ConsoleErrors.Count == 0, string.Join("\n", check.ConsoleErrors));
        Assert.Equal(7, check.LayerRows);
        Assert.True(check.NonBlank, "the screenshot is blank");
    }

    [Fact]
    public void Bench_times_the_compiled_model_and_onnx_runtime()
    {
        var r = Ok("bench", _model, "--ort", "--seconds", "0.2");
        Assert.Contains("ModelCompiler", r.Out);
        Assert.Contains("ONNX Runtime", r.Out);
        Assert.Contains("ONNX Runtime time / ModelCompiler time", r.Out);
    }
}
