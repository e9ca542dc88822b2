using System.Collections.Generic;
using System.Globalization;
using ModelCompiler.Graph;
using ModelCompiler.Ops;
using static ModelCompiler.Passes.Qdq.QdqPatterns;

namespace ModelCompiler.Passes.Qdq;

/// <summary>DQ... -> Concat -> Q becomes a Concat of integers, requantized by tables where the grids differ.</summary>
internal sealed class ConcatRewrite : QdqRewrite
{
    public override bool AppliesTo(Node node, OpSchema? schema) => node.OpType == "Concat";

    /// <summary>Concat of requantized integers: inputs on another grid (or needing the clamp) go through a table first.</summary>
    public override bool TryRewrite(Node node, QdqEdits edit, ref string? failure, ref string? expected)
    {
        expected = "DequantizeLinear(uint8/int8, per tensor) for every input -> Concat [-> Relu/Clip] -> QuantizeLinear(per tensor)";
        var inputs = new List<Operand>();
        for (int i = 0; i < node.Inputs.Count; i++)
        {
            if (node.Inputs[i] is null) continue;
            if (edit.OperandOf(node.Inputs[i], node.Name + "_input" + i.ToString(CultureInfo.InvariantCulture)) is not { } op) { failure = $"input {i} is not a per-tensor 8-bit DequantizeLinear"; return false; }
            inputs.Add(op);
        }
        if (OutputOf(edit.Graph, node, ref failure) is not { } output) return false;
        var concat = edit.NewNode(node, "Concat", "", node.Opset);
        foreach (var a in node.Attributes) concat.Attributes[a.Key] = a.Value;
        foreach (var op in inputs)
            concat.Inputs.Add(op.Grid.SameAs(output.Grid) && !output.NeedsClamp ? op.Quantized : edit.Lookup(node, op, output, v => v, "requantize"));
        edit.Replace(node, concat, output, clamp: false);
        return true;
    }
}
