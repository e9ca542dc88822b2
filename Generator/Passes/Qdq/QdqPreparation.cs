using System;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Ops;
using static ModelCompiler.Passes.Qdq.QdqPatterns;

namespace ModelCompiler.Passes.Qdq;

/// <summary>Before the groups are rewritten: DQ of constants folded, grids recorded, DQ moved behind data movement.</summary>
internal static class QdqPreparation
{
    /// <summary>
    /// DQ nodes whose inputs are all constant (weights) become float constants that remember their
    /// integers (shape inference does this when DequantizeLinear folds; this catches what it left), and
    /// nodes that become all-constant behind them fold too.
    /// </summary>
    public static void FoldConstants(ModelGraph graph)
    {
        bool changed = false;
        foreach (var node in graph.Nodes.ToList())
        {
            if (node.Outputs.Any(o => o is not null && graph.IsGraphOutput(o))) continue;
            if (IsDq(node) && ConstantEncodings.Dequantization(node) is { } enc && enc.Quant is { } q && node.Output(0) is { Type: DataType.Float } o)
            {
                var values = QdqFusion.Dequantize(enc.Source, q);
                o.Constant = Tensor.FromFloats(enc.Source.Shape, values).WithEncoding(enc);
                o.Producer = null;
                graph.Nodes.Remove(node);
                changed = true;
                continue;
            }
            if (!changed) continue;
            var schema = OpRegistry.Find(node.Domain, node.OpType);
            var ctx = new OpContext(node);
            if (schema is null || !schema.CanFold(ctx) || node.Outputs.Any(x => x is not null && x.ElementCount > ShapeInference.MaxFoldedElements)) continue;
            try
            {
                var results = schema.Fold(ctx);
                ConstantEncodings.Annotate(node, results);
                for (int i = 0; i < node.Outputs.Count; i++)
                    if (node.Outputs[i] is { } v) { v.Constant = results[i]; v.Producer = null; }
                graph.Nodes.Remove(node);
            }
            catch (ModelError) { }
        }
        if (changed) graph.RebuildLinks();
    }

    /// <summary>Records per-tensor quantization on every 8-bit value entering a DQ or leaving a Q / integer op.</summary>
    public static void RecordGrids(ModelGraph graph)
    {
        foreach (var n in graph.Nodes)
        {
            if (IsDq(n) && DqGrid(n) is { } g && n.Input(0) is { } x) x.Quant ??= g.Params;
            if (IsQ(n) && QGrid(n) is { } h && n.Output(0) is { } y) y.Quant ??= h.Params;
        }
    }

    /// <summary>
    /// DQ -> data movement becomes data movement (on the integers) -> DQ, so that the op between the DQ and
    /// the next group's op no longer hides the pattern (ShuffleNet's Reshape/Transpose/Reshape, a Flatten
    /// before the classifier, an unwrapped MaxPool). The ops are those whose schema says
    /// <see cref="OpTraits.CommutesWithDequantize"/>.
    /// </summary>
    public static void MoveDequantizeForward(QdqEdits edit)
    {
        var graph = edit.Graph;
        for (int index = 0; index < graph.Nodes.Count; index++)
        {
            var node = graph.Nodes[index];
            if (OpRegistry.Find(node.Domain, node.OpType)?.Traits.CommutesWithDequantize != true) continue;
            if (node.Outputs.Count(o => o is not null) != 1 || node.Output(0) is not { } output) continue;
            if (node.Input(0)?.Producer is not { } dq || !IsDq(dq) || dq.Input(0) is not { } q || q.IsConstant) continue;
            if (DqGrid(dq) is not { } grid) continue;

            var oldInputs = node.Inputs.ToList();
            Value? padValue = null;
            if (node.OpType == "Pad")
            {
                if (node.Opset < 11) continue;
                string mode = node.GetString("mode", "constant");
                if (mode == "constant")
                {
                    double v = node.Input(2)?.Constant is { } pv ? pv.GetDouble(0) : 0;
                    if (node.Input(2) is not null && node.Input(2)!.Constant is null) continue;
                    long qv = grid.Quantize(v);
                    if (grid.Dequantize(qv) != (float)v) continue; // the pad value is not on the grid
                    padValue = edit.Constant(node.Name + "_pad_value", Tensor.FromLongs(grid.Type, Array.Empty<int>(), new[] { qv }));
                }
            }

            var integerOut = graph.GetOrAddValue(graph.UniqueName(output.Name + "_quantized"));
            node.Inputs[0] = q;
            if (padValue is not null)
            {
                while (node.Inputs.Count < 3) node.Inputs.Add(null);
                node.Inputs[2] = padValue;
            }
            node.Outputs[0] = integerOut;
            try
            {
                OpRegistry.Find(node.Domain, node.OpType)!.Infer(new OpContext(node));
                if (integerOut.Type != q.Type) throw new ModelError("type changed");
            }
            catch (ModelError)
            {
                node.Inputs.Clear();
                node.Inputs.AddRange(oldInputs);
                node.Outputs[0] = output;
                graph.Values.Remove(integerOut.Name);
                continue;
            }
            integerOut.Quant = grid.Params;
            var moved = new Node(graph.UniqueName(dq.Name + "_after_" + node.Name), "DequantizeLinear", dq.Domain) { Opset = dq.Opset };
            foreach (var a in dq.Attributes) moved.Attributes[a.Key] = a.Value;
            moved.Inputs.Add(integerOut);
            moved.Inputs.Add(dq.Input(1));
            if (dq.Input(2) is { } z) moved.Inputs.Add(z);
            moved.Outputs.Add(output);
            output.Producer = moved;
            graph.Nodes.Insert(index + 1, moved);
            graph.RebuildLinks();
        }
    }
}
