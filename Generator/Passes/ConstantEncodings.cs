using ModelCompiler.Graph;

namespace ModelCompiler.Passes;

/// <summary>
/// Remembers where folded float32 constants came from, so that the weight blob can keep them compact and
/// the QDQ fusion can find quantized weights behind a folded DequantizeLinear: Cast of a float16 constant
/// to float32 is marked as a widening, DequantizeLinear of a constant integer tensor as a dequantization
/// with its scale, zero point, axis and block size. The values themselves are unchanged.
/// </summary>
internal static class ConstantEncodings
{
    /// <summary>Called by constant folding with a node's folded outputs; may replace them by annotated copies.</summary>
    public static void Annotate(Node node, Tensor[] results)
    {
        if (results.Length == 0 || results[0].Type != DataType.Float) return;
        Ops.Qonnx.TransposedEncoding.Annotate(node, results);
        if (node.Domain.Length == 0 && node.OpType is "Cast" or "CastLike" && node.Input(0)?.Constant is { Type: DataType.Float16 } half)
        {
            results[0] = results[0].WithEncoding(TensorEncoding.Widened(half));
            return;
        }
        if (node.OpType == "DequantizeLinear" && node.Domain is "" or "com.microsoft" && Dequantization(node) is { } d)
            results[0] = results[0].WithEncoding(d);
    }

    /// <summary>The encoding a constant DequantizeLinear node computes, or null when it is not a float32 dequantization of constants.</summary>
    public static TensorEncoding? Dequantization(Node node)
    {
        var x = node.Input(0)?.Constant;
        var scale = node.Input(1)?.Constant;
        var zp = node.Input(2)?.Constant;
        if (x is null || scale is null || (node.Input(2) is not null && zp is null)) return null;
        // int2/uint2 stay plain folded floats: the packed weight decoders read 4-bit nibbles only.
        if (!x.Type.IsInteger() || x.Type.BitSize() == 2 || scale.Type != DataType.Float) return null;
        var q = Params(node, x.Shape, scale, zp);
        return q is null ? null : TensorEncoding.Dequantized(x, q);
    }

    /// <summary>A DequantizeLinear/QuantizeLinear node's parameters for an input of <paramref name="shape"/>, or null when inconsistent.</summary>
    public static QuantParams? Params(Node node, int[] shape, Tensor scale, Tensor? zeroPoint)
    {
        int blockSize = node.Opset >= 21 ? (int)node.GetInt("block_size", 0) : 0;
        if (scale.ElementCount == 1 && blockSize == 0) return new QuantParams(scale, zeroPoint, null, 0);
        if (node.Opset < 13 && node.Domain.Length == 0) return null;
        long axis = node.GetInt("axis", 1);
        if (axis < 0) axis += shape.Length;
        if (axis < 0 || axis >= shape.Length) return null;
        int a = (int)axis;
        if (blockSize > 0)
        {
            if (scale.Rank != shape.Length) return null;
            for (int d = 0; d < shape.Length; d++)
                if (scale.Shape[d] != (d == a ? (shape[d] + blockSize - 1) / blockSize : shape[d])) return null;
        }
        else if (scale.Rank != 1 || scale.Shape[0] != shape[a]) return null;
        if (zeroPoint is not null && zeroPoint.ElementCount != scale.ElementCount) return null;
        return new QuantParams(scale, zeroPoint, a, blockSize);
    }
}
