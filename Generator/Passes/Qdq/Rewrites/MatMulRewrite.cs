using System;
using ModelCompiler.Graph;
using ModelCompiler.Ops;
using static ModelCompiler.Passes.Qdq.QdqPatterns;

namespace ModelCompiler.Passes.Qdq;

/// <summary>DQ -> MatMul [-> Relu/Clip] -> Q becomes QLinearMatMul.</summary>
internal sealed class MatMulRewrite : QdqRewrite
{
    public override bool AppliesTo(Node node, OpSchema? schema) => node.OpType == "MatMul";

    public override bool TryRewrite(Node mm, QdqEdits edit, ref string? failure, ref string? expected)
    {
        expected = "DequantizeLinear(uint8/int8 A, per tensor) and DequantizeLinear(int8/uint8 B, per tensor, or a constant per column on its last axis) -> MatMul [-> Relu/Clip] -> QuantizeLinear(per tensor)";
        if (Activation(mm.Input(0)) is not { } a) { failure = "input A does not come from a per-tensor 8-bit DequantizeLinear"; return false; }
        Value[] bInputs;
        if (Activation(mm.Input(1)) is { } bAct)
            bInputs = new[] { bAct.Quantized, edit.Scalar(mm, "b_scale", bAct.Grid), edit.ZeroPoint(mm, "b_zero_point", bAct.Grid) };
        else if (WeightOf(mm.Input(1)) is { } w && w.Values.Type is DataType.Int8 or DataType.UInt8 && w.Values.Rank == 2
            && (w.Quant.IsPerTensor && w.Quant.BlockSize == 0 || w.Quant.Axis == 1 && w.Quant.BlockSize == 0))
            bInputs = edit.WeightInputs(mm, w);
        else { failure = "input B is neither a per-tensor 8-bit DequantizeLinear nor a constant 2-D int8/uint8 weight quantized per tensor or per column"; return false; }
        if (OutputOf(edit.Graph, mm, ref failure) is not { } output) return false;
        var node = edit.NewNode(mm, "QLinearMatMul", "", Math.Max(10, edit.Graph.DefaultOpset));
        node.Inputs.AddRange(new[] { a.Quantized, edit.Scalar(mm, "a_scale", a.Grid), edit.ZeroPoint(mm, "a_zero_point", a.Grid) });
        node.Inputs.AddRange(bInputs);
        node.Inputs.AddRange(new[] { edit.Scalar(mm, "y_scale", output.Grid), edit.ZeroPoint(mm, "y_zero_point", output.Grid) });
        edit.Replace(mm, node, output);
        return true;
    }
}
