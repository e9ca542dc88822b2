using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Onnx.Proto;

namespace ModelCompiler.Tool.Analysis;

/// <summary>
/// Which initializers are a model's parameters (learned weights and biases, in whatever type they are stored) as
/// opposed to quantization scales and zero points, shape tensors and scalar constants. Counting this way, a float
/// model and its pruned, quantized or float16 copies have the same parameter count (as PyTorch counts them).
/// </summary>
internal static class Parameters
{
    /// <summary>Input positions that hold scales or zero points, per quantized op.</summary>
    private static readonly Dictionary<string, int[]> s_quantParamInputs = new()
    {
        ["QuantizeLinear"] = new[] { 1, 2 },
        ["DequantizeLinear"] = new[] { 1, 2 },
        ["QLinearConv"] = new[] { 1, 2, 4, 5, 6, 7 },
        ["QLinearMatMul"] = new[] { 1, 2, 4, 5, 6, 7 },
        ["QLinearAdd"] = new[] { 1, 2, 4, 5, 6, 7 },
        ["QLinearMul"] = new[] { 1, 2, 4, 5, 6, 7 },
        ["QLinearConcat"] = new[] { 0, 1 },
        ["QLinearGlobalAveragePool"] = new[] { 1, 2, 3, 4 },
        ["QLinearAveragePool"] = new[] { 1, 2, 3, 4 },
        ["MatMulIntegerToFloat"] = new[] { 2, 3, 4, 5 },
        ["ConvInteger"] = new[] { 2, 3 },
        ["MatMulInteger"] = new[] { 2, 3 },
    };

    /// <summary>Initializers that hold parameters: numeric, more than one element, not int64, not only read as a scale or zero point.</summary>
    public static IEnumerable<TensorProto> Of(GraphProto graph)
    {
        var asQuantParam = new HashSet<string>();
        var asOther = new HashSet<string>();
        foreach (var n in graph.Node)
            for (int i = 0; i < n.Input.Count; i++)
            {
                bool quantParam = s_quantParamInputs.TryGetValue(n.OpType, out var positions) && positions.Contains(i)
                    || n.OpType == "QLinearConcat" && i >= 2 && i % 3 != 2; // QLinearConcat: (y_scale, y_zp) then (x, scale, zp) triples
                (quantParam ? asQuantParam : asOther).Add(n.Input[i]);
            }
        foreach (var t in graph.Initializer)
        {
            if (t.DataType is (int)TensorProto.Types.DataType.Int64 or (int)TensorProto.Types.DataType.String or (int)TensorProto.Types.DataType.Bool) continue;
            long count = t.Dims.Aggregate(1L, (a, d) => a * d);
            if (count <= 1) continue;
            if (asQuantParam.Contains(t.Name) && !asOther.Contains(t.Name)) continue;
            yield return t;
        }
    }
}
