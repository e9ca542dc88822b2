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

    /// <summary>
    /// All folded tensors together stay below this many bytes (256 MiB); past it, foldable nodes stay in the graph
    /// as kernels. A model of many large foldable nodes (Tile, Expand, ConstantOfShape) cannot exhaust the build.
    /// </summary>
    public const long MaxFoldedBytes = 256L << 20;

    public static void Run(ModelGraph graph, List<CompilerDiagnostic> diagnostics)
    {
        var kept = new List<Node>();
        long foldedBytes = 0;
        foreach (var input in graph.Inputs)
        {
            try { if (input.Shape is not null) Limits.CheckShape($"input '{input.Name}'", input.Shape); }
            catch (LimitExceeded e) { diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.LimitExceeded, e.Message)); return; }
        }
        var work = new List<Node>(graph.Nodes);
        for (int k = 0; k < work.Count; k++)
        {
            var node = work[k];
            Compilation.NodeTrace.At(node);
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
                for (int i = 0; i < node.Outputs.Count; i++)
                {
                    var o = node.Outputs[i];
                    if (o is null || ctx.WasSet(i)) continue;
                    // An output the schema did not type is one the op does not make: the node lists more outputs than
                    // its op has, or names a later one while omitting the first (a shape declared for a graph output
                    // does not make it one). A schema that typed nothing for a node with a first output is a compiler bug.
                    if (node.Outputs[0] is null || Enumerable.Range(0, node.Outputs.Count).Any(ctx.WasSet))
                        throw new ModelError($"{node.OpType} has no output {i} ('{o.Name}'); the node lists {node.Outputs.Count} outputs");
                    throw new InvalidOperationException($"{node.OpType} schema left output '{o.Name}' without a type or shape");
                }
                // Only the recurrent ops have an optional first output; every other kernel writes it: a node that omits
                // it while naming a later one cannot run.
                if (!schema.FirstOutputOptional && node.Outputs.Count > 1 && node.Outputs[0] is null && node.Outputs.Any(o => o is not null))
                    throw new ModelError($"{node.OpType} omits its first output but names a later one; {node.OpType}'s first output is required");
                // Every later stage (folding, kernels, the arena plan, generated spans) relies on this.
                foreach (var o in node.Outputs)
                    if (o is not null) Limits.CheckShape($"output '{o.Name}'", o.Shape!);

                if (schema.CanFold(ctx) && node.Outputs.All(o => o is null || o.ElementCount <= MaxFoldedElements)
                    && foldedBytes + node.Outputs.Sum(o => o is null ? 0 : o.ByteSize) <= MaxFoldedBytes)
                {
                    foldedBytes += node.Outputs.Sum(o => o is null ? 0 : o.ByteSize);
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
            catch (LimitExceeded e)
            {
                diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.LimitExceeded, $"node '{node.Name}' ({node.OpType}): {e.Message}"));
                return;
            }
            kept.Add(node);
        }
        Compilation.NodeTrace.At(null);
        graph.Nodes.Clear();
        graph.Nodes.AddRange(kept);
        graph.RebuildLinks();

        foreach (var o in graph.Outputs)
            if (o.Shape is null || o.Shape.Any(d => d < 0))
                diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidGraph, $"the shape of output '{o.Name}' could not be inferred"));
    }
}
