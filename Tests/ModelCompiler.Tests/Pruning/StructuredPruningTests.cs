using System;
using System.IO;
using System.Linq;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Pruning;

/// <summary>
/// Structured pruning (dead channels removed at build time, <c>Generator/Passes/Pruning/</c>). Reference: ONNX Runtime
/// running the unmodified model (models built here: dead channels through a residual Add, a padded and an unpadded
/// depthwise chain, Concat, HardSwish/Sigmoid/Clip, a folded BatchNorm, a same-shape Mul, Gemm after pooling, dead
/// channels with non-zero biases), or the stored PyTorch outputs of the channel-pruned exports in ../shared. Float:
/// relative L2 at most 1e-4 and per element 1e-4 relative + 1e-5 absolute. Each test also checks what was removed
/// (the generated Macs constant against hand-counted MACs, the MC2001 message), and that channels the pass must not
/// touch (a channel shuffle, graph outputs, a padded consumer of a non-zero constant) stay.
/// </summary>
public sealed class StructuredPruningTests
{
    private static float[] Random(int count, uint seed, float scale = 1) => OnnxModelBuilder.RandomFloats(count, seed).Select(v => v * scale).ToArray();

    /// <summary>Random Conv weights [outs, ins, k, k] with the filters of <paramref name="dead"/> all zero.</summary>
    private static float[] Filters(int outs, int ins, int k, uint seed, params int[] dead)
    {
        var w = Random(outs * ins * k * k, seed, 1 / MathF.Sqrt(ins * k * k));
        int per = ins * k * k;
        foreach (int o in dead) Array.Clear(w, o * per, per);
        return w;
    }

    /// <summary>A bias with chosen values at some channels.</summary>
    private static float[] Bias(int n, uint seed, params (int Channel, float Value)[] set)
    {
        var b = Random(n, seed, 0.5f);
        foreach (var (c, v) in set) b[c] = v;
        return b;
    }

    /// <summary>
    /// x [1,4,10,10] -> Conv 3x3 pad 1 (4 -> 8) + Relu = t; t -> Conv 1x1 (8 -> 16) -> Clip(0, 6) -> depthwise 3x3
    /// pad 1 -> Relu -> Conv 1x1 (16 -> 8) -> + t -> Conv 1x1 (8 -> 6) -> Relu -> GlobalAveragePool -> Flatten ->
    /// Gemm (6 -> 10). With <paramref name="prune"/>: dead filters 1 and 5 of the first Conv (Relu(0.3) = 0.3 and
    /// Relu(-0.2) = 0 downstream), 2, 3, 9, 12 of the expanding Conv (Clip gives 0, 0.7, 0, 0.4: the padded depthwise
    /// layer can take only the zeros), depthwise filter 7 (bias 0.35: channel 7 of the expanding Conv, alive, feeds
    /// only that zero filter), 1 and 5 of the projecting Conv (biases 0.25, 0.1: the residual Add carries constants
    /// 0.55 and 0.1), 4 of the last Conv (bias 0.6, through pooling into the Gemm's bias).
    /// </summary>
    internal static byte[] ResidualModel(bool prune)
    {
        int[] D(params int[] d) => prune ? d : Array.Empty<int>();
        var b = new OnnxModelBuilder();
        string x = b.Input("x", 1, 4, 10, 10);
        string c0 = b.Node("Conv", new[] { x, b.Initializer("w0", new[] { 8, 4, 3, 3 }, Filters(8, 4, 3, 1, D(1, 5))),
            b.Initializer("b0", new[] { 8 }, Bias(8, 2, (1, 0.3f), (5, -0.2f))) }, attributes: ("pads", new long[] { 1, 1, 1, 1 }));
        string t = b.Node("Relu", new[] { c0 });
        string c1 = b.Node("Conv", new[] { t, b.Initializer("w1", new[] { 16, 8, 1, 1 }, Filters(16, 8, 1, 3, D(2, 3, 9, 12))),
            b.Initializer("b1", new[] { 16 }, Bias(16, 4, (2, -0.5f), (3, 0.7f), (9, -1f), (12, 0.4f))) });
        string u = b.Node("Clip", new[] { c1, b.Initializer("lo", Array.Empty<int>(), new[] { 0f }), b.Initializer("hi", Array.Empty<int>(), new[] { 6f }) });
        string dw = b.Node("Conv", new[] { u, b.Initializer("wd", new[] { 16, 1, 3, 3 }, Filters(16, 1, 3, 5, D(7))), b.Initializer("bd", new[] { 16 }, Bias(16, 6, (7, 0.35f))) },
            attributes: new (string, object)[] { ("group", 16L), ("pads", new long[] { 1, 1, 1, 1 }) });
        string v = b.Node("Relu", new[] { dw });
        string s = b.Node("Conv", new[] { v, b.Initializer("w2", new[] { 8, 16, 1, 1 }, Filters(8, 16, 1, 7, D(1, 5))),
            b.Initializer("b2", new[] { 8 }, Bias(8, 8, (1, 0.25f), (5, 0.1f))) });
        string r = b.Node("Add", new[] { s, t });
        string c3 = b.Node("Conv", new[] { r, b.Initializer("w3", new[] { 6, 8, 1, 1 }, Filters(6, 8, 1, 9, D(4))),
            b.Initializer("b3", new[] { 6 }, Bias(6, 10, (4, 0.6f))) });
        string pooled = b.Node("Flatten", new[] { b.Node("GlobalAveragePool", new[] { b.Node("Relu", new[] { c3 }) }) });
        b.Node("Gemm", new[] { pooled, b.Initializer("wg", new[] { 10, 6 }, Random(60, 11, 0.4f)), b.Initializer("bg", new[] { 10 }, Random(10, 12, 0.1f)) },
            output: "y", attributes: ("transB", 1L));
        b.Output("y");
        return b.Build();
    }

    /// <summary>
    /// x [1,3,8,8] -> Conv 3x3 pad 1 (3 -> 6, dead 0 and 4, biases 0.5, -0.3) ‖ Conv 1x1 (3 -> 5, no bias, dead 2) ->
    /// Concat -> HardSwish = h (HardSwish(0.5), HardSwish(-0.3), HardSwish(0) reach the next layers' biases);
    /// h -> Conv 1x1 (11 -> 7, dead 3, bias 0.2) -> BatchNormalization -> Sigmoid; h -> Conv 1x1 (11 -> 7, no bias,
    /// dead 3) -> Sigmoid (0.5); their product -> Conv 1x1 (7 -> 4) = y.
    /// </summary>
    internal static byte[] ConcatModel(bool prune)
    {
        int[] D(params int[] d) => prune ? d : Array.Empty<int>();
        var b = new OnnxModelBuilder(opset: 14); // HardSwish
        string x = b.Input("x", 1, 3, 8, 8);
        string a = b.Node("Conv", new[] { x, b.Initializer("wa", new[] { 6, 3, 3, 3 }, Filters(6, 3, 3, 21, D(0, 4))),
            b.Initializer("ba", new[] { 6 }, Bias(6, 22, (0, 0.5f), (4, -0.3f))) }, attributes: ("pads", new long[] { 1, 1, 1, 1 }));
        string bb = b.Node("Conv", new[] { x, b.Initializer("wb", new[] { 5, 3, 1, 1 }, Filters(5, 3, 1, 23, D(2))) });
        string h = b.Node("HardSwish", new[] { b.Node("Concat", new[] { a, bb }, attributes: ("axis", 1L)) });
        string c = b.Node("Conv", new[] { h, b.Initializer("wc", new[] { 7, 11, 1, 1 }, Filters(7, 11, 1, 24, D(3))),
            b.Initializer("bc", new[] { 7 }, Bias(7, 25, (3, 0.2f))) });
        string bn = b.Node("BatchNormalization", new[] { c, b.Initializer("scale", new[] { 7 }, Random(7, 26, 0.5f).Select(v => v + 1).ToArray()),
            b.Initializer("shift", new[] { 7 }, Random(7, 27, 0.3f)), b.Initializer("mean", new[] { 7 }, Random(7, 28, 0.2f)),
            b.Initializer("var", new[] { 7 }, Random(7, 29, 0.2f).Select(v => v + 1).ToArray()) });
        string d = b.Node("Conv", new[] { h, b.Initializer("wd", new[] { 7, 11, 1, 1 }, Filters(7, 11, 1, 30, D(3))) });
        string m = b.Node("Mul", new[] { b.Node("Sigmoid", new[] { bn }), b.Node("Sigmoid", new[] { d }) });
        b.Node("Conv", new[] { m, b.Initializer("we", new[] { 4, 7, 1, 1 }, Filters(4, 7, 1, 31)), b.Initializer("be", new[] { 4 }, Bias(4, 32)) }, output: "y");
        b.Output("y");
        return b.Build();
    }

    /// <summary>
    /// x [1,4,6,6] -> Conv 1x1 (4 -> 8, dead 1 with bias 0.4) -> Relu -> channel shuffle (Reshape [1,2,4,6,6],
    /// Transpose, Reshape back) -> Conv 1x1 (8 -> 6, dead 2) = y: the shuffle is not understood and y is a graph
    /// output, so nothing may be removed.
    /// </summary>
    internal static byte[] ShuffleModel(bool prune)
    {
        int[] D(params int[] d) => prune ? d : Array.Empty<int>();
        var b = new OnnxModelBuilder();
        string x = b.Input("x", 1, 4, 6, 6);
        string c = b.Node("Relu", new[] { b.Node("Conv", new[] { x, b.Initializer("w1", new[] { 8, 4, 1, 1 }, Filters(8, 4, 1, 41, D(1))),
            b.Initializer("b1", new[] { 8 }, Bias(8, 42, (1, 0.4f))) }) });
        string grouped = b.Node("Reshape", new[] { c, b.Int64Initializer("split", 1, 2, 4, 6, 6) });
        string swapped = b.Node("Transpose", new[] { grouped }, attributes: ("perm", new long[] { 0, 2, 1, 3, 4 }));
        string shuffled = b.Node("Reshape", new[] { swapped, b.Int64Initializer("merge", 1, 8, 6, 6) });
        b.Node("Conv", new[] { shuffled, b.Initializer("w2", new[] { 6, 8, 1, 1 }, Filters(6, 8, 1, 43, D(2))), b.Initializer("b2", new[] { 6 }, Bias(6, 44, (2, 0.3f))) }, output: "y");
        b.Output("y");
        return b.Build();
    }

    /// <summary>
    /// x [1,4,6,6] -> Conv 1x1 (4 -> 8, dead 3 with bias 0.5, dead 6 with bias -0.5) -> Relu -> Conv 3x3 pad 1 (8 -> 5) = y:
    /// channel 6 (0 after Relu) goes; channel 3 (0.5) must stay, the padded layer's border windows see zeros, not 0.5.
    /// </summary>
    internal static byte[] PaddedReaderModel()
    {
        var b = new OnnxModelBuilder();
        string x = b.Input("x", 1, 4, 6, 6);
        string c = b.Node("Relu", new[] { b.Node("Conv", new[] { x, b.Initializer("w1", new[] { 8, 4, 1, 1 }, Filters(8, 4, 1, 51, 3, 6)),
            b.Initializer("b1", new[] { 8 }, Bias(8, 52, (3, 0.5f), (6, -0.5f))) }) });
        b.Node("Conv", new[] { c, b.Initializer("w2", new[] { 5, 8, 3, 3 }, Filters(5, 8, 3, 53)), b.Initializer("b2", new[] { 5 }, Bias(5, 54)) },
            output: "y", attributes: ("pads", new long[] { 1, 1, 1, 1 }));
        b.Output("y");
        return b.Build();
    }

    private static ModelSuite.Compiled Compile(string id, byte[] model)
    {
        var suite = new ModelSuite("Pruning" + id, new[] { new ModelSuite.Entry(id, () => model) });
        var compiled = suite[id];
        Assert.True(compiled.Failure is null, compiled.Failure);
        return compiled;
    }

    /// <summary>Ours against ONNX Runtime on the unmodified model, two seeded inputs.</summary>
    private static void MatchesOnnxRuntime(ModelSuite.Compiled compiled, byte[] model, string what)
    {
        foreach (uint seed in new uint[] { 5, 6 })
        {
            var input = Random((int)compiled.Result.Inputs[0].Length, seed);
            var expected = OrtReference.Run(model, new[] { input })[0];
            var actual = compiled.Run(input)[0];
            Assert.Equal(expected.Length, actual.Length);
            double error = Compare.RelativeL2(expected, actual);
            Assert.True(error <= 1e-4, $"{what} seed {seed}: relative L2 error {error:G3}");
            Compare.Close(expected, actual, 1e-4, 1e-5, $"{what} seed {seed}");
        }
    }

    private static string? PrunedMessage(ModelSuite.Compiled compiled) => compiled.Result.Diagnostics.FirstOrDefault(d => d.Id == "MC2001")?.Message;

    [Fact]
    public void Dead_channels_go_through_a_residual_Add_a_depthwise_chain_and_pooling_into_a_Gemm()
    {
        var dense = Compile("ResidualDense", ResidualModel(prune: false));
        byte[] model = ResidualModel(prune: true);
        var pruned = Compile("ResidualPruned", model);
        MatchesOnnxRuntime(pruned, model, "residual model, pruned");
        MatchesOnnxRuntime(dense, ResidualModel(prune: false), "residual model, dense twin");

        // Hand count of the MACs that go (100 positions): first Conv 2 filters x 4 x 9; expanding Conv 16x8 -> 13x6
        // (its channels 2, 9 and 7 go); depthwise 3 channels x 9; projecting Conv 8x16 -> 6x13; last Conv 6x8 -> 5x6;
        // Gemm 6x10 -> 5x10. Filters 3 and 12 of the expanding Conv stay: the padded depthwise layer would see zeros
        // at the border instead of their constants.
        long removed = 100 * (2 * 4 * 9 + (16 * 8 - 13 * 6) + 3 * 9 + (8 * 16 - 6 * 13) + (6 * 8 - 5 * 6)) + (60 - 50);
        Assert.Equal(dense.Result.Macs - removed, pruned.Result.Macs);
        Assert.Contains("Macs = " + pruned.Result.Macs + "L;", pruned.Result.Source, StringComparison.Ordinal);
        var message = PrunedMessage(pruned);
        Assert.NotNull(message);
        Assert.Contains("8 dead channels removed from 6 layers", message, StringComparison.Ordinal);
        Assert.Null(PrunedMessage(dense));
        Assert.Contains("// Structured pruning: 8 dead channels removed", pruned.Result.Source, StringComparison.Ordinal);
    }

    [Fact]
    public void Constants_of_dead_channels_through_Concat_HardSwish_BatchNorm_Sigmoid_and_Mul_fold_into_the_next_biases()
    {
        byte[] model = ConcatModel(prune: true);
        var pruned = Compile("ConcatPruned", model);
        var dense = Compile("ConcatDense", ConcatModel(prune: false));
        MatchesOnnxRuntime(pruned, model, "concat model, pruned");
        // 64 positions: Conv A 2 of 6 filters (x 3 x 9), Conv B 1 of 5 (x 3); Convs C and D 11x7 -> 8x6 each; last Conv 7 -> 6 inputs x 4.
        long removed = 64 * (2 * 3 * 9 + 1 * 3 + 2 * (11 * 7 - 8 * 6) + 4 * 1);
        Assert.Equal(dense.Result.Macs - removed, pruned.Result.Macs);
        Assert.Contains("5 dead channels removed", PrunedMessage(pruned), StringComparison.Ordinal);
    }

    [Fact]
    public void A_channel_shuffle_and_graph_outputs_keep_their_channels()
    {
        byte[] model = ShuffleModel(prune: true);
        var pruned = Compile("ShufflePruned", model);
        var dense = Compile("ShuffleDense", ShuffleModel(prune: false));
        MatchesOnnxRuntime(pruned, model, "shuffle model");
        Assert.Equal(dense.Result.Macs, pruned.Result.Macs);
        Assert.Equal(new[] { 1, 6, 6, 6 }, pruned.Result.Outputs[0].Shape);
        Assert.Null(PrunedMessage(pruned));
    }

    [Fact]
    public void A_padded_layer_keeps_a_channel_whose_constant_is_not_zero()
    {
        byte[] model = PaddedReaderModel();
        var pruned = Compile("PaddedReader", model);
        MatchesOnnxRuntime(pruned, model, "padded reader model");
        // Only channel 6 goes: 36 positions x 4 inputs (first Conv) + 36 x 5 x 9 (the 3x3 Conv's input channel).
        long dense = 36 * 8 * 4 + 36 * 5 * 8 * 9;
        Assert.Equal(dense - (36 * 4 + 36 * 5 * 9), pruned.Result.Macs);
        Assert.Contains("1 dead channel removed from 2 layers", PrunedMessage(pruned), StringComparison.Ordinal);
    }

    /// <summary>
    /// A value with no channels (x sliced to channels [0, 0), concatenated back) has none to keep; the pass once
    /// looped forever on it (the whole test run hung). The compile runs on a worker with a deadline so a regression
    /// fails here instead of hanging the suite.
    /// </summary>
    [Fact]
    public async System.Threading.Tasks.Task A_value_with_zero_channels_does_not_stop_the_pass()
    {
        var b = new OnnxModelBuilder();
        string x = b.Input("x", 1, 3, 4, 4);
        string empty = b.Node("Slice", new[] { x, b.Int64s(0), b.Int64s(0), b.Int64s(1) });
        string joined = b.Node("Concat", new[] { x, empty }, attributes: ("axis", 1L));
        b.Node("Conv", new[] { joined, b.Initializer("w", new[] { 2, 3, 1, 1 }, Filters(2, 3, 1, 61)), b.Initializer("b", new[] { 2 }, Bias(2, 62)) }, output: "y");
        b.Output("y");
        byte[] model = b.Build();

        // WaitAsync throws TimeoutException when the deadline passes.
        var compiled = await System.Threading.Tasks.Task.Run(() => Compile("ZeroChannels", model)).WaitAsync(TimeSpan.FromSeconds(120));
        MatchesOnnxRuntime(compiled, model, "zero-channel model");
        Assert.Null(PrunedMessage(compiled));
    }

    [Fact]
    public void The_layer_comments_and_the_header_show_the_sparsity_that_remains()
    {
        // Filters 3 and 12 of the expanding Conv stay (all zero: 12 of its 13x6 weights) and are reported.
        var pruned = Compile("ResidualPrunedText", ResidualModel(prune: true));
        string source = pruned.Result.Source!;
        var comments = string.Join("\n", source.Split('\n').Where(l => l.Contains("parsity", StringComparison.Ordinal)));
        Assert.True(comments.Contains("sparsity 15.4% zeros, 2 of 13 filters all zero", StringComparison.Ordinal), comments);
        Assert.Contains("// Sparsity: ", source, StringComparison.Ordinal);
    }

    /// <summary>(file under ../shared/models, its dense twin or null, reference: "stored" outputs or "ort").</summary>
    public static TheoryData<string, string?> SharedModels() => new()
    {
        { "torch-exports/tiny_mobilenet5_pruned_channels40", "torch-exports/tiny_mobilenet5" },
        { "torchvision-scale/mobilenet_v2_pruned_channels30", "torchvision-scale/mobilenet_v2" },
        { "torch-exports/tiny_resnet3_pruned80", "torch-exports/tiny_resnet3" },
        { "torch-exports/mlp_96_48_pruned80", "torch-exports/mlp_96_48" },
    };

    [Theory]
    [MemberData(nameof(SharedModels))]
    public void The_pruned_models_in_shared_reproduce_their_stored_outputs_with_fewer_MACs(string name, string? twin)
    {
        string path = Repo.Shared(Path.Combine("models", name + ".onnx"));
        string id = Path.GetFileName(name);
        var compiled = Compile(id, File.ReadAllBytes(path));
        string folder = Path.GetDirectoryName(path)!;
        foreach (int sample in new[] { 0, 1 })
        {
            var input = TestTensor.ReadFloatBin(Path.Combine(folder, $"{id}.in{sample}.bin"));
            var expected = TestTensor.ReadFloatBin(Path.Combine(folder, $"{id}.out{sample}.bin"));
            double error = Compare.RelativeL2(expected, compiled.Run(input)[0]);
            Assert.True(error <= 1e-4, $"{id} sample {sample}: relative L2 error {error:G3} > 1e-4");
        }
        var message = PrunedMessage(compiled);
        TestContext.Current.TestOutputHelper?.WriteLine($"{id}: {compiled.Result.Macs} MACs; {message ?? "no MC2001"}");
        Assert.NotNull(message); // every pruned model says what pruning bought
        if (twin is null || !id.Contains("channels", StringComparison.Ordinal)) return;
        var dense = InMemoryCompiler.Generate(File.ReadAllBytes(Repo.Shared(Path.Combine("models", twin + ".onnx"))), "Twin." + id).Result;
        Assert.True(dense.Success, string.Join("; ", dense.Diagnostics));
        TestContext.Current.TestOutputHelper?.WriteLine($"dense twin: {dense.Macs} MACs ({(double)compiled.Result.Macs / dense.Macs:P1})");
        Assert.True(compiled.Result.Macs < dense.Macs, $"{id}: {compiled.Result.Macs} MACs, dense twin {dense.Macs}");
        Assert.Contains("dead channels removed", message, StringComparison.Ordinal);
    }

    public static TheoryData<string> IPruneModels() => new()
    {
        "energy/HAR", "energy/KWS_CNN_S", "energy/SqueezeNet", "intermittent/HAR", "intermittent/KWS_CNN_S", "intermittent/SqueezeNet",
    };

    [Theory]
    [MemberData(nameof(IPruneModels))]
    public void The_iPrune_models_match_onnx_runtime(string name)
    {
        string path = Repo.Shared(Path.Combine("models", "EMCLab-iPrune", "pruning", "onnx_models", name + ".onnx"));
        byte[] model = File.ReadAllBytes(path);
        var compiled = Compile("iPrune_" + name.Replace('/', '_'), model);
        var inputs = compiled.InputLengths.Select((n, i) => Random(n, (uint)(50 + i))).ToArray();
        var reference = OrtReference.Run(model, inputs, compiled.InputShapes);
        var ours = compiled.Run(inputs);
        for (int k = 0; k < ours.Length; k++)
            Compare.RelativeL2OrElementwise(reference[k], ours[k], l2Tolerance: 1e-4, rtol: 1e-4, atol: 1e-6, $"{name} output {k}");
        TestContext.Current.TestOutputHelper?.WriteLine($"{name}: {compiled.Result.Macs} MACs; {PrunedMessage(compiled) ?? "no MC2001"}");
    }
}
