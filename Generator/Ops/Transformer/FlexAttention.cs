using System;
using System.Collections.Generic;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Transformer;

/// <summary>
/// ai.onnx.preview FlexAttention (version 1): 4-D scaled dot-product attention, Y = softmax(Q·K^T * scale) · V with
/// grouped key/value heads, run by the Attention kernel. A float32 node with score_mod or prob_mod subgraphs and as
/// many key/value heads as query heads is expanded into MatMul, Softmax and the inlined subgraphs; other nodes with
/// modifiers are reported as unsupported.
/// </summary>
internal sealed class FlexAttentionOp : OpSchema, IExpandingOp
{
    public override string OpType => "FlexAttention";
    public override string Domain => "ai.onnx.preview";

    public override void Infer(OpContext c)
    {
        c.RequireInputs(3);
        for (int i = 0; i < 3; i++) c.RequireType(i, t => t.IsFloat(), "a floating-point type");
        if (c.Type(1) != c.Type(0) || c.Type(2) != c.Type(0)) throw new ModelError("Q, K and V must have the same type");
        int[] q = c.Shape(0), k = c.Shape(1), v = c.Shape(2);
        if (q.Length != 4 || k.Length != 4 || v.Length != 4) throw new ModelError("Q, K and V must be 4-D");
        if (k[0] != q[0] || v[0] != q[0] || k[3] != q[3] || v[1] != k[1] || v[2] != k[2] || k[1] <= 0 || q[1] % k[1] != 0)
            throw new ModelError($"Q {ShapeText.Format(q)}, K {ShapeText.Format(k)} and V {ShapeText.Format(v)} do not fit together");
        c.SetOutput(0, c.Type(0), new[] { q[0], q[1], q[2], v[3] });
    }

    /// <summary>A node with score_mod or prob_mod becomes ordinary nodes with the subgraphs inlined (<see cref="FlexAttentionExpansion"/>).</summary>
    public IReadOnlyList<Node>? Expand(OpContext c, ModelGraph graph) =>
        HasModifiers(c) && c.InputCount >= 3 && c.Rank(0) == 4 ? FlexAttentionExpansion.Expand(c, graph, Scale(c)) : null;

    private static float Scale(OpContext c) => c.Node.HasAttribute("scale") ? c.Float("scale", 1f) : (float)(1.0 / Math.Sqrt(c.Shape(0)[3]));

    private static bool HasModifiers(OpContext c) => c.Node.HasAttribute("score_mod") || c.Node.HasAttribute("prob_mod");

    public override string? WhyNoKernel(OpContext c) =>
        HasModifiers(c) ? " (score_mod and prob_mod subgraphs are not compiled)" : " (FlexAttention runs on float32, and on float16 widened to float32)";

    public override Kernel? CreateKernel(OpContext c)
    {
        if (HasModifiers(c) || c.Type(0) is not (DataType.Float or DataType.Float16)) return null;
        int[] q = c.Shape(0), k = c.Shape(1), v = c.Shape(2);
        float scale = Scale(c);
        var geometry = new AttentionCall.Geometry(q[0], q[1], k[1], q[2], k[2], 0, q[3], v[3], Packed: false);
        var options = new AttentionCall.Options(scale, 0f, false, 0, 0, new int[3]);
        return AttentionCall.Create(c, geometry, options, boolMask: false, $"{q[1]} query heads on {k[1]} key/value heads of {q[3]}, {q[2]} queries x {k[2]} keys");
    }
}
