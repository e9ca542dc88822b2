using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace ModelCompiler.Runtime;

/// <summary>
/// QuantizeLinear and DequantizeLinear with a float8 or float4e2m1 quantized side (held as raw bits, one element
/// per byte; <see cref="MiniFloatFormat"/>). The layout is <see cref="BlockedQuantization"/>'s ([outer, axisLength,
/// inner]; per tensor is outer = axisLength = 1). As the ONNX specification computes them, in float32:
/// quantization is <c>cast(x / scale + zero_point)</c> (no integer rounding; the cast rounds to nearest even and
/// saturates when <c>saturate</c>), dequantization <c>(x - zero_point) * scale</c>.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class MiniFloatQuantization
{
    /// <summary>y = bits of cast(x / scale + zero_point) (x and scale float or Half).</summary>
    public static void QuantizeLinear<TX, TS>(ReadOnlySpan<TX> x, ReadOnlySpan<TS> scale, ReadOnlySpan<byte> zeroPoint, Span<byte> y,
        int outer, int axisLength, int inner, int blockSize, MiniFloatFormat format, bool saturate) where TX : unmanaged where TS : unmanaged
    {
        if (x.Length != y.Length || (long)outer * axisLength * inner != x.Length) throw new ArgumentException("QuantizeLinear: inconsistent lengths");
        int blocks = blockSize > 0 ? (axisLength + blockSize - 1) / blockSize : 0;
        int i = 0;
        for (int o = 0; o < outer; o++)
            for (int d = 0; d < axisLength; d++)
                for (int j = 0; j < inner; j++, i++)
                {
                    int s = Parameter(o, d, j, inner, blocks, blockSize);
                    float v = Quantization.ToSingle(x[i]) / Quantization.ToSingle(scale[s]);
                    if (!zeroPoint.IsEmpty) v += (float)MiniFloats.ToDouble(zeroPoint[s], format);
                    y[i] = (byte)MiniFloats.FromDouble(v, format, saturate);
                }
    }

    /// <summary>y = (x - zero_point) * scale (y float or Half).</summary>
    public static void DequantizeLinear<TY>(ReadOnlySpan<byte> x, ReadOnlySpan<TY> scale, ReadOnlySpan<byte> zeroPoint, Span<TY> y,
        int outer, int axisLength, int inner, int blockSize, MiniFloatFormat format) where TY : unmanaged
    {
        if (x.Length != y.Length || (long)outer * axisLength * inner != x.Length) throw new ArgumentException("DequantizeLinear: inconsistent lengths");
        int blocks = blockSize > 0 ? (axisLength + blockSize - 1) / blockSize : 0;
        int i = 0;
        for (int o = 0; o < outer; o++)
            for (int d = 0; d < axisLength; d++)
                for (int j = 0; j < inner; j++, i++)
                {
                    int s = Parameter(o, d, j, inner, blocks, blockSize);
                    float v = (float)MiniFloats.ToDouble(x[i], format);
                    if (!zeroPoint.IsEmpty) v -= (float)MiniFloats.ToDouble(zeroPoint[s], format);
                    y[i] = FromSingle<TY>(v * Quantization.ToSingle(scale[s]));
                }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Parameter(int o, int d, int j, int inner, int blocks, int blockSize) =>
        blockSize > 0 ? (o * blocks + d / blockSize) * inner + j : d;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T FromSingle<T>(float v) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return Unsafe.As<float, T>(ref v);
        if (typeof(T) == typeof(Half)) { Half h = (Half)v; return Unsafe.As<Half, T>(ref h); }
        throw new NotSupportedException(typeof(T).Name);
    }
}
