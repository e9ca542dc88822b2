using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Ops;

namespace ModelCompiler.Passes;

/// <summary>
/// Graph clean-up that never changes results: ops that forward their input (<see cref="OpTraits.ForwardsInput"/>:
/// Identity, inference-mode Dropout) disappear (their consumers read the input directly), and nodes whose outputs nobody uses are dropped.
/// </summary>
internal static class Simplify
{
    public static void Run(ModelGraph graph)
    {
        foreach (var node in graph.Nodes.ToList())
        {
            // Ops whose schema says output 0 is input 0 (Identity, inference Dropout), when no other output is read.
            bool passThrough = OpRegistry.Find(node.Domain, node.OpType)?.Traits.ForwardsInput == true
                && node.Outputs.Skip(1).All(o => o is null || o.Consumers.Count == 0 && !graph.IsGraphOutput(o));
            if (passThrough && node.Input(0) is { } input && node.Output(0) is { } output && !output.IsConstant)
            {
                if (GraphEdits.Forward(graph, output, input))
                    graph.Nodes.Remove(node);
            }
        }
        graph.RebuildLinks();
        RemoveDeadNodes(graph);
    }

    public static void RemoveDeadNodes(ModelGraph graph)
    {
        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int i = graph.Nodes.Count - 1; i >= 0; i--)
            {
                var n = graph.Nodes[i];
                if (n.Outputs.All(o => o is null || (o.Consumers.Count == 0 && !graph.IsGraphOutput(o))))
                {
                    graph.Nodes.RemoveAt(i);
                    changed = true;
                }
            }
            if (changed) graph.RebuildLinks();
        }
    }
}

/// <summary>Rewiring helpers shared by passes.</summary>
internal static class GraphEdits
{
    /// <summary>
    /// Makes every reader of <paramref name="from"/> read <paramref name="to"/> instead, so the node that
    /// produced <paramref name="from"/> as a copy of <paramref name="to"/> can go. When <paramref name="from"/>
    /// is a graph output, <paramref name="to"/>'s producer writes straight into it instead. Returns false
    /// when neither is possible (e.g. a graph input passed straight to a graph output).
    /// </summary>
    public static bool Forward(ModelGraph graph, Value from, Value to)
    {
        if (!graph.IsGraphOutput(from))
        {
            foreach (var consumer in from.Consumers.ToList())
                for (int k = 0; k < consumer.Inputs.Count; k++)
                    if (consumer.Inputs[k] == from) consumer.Inputs[k] = to;
            graph.RebuildLinks();
            return true;
        }
        if (to.Producer is null || to.IsConstant || graph.IsGraphInput(to) || graph.IsGraphOutput(to)) return false;
        var producer = to.Producer;
        for (int k = 0; k < producer.Outputs.Count; k++)
            if (producer.Outputs[k] == to) producer.Outputs[k] = from;
        foreach (var consumer in to.Consumers.ToList())
            for (int k = 0; k < consumer.Inputs.Count; k++)
                if (consumer.Inputs[k] == to) consumer.Inputs[k] = from;
        graph.RebuildLinks();
        return true;
    }
}
