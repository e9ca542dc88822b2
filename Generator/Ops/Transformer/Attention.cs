using System;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Transformer;

/// <summary>
/// ONNX Attention (opset 23, 24): Y = softmax(softcap(Q·K^T * scale) + bias) · V per head, with K and V heads shared
/// by groups of query heads (GQA/MQA), past/present key-value caches, an additive float or boolean attn_mask
/// (broadcast to [batch, q heads, q length, total length], a shorter last axis masking the keys beyond it),
/// is_causal (bottom-right aligned), opset 24's nonpad_kv_seqlen and the qk_matmul_output debug output
/// (qk_matmul_output_mode 0-3). softmax_precision is accepted: float32 inputs are computed in float32 throughout.
/// </summary>
internal sealed class AttentionOp : OpSchema
{
    public override string OpType => "Attention";

    /// <summary>Everything the run-time call needs, read from the inputs' shapes and the attributes.</summary>
    internal sealed record Plan(int Batch, int QHeads, int KvHeads, int QLength, int KvLength, int PastLength, int HeadSize, int ValueHeadSize,
        bool Packed, int[] OutShape, int[]? MaskStrides, int MaskLength)
    {
        public int Total => PastLength + KvLength;
    }

    internal static Plan MakePlan(OpContext c)
    {
        int[] q = c.Shape(0), k = c.Shape(1), v = c.Shape(2);
        if (q.Length != k.Length || q.Length != v.Length || q.Length is not (3 or 4))
            throw new ModelError($"Q, K and V must all be 3-D or all 4-D, but are {ShapeText.Format(q)}, {ShapeText.Format(k)} and {ShapeText.Format(v)}");
        bool packed = q.Length == 3;
        int batch = q[0], qHeads, kvHeads, qLength, kvLength, head, valueHead;
        long qAttr = c.Int("q_num_heads", 0), kvAttr = c.Int("kv_num_heads", 0);
        if (packed)
        {
            if (qAttr <= 0 || kvAttr <= 0) throw new ModelError("q_num_heads and kv_num_heads are required for 3-D Q, K and V");
            qHeads = (int)qAttr;
            kvHeads = (int)kvAttr;
            if (q[2] % qHeads != 0 || k[2] % kvHeads != 0 || v[2] % kvHeads != 0)
                throw new ModelError($"hidden sizes Q {q[2]}, K {k[2]}, V {v[2]} do not divide into {qHeads} query and {kvHeads} key/value heads");
            (qLength, kvLength, head, valueHead) = (q[1], k[1], q[2] / qHeads, v[2] / kvHeads);
            if (k[2] / kvHeads != head) throw new ModelError($"the key head size {k[2] / kvHeads} differs from the query head size {head}");
            if (v[1] != kvLength) throw new ModelError($"K has {kvLength} positions but V has {v[1]}");
        }
        else
        {
            (qHeads, kvHeads, qLength, kvLength, head, valueHead) = (q[1], k[1], q[2], k[2], q[3], v[3]);
            if ((qAttr > 0 && qAttr != qHeads) || (kvAttr > 0 && kvAttr != kvHeads))
                throw new ModelError($"q_num_heads/kv_num_heads ({qAttr}/{kvAttr}) contradict the 4-D shapes ({qHeads}/{kvHeads} heads)");
            if (k[3] != head) throw new ModelError($"the key head size {k[3]} differs from the query head size {head}");
            if (v[1] != kvHeads || v[2] != kvLength) throw new ModelError($"V {ShapeText.Format(v)} does not match K {ShapeText.Format(k)}");
        }
        if (k[0] != batch || v[0] != batch) throw new ModelError($"Q, K and V have different batch sizes ({batch}, {k[0]}, {v[0]})");
        if (kvHeads <= 0 || qHeads % kvHeads != 0) throw new ModelError($"{qHeads} query heads do not divide into {kvHeads} key/value heads");
        if (head <= 0) throw new ModelError("the head size must be positive");

        int past = 0;
        if (c.Has(4) != c.Has(5)) throw new ModelError("past_key and past_value must be given together");
        if (c.Has(4))
        {
            int[] pk = c.Shape(4), pv = c.Shape(5);
            if (pk.Length != 4 || pk[0] != batch || pk[1] != kvHeads || pk[3] != head)
                throw new ModelError($"past_key must be [{batch}, {kvHeads}, past, {head}] but has shape {ShapeText.Format(pk)}");
            past = pk[2];
            if (!ShapeText.SameShape(pv, new[] { batch, kvHeads, past, valueHead }))
                throw new ModelError($"past_value must be [{batch}, {kvHeads}, {past}, {valueHead}] but has shape {ShapeText.Format(pv)}");
        }
        int total = past + kvLength;

        int[]? maskStrides = null;
        int maskLength = 0;
        if (c.Has(3))
        {
            int[] m = c.Shape(3);
            if (m.Length is < 1 or > 4) throw new ModelError($"attn_mask must have 1 to 4 dimensions but has shape {ShapeText.Format(m)}");
            maskLength = m[m.Length - 1];
            if (maskLength > total) throw new ModelError($"attn_mask covers {maskLength} keys but there are only {total}");
            // Right-aligned against [batch, q heads, q length]; a dimension of 1 broadcasts (stride 0).
            int[] target = { batch, qHeads, qLength };
            int[] own = ShapeText.Strides(m);
            maskStrides = new int[3];
            for (int d = 0; d < 3; d++)
            {
                int md = m.Length - 4 + d;
                if (md < 0) continue;
                if (m[md] != target[d] && m[md] != 1)
                    throw new ModelError($"attn_mask {ShapeText.Format(m)} does not broadcast to [{batch}, {qHeads}, {qLength}, {total}]");
                maskStrides[d] = m[md] == 1 ? 0 : own[md];
            }
        }
        if (c.Has(6))
        {
            if (c.Opset < 24) throw new ModelError("nonpad_kv_seqlen (input 6) exists from opset 24");
            if (c.Has(4)) throw new ModelError("nonpad_kv_seqlen cannot be combined with past_key and past_value");
            if (!ShapeText.SameShape(c.Shape(6), new[] { batch })) throw new ModelError($"nonpad_kv_seqlen must be [{batch}] but has shape {ShapeText.Format(c.Shape(6))}");
        }
        int[] outShape = packed ? new[] { batch, qLength, qHeads * valueHead } : new[] { batch, qHeads, qLength, valueHead };
        return new Plan(batch, qHeads, kvHeads, qLength, kvLength, past, head, valueHead, packed, outShape, maskStrides, maskLength);
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(3);
        for (int i = 0; i < 3; i++) c.RequireType(i, t => t.IsFloat(), "a floating-point type");
        if (c.Type(1) != c.Type(0)) throw new ModelError($"K has type {c.Type(1).OnnxName()}, Q has {c.Type(0).OnnxName()}");
        if (c.Has(4) && c.Type(4) != c.Type(0) || c.Has(5) && c.Type(5) != c.Type(2)) throw new ModelError("the past caches must have the types of K and V");
        if (c.Has(6)) c.RequireType(6, t => t == DataType.Int64, "int64");
        long mode = c.Int("qk_matmul_output_mode", 0);
        if (mode is < 0 or > 3) throw new ModelError($"qk_matmul_output_mode must be 0, 1, 2 or 3, not {mode}");
        var p = MakePlan(c);
        c.SetOutput(0, c.Type(0), p.OutShape);
        c.SetOutput(1, c.Type(0), new[] { p.Batch, p.KvHeads, p.Total, p.HeadSize });
        c.SetOutput(2, c.Type(2), new[] { p.Batch, p.KvHeads, p.Total, p.ValueHeadSize });
        c.SetOutput(3, c.Type(0), new[] { p.Batch, p.QHeads, p.QLength, p.Total });
    }

    /// <summary>float32 runs as it is; float16 is widened to float32 around the same kernel.</summary>
    private static bool Computable(DataType t) => t is DataType.Float or DataType.Float16;

    public override string? WhyNoKernel(OpContext c)
    {
        if (!Computable(c.Type(0)) || c.Type(2) != c.Type(0)) return " (Attention runs on float32 or float16 Q, K and V of one type)";
        return " (attn_mask must be bool or the type of Q)";
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        if (!Computable(c.Type(0)) || c.Type(2) != c.Type(0)) return null;
        bool boolMask = c.Has(3) && c.Type(3) == DataType.Bool;
        if (c.Has(3) && !boolMask && c.Type(3) != c.Type(0)) return null;
        var p = MakePlan(c);
        bool causal = c.Int("is_causal", 0) != 0;
        float scale = c.Node.HasAttribute("scale") ? c.Float("scale", 1f) : (float)(1.0 / Math.Sqrt(p.HeadSize));
        float softcap = c.Float("softcap", 0f);
        int mode = (int)c.Int("qk_matmul_output_mode", 0);
        string heads = p.QHeads == p.KvHeads ? $"{p.QHeads} heads" : $"{p.QHeads} query heads on {p.KvHeads} key/value heads";
        string extras = string.Concat(
            causal ? ", causal" : "",
            c.Has(3) ? $", {(boolMask ? "boolean" : "additive")} mask" : "",
            p.PastLength > 0 ? $", past {p.PastLength}" : "",
            c.Has(6) ? ", nonpad_kv_seqlen" : "",
            softcap > 0 ? $", softcap {LayerWriter.F(softcap)}" : "");
        var geometry = new AttentionCall.Geometry(p.Batch, p.QHeads, p.KvHeads, p.QLength, p.KvLength, p.PastLength, p.HeadSize, p.ValueHeadSize, p.Packed);
        var options = new AttentionCall.Options(scale, softcap, causal, mode, p.MaskLength, p.MaskStrides ?? new int[3]);
        return AttentionCall.Create(c, geometry, options, boolMask, $"{heads} of {p.HeadSize}, {p.QLength} queries x {p.Total} keys{extras}");
    }
}
