using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tests.Infrastructure;

namespace ModelCompiler.Tests.Recurrent;

/// <summary>
/// Recurrent models built in C# with seeded random weights (uniform in +-1/sqrt(hidden), PyTorch's initialization),
/// laid out as PyTorch exports them at opset 13: batch-first input transposed to time-major, GRU with
/// linear_before_reset = 1, layers joined by Squeeze/Transpose/Reshape, a linear head.
/// </summary>
internal static class RecurrentModels
{
    private const int Float = (int)TensorProto.Types.DataType.Float;
    private const int Int32 = (int)TensorProto.Types.DataType.Int32;

    private static float[] Weights(int count, uint seed, int hidden) =>
        OnnxModelBuilder.RandomFloats(count, seed).Select(v => v / MathF.Sqrt(hidden)).ToArray();

    private static NodeProto Node(OnnxModelBuilder b, string op, string[] inputs, string[] outputs, string name, params (string Name, object Value)[] attributes)
    {
        var n = b.RawNode(op, inputs, outputs, name);
        foreach (var (k, v) in attributes) n.Attribute.Add(OnnxModelBuilder.Attribute(k, v));
        return n;
    }

    /// <summary>
    /// Keyword spotting: MFCC-like features [1, 49, 10] -> 2-layer GRU (64 units) -> last state -> linear, 12 classes.
    /// About 40 K weights (160 KB); the benchmark's model file is this model (see Tests/ModelCompiler.Benchmarks/Assets).
    /// </summary>
    public static byte[] KeywordSpotterGru()
    {
        const int steps = 49, features = 10, hidden = 64, classes = 12;
        var b = new OnnxModelBuilder(opset: 13, producer: "ModelCompiler.Tests RecurrentModels.KeywordSpotterGru");
        b.Input("mfcc", 1, steps, features);
        b.Initializer("gru1.W", new[] { 1, 3 * hidden, features }, Weights(3 * hidden * features, 101, hidden));
        b.Initializer("gru1.R", new[] { 1, 3 * hidden, hidden }, Weights(3 * hidden * hidden, 102, hidden));
        b.Initializer("gru1.B", new[] { 1, 6 * hidden }, Weights(6 * hidden, 103, hidden));
        b.Initializer("gru2.W", new[] { 1, 3 * hidden, hidden }, Weights(3 * hidden * hidden, 104, hidden));
        b.Initializer("gru2.R", new[] { 1, 3 * hidden, hidden }, Weights(3 * hidden * hidden, 105, hidden));
        b.Initializer("gru2.B", new[] { 1, 6 * hidden }, Weights(6 * hidden, 106, hidden));
        b.Initializer("fc.weight", new[] { classes, hidden }, Weights(classes * hidden, 107, hidden));
        b.Initializer("fc.bias", new[] { classes }, Weights(classes, 108, hidden));
        b.Int64Initializer("axis1", 1);
        b.Int64Initializer("axis0", 0);
        Node(b, "Transpose", new[] { "mfcc" }, new[] { "time_major" }, "to_time_major", ("perm", new[] { 1, 0, 2 }));
        Node(b, "GRU", new[] { "time_major", "gru1.W", "gru1.R", "gru1.B" }, new[] { "gru1_y", "" }, "gru1", ("hidden_size", hidden), ("linear_before_reset", 1));
        Node(b, "Squeeze", new[] { "gru1_y", "axis1" }, new[] { "gru1_seq" }, "drop_direction");
        Node(b, "GRU", new[] { "gru1_seq", "gru2.W", "gru2.R", "gru2.B" }, new[] { "", "gru2_h" }, "gru2", ("hidden_size", hidden), ("linear_before_reset", 1));
        Node(b, "Squeeze", new[] { "gru2_h", "axis0" }, new[] { "last" }, "last_state");
        Node(b, "Gemm", new[] { "last", "fc.weight", "fc.bias" }, new[] { "logits" }, "classifier", ("transB", 1));
        b.Output("logits", Float, new[] { 1, classes });
        return b.Build();
    }

    /// <summary>
    /// Voice-activity detection: features [1, 100, 40] -> bidirectional LSTM (32 units each way) -> per-frame linear
    /// -> sigmoid, [100, 1] speech probabilities.
    /// </summary>
    public static byte[] VoiceActivityLstm()
    {
        const int frames = 100, features = 40, hidden = 32;
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("features", 1, frames, features);
        b.Initializer("lstm.W", new[] { 2, 4 * hidden, features }, Weights(2 * 4 * hidden * features, 201, hidden));
        b.Initializer("lstm.R", new[] { 2, 4 * hidden, hidden }, Weights(2 * 4 * hidden * hidden, 202, hidden));
        b.Initializer("lstm.B", new[] { 2, 8 * hidden }, Weights(2 * 8 * hidden, 203, hidden));
        b.Initializer("head.weight", new[] { 1, 2 * hidden }, Weights(2 * hidden, 204, hidden));
        b.Initializer("head.bias", new[] { 1 }, Weights(1, 205, hidden));
        b.Int64Initializer("frame_rows", frames, 2 * hidden);
        Node(b, "Transpose", new[] { "features" }, new[] { "time_major" }, "to_time_major", ("perm", new[] { 1, 0, 2 }));
        Node(b, "LSTM", new[] { "time_major", "lstm.W", "lstm.R", "lstm.B" }, new[] { "lstm_y" }, "lstm", ("hidden_size", hidden), ("direction", "bidirectional"));
        Node(b, "Transpose", new[] { "lstm_y" }, new[] { "frames_first" }, "join_directions", ("perm", new[] { 0, 2, 1, 3 }));
        Node(b, "Reshape", new[] { "frames_first", "frame_rows" }, new[] { "rows" }, "per_frame");
        Node(b, "Gemm", new[] { "rows", "head.weight", "head.bias" }, new[] { "logit" }, "head", ("transB", 1));
        Node(b, "Sigmoid", new[] { "logit" }, new[] { "speech" }, "probability");
        b.Output("speech", Float, new[] { frames, 1 });
        return b.Build();
    }

    /// <summary>One recurrent layer with constant weights (so they are packed at build time) and the given options.</summary>
    public sealed record Layer(string Cell, int Sequence, int Batch, int Input, int Hidden, string Direction = "forward",
        bool Bias = true, bool InitialH = false, bool InitialC = false, bool Peepholes = false, bool SequenceLens = false,
        int Opset = 13, params (string Name, object Value)[] Attributes)
    {
        public int Directions => Direction == "bidirectional" ? 2 : 1;
        public int Gates => Cell switch { "LSTM" => 4, "GRU" => 3, _ => 1 };
        public override string ToString() => $"{Cell} {Direction} s{Sequence} b{Batch} i{Input} h{Hidden}{(Bias ? " bias" : "")}{(InitialH ? " h0" : "")}{(InitialC ? " c0" : "")}{(Peepholes ? " peep" : "")}{(SequenceLens ? " lens" : "")} opset {Opset} {string.Join(" ", Attributes.Select(a => a.Name + "=" + Describe(a.Value)))}";
        private static string Describe(object v) => v switch { string[] s => string.Join(",", s), float[] f => string.Join(",", f), _ => v.ToString()! };
    }

    /// <summary>X (and initial_h, initial_c, sequence_lens when asked) are inputs; Y, Y_h (and Y_c) outputs.</summary>
    public static byte[] Single(Layer l)
    {
        var b = new OnnxModelBuilder(opset: l.Opset);
        int d = l.Directions, g = l.Gates, h = l.Hidden;
        b.Input("X", l.Sequence, l.Batch, l.Input);
        b.Initializer("W", new[] { d, g * h, l.Input }, Weights(d * g * h * l.Input, 301, h));
        b.Initializer("R", new[] { d, g * h, h }, Weights(d * g * h * h, 302, h));
        var inputs = new List<string> { "X", "W", "R", l.Bias ? "B" : "" };
        if (l.Bias) b.Initializer("B", new[] { d, 2 * g * h }, Weights(d * 2 * g * h, 303, h));
        inputs.Add(l.SequenceLens ? b.Input("lens", Int32, new[] { l.Batch }) : "");
        inputs.Add(l.InitialH ? b.Input("h0", Float, new[] { d, l.Batch, h }) : "");
        if (l.Cell == "LSTM")
        {
            inputs.Add(l.InitialC ? b.Input("c0", Float, new[] { d, l.Batch, h }) : "");
            if (l.Peepholes) b.Initializer("P", new[] { d, 3 * h }, Weights(d * 3 * h, 304, h));
            inputs.Add(l.Peepholes ? "P" : "");
        }
        while (inputs[^1] == "") inputs.RemoveAt(inputs.Count - 1);
        var outputs = l.Cell == "LSTM" ? new[] { "Y", "Y_h", "Y_c" } : new[] { "Y", "Y_h" };
        var attributes = new List<(string, object)> { ("hidden_size", h), ("direction", l.Direction) };
        attributes.AddRange(l.Attributes);
        Node(b, l.Cell, inputs.ToArray(), outputs, "layer", attributes.ToArray());
        foreach (var o in outputs) b.Output(o, Float);
        return b.Build();
    }
}
