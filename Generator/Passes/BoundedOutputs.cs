using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Diagnostics;
using ModelCompiler.Graph;
using ModelCompiler.Ops;

namespace ModelCompiler.Passes;

/// <summary>
/// An op whose output 0 has a number of rows (first dimension) that depends on the data, such as
/// NonMaxSuppression's selected indices. Shape inference gives that output its static bound; the kernel
/// writes the rows it finds, fills the rest, and its layer method returns how many it wrote, which
/// <c>Predict</c> hands back through an <c>out int &lt;output&gt;Count</c> parameter.
/// </summary>
internal interface IBoundedRowsOp
{
}

/// <summary>
/// Checks where bounded outputs go: the row count only reaches the caller through <c>Predict</c>, so such an
/// output must be a graph output (listed once) that no other node reads. Anything else is MC0008 with the
/// reason, never a wrong result computed on unused rows.
/// </summary>
internal static class BoundedOutputs
{
    /// <summary>Whether <paramref name="v"/> is output 0 of a node with a data-dependent number of rows.</summary>
    public static bool IsBounded(Value v) =>
        v.Producer is { } p && p.Output(0) == v && OpRegistry.Find(p.Domain, p.OpType) is IBoundedRowsOp;

    public static void Check(ModelGraph graph, List<CompilerDiagnostic> diagnostics)
    {
        foreach (var node in graph.Nodes)
        {
            if (OpRegistry.Find(node.Domain, node.OpType) is not IBoundedRowsOp || node.Output(0) is not { } v) continue;
            int listed = graph.Outputs.Count(o => o == v);
            string? why = listed == 0 ? "it is not a graph output"
                : listed > 1 ? "the graph lists it as an output more than once"
                : v.Consumers.Count > 0 ? $"node '{v.Consumers[0].Name}' ({v.Consumers[0].OpType}) reads it"
                : null;
            if (why is null) continue;
            diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidNode, node.Name, node.OpType,
                $"output '{v.Name}' has a data-dependent number of rows (at most {(v.Shape is { Length: > 0 } s ? s[0] : 0)}), which ModelCompiler returns only " +
                $"as a graph output with its count (Predict's out parameter), but {why}; make it a graph output and continue after Predict"));
        }
    }
}
