using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Passes.Transformer;

/// <summary>
/// Helpers for recognizing the element-wise subgraphs exporters write (LayerNorm, GELU): constants, sole
/// consumers, and products flattened across Mul nodes so that x * 0.5 * t, (x * t) * 0.5 and 0.5 * (x * t)
/// all read as the factors {x, t} with the constant 0.5.
/// </summary>
internal static class SubgraphMatch
{
    /// <summary>The value's only consumer, when it has exactly one and is not a graph output (so the subgraph may absorb it).</summary>
    public static Node? SoleConsumer(ModelGraph graph, Value v) =>
        v.Consumers.Count == 1 && !graph.IsGraphOutput(v) ? v.Consumers[0] : null;

    /// <summary>A float constant holding a single value (any shape of ones), as double.</summary>
    public static double? Scalar(Value? v) =>
        v?.Constant is { } t && t.ElementCount == 1 && t.Type.IsFloat() ? t.GetDouble(0) : null;

    /// <summary>|a - b| within a relative tolerance (exporters round constants such as sqrt(2/pi) to float32 differently).</summary>
    public static bool Near(double? a, double b, double rtol = 1e-5) => a is { } v && Math.Abs(v - b) <= rtol * Math.Abs(b);

    public static bool Is(Node n, string opType) => n.OpType == opType && n.Domain.Length == 0;

    /// <summary>An Add, or a Sum of two inputs.</summary>
    public static bool IsAdd(Node n) => (Is(n, "Add") || Is(n, "Sum")) && n.Inputs.Count == 2 && n.Outputs.Count == 1;

    /// <summary>For an Add of a constant scalar and a value: the value and the constant; null otherwise.</summary>
    public static (Value Other, double Constant)? AddOfScalar(Node n)
    {
        if (!IsAdd(n)) return null;
        for (int side = 0; side < 2; side++)
            if (Scalar(n.Input(side)) is { } c && n.Input(1 - side) is { IsConstant: false } other) return (other, c);
        return null;
    }

    /// <summary>A product of factors: the non-constant factors (with repeats), the constants multiplied together, and the nodes forming it.</summary>
    public sealed class Product
    {
        public List<Value> Factors { get; } = new();
        public double Constant { get; set; } = 1;
        public List<Node> Nodes { get; } = new();
    }

    /// <summary>
    /// Flattens <paramref name="v"/> into factors: a Mul (or a Div by a constant, or Pow with a constant whole
    /// exponent 2 or 3) is expanded when it produces <paramref name="v"/> itself or a value only this product reads.
    /// </summary>
    public static Product Flatten(ModelGraph graph, Value v)
    {
        var p = new Product();
        Expand(graph, v, root: true, p);
        return p;
    }

    private static void Expand(ModelGraph graph, Value v, bool root, Product p)
    {
        if (Scalar(v) is { } c)
        {
            p.Constant *= c;
            return;
        }
        var n = v.Producer;
        bool inner = n is not null && n.Outputs.Count == 1 && (root || SoleConsumer(graph, v) is not null) && v.Type == DataType.Float;
        if (inner && Is(n!, "Mul") && n!.Inputs.Count == 2 && n.Input(0) is not null && n.Input(1) is not null)
        {
            p.Nodes.Add(n);
            Expand(graph, n.Input(0)!, false, p);
            Expand(graph, n.Input(1)!, false, p);
            return;
        }
        if (inner && Is(n!, "Div") && Scalar(n!.Input(1)) is { } d && d != 0 && n.Input(0) is not null)
        {
            p.Nodes.Add(n);
            p.Constant /= d;
            Expand(graph, n.Input(0)!, false, p);
            return;
        }
        if (inner && Is(n!, "Pow") && Scalar(n!.Input(1)) is { } e && (e == 2 || e == 3) && n.Input(0) is { IsConstant: false } x)
        {
            p.Nodes.Add(n);
            for (int k = 0; k < (int)e; k++) p.Factors.Add(x);
            return;
        }
        p.Factors.Add(v);
    }

    /// <summary>Whether a product's factors are exactly the given values (as a multiset).</summary>
    public static bool FactorsAre(Product p, params Value[] values) =>
        p.Factors.Count == values.Length && values.GroupBy(v => v).All(g => p.Factors.Count(f => f == g.Key) == g.Count());

    /// <summary>Replaces <paramref name="removed"/> by <paramref name="replacement"/> at the position of the last of them (its consumers follow it).</summary>
    public static void Replace(ModelGraph graph, IReadOnlyCollection<Node> removed, Node replacement)
    {
        int at = removed.Max(n => graph.Nodes.IndexOf(n));
        graph.Nodes.Insert(at + 1, replacement);
        foreach (var n in removed) graph.Nodes.Remove(n);
        graph.RebuildLinks();
    }
}
