using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace ModelCompiler.Runtime;

/// <summary>
/// QuantizeLinear and DequantizeLinear in the layouts <see cref="Quantization"/> does not cover: blocked
/// quantization (opset 21 <c>block_size</c>) and int4/uint4 tensors (held one element per sbyte/byte, values in
/// [-8, 7] and [0, 15]). The tensor is seen as [outer, axisLength, inner]; element (o, d, j) uses parameter
/// <c>d</c> when <c>blockSize</c> is 0 (per axis; per tensor is outer = axisLength = 1), else parameter
/// <c>(o * ceil(axisLength / blockSize) + d / blockSize) * inner + j</c>. Arithmetic is that of
/// <see cref="Quantization"/>: float32 division, clamp to the output range, round half to even; dequantization
/// is <c>(float)(x - zero_point) * scale</c>.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class BlockedQuantization
{
    /// <summary>y = saturate(round(x / scale) + zero_point) into [min, max] (x float or Half).</summary>
    public static void QuantizeLinear<TX, TY>(ReadOnlySpan<TX> x, ReadOnlySpan<TX> scale, ReadOnlySpan<TY> zeroPoint, Span<TY> y,
        int outer, int axisLength, int inner, int blockSize, int min, int max) where TX : unmanaged where TY : unmanaged
    {
        if (x.Length != y.Length || (long)outer * axisLength * inner != x.Length) throw new ArgumentException("QuantizeLinear: inconsistent lengths");
        int blocks = blockSize > 0 ? (axisLength + blockSize - 1) / blockSize : 0;
        int i = 0;
        for (int o = 0; o < outer; o++)
            for (int d = 0; d < axisLength; d++)
                for (int j = 0; j < inner; j++, i++)
                {
                    int s = blockSize > 0 ? (o * blocks + d / blockSize) * inner + j : d;
                    int zp = zeroPoint.IsEmpty ? 0 : Requantize.Widen(zeroPoint[s]);
                    y[i] = Quantization.FromInt<TY>(Quantization.QuantizeOne(Quantization.ToSingle(x[i]), Quantization.ToSingle(scale[s]), zp, min, max));
                }
    }

    /// <summary>y = (x - zero_point) * scale (y float or Half).</summary>
    public static void DequantizeLinear<TX, TY>(ReadOnlySpan<TX> x, ReadOnlySpan<TY> scale, ReadOnlySpan<TX> zeroPoint, Span<TY> y,
        int outer, int axisLength, int inner, int blockSize) where TX : unmanaged where TY : unmanaged
    {
        if (x.Length != y.Length || (long)outer * axisLength * inner != x.Length) throw new ArgumentException("DequantizeLinear: inconsistent lengths");
        int blocks = blockSize > 0 ? (axisLength + blockSize - 1) / blockSize : 0;
        int i = 0;
        for (int o = 0; o < outer; o++)
            for (int d = 0; d < axisLength; d++)
                for (int j = 0; j < inner; j++, i++)
                {
                    int s = blockSize > 0 ? (o * blocks + d / blockSize) * inner + j : d;
                    int zp = zeroPoint.IsEmpty ? 0 : Requantize.Widen(zeroPoint[s]);
                    y[i] = FromSingle<TY>((float)(Requantize.Widen(x[i]) - zp) * Quantization.ToSingle(scale[s]));
                }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T FromSingle<T>(float v) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return Unsafe.As<float, T>(ref v);
        if (typeof(T) == typeof(Half)) { Half h = (Half)v; return Unsafe.As<Half, T>(ref h); }
        throw new NotSupportedException(typeof(T).Name);
    }
}
