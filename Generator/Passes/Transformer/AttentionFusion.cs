using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;
using static ModelCompiler.Passes.Transformer.SubgraphMatch;

namespace ModelCompiler.Passes.Transformer;

/// <summary>
/// Replaces scaled dot-product attention written with MatMul and Softmax (PyTorch exports before opset 23, BERT,
/// MiniLM, ViT) by one Attention node, so that it runs as one kernel instead of a dozen layers and copies:
/// <code>
/// Qh = Transpose(Reshape(q, [B, S, H, D]), [0, 2, 1, 3])          (V alike; K transposed to [B, H, D, T],
/// scores = MatMul(Qh, Kt) [/ c or * c] [+ mask]                    directly or by a second Transpose)
/// ctx = MatMul(Softmax(scores, last axis), Vh)
/// y = Reshape(Transpose(ctx, [0, 2, 1, 3]), [B, S, H * D])
/// </code>
/// becomes Attention(q, k, v, mask) with q_num_heads = kv_num_heads = H and scale 1/c (or c) on the 3-D tensors.
/// Without the head reshapes, 4-D Qh, Kh (from Kt = Transpose(Kh, [0, 1, 3, 2])) and Vh go in directly and ctx is
/// the output. The mask must be a float tensor whose last axis is the key length (it is added to every row
/// as written). Every value inside the pattern must be read by it alone.
/// </summary>
internal static class AttentionFusion
{
    public static int Run(ModelGraph graph)
    {
        int fused = 0;
        foreach (var node in graph.Nodes.ToList())
        {
            if (!graph.Nodes.Contains(node) || !Is(node, "Softmax")) continue;
            if (Match(graph, node) is not { } m) continue;
            var attention = new Node(m.Output.Producer!.Name, "Attention", "") { Opset = Math.Max(23, graph.DefaultOpset) };
            attention.Inputs.AddRange(new[] { m.Q, m.K, m.V });
            if (m.Mask is not null) attention.Inputs.Add(m.Mask);
            attention.Outputs.Add(m.Output);
            attention.Attributes["scale"] = new Graph.Attribute("scale", AttributeKind.Float) { F = (float)m.Scale };
            if (m.Packed)
            {
                attention.Attributes["q_num_heads"] = new Graph.Attribute("q_num_heads", AttributeKind.Int) { I = m.Heads };
                attention.Attributes["kv_num_heads"] = new Graph.Attribute("kv_num_heads", AttributeKind.Int) { I = m.Heads };
            }
            Replace(graph, m.Nodes, attention);
            fused++;
        }
        return fused;
    }

    private sealed record Found(Value Q, Value K, Value V, Value? Mask, double Scale, int Heads, bool Packed, Value Output, HashSet<Node> Nodes);

    private static Found? Match(ModelGraph graph, Node softmax)
    {
        var nodes = new HashSet<Node> { softmax };
        var w = softmax.Input(0);
        if (w is not { Type: DataType.Float, Shape: { Length: 4 } ws } || softmax.Outputs.Count != 1) return null;
        long axis = softmax.GetInt("axis", softmax.Opset >= 13 ? -1 : 1);
        if (axis != -1 && axis != 3) return null;

        // ctx = MatMul(probabilities, Vh)
        if (SoleConsumer(graph, softmax.Output(0)!) is not { } pv || !Is(pv, "MatMul") || pv.Input(0) != softmax.Output(0) || pv.Input(1) is not { } vh) return null;
        nodes.Add(pv);

        // [+ mask], [/ c or * c], MatMul(Qh, Kt)
        Value? mask = null;
        var chain = Scores(graph, w, softmax);
        if (chain is null && w.Producer is { } add && Is(add, "Add") && SoleConsumer(graph, w) == softmax)
        {
            for (int side = 0; side < 2 && chain is null; side++)
            {
                if (add.Input(1 - side) is not { Type: DataType.Float, Shape: { Length: > 0 and <= 4 } ms } other || ms[ms.Length - 1] != ws[3]) continue;
                if (add.Input(side) is { } s && Scores(graph, s, add) is { } found)
                {
                    chain = found;
                    mask = other;
                }
            }
            if (chain is not null) nodes.Add(add);
        }
        if (chain is not { } sc) return null;
        var (qk, scaleNode, scale) = sc;
        if (scaleNode is not null) nodes.Add(scaleNode);
        nodes.Add(qk);
        var qh = qk.Input(0)!;
        var kt = qk.Input(1)!;
        if (qh.Shape is not { Length: 4 } qs || kt.Shape is not { Length: 4 } ks || vh.Shape is not { Length: 4 } vs) return null;
        int batch = qs[0], heads = qs[1], qLength = qs[2], head = qs[3], keys = ks[3];
        if (ks[0] != batch || ks[1] != heads || ks[2] != head || vs[0] != batch || vs[1] != heads || vs[2] != keys) return null;
        if (!ShapeText.SameShape(ws, new[] { batch, heads, qLength, keys })) return null;

        // The 3-D form: head reshapes and transposes around q, k, v and the output.
        var packed = new HashSet<Node>(nodes);
        var q3 = Heads(graph, qh, new[] { 0, 2, 1, 3 }, packed);
        var v3 = Heads(graph, vh, new[] { 0, 2, 1, 3 }, packed);
        var k3 = Heads(graph, kt, new[] { 0, 2, 3, 1 }, packed)
            ?? (TransposeOf(graph, kt, new[] { 0, 1, 3, 2 }) is { } kh0 && Heads(graph, kh0.Input, new[] { 0, 2, 1, 3 }, packed) is { } k30 ? Add(packed, kh0.Node, k30) : null);
        var context = pv.Output(0)!;
        if (q3 is not null && k3 is not null && v3 is not null
            && TransposeAfter(graph, context, new[] { 0, 2, 1, 3 }) is { } merge && SoleConsumer(graph, merge.Output(0)!) is { } reshape && Is(reshape, "Reshape")
            && reshape.Output(0) is { Shape: { } rs } output && ShapeText.SameShape(rs, new[] { batch, qLength, heads * vs[3] }))
        {
            packed.Add(merge);
            packed.Add(reshape);
            return Checked(graph, new Found(q3, k3, v3, mask, scale, heads, true, output, packed));
        }

        // The 4-D form: K given untransposed.
        if (TransposeOf(graph, kt, new[] { 0, 1, 3, 2 }) is not { } kh) return null;
        nodes.Add(kh.Node);
        return Checked(graph, new Found(qh, kh.Input, vh, mask, scale, heads, false, context, nodes));
    }

    /// <summary>v = MatMul(Qh, Kt) [/ c or * c], each value read only by the next step (<paramref name="reader"/> last).</summary>
    private static (Node MatMul, Node? Scale, double Factor)? Scores(ModelGraph graph, Value v, Node reader)
    {
        if (SoleConsumer(graph, v) != reader || v.Producer is not { } n) return null;
        if (Is(n, "MatMul")) return (n, null, 1);
        Value? x = null;
        double factor = 1;
        if (Is(n, "Div") && Scalar(n.Input(1)) is { } c && c != 0) { x = n.Input(0); factor = 1 / c; }
        else if (Is(n, "Mul") && Scalar(n.Input(1)) is { } c1) { x = n.Input(0); factor = c1; }
        else if (Is(n, "Mul") && Scalar(n.Input(0)) is { } c0) { x = n.Input(1); factor = c0; }
        if (x is null || SoleConsumer(graph, x) != n || x.Producer is not { } mm || !Is(mm, "MatMul")) return null;
        return (mm, n, factor);
    }

    private static Value Add(HashSet<Node> nodes, Node n, Value v)
    {
        nodes.Add(n);
        return v;
    }

    /// <summary>v = Transpose(x, perm) read only by the pattern: the node and x.</summary>
    private static (Node Node, Value Input)? TransposeOf(ModelGraph graph, Value v, int[] perm)
    {
        if (v.Producer is not { } t || !Is(t, "Transpose") || SoleConsumer(graph, v) is null || t.Input(0) is not { } x) return null;
        return t.GetInts("perm") is { } p && p.Select(a => (int)a).SequenceEqual(perm) ? (t, x) : null;
    }

    private static Node? TransposeAfter(ModelGraph graph, Value v, int[] perm) =>
        SoleConsumer(graph, v) is { } t && Is(t, "Transpose") && t.GetInts("perm") is { } p && p.Select(a => (int)a).SequenceEqual(perm) ? t : null;

    /// <summary>
    /// For v = Transpose(Reshape(x [B, S, H * D], [B, S, H, D]), perm): x, with both nodes added to <paramref name="nodes"/>.
    /// </summary>
    private static Value? Heads(ModelGraph graph, Value v, int[] perm, HashSet<Node> nodes)
    {
        if (TransposeOf(graph, v, perm) is not { } t) return null;
        var split = t.Input;
        if (split.Producer is not { } r || !Is(r, "Reshape") || SoleConsumer(graph, split) is null || r.Input(0) is not { Shape: { Length: 3 } xs } x) return null;
        if (split.Shape is not { Length: 4 } ss || ss[0] != xs[0] || ss[1] != xs[1] || ss[2] * ss[3] != xs[2]) return null;
        nodes.Add(t.Node);
        nodes.Add(r);
        return x;
    }

    /// <summary>The match, when no value computed inside it is read outside it (the output excepted).</summary>
    private static Found? Checked(ModelGraph graph, Found m)
    {
        foreach (var n in m.Nodes)
            foreach (var o in n.Outputs)
                if (o is not null && o != m.Output && (graph.IsGraphOutput(o) || o.Consumers.Any(c => !m.Nodes.Contains(c)))) return null;
        return m;
    }
}
