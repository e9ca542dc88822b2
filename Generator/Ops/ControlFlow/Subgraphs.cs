using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Diagnostics;
using ModelCompiler.Graph;
using ModelCompiler.Passes;

namespace ModelCompiler.Ops.ControlFlow;

/// <summary>
/// How a control-flow op compiles the graphs in its attributes: it gives the subgraph's formal inputs their types
/// and static shapes and binds its captured outer values (<see cref="Bind"/>), then runs the same shape inference
/// and folding as the model's graph on it (<see cref="Infer"/>); the later passes (clean-up, fusion) visit
/// subgraphs like any graph, kernel selection compiles them (kernels and memory plan) before the node that owns
/// them (<see cref="OpContext.Compiled"/>), and the op's kernel has them emitted as their own methods. <see cref="Inline"/> splices a subgraph into the enclosing graph instead (an If whose
/// condition is known at build time).
/// </summary>
internal static class Subgraphs
{
    /// <summary>
    /// Types and shapes the formal inputs of <paramref name="g"/> (as many as <paramref name="formal"/> lists) and
    /// binds each captured outer value to the node's input it stands for: same type and shape, and its data when
    /// that input is a constant (then it is no longer an input of the subgraph, so folding and weights see it).
    /// </summary>
    public static void Bind(OpContext c, ModelGraph g, string what, IReadOnlyList<(DataType Type, int[] Shape)> formal)
    {
        if (g.FormalInputCount != formal.Count)
            throw new ModelError($"{what} declares {g.FormalInputCount} input(s); it needs {formal.Count}");
        for (int k = 0; k < formal.Count; k++)
        {
            var v = g.Inputs[k];
            if (v.Type != DataType.Undefined && v.Type != formal[k].Type)
                throw new ModelError($"{what} input {k} ('{v.Name}') is declared {v.Type.OnnxName()} but receives {formal[k].Type.OnnxName()}");
            v.Type = formal[k].Type;
            v.Shape = formal[k].Shape;
        }
        foreach (var capture in g.Captures)
        {
            var outer = c.Node.Inputs[capture.NodeInput]!;
            var inner = capture.Inner;
            inner.Type = outer.Type;
            inner.Shape = outer.Shape;
            if (outer.Constant is { } t)
            {
                inner.Constant = t;
                g.Inputs.Remove(inner);
            }
        }
    }

    /// <summary>Shape inference and constant folding of a bound subgraph; its first problem becomes the op's error.</summary>
    public static void Infer(ModelGraph g, string what)
    {
        var diagnostics = new List<CompilerDiagnostic>();
        ShapeInference.Run(g, diagnostics);
        if (diagnostics.Count > 0)
            throw new ModelError($"in {what}: {string.Join("; ", diagnostics.Select(d => d.Message))}");
    }

    /// <summary>The node's inputs before those its subgraphs' captured values added.</summary>
    public static int DeclaredInputCount(Node n) => n.Subgraphs.SelectMany(g => g.Captures).Select(k => k.NodeInput).DefaultIfEmpty(n.Inputs.Count).Min();

    /// <summary>The node input a captured value of <paramref name="g"/> that is still a subgraph input stands for, in input order.</summary>
    public static IEnumerable<int> CapturedInputs(ModelGraph g) =>
        g.Inputs.Skip(g.FormalInputCount).Select(v => g.Captures.First(c => c.Inner == v).NodeInput);

    /// <summary>
    /// Copies the nodes of <paramref name="g"/> into <paramref name="outer"/> in place of <paramref name="owner"/>:
    /// its formal inputs read <paramref name="formal"/>, its captured values the owner's inputs they stand for, its
    /// outputs become <paramref name="outputs"/> (an Identity is added where an output is not computed by a node of
    /// the subgraph, or is computed once for two outputs). Values get fresh names in the outer graph.
    /// </summary>
    public static List<Node> Inline(ModelGraph outer, Node owner, ModelGraph g, IReadOnlyList<Value> formal, IReadOnlyList<Value?> outputs)
    {
        var map = new Dictionary<Value, Value>();
        for (int k = 0; k < g.FormalInputCount; k++) map[g.Inputs[k]] = formal[k];
        foreach (var capture in g.Captures) map[capture.Inner] = owner.Inputs[capture.NodeInput]!;
        // The first output slot of each value produced by a node is written by that node directly.
        var direct = new Dictionary<Value, Value>();
        for (int k = 0; k < g.Outputs.Count && k < outputs.Count; k++)
            if (outputs[k] is { } o && g.Outputs[k].Producer is not null && !direct.ContainsKey(g.Outputs[k])) direct[g.Outputs[k]] = o;

        Value Map(Value v)
        {
            if (map.TryGetValue(v, out var m)) return m;
            if (!direct.TryGetValue(v, out m))
            {
                m = outer.GetOrAddValue(outer.UniqueName(v.Name));
                if (v.Constant is { } t) { m.Constant = t; m.Type = t.Type; m.Shape = t.Shape; }
            }
            map[v] = m;
            return m;
        }

        var nodes = new List<Node>();
        foreach (var n in g.Nodes)
        {
            var copy = new Node($"{owner.Name}/{n.Name}", n.OpType, n.Domain) { Opset = n.Opset };
            foreach (var a in n.Attributes) copy.Attributes[a.Key] = a.Value;
            foreach (var i in n.Inputs) copy.Inputs.Add(i is null ? null : Map(i));
            foreach (var o in n.Outputs) copy.Outputs.Add(o is null ? null : Map(o));
            nodes.Add(copy);
        }
        for (int k = 0; k < g.Outputs.Count && k < outputs.Count; k++)
        {
            if (outputs[k] is not { } o || Map(g.Outputs[k]) == o) continue;
            var identity = new Node($"{owner.Name}/output_{k}", "Identity", "") { Opset = owner.Opset };
            identity.Inputs.Add(Map(g.Outputs[k]));
            identity.Outputs.Add(o);
            nodes.Add(identity);
        }
        return nodes;
    }

    /// <summary>Why a control-flow node has no kernel: a node of one of its subgraphs has none.</summary>
    public const string NoKernel = ": a node of its subgraph has no kernel (reported above)";
}
