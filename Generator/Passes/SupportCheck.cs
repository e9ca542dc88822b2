using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Diagnostics;
using ModelCompiler.Graph;
using ModelCompiler.Ops;

namespace ModelCompiler.Passes;

/// <summary>Reports every node whose operator ModelCompiler does not know, all at once, before any other work.</summary>
internal static class SupportCheck
{
    /// <summary>The lowest default-domain opset the op implementations were written against.</summary>
    public const int MinimumOpset = 6;

    public static void Run(ModelGraph graph, List<CompilerDiagnostic> diagnostics)
    {
        if (graph.DefaultOpset < MinimumOpset && graph.Nodes.Any(n => n.Domain.Length == 0))
        {
            diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidGraph,
                $"the model imports ai.onnx opset {graph.DefaultOpset}; ModelCompiler supports opset {MinimumOpset} and later. Convert it with onnx.version_converter.convert_version(model, 13)"));
            return;
        }
        foreach (var node in graph.Nodes.Concat(graph.SubgraphsBottomUp().SelectMany(g => g.Nodes)))
        {
            if (OpRegistry.Find(node.Domain, node.OpType) is not null) continue;
            string hint = node.Domain.Length > 0 && node.Domain != "com.microsoft"
                ? $" (custom domain '{node.Domain}' ops need their own implementation)"
                : node.Attributes.Values.Any(a => a.Kind is AttributeKind.Graph or AttributeKind.Graphs)
                    ? " (control flow with subgraphs is not supported)" : "";
            diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.UnsupportedOperator,
                node.Name, node.OpType, node.DomainDisplay, node.Opset, hint));
        }
    }
}
