using System;
using ModelCompiler.Graph;
using ModelCompiler.Ops;
using static ModelCompiler.Passes.Qdq.QdqPatterns;

namespace ModelCompiler.Passes.Qdq;

/// <summary>DQ -> Gemm [-> Relu/Clip] -> Q becomes QGemm (or a 1x1 QLinearConv); with a float output, MatMulIntegerToFloat.</summary>
internal sealed class GemmRewrite : QdqRewrite
{
    public override bool AppliesTo(Node node, OpSchema? schema) => node.OpType == "Gemm";

    public override bool TryRewrite(Node gemm, QdqEdits edit, ref string? failure, ref string? expected)
    {
        expected = "DequantizeLinear(uint8/int8 A, per tensor), DequantizeLinear(constant int8/uint8 B, per tensor or per output channel) " +
            "[and DequantizeLinear(constant int32 C, scale a_scale * b_scale)] -> Gemm(alpha 1, beta 1, transA 0) [-> Relu/Clip] -> QuantizeLinear(per tensor)";
        if (gemm.GetInt("transA", 0) != 0 || gemm.GetFloat("alpha", 1) != 1 || gemm.Input(2) is not null && gemm.GetFloat("beta", 1) != 1)
        { failure = "it has transA, or alpha or beta other than 1"; return false; }
        if (Activation(gemm.Input(0)) is not { } a) { failure = "input A does not come from a per-tensor 8-bit DequantizeLinear"; return false; }
        if (WeightOf(gemm.Input(1)) is not { } w || w.Values.Type is not (DataType.Int8 or DataType.UInt8) || w.Values.Rank != 2)
        { failure = "input B is not a DequantizeLinear of a constant 2-D int8/uint8 weight"; return false; }
        bool transB = gemm.GetInt("transB", 0) != 0;
        int channelAxis = transB ? 0 : 1;
        if (!(w.Quant.IsPerTensor && w.Quant.BlockSize == 0) && (w.Quant.Axis != channelAxis || w.Quant.BlockSize != 0))
        { failure = $"the weight is quantized per channel on axis {w.Quant.Axis}, not on its output-channel axis {channelAxis}"; return false; }
        int n = w.Values.Shape[channelAxis], k = w.Values.Shape[1 - channelAxis];
        Tensor? bias = null;
        if (gemm.Input(2) is { } c)
        {
            if (c.Shape is { } cs && !(cs.Length == 1 && cs[0] == n || cs.Length == 2 && cs[0] == 1 && cs[1] == n)) { failure = $"C has shape {ShapeText.Format(cs)}, not [{n}]"; return false; }
            if (BiasOf(c, a.Grid, w, n, ref failure) is not { } bt) return false;
            bias = bt;
        }
        if (OutputOf(edit.Graph, gemm, ref failure) is not { } output)
        {
            string? notQuantized = failure;
            if (FloatOutput(gemm, edit, a, w, transB, n, bias)) return true;
            failure = notQuantized;
            return false;
        }

        if (OpRegistry.Find("com.microsoft", "QGemm") is not null)
        {
            var node = edit.NewNode(gemm, "QGemm", "com.microsoft", 1);
            foreach (var at in gemm.Attributes) node.Attributes[at.Key] = at.Value;
            node.Inputs.AddRange(new[] { a.Quantized, edit.Scalar(gemm, "a_scale", a.Grid), edit.ZeroPoint(gemm, "a_zero_point", a.Grid) });
            node.Inputs.AddRange(edit.WeightInputs(gemm, w));
            node.Inputs.Add(bias is null ? null : edit.Constant(gemm.Name + "_bias_int32", bias));
            node.Inputs.AddRange(new[] { edit.Scalar(gemm, "y_scale", output.Grid), edit.ZeroPoint(gemm, "y_zero_point", output.Grid) });
            edit.Replace(gemm, node, output);
            return true;
        }

        // Without QGemm: A[M,K] -> [M,K,1,1], a 1x1 QLinearConv with weights [N,K,1,1] and the int32 bias, -> [M,N].
        int m = a.Quantized.Shape![0];
        var wt = transB ? w.Values : Transpose2D(w.Values);
        var wq = new Weight(wt.WithShape(new[] { n, k, 1, 1 }), new QuantParams(w.Quant.Scale, w.Quant.ZeroPoint, w.Quant.IsPerTensor ? null : 0, 0));
        var x4 = edit.Reshape(gemm, a.Quantized, new[] { m, k, 1, 1 }, a.Grid);
        var conv = edit.NewNode(gemm, "QLinearConv", "", Math.Max(10, edit.Graph.DefaultOpset));
        conv.Attributes["kernel_shape"] = Ints("kernel_shape", 1, 1);
        conv.Inputs.AddRange(new[] { x4, edit.Scalar(gemm, "a_scale", a.Grid), edit.ZeroPoint(gemm, "a_zero_point", a.Grid) });
        conv.Inputs.AddRange(edit.WeightInputs(gemm, wq));
        conv.Inputs.AddRange(new[] { edit.Scalar(gemm, "y_scale", output.Grid), edit.ZeroPoint(gemm, "y_zero_point", output.Grid) });
        if (bias is not null) conv.Inputs.Add(edit.Constant(gemm.Name + "_bias_int32", bias));
        edit.Replace(gemm, conv, output, new[] { m, n, 1, 1 }, new[] { m, n });
        return true;
    }

    /// <summary>
    /// DQ(A) x DQ(constant B) [+ DQ(int32 C)] -> Gemm whose float output is not quantized again (a classifier's
    /// logits): com.microsoft MatMulIntegerToFloat, the product exact in int32 and one float32 multiply by
    /// a_scale x b_scale per column plus the bias (the int32 C times a_scale x b_scale), where the
    /// float graph rounds every product and partial sum. ONNX Runtime's QDQ transformer makes the same group a
    /// QGemm with a float output.
    /// </summary>
    private static bool FloatOutput(Node gemm, QdqEdits edit, Operand a, Weight w, bool transB, int n, Tensor? bias)
    {
        if (OpRegistry.Find("com.microsoft", "MatMulIntegerToFloat") is null || gemm.Output(0) is not { Shape.Length: 2 } y) return false;
        var node = edit.NewNode(gemm, "MatMulIntegerToFloat", "com.microsoft", 1);
        var b = transB ? Transpose2D(w.Values) : w.Values;
        var bScale = w.Quant.Scale.WithShape(w.Quant.IsPerTensor ? Array.Empty<int>() : new[] { n });
        var bZero = w.Quant.ZeroPoint?.WithShape(w.Quant.IsPerTensor ? Array.Empty<int>() : new[] { n });
        node.Inputs.AddRange(new[] { a.Quantized, edit.Constant(gemm.Name + "_b_quantized", b), edit.Scalar(gemm, "a_scale", a.Grid), edit.Constant(gemm.Name + "_b_scale", bScale),
            edit.ZeroPoint(gemm, "a_zero_point", a.Grid), bZero is null ? null : edit.Constant(gemm.Name + "_b_zero_point", bZero) });
        if (bias is not null)
        {
            var biasFloat = new float[n];
            for (int c = 0; c < n; c++) biasFloat[c] = (float)bias.GetLong(c) * (a.Grid.Scale * w.Quant.Scale.GetFloat(w.Quant.IsPerTensor ? 0 : c));
            node.Inputs.Add(edit.Constant(gemm.Name + "_bias", Tensor.FromFloats(new[] { n }, biasFloat)));
        }
        node.Outputs.Add(y);
        int index = edit.Graph.Nodes.IndexOf(gemm);
        edit.Graph.Nodes[index] = node;
        edit.Graph.RebuildLinks();
        QdqEdits.Reinfer(node);
        return true;
    }

    private static Graph.Attribute Ints(string name, params long[] values) => new(name, AttributeKind.Ints) { Ints = values };

    private static Tensor Transpose2D(Tensor t)
    {
        int r = t.Shape[0], c = t.Shape[1];
        var v = t.ToLongs();
        var o = new long[v.Length];
        for (int i = 0; i < r; i++)
            for (int j = 0; j < c; j++) o[j * r + i] = v[i * c + j];
        return Tensor.FromLongs(t.Type, new[] { c, r }, o);
    }
}
