using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Ops;

namespace ModelCompiler.Passes;

/// <summary>
/// <see cref="ShapeInference"/> for graphs the managed compiler need not support (the OnnxRuntime backend):
/// the same sweep with the same op schemas and folding, but a node whose operator is unknown, whose inputs
/// have no static shape, or whose inference fails is kept as it is and its outputs stay without a shape
/// instead of failing the build. Returns true when every node was inferred, i.e. when the result is what
/// <see cref="ShapeInference"/> would have produced.
/// </summary>
internal static class PartialShapeInference
{
    public static bool Run(ModelGraph graph)
    {
        bool complete = true;
        var kept = new List<Node>();
        foreach (var node in graph.Nodes)
        {
            var schema = OpRegistry.Find(node.Domain, node.OpType);
            if (schema is null || node.Inputs.Any(i => i is not null && (i.Shape is null || i.Shape.Any(d => d < 0))))
            {
                Forget(node);
                complete = false;
                kept.Add(node);
                continue;
            }
            var ctx = new OpContext(node);
            try
            {
                schema.Infer(ctx);
                if (node.Outputs.Any(o => o is not null && (o.Shape is null || o.Type == DataType.Undefined || o.Shape.Any(d => d < 0))))
                    throw new ModelError("inference left an output without a static shape");
                if (schema.CanFold(ctx) && node.Outputs.All(o => o is null || o.ElementCount <= ShapeInference.MaxFoldedElements))
                {
                    var results = schema.Fold(ctx);
                    bool consistent = true;
                    for (int i = 0; i < node.Outputs.Count; i++)
                        if (node.Outputs[i] is { } o && (!ShapeText.SameShape(results[i].Shape, o.Shape!) || results[i].Type != o.Type)) consistent = false;
                    if (consistent)
                    {
                        for (int i = 0; i < node.Outputs.Count; i++)
                        {
                            if (node.Outputs[i] is not { } o) continue;
                            o.Constant = results[i];
                            o.Producer = null;
                        }
                        continue;
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // What the managed compiler would report as an error only means "unknown" here: ONNX Runtime decides.
                Forget(node);
                complete = false;
            }
            kept.Add(node);
        }
        graph.Nodes.Clear();
        graph.Nodes.AddRange(kept);
        graph.RebuildLinks();
        return complete;
    }

    private static void Forget(Node node)
    {
        foreach (var o in node.Outputs)
            if (o is not null && !o.IsConstant) o.Shape = null;
    }
}
