using System.Collections.Generic;
using System.Linq;

namespace ModelCompiler.Graph;

/// <summary>
/// What a model is after reading: values, nodes in topological order, graph inputs and outputs, and the
/// metadata the generated header repeats. Passes rewrite it in place.
/// </summary>
internal sealed class ModelGraph
{
    public List<Node> Nodes { get; } = new();
    public List<Value> Inputs { get; } = new();
    public List<Value> Outputs { get; } = new();
    public Dictionary<string, Value> Values { get; } = new();

    /// <summary>Imported opset version per domain ("" is ai.onnx).</summary>
    public Dictionary<string, int> Opsets { get; } = new();

    public long IrVersion { get; set; }
    public string ProducerName { get; set; } = "";
    public string ProducerVersion { get; set; } = "";
    public string GraphName { get; set; } = "";
    public string DocString { get; set; } = "";

    public int DefaultOpset => Opsets.TryGetValue("", out int v) ? v : 0;

    /// <summary><paramref name="name"/>, or with "_2", "_3"... appended when a value already has it (for values a pass creates).</summary>
    public string UniqueName(string name)
    {
        string candidate = name;
        for (int k = 2; Values.ContainsKey(candidate); k++) candidate = name + "_" + k.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return candidate;
    }

    public Value GetOrAddValue(string name)
    {
        if (!Values.TryGetValue(name, out var v))
        {
            v = new Value(name);
            Values.Add(name, v);
        }
        return v;
    }

    /// <summary>Recomputes producer/consumer links after a pass changed node inputs or outputs.</summary>
    public void RebuildLinks()
    {
        foreach (var v in Values.Values) { v.Producer = null; v.Consumers.Clear(); }
        foreach (var n in Nodes)
        {
            foreach (var o in n.Outputs) if (o is not null) o.Producer = n;
            foreach (var i in n.Inputs.Where(i => i is not null).Distinct()) i!.Consumers.Add(n);
        }
    }

    public bool IsGraphOutput(Value v) => Outputs.Contains(v);

    /// <summary>
    /// For a subgraph (an If branch, a Loop or Scan body): the values of enclosing graphs it reads. Each is a value
    /// of this graph (listed in <see cref="Inputs"/> after the formal inputs, or a constant once the outer value is
    /// known to be one) bound to an extra input of the node that owns the subgraph, so outer passes see the read.
    /// </summary>
    public List<Capture> Captures { get; } = new();

    /// <summary>Inputs the graph declares; for a subgraph, the <see cref="Captures"/> follow them in <see cref="Inputs"/>.</summary>
    public int FormalInputCount { get; set; }

    /// <summary>Every subgraph of this graph's nodes, nested ones first (the order passes that work bottom-up need).</summary>
    public IEnumerable<ModelGraph> SubgraphsBottomUp() =>
        Nodes.SelectMany(n => n.Subgraphs).SelectMany(g => g.SubgraphsBottomUp().Concat(new[] { g }));

    /// <summary>This graph after all its nested subgraphs.</summary>
    public IEnumerable<ModelGraph> WithSubgraphsBottomUp() => SubgraphsBottomUp().Concat(new[] { this });
    public bool IsGraphInput(Value v) => Inputs.Contains(v);
}

/// <summary>An outer value a subgraph reads: <see cref="Inner"/> stands for the owning node's input <see cref="NodeInput"/>.</summary>
internal sealed class Capture
{
    public Capture(Value inner, int nodeInput)
    {
        Inner = inner;
        NodeInput = nodeInput;
    }

    public Value Inner { get; }
    public int NodeInput { get; }
}
