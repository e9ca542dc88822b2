using System;
using ModelCompiler.Graph;
using ModelCompiler.Ops;
using static ModelCompiler.Passes.Qdq.QdqPatterns;

namespace ModelCompiler.Passes.Qdq;

/// <summary>DQ -> Conv [-> Relu/Clip] -> Q becomes QLinearConv.</summary>
internal sealed class ConvRewrite : QdqRewrite
{
    public override bool AppliesTo(Node node, OpSchema? schema) => node.OpType == "Conv";

    public override bool TryRewrite(Node conv, QdqEdits edit, ref string? failure, ref string? expected)
    {
        expected = "DequantizeLinear(uint8/int8 x, per tensor) and DequantizeLinear(constant int8/uint8 weight, per tensor or per output channel on axis 0) " +
            "[and DequantizeLinear(constant int32 bias, scale x_scale * w_scale)] -> Conv [-> Relu/Clip] -> QuantizeLinear(per tensor)";
        if (Activation(conv.Input(0)) is not { } x) { failure = "input 0 does not come from a per-tensor 8-bit DequantizeLinear"; return false; }
        if (WeightOf(conv.Input(1)) is not { } w) { failure = "the weight is not a DequantizeLinear of a constant"; return false; }
        if (w.Values.Type is not (DataType.Int8 or DataType.UInt8)) { failure = $"the weight is {w.Values.Type.OnnxName()}"; return false; }
        if (!(w.Quant.IsPerTensor && w.Quant.BlockSize == 0) && (w.Quant.Axis != 0 || w.Quant.BlockSize != 0)) { failure = "the weight is quantized per channel on another axis than 0, or in blocks"; return false; }
        int channels = w.Values.Shape[0];
        Value? bias = null;
        if (conv.Input(2) is { } b)
        {
            if (BiasOf(b, x.Grid, w, channels, ref failure) is not { } bt) return false;
            bias = edit.Constant(conv.Name + "_bias_int32", bt);
        }
        if (OutputOf(edit.Graph, conv, ref failure) is not { } output) return false;

        var node = edit.NewNode(conv, "QLinearConv", "", Math.Max(10, edit.Graph.DefaultOpset));
        foreach (var a in conv.Attributes) node.Attributes[a.Key] = a.Value;
        node.Inputs.AddRange(new[] { x.Quantized, edit.Scalar(conv, "x_scale", x.Grid), edit.ZeroPoint(conv, "x_zero_point", x.Grid) });
        node.Inputs.AddRange(edit.WeightInputs(conv, w));
        node.Inputs.AddRange(new[] { edit.Scalar(conv, "y_scale", output.Grid), edit.ZeroPoint(conv, "y_zero_point", output.Grid) });
        if (bias is not null) node.Inputs.Add(bias);
        edit.Replace(conv, node, output);
        return true;
    }
}
