using ModelCompiler.Graph;
using ModelCompiler.Ops;
using static ModelCompiler.Passes.Qdq.QdqPatterns;

namespace ModelCompiler.Passes.Qdq;

/// <summary>DQ, DQ -> Add/Mul [-> Relu/Clip] -> Q becomes com.microsoft QLinearAdd/QLinearMul.</summary>
internal sealed class BinaryRewrite : QdqRewrite
{
    public override bool AppliesTo(Node node, OpSchema? schema) => node.OpType is "Add" or "Mul";

    public override bool TryRewrite(Node node, QdqEdits edit, ref string? failure, ref string? expected)
    {
        expected = "DequantizeLinear(uint8/int8, per tensor) for both inputs (or per-tensor quantized constants) -> Add/Mul [-> Relu/Clip] -> QuantizeLinear(per tensor), inputs and output of one type";
        string op = node.OpType == "Add" ? "QLinearAdd" : "QLinearMul";
        if (OpRegistry.Find("com.microsoft", op) is null) { failure = $"com.microsoft {op} is not available"; return false; }
        var a = edit.OperandOf(node.Input(0), node.Name + "_a");
        var b = edit.OperandOf(node.Input(1), node.Name + "_b");
        if (a is null || b is null) { failure = "an input is not a per-tensor 8-bit DequantizeLinear"; return false; }
        if (OutputOf(edit.Graph, node, ref failure) is not { } output) return false;
        if (a.Grid.Type != output.Grid.Type || b.Grid.Type != output.Grid.Type) { failure = "inputs and output have different integer types"; return false; }
        var fused = edit.NewNode(node, op, "com.microsoft", 1);
        fused.Inputs.AddRange(new[] { a.Quantized, edit.Scalar(node, "a_scale", a.Grid), edit.ZeroPoint(node, "a_zero_point", a.Grid) });
        fused.Inputs.AddRange(new[] { b.Quantized, edit.Scalar(node, "b_scale", b.Grid), edit.ZeroPoint(node, "b_zero_point", b.Grid) });
        fused.Inputs.AddRange(new[] { edit.Scalar(node, "c_scale", output.Grid), edit.ZeroPoint(node, "c_zero_point", output.Grid) });
        edit.Replace(node, fused, output);
        return true;
    }
}
