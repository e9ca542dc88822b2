using System;
using System.Linq;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tests.Infrastructure;

namespace ModelCompiler.Tests.Models;

/// <summary>
/// A small BERT/MiniLM-style sentence encoder built in C# with seeded random weights: token embeddings (Gather) plus
/// position embeddings, an embedding LayerNorm, <see cref="Layers"/> encoder layers (multi-head self-attention with
/// the attention mask as an additive bias, residual + LayerNorm, GELU feed-forward, residual + LayerNorm) and a
/// BERT pooler (first token, dense, tanh). Inputs: input_ids and attention_mask, int64 [1, sequence]; outputs
/// last_hidden_state [1, sequence, hidden] and pooled [1, hidden].
/// <para>
/// <see cref="Decomposed"/> writes it as PyTorch exports it at opset 13: LayerNorm as ReduceMean/Sub/Pow/ReduceMean/
/// Add/Sqrt/Div/Mul/Add, GELU as x * 0.5 * (1 + Erf(x / sqrt 2)), attention as MatMul/Div/Add/Softmax/MatMul with
/// Reshape/Transpose around the heads and the mask as (1 - mask) * float32.min. <see cref="Fused"/> writes the same
/// network with the ops of opset 23: LayerNormalization, Gelu and Attention (3-D inputs, boolean mask). The same
/// seed gives the same weights, so the two compute the same function.
/// </para>
/// </summary>
internal static class TransformerEncoder
{
    public const int Vocabulary = 32, Sequence = 16, Hidden = 64, Heads = 4, HeadSize = Hidden / Heads, FeedForward = 128, Layers = 2;
    public const float Epsilon = 1e-12f;

    private const int Float = (int)TensorProto.Types.DataType.Float, Int64 = (int)TensorProto.Types.DataType.Int64;

    public static byte[] Decomposed() => Build(fused: false);

    public static byte[] Fused() => Build(fused: true);

    /// <summary>Seeded token ids in [0, Vocabulary) and a mask whose last <paramref name="padding"/> positions are 0.</summary>
    public static (long[] Ids, long[] Mask) Tokens(uint seed, int padding) =>
        (OnnxModelBuilder.RandomFloats(Sequence, seed).Select(v => (long)((v + 1) / 2 * Vocabulary) % Vocabulary).ToArray(),
         Enumerable.Range(0, Sequence).Select(i => i < Sequence - padding ? 1L : 0L).ToArray());

    private static byte[] Build(bool fused)
    {
        var b = new OnnxModelBuilder(opset: fused ? 23 : 13);
        uint seed = 100;
        string Weight(string name, int[] shape, float scale) =>
            b.Initializer(name, shape, OnnxModelBuilder.RandomFloats(shape.Aggregate(1, (p, d) => p * d), seed++).Select(v => v * scale).ToArray());
        string Gamma(string name) => b.Initializer(name, new[] { Hidden }, OnnxModelBuilder.RandomFloats(Hidden, seed++).Select(v => 1f + 0.1f * v).ToArray());
        string Scalar(string name, float value) => b.Initializer(name, Array.Empty<int>(), new[] { value });

        b.Input("input_ids", Int64, new[] { 1, Sequence });
        b.Input("attention_mask", Int64, new[] { 1, Sequence });
        Weight("embeddings.word", new[] { Vocabulary, Hidden }, 1f);
        Weight("embeddings.position", new[] { Sequence, Hidden }, 0.2f);
        var words = b.Node("Gather", new[] { "embeddings.word", "input_ids" }, "embeddings.gathered", "embeddings.word_lookup");
        var h = b.Node("Add", new[] { words, "embeddings.position" }, "embeddings.sum", "embeddings.add_position");
        h = LayerNorm(b, fused, h, Gamma("embeddings.ln.gamma"), Weight("embeddings.ln.beta", new[] { Hidden }, 0.1f), "embeddings.ln");

        // The attention mask as the exporters write it: an additive bias, or a boolean mask for the Attention op.
        string mask;
        b.Int64Initializer("mask.axes", 1, 2);
        var unsqueezed = b.Node("Unsqueeze", new[] { "attention_mask", "mask.axes" }, "mask.unsqueezed", "mask.unsqueeze");
        if (fused)
        {
            // [1, 1, 1, S] expanded to [1, 1, S, S]: ONNX Runtime's Attention wants the mask's query axis spelled out.
            var asBool = b.Node("Cast", new[] { unsqueezed }, "mask.bool", "mask.cast", attributes: ("to", (int)TensorProto.Types.DataType.Bool));
            mask = b.Node("Expand", new[] { asBool, b.Int64Initializer("mask.expanded_shape", 1, 1, Sequence, Sequence) }, "mask.rows", "mask.expand");
        }
        else
        {
            var asFloat = b.Node("Cast", new[] { unsqueezed }, "mask.float", "mask.cast", attributes: ("to", Float));
            var inverted = b.Node("Sub", new[] { Scalar("mask.one", 1f), asFloat }, "mask.inverted", "mask.invert");
            mask = b.Node("Mul", new[] { inverted, Scalar("mask.min", float.MinValue) }, "mask.bias", "mask.scale");
        }

        b.Int64Initializer("heads.split", 1, Sequence, Heads, HeadSize);
        b.Int64Initializer("heads.merge", 1, Sequence, Hidden);
        for (int l = 0; l < Layers; l++)
        {
            string p = $"layer{l}.";
            string Dense(string x, int inputs, int outputs, string name)
            {
                var w = Weight(name + ".weight", new[] { inputs, outputs }, 1.5f / MathF.Sqrt(inputs));
                var bias = Weight(name + ".bias", new[] { outputs }, 0.1f);
                var m = b.Node("MatMul", new[] { x, w }, name + ".matmul", name + "/MatMul");
                return b.Node("Add", new[] { m, bias }, name + ".out", name + "/Add");
            }
            var q = Dense(h, Hidden, Hidden, p + "attention.query");
            var k = Dense(h, Hidden, Hidden, p + "attention.key");
            var v = Dense(h, Hidden, Hidden, p + "attention.value");
            string context;
            if (fused)
            {
                context = b.Node("Attention", new[] { q, k, v, mask }, p + "attention.context", p + "attention/Attention",
                    attributes: new (string, object)[] { ("q_num_heads", Heads), ("kv_num_heads", Heads) });
            }
            else
            {
                string Split(string x, string name, int[] perm)
                {
                    var r = b.Node("Reshape", new[] { x, "heads.split" }, name + ".heads", name + "/Reshape");
                    return b.Node("Transpose", new[] { r }, name + ".transposed", name + "/Transpose", attributes: ("perm", perm));
                }
                var qh = Split(q, p + "attention.query", new[] { 0, 2, 1, 3 });
                var kt = Split(k, p + "attention.key", new[] { 0, 2, 3, 1 });
                var vh = Split(v, p + "attention.value", new[] { 0, 2, 1, 3 });
                var scores = b.Node("MatMul", new[] { qh, kt }, p + "attention.scores", p + "attention/MatMul");
                var scaled = b.Node("Div", new[] { scores, Scalar(p + "attention.sqrt_head", MathF.Sqrt(HeadSize)) }, p + "attention.scaled", p + "attention/Div");
                var biased = b.Node("Add", new[] { scaled, mask }, p + "attention.masked", p + "attention/Add");
                var probs = b.Node("Softmax", new[] { biased }, p + "attention.probs", p + "attention/Softmax", attributes: ("axis", -1));
                var ctx = b.Node("MatMul", new[] { probs, vh }, p + "attention.context_heads", p + "attention/MatMul_1");
                var merged = b.Node("Transpose", new[] { ctx }, p + "attention.context_merged", p + "attention/Transpose_3", attributes: ("perm", new[] { 0, 2, 1, 3 }));
                context = b.Node("Reshape", new[] { merged, "heads.merge" }, p + "attention.context", p + "attention/Reshape_3");
            }
            var attended = Dense(context, Hidden, Hidden, p + "attention.output");
            var residual1 = b.Node("Add", new[] { attended, h }, p + "attention.residual", p + "attention/residual");
            var h1 = LayerNorm(b, fused, residual1, Gamma(p + "attention.ln.gamma"), Weight(p + "attention.ln.beta", new[] { Hidden }, 0.1f), p + "attention.ln");
            var up = Dense(h1, Hidden, FeedForward, p + "intermediate");
            var act = Gelu(b, fused, up, p + "intermediate.gelu");
            var down = Dense(act, FeedForward, Hidden, p + "output");
            var residual2 = b.Node("Add", new[] { down, h1 }, p + "output.residual", p + "output/residual");
            h = LayerNorm(b, fused, residual2, Gamma(p + "output.ln.gamma"), Weight(p + "output.ln.beta", new[] { Hidden }, 0.1f), p + "output.ln");
        }
        b.Node("Identity", new[] { h }, "last_hidden_state", "encoder.output");
        b.Int64Initializer("pooler.first", 0);
        var first = b.Node("Gather", new[] { h, "pooler.first" }, "pooler.first_token", "pooler.gather", attributes: ("axis", 1));
        var squeezed = b.Node("Reshape", new[] { first, b.Int64Initializer("pooler.shape", 1, Hidden) }, "pooler.flat", "pooler.reshape");
        Weight("pooler.dense.weight", new[] { Hidden, Hidden }, 1.5f / MathF.Sqrt(Hidden));
        Weight("pooler.dense.bias", new[] { Hidden }, 0.1f);
        var dense = b.Node("Gemm", new[] { squeezed, "pooler.dense.weight", "pooler.dense.bias" }, "pooler.dense", "pooler.dense");
        b.Node("Tanh", new[] { dense }, "pooled", "pooler.tanh");
        b.Output("last_hidden_state", Float, new[] { 1, Sequence, Hidden });
        b.Output("pooled", Float, new[] { 1, Hidden });
        return b.Build();
    }

    /// <summary>LayerNorm over the last axis: the op, or PyTorch's opset-13 subgraph.</summary>
    private static string LayerNorm(OnnxModelBuilder b, bool fused, string x, string gamma, string beta, string name)
    {
        if (fused)
            return b.Node("LayerNormalization", new[] { x, gamma, beta }, name + ".out", name + "/LayerNormalization",
                attributes: new (string, object)[] { ("axis", -1), ("epsilon", Epsilon) });
        var axes = ("axes", (object)new[] { -1 });
        var mean = b.Node("ReduceMean", new[] { x }, name + ".mean", name + "/ReduceMean", attributes: axes);
        var centered = b.Node("Sub", new[] { x, mean }, name + ".centered", name + "/Sub");
        var squared = b.Node("Pow", new[] { centered, b.Initializer(name + ".two", Array.Empty<int>(), new[] { 2f }) }, name + ".squared", name + "/Pow");
        var variance = b.Node("ReduceMean", new[] { squared }, name + ".variance", name + "/ReduceMean_1", attributes: axes);
        var shifted = b.Node("Add", new[] { variance, b.Initializer(name + ".epsilon", Array.Empty<int>(), new[] { Epsilon }) }, name + ".shifted", name + "/Add");
        var deviation = b.Node("Sqrt", new[] { shifted }, name + ".deviation", name + "/Sqrt");
        var normalized = b.Node("Div", new[] { centered, deviation }, name + ".normalized", name + "/Div");
        var scaled = b.Node("Mul", new[] { normalized, gamma }, name + ".scaled", name + "/Mul");
        return b.Node("Add", new[] { scaled, beta }, name + ".out", name + "/Add_1");
    }

    /// <summary>GELU: the op, or the erf subgraph in BERT's order, x * 0.5 * (1 + erf(x / sqrt 2)).</summary>
    private static string Gelu(OnnxModelBuilder b, bool fused, string x, string name)
    {
        if (fused) return b.Node("Gelu", new[] { x }, name + ".out", name + "/Gelu");
        var half = b.Node("Mul", new[] { x, b.Initializer(name + ".half", Array.Empty<int>(), new[] { 0.5f }) }, name + ".half_x", name + "/Mul");
        var scaled = b.Node("Div", new[] { x, b.Initializer(name + ".sqrt2", Array.Empty<int>(), new[] { 1.4142135f }) }, name + ".scaled", name + "/Div");
        var erf = b.Node("Erf", new[] { scaled }, name + ".erf", name + "/Erf");
        var plus = b.Node("Add", new[] { erf, b.Initializer(name + ".one", Array.Empty<int>(), new[] { 1f }) }, name + ".plus_one", name + "/Add");
        return b.Node("Mul", new[] { half, plus }, name + ".out", name + "/Mul_1");
    }
}
