using System;
using System.IO;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Tests.Infrastructure;
using Xunit;
using static ModelCompiler.Tests.Infrastructure.OrtCheck;

namespace ModelCompiler.Tests.Recurrent;

/// <summary>
/// LSTM, GRU and RNN models built in C# against ONNX Runtime (every output within 1e-6 + 1e-4 |ONNX Runtime|): a
/// keyword-spotting GRU and a voice-activity LSTM as exported from PyTorch, and single layers with constant weights
/// (packed at build time) over the attributes ONNX defines. The same layers with weights as inputs (packed at run
/// time) are the ONNX node tests; the kernel alone is tested against the spec in Kernels/RecurrentKernelTests.
/// </summary>
public sealed class RecurrentModelTests
{
    [Fact]
    public void Keyword_spotting_gru_matches_onnx_runtime()
    {
        byte[] bytes = RecurrentModels.KeywordSpotterGru();
        var model = TypedModel.Compile(bytes, "Kws");
        Assert.Contains("Gru.Run(", model.Source);
        Assert.Contains("gates packed at build time", model.Source);
        for (uint seed = 1; seed <= 3; seed++)
            Matches(model, bytes, $"KWS GRU, input seed {seed}", Floats("mfcc", new[] { 1, 49, 10 }, seed, 2f));
    }

    [Fact]
    public void Voice_activity_lstm_matches_onnx_runtime()
    {
        byte[] bytes = RecurrentModels.VoiceActivityLstm();
        var model = TypedModel.Compile(bytes, "Vad");
        Assert.Contains("Lstm.Run(", model.Source);
        for (uint seed = 1; seed <= 2; seed++)
            Matches(model, bytes, $"VAD LSTM, input seed {seed}", Floats("features", new[] { 1, 100, 40 }, seed, 2f));
    }

    [Fact]
    public void Recurrent_models_allocate_nothing_in_steady_state()
    {
        var model = ModelCompiler.Tests.Runtime.CompiledModel.Compile(RecurrentModels.KeywordSpotterGru(), "Recurrent.Allocation");
        var input = OnnxModelBuilder.RandomFloats(490, 5);
        Assert.Equal(0, model.SteadyAllocatedBytes(input, new float[12], 50));
    }

    private static readonly RecurrentModels.Layer[] s_layers =
    {
        new("GRU", 5, 2, 3, 8),
        new("GRU", 6, 3, 4, 20, "bidirectional", InitialH: true, SequenceLens: true, Attributes: ("linear_before_reset", 1)),
        new("GRU", 4, 1, 5, 17, "reverse", Bias: false, Attributes: new (string, object)[] { ("clip", 0.7f), ("activations", new[] { "HardSigmoid", "LeakyRelu" }), ("activation_alpha", new[] { 0.3f }) }),
        new("GRU", 3, 2, 3, 6, Attributes: new (string, object)[] { ("activations", new[] { "Affine", "ScaledTanh" }), ("activation_alpha", new[] { 0.5f, 1.2f }), ("activation_beta", new[] { 0.1f, 0.8f }) }),
        new("LSTM", 5, 2, 3, 7),
        new("LSTM", 7, 3, 6, 24, "bidirectional", InitialH: true, InitialC: true, Peepholes: true, SequenceLens: true),
        new("LSTM", 4, 2, 5, 16, "reverse", Peepholes: true, Attributes: new (string, object)[] { ("input_forget", 1), ("clip", 1.5f) }),
        new("LSTM", 3, 1, 4, 5, Attributes: new (string, object)[] { ("activations", new[] { "Sigmoid", "Elu", "Softsign" }), ("activation_alpha", new[] { 0.7f }) }),
        new("RNN", 6, 2, 4, 10, InitialH: true),
        new("RNN", 5, 3, 3, 33, "bidirectional", SequenceLens: true, Attributes: new (string, object)[] { ("activations", new[] { "Relu", "Softplus" }) }),
        new("RNN", 4, 1, 2, 3, "reverse", Bias: false, Attributes: new (string, object)[] { ("activations", new[] { "ThresholdedRelu" }), ("activation_alpha", new[] { 0.2f }) }),
    };

    public static TheoryData<string> Layers() => new(s_layers.Select(l => l.ToString()));

    [Theory]
    [MemberData(nameof(Layers))]
    public void A_layer_with_packed_weights_matches_onnx_runtime(string name)
    {
        var layer = s_layers.Single(l => l.ToString() == name);
        byte[] bytes = RecurrentModels.Single(layer);
        var model = TypedModel.Compile(bytes, layer.Cell);
        Assert.Contains("gates packed at build time", model.Source);
        var inputs = new System.Collections.Generic.List<TestTensor> { Floats("X", new[] { layer.Sequence, layer.Batch, layer.Input }, 7) };
        if (layer.SequenceLens)
        {
            // A full row, a shorter one, an empty one (when the batch has three).
            var lens = Enumerable.Range(0, layer.Batch).Select(b => b switch { 0 => layer.Sequence, 1 => layer.Sequence / 2, _ => 0 }).ToArray();
            inputs.Add(new TestTensor("lens", (int)DataType.Int32, new[] { layer.Batch }, lens));
        }
        if (layer.InitialH) inputs.Add(Floats("h0", new[] { layer.Directions, layer.Batch, layer.Hidden }, 8));
        if (layer.InitialC) inputs.Add(Floats("c0", new[] { layer.Directions, layer.Batch, layer.Hidden }, 9));
        Matches(model, bytes, layer.ToString(), inputs.ToArray());
    }

    [Fact]
    public void Wrong_activation_counts_and_shapes_are_reported()
    {
        var tooFew = RecurrentModels.Single(new("GRU", 3, 1, 2, 4, "bidirectional", Attributes: ("activations", new[] { "Sigmoid", "Tanh", "Relu" })));
        var (result, _) = InMemoryCompiler.Generate(tooFew, "Rnn.Bad1");
        Assert.Contains(result.Diagnostics, d => d.Id == "MC0008" && d.Message.Contains("needs 2 per direction"));
        var unknown = RecurrentModels.Single(new("RNN", 3, 1, 2, 4, Attributes: ("activations", new[] { "Swish" })));
        (result, _) = InMemoryCompiler.Generate(unknown, "Rnn.Bad2");
        Assert.Contains(result.Diagnostics, d => d.Id == "MC0008" && d.Message.Contains("'Swish'"));
        var wrongHidden = RecurrentModels.Single(new("LSTM", 3, 1, 2, 4, Attributes: ("hidden_size", 5)));
        (result, _) = InMemoryCompiler.Generate(wrongHidden, "Rnn.Bad3");
        Assert.Contains(result.Diagnostics, d => d.Id == "MC0008" && d.Message.Contains("W has shape"));
        // Fuzz seed 20261205 case 788: a hidden_size beyond int was an OverflowException (MC9999) before.
        var hugeHidden = RecurrentModels.Single(new("LSTM", 3, 1, 2, 4, Attributes: ("hidden_size", 7713662555367158682L)));
        (result, _) = InMemoryCompiler.Generate(hugeHidden, "Rnn.Bad4");
        Assert.DoesNotContain(result.Diagnostics, d => d.Id == "MC9999");
        Assert.Contains(result.Diagnostics, d => d.Id == "MC0008" && d.Message.Contains("hidden_size") && d.Message.Contains("7713662555367158682"));
    }

    /// <summary>The benchmark compiles a committed copy of the keyword spotter; it must be exactly this builder's model.</summary>
    [Fact]
    public void The_benchmark_asset_is_the_keyword_spotter_built_here()
    {
        string path = Path.Combine(Repo.Root, "Tests", "ModelCompiler.Benchmarks", "Assets", "kws_gru.onnx");
        Assert.True(File.Exists(path), $"missing {path}");
        Assert.True(File.ReadAllBytes(path).AsSpan().SequenceEqual(RecurrentModels.KeywordSpotterGru()),
            "Tests/ModelCompiler.Benchmarks/Assets/kws_gru.onnx differs from RecurrentModels.KeywordSpotterGru(): regenerate it (see Assets/README.md)");
    }
}
