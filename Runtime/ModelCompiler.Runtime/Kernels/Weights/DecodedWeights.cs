using System;
using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;
using System.Threading;

namespace ModelCompiler.Runtime;

/// <summary>
/// Decodes compactly stored weights once: float16 weights widened to float32, and quantized integer weights
/// (int8/uint8/int16/uint16/int32, and int4/uint4 packed two per byte, low nibble first) dequantized as ONNX
/// DequantizeLinear does, <c>(float)(q - zero_point) * scale</c> in float32, per tensor, per slice along an
/// axis, or per block along an axis. Generated code keeps the result in a static field; concurrent first calls
/// may both decode, one result wins, and both are identical.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class DecodedWeights
{
    /// <summary>float16 to float32, exactly.</summary>
    public static float[] Widen(ref float[]? cache, ReadOnlySpan<Half> source) => Publish(ref cache, Widen(source));

    /// <summary>float16 to float32, exactly, into a new array (for a packed layout to rearrange before publishing).</summary>
    public static float[] Widen(ReadOnlySpan<Half> source)
    {
        var y = new float[source.Length];
        TensorPrimitives.ConvertToSingle(source, y);
        return y;
    }

    /// <summary>
    /// DequantizeLinear of an integer tensor seen as [outer, axisLength, inner]: element (o, d, j) uses scale
    /// <c>d</c> when <paramref name="blockSize"/> is 0 (per tensor is outer = axisLength = 1), else scale
    /// <c>(o * ceil(axisLength / blockSize) + d / blockSize) * inner + j</c>. An empty zero point means 0.
    /// </summary>
    public static float[] Dequantize<T>(ref float[]? cache, ReadOnlySpan<T> q, ReadOnlySpan<float> scale, ReadOnlySpan<T> zeroPoint,
        int outer, int axisLength, int inner, int blockSize) where T : unmanaged, IBinaryInteger<T> =>
        Publish(ref cache, Dequantize(q, scale, zeroPoint, outer, axisLength, inner, blockSize));

    /// <summary>As <see cref="Dequantize{T}(ref float[], ReadOnlySpan{T}, ReadOnlySpan{float}, ReadOnlySpan{T}, int, int, int, int)"/>, into a new array.</summary>
    public static float[] Dequantize<T>(ReadOnlySpan<T> q, ReadOnlySpan<float> scale, ReadOnlySpan<T> zeroPoint,
        int outer, int axisLength, int inner, int blockSize) where T : unmanaged, IBinaryInteger<T>
    {
        var y = new float[q.Length];
        int blocks = Blocks(axisLength, blockSize);
        int i = 0;
        for (int o = 0; o < outer; o++)
            for (int d = 0; d < axisLength; d++)
                for (int j = 0; j < inner; j++, i++)
                {
                    int s = ScaleIndex(o, d, j, inner, blocks, blockSize);
                    long zp = zeroPoint.IsEmpty ? 0 : long.CreateTruncating(zeroPoint[s]);
                    y[i] = (float)(long.CreateTruncating(q[i]) - zp) * scale[s];
                }
        return y;
    }

    /// <summary>As Dequantize for int4 (<paramref name="signed"/>) or uint4 values packed two per byte.</summary>
    public static float[] DequantizePacked4<TZero>(ref float[]? cache, ReadOnlySpan<byte> packed, bool signed, ReadOnlySpan<float> scale, ReadOnlySpan<TZero> zeroPoint,
        int outer, int axisLength, int inner, int blockSize) where TZero : unmanaged, IBinaryInteger<TZero> =>
        Publish(ref cache, DequantizePacked4(packed, signed, scale, zeroPoint, outer, axisLength, inner, blockSize));

    /// <summary>As <see cref="DequantizePacked4{TZero}(ref float[], ReadOnlySpan{byte}, bool, ReadOnlySpan{float}, ReadOnlySpan{TZero}, int, int, int, int)"/>, into a new array.</summary>
    public static float[] DequantizePacked4<TZero>(ReadOnlySpan<byte> packed, bool signed, ReadOnlySpan<float> scale, ReadOnlySpan<TZero> zeroPoint,
        int outer, int axisLength, int inner, int blockSize) where TZero : unmanaged, IBinaryInteger<TZero>
    {
        var y = new float[(long)outer * axisLength * inner];
        int blocks = Blocks(axisLength, blockSize);
        int i = 0;
        for (int o = 0; o < outer; o++)
            for (int d = 0; d < axisLength; d++)
                for (int j = 0; j < inner; j++, i++)
                {
                    int s = ScaleIndex(o, d, j, inner, blocks, blockSize);
                    int zp = zeroPoint.IsEmpty ? 0 : int.CreateTruncating(zeroPoint[s]);
                    y[i] = (float)(Nibble(packed, i, signed) - zp) * scale[s];
                }
        return y;
    }

    /// <summary>Element <paramref name="i"/> of a packed int4/uint4 tensor.</summary>
    public static int Nibble(ReadOnlySpan<byte> packed, int i, bool signed)
    {
        int n = (packed[i >> 1] >> ((i & 1) * 4)) & 0xF;
        return signed && n >= 8 ? n - 16 : n;
    }

    /// <summary>Number of blocks along the axis (0 when not blocked).</summary>
    public static int Blocks(int axisLength, int blockSize) => blockSize > 0 ? (axisLength + blockSize - 1) / blockSize : 0;

    /// <summary>Scale/zero-point index of element (o, d, j): per slice d, or per block of d.</summary>
    public static int ScaleIndex(int o, int d, int j, int inner, int blocks, int blockSize) =>
        blockSize > 0 ? (o * blocks + d / blockSize) * inner + j : d;

    /// <summary>
    /// A mostly-zero float32 tensor of <paramref name="length"/> elements stored as its non-zeros: <paramref name="values"/>
    /// and one-byte gaps (<see cref="SparseRowsFormat"/> with one row: each entry's index past the previous one's, the
    /// first's from 0, gaps over 255 bridged by zero entries), expanded into a new array.
    /// </summary>
    public static float[] Unsparse(ReadOnlySpan<byte> gaps, ReadOnlySpan<float> values, int length)
    {
        if (gaps.Length != values.Length) throw new ArgumentException("One gap per value is needed.", nameof(gaps));
        var y = new float[length];
        long at = 0;
        for (int t = 0; t < values.Length; t++)
        {
            at += gaps[t];
            if ((ulong)at >= (ulong)length) throw new ArgumentException("The gaps run past the tensor's length.", nameof(gaps));
            y[at] = values[t];
        }
        return y;
    }

    /// <summary>Stores a decoded array in its cache field unless another thread got there first; returns the one stored.</summary>
    public static float[] Publish(ref float[]? cache, float[] value) => Interlocked.CompareExchange(ref cache, value, null) ?? value;

    /// <summary>As <see cref="Publish(ref float[], float[])"/>, for tables of ints a kernel derives from constant weights.</summary>
    public static int[] Publish(ref int[]? cache, int[] value) => Interlocked.CompareExchange(ref cache, value, null) ?? value;
}
