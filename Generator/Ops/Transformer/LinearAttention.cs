using System;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Transformer;

/// <summary>
/// ONNX LinearAttention (opset 27): recurrent linear attention over packed [B, T, H * D] query, key and value, with
/// update_rule "linear", "gated" (decay input 4), "delta" (beta input 5) or "gated_delta" (both; the default), an
/// optional past_state [B, H_kv, d_k, d_v] (input 3) and erase_gate (input 6, delta rules). Outputs the attention
/// [B, T, H_q * d_v] and present_state. float32 only; present_state must be an output (it holds the state).
/// </summary>
internal sealed class LinearAttentionOp : OpSchema
{
    public override string OpType => "LinearAttention";

    private sealed record Dims(int Batch, int Steps, int QHeads, int KvHeads, int Dk, int Dv, bool Gating, bool Delta);

    private static Dims Read(OpContext c)
    {
        int qHeads = (int)c.Int("q_num_heads", 0), kvHeads = (int)c.Int("kv_num_heads", 0);
        if (qHeads <= 0 || kvHeads <= 0 || qHeads % kvHeads != 0)
            throw new ModelError($"q_num_heads ({qHeads}) must be a positive multiple of kv_num_heads ({kvHeads})");
        string rule = c.Str("update_rule", "gated_delta");
        if (rule is not ("linear" or "gated" or "delta" or "gated_delta"))
            throw new ModelError($"update_rule is \"{rule}\"; LinearAttention knows linear, gated, delta and gated_delta");
        bool gating = rule is "gated" or "gated_delta", delta = rule is "delta" or "gated_delta";
        int[] q = c.Shape(0), k = c.Shape(1), v = c.Shape(2);
        if (q.Length != 3 || k.Length != 3 || v.Length != 3) throw new ModelError("query, key and value must be rank 3 [B, T, H * D]");
        if (q[2] % qHeads != 0 || v[2] % kvHeads != 0) throw new ModelError($"query's last dimension {q[2]} or value's {v[2]} does not divide into heads");
        int dk = q[2] / qHeads, dv = v[2] / kvHeads;
        if (k[0] != q[0] || v[0] != q[0] || k[1] != q[1] || v[1] != q[1] || k[2] != kvHeads * dk)
            throw new ModelError($"key {ShapeText.Format(k)} and value {ShapeText.Format(v)} do not fit query {ShapeText.Format(q)} with {qHeads} query and {kvHeads} KV heads");
        if (gating != c.Has(4)) throw new ModelError($"update_rule \"{rule}\" {(gating ? "requires" : "forbids")} the decay input");
        if (delta != c.Has(5)) throw new ModelError($"update_rule \"{rule}\" {(delta ? "requires" : "forbids")} the beta input");
        if (c.Has(6) && !delta) throw new ModelError($"update_rule \"{rule}\" forbids the erase_gate input");
        return new Dims(q[0], q[1], qHeads, kvHeads, dk, dv, gating, delta);
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(3);
        var d = Read(c);
        for (int i = 0; i < 7; i++)
            if (c.Has(i) && c.Type(i) != c.Type(0)) throw new ModelError($"input {i} is {c.Type(i).OnnxName()} but query is {c.Type(0).OnnxName()}");
        int[] state = { d.Batch, d.KvHeads, d.Dk, d.Dv };
        if (c.Has(3) && !ShapeText.SameShape(c.Shape(3), state)) throw new ModelError($"past_state must have shape {ShapeText.Format(state)} but has {ShapeText.Format(c.Shape(3))}");
        if (c.Has(4) && !(c.Shape(4).Length == 3 && c.Shape(4)[0] == d.Batch && c.Shape(4)[1] == d.Steps && (c.Shape(4)[2] == d.KvHeads || c.Shape(4)[2] == d.KvHeads * d.Dk)))
            throw new ModelError($"decay must have shape [{d.Batch},{d.Steps},{d.KvHeads}] or [{d.Batch},{d.Steps},{d.KvHeads * d.Dk}] but has {ShapeText.Format(c.Shape(4))}");
        if (c.Has(5) && !(c.Shape(5).Length == 3 && c.Shape(5)[0] == d.Batch && c.Shape(5)[1] == d.Steps && (c.Shape(5)[2] == d.KvHeads || c.Shape(5)[2] == 1)))
            throw new ModelError($"beta must have shape [{d.Batch},{d.Steps},{d.KvHeads}] or [{d.Batch},{d.Steps},1] but has {ShapeText.Format(c.Shape(5))}");
        if (c.Has(6) && !ShapeText.SameShape(c.Shape(6), c.Shape(1))) throw new ModelError($"erase_gate must have key's shape {ShapeText.Format(c.Shape(1))} but has {ShapeText.Format(c.Shape(6))}");
        c.SetOutput(0, c.Type(0), new[] { d.Batch, d.Steps, d.QHeads * d.Dv });
        if (c.OutputCount > 1) c.SetOutput(1, c.Has(3) ? c.Type(3) : c.Type(0), state);
    }

    public override string? WhyNoKernel(OpContext c) =>
        c.Type(0) != DataType.Float ? $" on {c.Type(0).OnnxName()} (float32 only)"
        : !c.HasOutput(1) ? " without its present_state output, which holds the recurrent state"
        : null;

    public override Kernel? CreateKernel(OpContext c)
    {
        if (WhyNoKernel(c) is not null) return null;
        var d = Read(c);
        float scale = c.Float("scale", 0f);
        if (scale == 0f) scale = (float)(1.0 / Math.Sqrt(d.Dk));
        bool decayPerKey = c.Has(4) && c.Shape(4)[2] == d.KvHeads * d.Dk && d.Dk != 1;
        bool betaPerHead = c.Has(5) && c.Shape(5)[2] == d.KvHeads;
        string Opt(LayerWriter w, int i) => w.HasInput(i) ? w.In(i) : "default";
        return new CallKernel(c.Node, w => w.Line(
            $"global::ModelCompiler.Runtime.LinearAttention.Run({w.In(0)}, {w.In(1)}, {w.In(2)}, {Opt(w, 3)}, {Opt(w, 4)}, {Opt(w, 5)}, {Opt(w, 6)}, {w.Out(0)}, {w.Out(1)}, " +
            $"batch: {d.Batch}, steps: {d.Steps}, qHeads: {d.QHeads}, kvHeads: {d.KvHeads}, dk: {d.Dk}, dv: {d.Dv}, decayPerKey: {B(decayPerKey)}, betaPerHead: {B(betaPerHead)}, scale: {LayerWriter.F(scale)});"),
            $"{c.Str("update_rule", "gated_delta")}, {d.QHeads}/{d.KvHeads} heads, d_k {d.Dk}, d_v {d.Dv}", (long)d.Batch * d.Steps * (d.QHeads + 2 * d.KvHeads) * d.Dk * d.Dv);
    }

    private static string B(bool v) => v ? "true" : "false";
}
