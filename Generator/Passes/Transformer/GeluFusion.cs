using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;
using static ModelCompiler.Passes.Transformer.SubgraphMatch;

namespace ModelCompiler.Passes.Transformer;

/// <summary>
/// Replaces the GELU subgraphs that exporters write before opset 20 by one Gelu node:
/// <list type="bullet">
/// <item>erf form (PyTorch's gelu, BERT's x * 0.5 * (1 + erf(x / sqrt 2))): Erf(x / sqrt 2 or x * 1/sqrt 2), + 1, then
/// multiplied by x and 0.5 in any order;</item>
/// <item>tanh form (gelu(approximate='tanh'), GPT-2's gelu_new, the ONNX function body): Tanh(sqrt(2/pi) * (x + 0.044715 * x^3))
/// with x^3 as Pow(x, 3) or x * x * x, + 1, times x and 0.5.</item>
/// </list>
/// Every intermediate value must be read by the subgraph alone. The kernel computes the same function in one pass
/// (within float32 rounding of the separate steps: the node tests and the models in the tests hold it to 1e-4).
/// </summary>
internal static class GeluFusion
{
    private const double InvSqrt2 = 0.70710678118654752, SqrtTwoOverPi = 0.79788456080286536, Kappa = 0.044715;

    public static int Run(ModelGraph graph)
    {
        int fused = 0;
        foreach (var node in graph.Nodes.ToList())
        {
            if (!graph.Nodes.Contains(node) || node.Outputs.Count != 1 || node.Output(0)?.Type != DataType.Float) continue;
            var match = Is(node, "Erf") ? MatchErf(graph, node) : Is(node, "Tanh") ? MatchTanh(graph, node) : null;
            if (match is null) continue;
            var (x, nodes, output, approximate) = match.Value;
            var gelu = new Node(output.Producer!.Name, "Gelu", "") { Opset = Math.Max(20, graph.DefaultOpset) };
            gelu.Inputs.Add(x);
            gelu.Outputs.Add(output);
            gelu.Attributes["approximate"] = new Graph.Attribute("approximate", AttributeKind.String) { S = approximate };
            Replace(graph, nodes, gelu);
            fused++;
        }
        return fused;
    }

    /// <summary>Erf(x / sqrt 2) + 1, times x and 0.5.</summary>
    private static (Value X, HashSet<Node> Nodes, Value Output, string Approximate)? MatchErf(ModelGraph graph, Node erf)
    {
        var argument = erf.Input(0);
        if (argument is null || SoleConsumer(graph, argument) != erf) return null;
        var scaled = Flatten(graph, argument);
        if (scaled.Factors.Count != 1 || !Near(scaled.Constant, InvSqrt2)) return null;
        var x = scaled.Factors[0];
        return Finish(graph, x, erf, scaled.Nodes, "none");
    }

    /// <summary>Tanh(sqrt(2/pi) * (x + 0.044715 * x^3)) + 1, times x and 0.5.</summary>
    private static (Value X, HashSet<Node> Nodes, Value Output, string Approximate)? MatchTanh(ModelGraph graph, Node tanh)
    {
        var argument = tanh.Input(0);
        if (argument is null || SoleConsumer(graph, argument) != tanh) return null;
        var scaled = Flatten(graph, argument);
        if (scaled.Factors.Count != 1 || !Near(scaled.Constant, SqrtTwoOverPi)) return null;
        var sum = scaled.Factors[0].Producer;
        if (sum is null || !IsAdd(sum) || SoleConsumer(graph, scaled.Factors[0]) is null) return null;
        for (int side = 0; side < 2; side++)
        {
            var x = sum.Input(side);
            var cube = sum.Input(1 - side);
            if (x is null || cube is null || x.IsConstant || SoleConsumer(graph, cube) != sum) continue;
            var c = Flatten(graph, cube);
            if (!FactorsAre(c, x, x, x) || !Near(c.Constant, Kappa)) continue;
            return Finish(graph, x, tanh, scaled.Nodes.Append(sum).Concat(c.Nodes), "tanh");
        }
        return null;
    }

    /// <summary>From the Erf/Tanh: + 1, then the highest product of {x, that} with the constant 0.5.</summary>
    private static (Value X, HashSet<Node> Nodes, Value Output, string Approximate)? Finish(ModelGraph graph, Value x, Node core, IEnumerable<Node> inner, string approximate)
    {
        if (x.Type != DataType.Float || core.Output(0) is not { } coreOut || SoleConsumer(graph, coreOut) is not { } plus) return null;
        if (AddOfScalar(plus) is not { } add || add.Other != coreOut || !Near(add.Constant, 1) || plus.Output(0) is not { } t) return null;
        // Climb the Mul chain above t; keep the highest node whose product is exactly x * t * 0.5.
        Value current = t;
        (Value Output, Product Product)? best = null;
        while (SoleConsumer(graph, current) is { } next && Is(next, "Mul") && next.Output(0) is { } up)
        {
            var p = Flatten(graph, up);
            if (FactorsAre(p, x, t) && Near(p.Constant, 0.5)) best = (up, p);
            current = up;
        }
        if (best is null) return null;
        var nodes = new HashSet<Node>(inner) { core, plus };
        foreach (var n in best.Value.Product.Nodes) nodes.Add(n);
        // Everything removed must be read only inside the subgraph (or be its output).
        foreach (var n in nodes)
            foreach (var o in n.Outputs)
                if (o is not null && o != best.Value.Output && (graph.IsGraphOutput(o) || o.Consumers.Any(c => !nodes.Contains(c)))) return null;
        return (x, nodes, best.Value.Output, approximate);
    }
}
