using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Diagnostics;
using ModelCompiler.Graph;
using ModelCompiler.Ops;

namespace ModelCompiler.Passes;

/// <summary>
/// One sweep in topological order that gives every value a static type and shape and, where a node's
/// inputs are known at build time (weights, or shapes once inputs are pinned), computes its outputs right
/// away. That folds the Shape -> Gather -> Unsqueeze -> Concat -> Reshape subgraphs that PyTorch, Keras and
/// Paddle exports are full of. Folded nodes leave the graph.
/// </summary>
internal static class ShapeInference
{
    /// <summary>Folding never materializes a tensor bigger than this (ConstantOfShape/Expand/Tile of weights stay as kernels).</summary>
    public const long MaxFoldedElements = 16 * 1024 * 1024;

    public static void Run(ModelGraph graph, List<CompilerDiagnostic> diagnostics)
    {
        var kept = new List<Node>();
        var work = new List<Node>(graph.Nodes);
        for (int k = 0; k < work.Count; k++)
        {
            var node = work[k];
            var schema = OpRegistry.Find(node.Domain, node.OpType)!;
            var ctx = new OpContext(node);
            try
            {
                foreach (var input in node.Inputs)
                    if (input is not null && input.Shape is null)
                        throw new ModelError($"input '{input.Name}' has no known shape");
                // An op may stand for other nodes once its inputs are known (an If whose condition is a constant
                // becomes its branch): those are inferred next, in its place.
                if (schema is IExpandingOp expanding && expanding.Expand(ctx, graph) is { } replacement)
                {
                    work.InsertRange(k + 1, replacement);
                    continue;
                }
                schema.Infer(ctx);
                foreach (var o in node.Outputs)
                    if (o is not null && (o.Shape is null || o.Type == DataType.Undefined))
                        throw new InvalidOperationException($"{node.OpType} schema left output '{o.Name}' without a type or shape");

                if (schema.CanFold(ctx) && node.Outputs.All(o => o is null || o.ElementCount <= MaxFoldedElements))
                {
                    var results = schema.Fold(ctx);
                    ConstantEncodings.Annotate(node, results);
                    for (int i = 0; i < node.Outputs.Count; i++)
                    {
                        var o = node.Outputs[i];
                        if (o is null) continue;
                        var t = results[i];
                        if (!ShapeText.SameShape(t.Shape, o.Shape!) || t.Type != o.Type)
                            throw new InvalidOperationException($"{node.OpType} folding produced {t.Type.OnnxName()}[{ShapeText.Format(t.Shape)}] for output '{o.Name}' inferred as {o}");
                        o.Constant = t;
                        o.Producer = null;
                    }
                    continue;
                }
            }
            catch (ModelError e)
            {
                diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidNode, node.Name, node.OpType, e.Message));
                return; // later shapes depend on this one
            }
            kept.Add(node);
        }
        graph.Nodes.Clear();
        graph.Nodes.AddRange(kept);
        graph.RebuildLinks();

        foreach (var o in graph.Outputs)
            if (o.Shape is null)
                diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidGraph, $"the shape of output '{o.Name}' could not be inferred"));
    }
}
