using System;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Qonnx;

/// <summary>
/// Keeps a folded QONNX Quant weight in its integer codes: the float32 result gets a dequantization encoding
/// (int4/uint4 up to 4 bits, int8/uint8 up to 8) with the scale per tensor or per output axis, so the weight blob
/// stores half a byte or one byte per weight and kernels that read integers (<c>PackedWeightKernels</c>) take
/// it as is. Decoding computes <c>(float)(q - zp) * scale</c>, which is the Quant's own <c>(q - zeropt) * scale</c>
/// exactly when the zero point is an integer; other cases stay float32.
/// </summary>
internal static class NarrowEncoding
{
    public static Tensor? Attach(Tensor result, long[] codes, QuantOp.Spec s, int[] shape, Tensor scale, Tensor zeroPoint)
    {
        if (codes.Any(q => q == long.MinValue)) return null; // NaN
        if (s.ZeroPoint.Any(z => z != Math.Floor(z))) return null;
        long min = s.Bipolar ? -1 : (long)s.Min, max = s.Bipolar ? 1 : (long)s.Max;
        long zMin = (long)s.ZeroPoint.Min(), zMax = (long)s.ZeroPoint.Max();
        min = Math.Min(min, zMin);
        max = Math.Max(max, zMax);
        DataType type = min >= 0
            ? max <= 15 ? DataType.UInt4 : max <= 255 ? DataType.UInt8 : DataType.Undefined
            : min >= -8 && max <= 7 ? DataType.Int4 : min >= -128 && max <= 127 ? DataType.Int8 : DataType.Undefined;
        if (type == DataType.Undefined) return null;

        int? axis = null;
        int length = s.Params.Length;
        if (length > 1)
        {
            for (int a = 0; a < shape.Length && axis is null; a++)
                if (shape[a] == length && ShapeText.Product(shape.Skip(a + 1).ToArray()) == s.Params.Inner) axis = a;
            if (axis is null) return null; // varies over several axes: not a per-axis dequantization
        }
        var scaleVector = Tensor.FromFloats(length > 1 ? new[] { length } : Array.Empty<int>(), s.Scale);
        Tensor? zp = s.ZeroPoint.All(z => z == 0) ? null
            : Tensor.FromLongs(type, length > 1 ? new[] { length } : Array.Empty<int>(), s.ZeroPoint.Select(z => (long)z).ToArray());
        var q = Tensor.FromLongs(type, shape, codes);
        return result.WithEncoding(TensorEncoding.Dequantized(q, new QuantParams(scaleVector, zp, axis, 0)));
    }
}

/// <summary>
/// Brevitas exports a MatMul weight as Quant followed by Transpose; folding the Transpose would drop the integer
/// codes the Quant's folded output carries. For a 2-D Transpose of such a constant the codes (and a per-axis scale's
/// axis) are transposed with it, so the weight stays narrow.
/// </summary>
internal static class TransposedEncoding
{
    public static void Annotate(Node node, Tensor[] results)
    {
        if (node.Domain.Length != 0 || node.OpType != "Transpose" || results.Length != 1) return;
        if (node.Input(0)?.Constant is not { Rank: 2, Encoding: { Quant: { BlockSize: 0 } q, Layout: null } e } || e.Source.Rank != 2) return;
        if (node.GetInts("perm") is { } perm && !(perm.Length == 2 && perm[0] == 1 && perm[1] == 0)) return;
        int rows = e.Source.Shape[0], cols = e.Source.Shape[1];
        var codes = e.Source.ToLongs();
        var transposed = new long[codes.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) transposed[(long)c * rows + r] = codes[(long)r * cols + c];
        var source = Tensor.FromLongs(e.Source.Type, new[] { cols, rows }, transposed);
        var quant = new QuantParams(q.Scale, q.ZeroPoint, q.Axis is { } a ? 1 - a : null, 0);
        results[0] = results[0].WithEncoding(TensorEncoding.Dequantized(source, quant));
    }
}
