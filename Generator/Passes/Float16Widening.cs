using System.Collections.Generic;
using ModelCompiler.Graph;

namespace ModelCompiler.Passes;

/// <summary>
/// MatMul, Conv, Softmax and LinearAttention have float32 kernels only. On float16 tensors (as ONNX allows) they run
/// between casts: each float16 input is widened to float32 (a constant is widened here, keeping its float16 encoding
/// in the blob), the layer computes in float32, and each output is rounded back to float16 once. Run after shape
/// inference.
/// </summary>
internal static class Float16Widening
{
    private static readonly HashSet<string> s_ops = new() { "MatMul", "Conv", "Softmax", "LinearAttention" };

    public static void Run(ModelGraph g)
    {
        bool changed = false;
        for (int index = 0; index < g.Nodes.Count; index++)
        {
            var node = g.Nodes[index];
            var y = node.Output(0);
            if (node.Domain.Length != 0 || !s_ops.Contains(node.OpType) || y is null || y.Type != DataType.Float16 || y.IsConstant) continue;
            if (node.Outputs.Exists(o => o is not null && o.Type != DataType.Float16)) continue;
            var before = new List<Node>();
            for (int i = 0; i < node.Inputs.Count; i++)
            {
                var x = node.Inputs[i];
                if (x is null || x.Type != DataType.Float16) continue;
                var wide = NewValue(g, x.Name + "_float32", x.Shape);
                if (x.Constant is { } half)
                    wide.Constant = Tensor.FromFloats(half.Shape, half.ToFloats()).WithEncoding(TensorEncoding.Widened(half));
                else
                    before.Add(Cast(g, node.Name + "_widen_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), x, wide, DataType.Float));
                node.Inputs[i] = wide;
            }
            var after = new List<Node>();
            for (int k = 0; k < node.Outputs.Count; k++)
            {
                var o = node.Outputs[k];
                if (o is null) continue;
                var wideOut = NewValue(g, o.Name + "_float32", o.Shape);
                node.Outputs[k] = wideOut;
                after.Add(Cast(g, node.Name + "_narrow_" + k.ToString(System.Globalization.CultureInfo.InvariantCulture), wideOut, o, DataType.Float16));
            }
            g.Nodes.InsertRange(index, before);
            index += before.Count;
            g.Nodes.InsertRange(index + 1, after);
            index += after.Count;
            changed = true;
        }
        if (changed) g.RebuildLinks();
    }

    private static Value NewValue(ModelGraph g, string name, int[]? shape)
    {
        var v = g.GetOrAddValue(g.UniqueName(name));
        v.Type = DataType.Float;
        v.Shape = shape;
        return v;
    }

    private static Node Cast(ModelGraph g, string name, Value x, Value y, DataType to)
    {
        var cast = new Node(g.UniqueName(name), "Cast", "") { Opset = System.Math.Max(13, g.DefaultOpset) };
        cast.Attributes["to"] = new Attribute("to", AttributeKind.Int) { I = (long)to };
        cast.Inputs.Add(x);
        cast.Outputs.Add(y);
        return cast;
    }
}
