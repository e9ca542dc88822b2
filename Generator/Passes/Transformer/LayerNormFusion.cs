using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;
using static ModelCompiler.Passes.Transformer.SubgraphMatch;

namespace ModelCompiler.Passes.Transformer;

/// <summary>
/// Replaces the layer normalization that PyTorch exports before opset 17 (and Keras/TF converters write alike) by
/// one LayerNormalization node:
/// <code>
/// m = ReduceMean(x, trailing axes)   d = x - m   v = ReduceMean(d^2 or d*d, same axes)
/// y = d / Sqrt(v + epsilon) [* scale] [+ bias]
/// </code>
/// ReduceMean's axes may be an attribute or (opset 18) a constant input; they must be the last axes of x, kept
/// (keepdims=1). scale and bias are taken when they broadcast over those axes only. The kernel computes the
/// same two-pass statistics (mean, then squared deviations) in float32, with the division as a multiplication by
/// 1/sqrt(v + epsilon).
/// </summary>
internal static class LayerNormFusion
{
    public static int Run(ModelGraph graph)
    {
        int fused = 0;
        foreach (var node in graph.Nodes.ToList())
        {
            if (!graph.Nodes.Contains(node) || !Is(node, "ReduceMean")) continue;
            if (Match(graph, node) is not { } m) continue;
            var ln = new Node(m.Output.Producer!.Name, "LayerNormalization", "") { Opset = Math.Max(17, graph.DefaultOpset) };
            ln.Inputs.Add(m.X);
            ln.Inputs.Add(m.Scale ?? Ones(graph, m.Cols, m.Output.Producer!.Name));
            if (m.Bias is not null) ln.Inputs.Add(m.Bias);
            ln.Outputs.Add(m.Output);
            ln.Attributes["axis"] = new Graph.Attribute("axis", AttributeKind.Int) { I = m.Axis };
            ln.Attributes["epsilon"] = new Graph.Attribute("epsilon", AttributeKind.Float) { F = (float)m.Epsilon };
            Replace(graph, m.Nodes, ln);
            fused++;
        }
        return fused;
    }

    private sealed record Found(Value X, int Axis, int Cols, double Epsilon, Value? Scale, Value? Bias, Value Output, List<Node> Nodes);

    private static Found? Match(ModelGraph graph, Node mean)
    {
        var x = mean.Input(0);
        if (x is not { Type: DataType.Float, Shape: { Length: > 0 } shape } || TrailingAxis(mean, shape.Length) is not { } axis) return null;
        var nodes = new List<Node> { mean };
        // d = x - mean
        if (SoleConsumer(graph, mean.Output(0)!) is not { } sub || !Is(sub, "Sub") || sub.Input(0) != x || sub.Input(1) != mean.Output(0)) return null;
        var d = sub.Output(0)!;
        nodes.Add(sub);
        if (graph.IsGraphOutput(d) || d.Consumers.Count != 2) return null;
        var square = d.Consumers.FirstOrDefault(n => Is(n, "Pow") && n.Input(0) == d && Scalar(n.Input(1)) == 2 || Is(n, "Mul") && n.Input(0) == d && n.Input(1) == d);
        var div = d.Consumers.FirstOrDefault(n => Is(n, "Div") && n.Input(0) == d);
        if (square is null || div is null) return null;
        nodes.Add(square);
        // variance, + epsilon, Sqrt, d / that
        if (SoleConsumer(graph, square.Output(0)!) is not { } variance || !Is(variance, "ReduceMean") || TrailingAxis(variance, shape.Length) != axis) return null;
        nodes.Add(variance);
        if (SoleConsumer(graph, variance.Output(0)!) is not { } plus || AddOfScalar(plus) is not { } eps || eps.Other != variance.Output(0)) return null;
        nodes.Add(plus);
        if (SoleConsumer(graph, plus.Output(0)!) is not { } sqrt || !Is(sqrt, "Sqrt")) return null;
        nodes.Add(sqrt);
        if (SoleConsumer(graph, sqrt.Output(0)!) != div || div.Input(1) != sqrt.Output(0)) return null;
        nodes.Add(div);
        int cols = (int)ShapeText.Product(shape, axis, shape.Length);
        Value output = div.Output(0)!;
        Value? scale = null, bias = null;
        if (SoleConsumer(graph, output) is { } mul && Is(mul, "Mul") && Other(mul, output) is { } s && PerColumn(s, shape, axis))
        {
            scale = s;
            output = mul.Output(0)!;
            nodes.Add(mul);
            if (SoleConsumer(graph, output) is { } add && Is(add, "Add") && Other(add, output) is { } b && PerColumn(b, shape, axis))
            {
                bias = b;
                output = add.Output(0)!;
                nodes.Add(add);
            }
        }
        if (!ShapeText.SameShape(output.Shape!, shape)) return null;
        return new Found(x, axis, cols, eps.Constant, scale, bias, output, nodes);
    }

    /// <summary>The first reduced axis when ReduceMean keeps dims and reduces exactly the axes from it to the end.</summary>
    private static int? TrailingAxis(Node reduce, int rank)
    {
        if (reduce.GetInt("keepdims", 1) != 1) return null;
        long[]? axes = reduce.GetInts("axes") ?? reduce.Input(1)?.Constant?.ToLongs();
        if (axes is null || axes.Length == 0) return null;
        var sorted = axes.Select(a => a < 0 ? a + rank : a).OrderBy(a => a).ToArray();
        if (sorted[0] < 0 || sorted[sorted.Length - 1] != rank - 1) return null;
        for (int i = 1; i < sorted.Length; i++) if (sorted[i] != sorted[i - 1] + 1) return null;
        return (int)sorted[0];
    }

    private static Value? Other(Node n, Value v) =>
        n.Inputs.Count != 2 ? null : n.Input(0) == v ? n.Input(1) : n.Input(1) == v ? n.Input(0) : null;

    /// <summary>A float value (constant or not) that broadcasts over x's axes from <paramref name="axis"/> on and not over the rows.</summary>
    private static bool PerColumn(Value p, int[] x, int axis)
    {
        if (p.Type != DataType.Float || p.Shape is not { } s) return false;
        int trailing = x.Length - axis;
        for (int i = 0; i < s.Length; i++)
        {
            int xd = x.Length - s.Length + i;
            if (s[i] == 1) continue;
            if (xd < axis || s[i] != x[xd]) return false;
        }
        return s.Length <= x.Length && (p.IsConstant || p.ElementCount == ShapeText.Product(x, axis, x.Length)) && trailing > 0;
    }

    private static Value Ones(ModelGraph graph, int cols, string name)
    {
        var v = graph.GetOrAddValue(graph.UniqueName(name + "_unit_scale"));
        v.Constant = Tensor.FromFloats(new[] { cols }, Enumerable.Repeat(1f, cols).ToArray());
        v.Type = DataType.Float;
        v.Shape = new[] { cols };
        return v;
    }
}
