using System;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Ops.Qdq;
using ModelCompiler.Ops.Qonnx;

namespace ModelCompiler.Passes;

/// <summary>
/// Finds low-bit fully connected layers: a Gemm (A not transposed) or MatMul with a 2-D constant B that folding got
/// from a QONNX Quant with integer codes (<see cref="NarrowEncoding"/>: per tensor or per output column, weight codes
/// of at most 8 bits), whose input is a QONNX Quant of 2 to 8 bits with a scalar scale and integer zero point. It
/// becomes a <c>LowBitDense</c> node that quantizes the input per call and sums code products in int32; the weight
/// codes are stored 2 or 4 bits each when they fit (8 otherwise). The input Quant stays only if something else
/// reads it. Runs after <see cref="BinaryLayerFusion"/>.
/// </summary>
internal static class LowBitLayerFusion
{
    public static void Run(ModelGraph graph)
    {
        bool changed = false;
        foreach (var layer in graph.Nodes.ToList())
            if (TryConvert(graph, layer)) changed = true;
        if (!changed) return;
        graph.RebuildLinks();
        for (int i = graph.Nodes.Count - 1; i >= 0; i--)
        {
            var n = graph.Nodes[i];
            if (QonnxDomains.Is(n, "Quant") && n.Outputs.All(o => o is null || (o.Consumers.Count == 0 && !graph.IsGraphOutput(o))))
                graph.Nodes.RemoveAt(i);
        }
        graph.RebuildLinks();
    }

    private static bool TryConvert(ModelGraph graph, Node layer)
    {
        if (layer.Domain.Length != 0 || layer.OpType is not ("Gemm" or "MatMul")) return false;
        if (layer.Input(0)?.Producer is not { } quant || !QonnxDomains.Is(quant, "Quant") || layer.Output(0)?.Shape is not { } yShape) return false;
        var x = quant.Input(0);
        float? Scalar(int i) => quant.Input(i)?.Constant is { ElementCount: 1 } t ? t.GetFloat(0) : null;
        if (x?.Shape is null || x.Type != DataType.Float || Scalar(1) is not { } s || !(s > 0) || Scalar(2) is not { } z || z != Math.Floor(z) || Math.Abs(z) > 255
            || Scalar(3) is not { } actBits || actBits < 2 || actBits > 8 || actBits != Math.Floor(actBits)) return false;
        int rounding = Shared.QonnxScalar.ParseRounding(quant.GetString("rounding_mode", "ROUND"));
        if (rounding < 0) return false;
        bool aSigned = quant.GetInt("signed", 1) != 0, aNarrow = quant.GetInt("narrow", 1) != 0;

        if (layer.Input(1)?.Constant is not { Rank: 2, Encoding: { Quant: { BlockSize: 0 } q } e } b) return false;
        bool gemm = layer.OpType == "Gemm";
        if (gemm && (layer.GetInt("transA", 0) != 0 || x.Shape.Length != 2)) return false;
        bool transB = gemm && layer.GetInt("transB", 0) != 0;
        int k = transB ? b.Shape[1] : b.Shape[0], n = transB ? b.Shape[0] : b.Shape[1];
        if (x.Shape[x.Shape.Length - 1] != k) return false;
        int outAxis = transB ? 0 : 1;
        if (!q.IsPerTensor && q.Axis != outAxis) return false;
        var wScale = q.Scale.ToFloats();
        var wZero = q.ZeroPoint?.ToLongs();
        if (wZero is not null && wZero.Distinct().Count() > 1) return false; // one weight zero point for all columns
        long zeroPoint = wZero?[0] ?? 0;
        var codes = e.Source.ToLongs();
        long min = codes.Min(), max = codes.Max();
        bool signed = e.Source.Type is DataType.Int4 or DataType.Int8;
        int bits = signed ? (min >= -2 && max <= 1 ? 2 : min >= -8 && max <= 7 ? 4 : 8) : (max <= 3 ? 2 : max <= 15 ? 4 : 8);

        float gemmAlpha = gemm ? layer.GetFloat("alpha", 1f) : 1f;
        var bias = gemm ? BinaryLayerFusion.GemmBias(layer, n) : new float[n];
        if (bias is null) return false;
        var scale = Enumerable.Range(0, n).Select(j => s * wScale[q.IsPerTensor ? 0 : j] * gemmAlpha).ToArray();

        // Codes row by row ([n][k]) packed bits to a field, low bits first.
        int perByte = 8 / bits;
        var packed = new byte[((long)n * k * bits + 7) / 8];
        for (int j = 0; j < n; j++)
            for (int i = 0; i < k; i++)
            {
                long flat = (long)j * k + i;
                long code = codes[transB ? (long)j * k + i : (long)i * n + j];
                packed[flat / perByte] |= (byte)((code & ((1 << bits) - 1)) << (int)(flat % perByte * bits));
            }

        var node = new Node(layer.Name, "LowBitDense", QLinearLookupOp.DomainName) { Opset = 1 };
        node.Inputs.Add(x);
        node.Inputs.Add(BinaryLayerFusion.Constant(graph, layer.Name + "_codes", new Tensor(DataType.UInt8, new[] { packed.Length }, packed)));
        node.Inputs.Add(BinaryLayerFusion.Constant(graph, layer.Name + "_scale", Tensor.FromFloats(new[] { n }, scale)));
        node.Inputs.Add(BinaryLayerFusion.Constant(graph, layer.Name + "_bias", Tensor.FromFloats(new[] { n }, bias)));
        node.Outputs.Add(layer.Output(0));
        void Int(string name, long v) => node.Attributes[name] = new Graph.Attribute(name, AttributeKind.Int) { I = v };
        void Float(string name, float v) => node.Attributes[name] = new Graph.Attribute(name, AttributeKind.Float) { F = v };
        Int("bits", bits);
        Int("signed", signed ? 1 : 0);
        Int("zero_point", zeroPoint);
        Int("k", k);
        Int("channels", n);
        Int("act_bits", (long)actBits);
        Int("act_rounding", rounding);
        Float("act_scale", s);
        Float("act_zero_point", z);
        Float("act_min", (float)Shared.QonnxScalar.MinInt(aSigned, aNarrow, (int)actBits));
        Float("act_max", (float)Shared.QonnxScalar.MaxInt(aSigned, aNarrow, (int)actBits));
        node.Attributes["shape"] = new Graph.Attribute("shape", AttributeKind.Ints) { Ints = yShape.Select(d => (long)d).ToArray() };
        node.Attributes["source"] = new Graph.Attribute("source", AttributeKind.String) { S = layer.OpType };
        graph.Nodes[graph.Nodes.IndexOf(layer)] = node;
        graph.RebuildLinks();
        return true;
    }
}
