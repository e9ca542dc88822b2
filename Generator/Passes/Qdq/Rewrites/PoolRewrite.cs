using ModelCompiler.Graph;
using ModelCompiler.Ops;
using static ModelCompiler.Passes.Qdq.QdqPatterns;

namespace ModelCompiler.Passes.Qdq;

/// <summary>DQ -> AveragePool/GlobalAveragePool [-> Relu/Clip] -> Q becomes its com.microsoft QLinear form.</summary>
internal sealed class PoolRewrite : QdqRewrite
{
    public override bool AppliesTo(Node node, OpSchema? schema) => node.OpType is "AveragePool" or "GlobalAveragePool";

    public override bool TryRewrite(Node node, QdqEdits edit, ref string? failure, ref string? expected)
    {
        string op = "QLinear" + node.OpType;
        expected = $"DequantizeLinear(uint8/int8, per tensor) -> {node.OpType} [-> Relu/Clip] -> QuantizeLinear(per tensor) of the same type";
        if (OpRegistry.Find("com.microsoft", op) is null) { failure = $"com.microsoft {op} is not available"; return false; }
        if (Activation(node.Input(0)) is not { } x) { failure = "the input does not come from a per-tensor 8-bit DequantizeLinear"; return false; }
        if (OutputOf(edit.Graph, node, ref failure) is not { } output) return false;
        if (x.Grid.Type != output.Grid.Type) { failure = "input and output have different integer types"; return false; }
        var fused = edit.NewNode(node, op, "com.microsoft", 1);
        foreach (var a in node.Attributes) fused.Attributes[a.Key] = a.Value;
        fused.Attributes["channels_last"] = new Graph.Attribute("channels_last", AttributeKind.Int) { I = 0 };
        fused.Inputs.AddRange(new[] { x.Quantized, edit.Scalar(node, "x_scale", x.Grid), edit.ZeroPoint(node, "x_zero_point", x.Grid) });
        fused.Inputs.AddRange(new[] { edit.Scalar(node, "y_scale", output.Grid), edit.ZeroPoint(node, "y_zero_point", output.Grid) });
        edit.Replace(node, fused, output);
        return true;
    }
}
