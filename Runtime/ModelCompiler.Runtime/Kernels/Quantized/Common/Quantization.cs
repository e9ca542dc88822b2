using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelCompiler.Runtime;

/// <summary>
/// QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear and 256-entry lookup tables (the quantized
/// activations: a function of one 8-bit input is a table of its 256 outputs).
/// <para>
/// Per-tensor and per-axis parameters share one layout: the tensor is a sequence of contiguous runs of
/// <c>inner</c> elements (the product of the dimensions after the axis), run r using parameter
/// <c>r % scale.Length</c>. Per tensor, scale has one element and inner is the whole tensor.
/// </para>
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Quantization
{
    /// <summary>
    /// y = saturate(round_half_even(x / scale) + zero_point), in float32 as ONNX Runtime's MLAS computes it
    /// (the division, then a clamp to the range shifted by the zero point, which also sends NaN to the minimum).
    /// x is float, Half or int (converted to float), the scale float or Half, y any of byte, sbyte, ushort, short;
    /// an empty zero point is 0.
    /// </summary>
    public static void QuantizeLinear<TX, TS, TY>(ReadOnlySpan<TX> x, ReadOnlySpan<TS> scale, ReadOnlySpan<TY> zeroPoint, Span<TY> y, int inner)
        where TX : unmanaged where TS : unmanaged where TY : unmanaged
    {
        if (x.Length != y.Length || scale.IsEmpty || (!zeroPoint.IsEmpty && zeroPoint.Length != scale.Length) || inner <= 0 && x.Length > 0)
            throw new ArgumentException("QuantizeLinear: inconsistent lengths");
        int channels = scale.Length;
        Span<float> buffer = stackalloc float[256];
        for (int start = 0, run = 0; start < x.Length; start += inner, run++)
        {
            int c = run % channels;
            float s = ToSingle(scale[c]);
            int zp = zeroPoint.IsEmpty ? 0 : Requantize.Widen(zeroPoint[c]);
            ReadOnlySpan<TX> xs = x.Slice(start, inner);
            Span<TY> ys = y.Slice(start, inner);
            if (typeof(TX) == typeof(float))
            {
                QuantizeRun(MemoryMarshal.Cast<TX, float>(xs), s, zp, ys);
            }
            else
            {
                for (int i = 0; i < xs.Length; i += buffer.Length)
                {
                    int n = Math.Min(buffer.Length, xs.Length - i);
                    for (int j = 0; j < n; j++) buffer[j] = ToSingle(xs[i + j]);
                    QuantizeRun(buffer.Slice(0, n), s, zp, ys.Slice(i, n));
                }
            }
        }
    }

    /// <summary>One float to one quantized value, exactly as <see cref="QuantizeLinear{TX, TS, TY}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int QuantizeOne(float x, float scale, int zeroPoint, int min, int max) =>
        (int)QuantizedValues.Quantize(x, scale, zeroPoint, min, max);

    private static void QuantizeRun<TY>(ReadOnlySpan<float> x, float scale, int zeroPoint, Span<TY> y) where TY : unmanaged
    {
        int min = Requantize.Min<TY>(), max = Requantize.Max<TY>();
        int i = 0;
        if (Avx512F.IsSupported && (typeof(TY) == typeof(byte) || typeof(TY) == typeof(sbyte)))
        {
            // 16 at a time with x64's own semantics, which are exactly the ones needed: vmaxps(v, lo) returns lo
            // when v is NaN, vcvtps2dq rounds half to even, and after the clamp vpmovdb's truncation is exact.
            var s = Vector512.Create(scale);
            var lo = Vector512.Create((float)(min - zeroPoint));
            var hi = Vector512.Create((float)(max - zeroPoint));
            var zp = Vector512.Create(zeroPoint);
            ref float src = ref MemoryMarshal.GetReference(x);
            ref byte dst = ref Unsafe.As<TY, byte>(ref MemoryMarshal.GetReference(y));
            for (; i <= x.Length - 16; i += 16)
            {
                var v = Avx512F.Min(Avx512F.Max(Vector512.LoadUnsafe(ref src, (nuint)i) / s, lo), hi);
                Avx512F.ConvertToVector128Byte(Avx512F.ConvertToVector512Int32(v) + zp).StoreUnsafe(ref dst, (nuint)i);
            }
        }
        if (Vector128.IsHardwareAccelerated && (typeof(TY) == typeof(byte) || typeof(TY) == typeof(sbyte)))
        {
            var s = Vector128.Create(scale);
            var lo = Vector128.Create((float)(min - zeroPoint));
            var hi = Vector128.Create((float)(max - zeroPoint));
            var zp = Vector128.Create(zeroPoint);
            ref float src = ref MemoryMarshal.GetReference(x);
            ref byte dst = ref Unsafe.As<TY, byte>(ref MemoryMarshal.GetReference(y));
            for (; i <= x.Length - 8; i += 8)
            {
                var a = One(Vector128.LoadUnsafe(ref src, (nuint)i), s, lo, hi) + zp;
                var b = One(Vector128.LoadUnsafe(ref src, (nuint)(i + 4)), s, lo, hi) + zp;
                var words = Vector128.Narrow(a, b);
                ulong bytes = typeof(TY) == typeof(byte)
                    ? Vector128.Narrow(words.AsUInt16(), words.AsUInt16()).AsUInt64().ToScalar()
                    : Vector128.Narrow(words, words).AsUInt64().ToScalar();
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, i), bytes);
            }
        }
        for (; i < x.Length; i++) y[i] = FromInt<TY>(QuantizeOne(x[i], scale, zeroPoint, min, max));

        static Vector128<int> One(Vector128<float> v, Vector128<float> s, Vector128<float> lo, Vector128<float> hi)
        {
            v /= s;
            v = Vector128.ConditionalSelect(Vector128.Equals(v, v), v, lo);
            v = Vector128.Min(Vector128.Max(v, lo), hi);
            return Vector128.ConvertToInt32(Vector128.Round(v));
        }
    }

    /// <summary>y = (x - zero_point) * scale: the difference exact in int32, one float32 (or float16) product.</summary>
    public static void DequantizeLinear<TX, TY>(ReadOnlySpan<TX> x, ReadOnlySpan<TY> scale, ReadOnlySpan<TX> zeroPoint, Span<TY> y, int inner)
        where TX : unmanaged where TY : unmanaged
    {
        if (x.Length != y.Length || scale.IsEmpty || (!zeroPoint.IsEmpty && zeroPoint.Length != scale.Length) || inner <= 0 && x.Length > 0)
            throw new ArgumentException("DequantizeLinear: inconsistent lengths");
        int channels = scale.Length;
        for (int start = 0, run = 0; start < x.Length; start += inner, run++)
        {
            int c = run % channels;
            float s = ToSingle(scale[c]);
            int zp = zeroPoint.IsEmpty ? 0 : Requantize.Widen(zeroPoint[c]);
            ReadOnlySpan<TX> xs = x.Slice(start, inner);
            Span<TY> ys = y.Slice(start, inner);
            if (typeof(TY) == typeof(float))
            {
                Span<float> yf = MemoryMarshal.Cast<TY, float>(ys);
                int i = 0;
                if (Vector128.IsHardwareAccelerated && (typeof(TX) == typeof(byte) || typeof(TX) == typeof(sbyte)))
                {
                    ref byte src = ref Unsafe.As<TX, byte>(ref MemoryMarshal.GetReference(xs));
                    ref float dst = ref MemoryMarshal.GetReference(yf);
                    var vz = Vector128.Create(zp);
                    var vs = Vector128.Create(s);
                    for (; i <= xs.Length - 4; i += 4)
                    {
                        var bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref src, i))).AsByte();
                        Vector128<int> v = typeof(TX) == typeof(sbyte)
                            ? Vector128.WidenLower(Vector128.WidenLower(bytes.AsSByte()))
                            : Vector128.WidenLower(Vector128.WidenLower(bytes)).AsInt32();
                        (Vector128.ConvertToSingle(v - vz) * vs).StoreUnsafe(ref dst, (nuint)i);
                    }
                }
                for (; i < xs.Length; i++) yf[i] = (float)(Requantize.Widen(xs[i]) - zp) * s;
            }
            else if (typeof(TY) == typeof(Half))
            {
                Span<Half> yh = MemoryMarshal.Cast<TY, Half>(ys);
                for (int i = 0; i < xs.Length; i++) yh[i] = (Half)((float)(Requantize.Widen(xs[i]) - zp) * s);
            }
            else throw new NotSupportedException(typeof(TY).Name);
        }
    }

    /// <summary>
    /// DynamicQuantizeLinear (uint8): the range [min(0, min x), max(0, max x)] mapped onto [0, 255]:
    /// scale = (max - min) / 255 (1 / 255 for an all-zero input), zero_point = saturate(round(0 - min / scale)),
    /// y = saturate(round(x / scale) + zero_point), all in float32.
    /// </summary>
    public static void DynamicQuantizeLinear(ReadOnlySpan<float> x, Span<byte> y, Span<float> yScale, Span<byte> yZeroPoint)
    {
        float min = 0, max = 0;
        if (!x.IsEmpty)
        {
            min = Math.Min(0f, System.Numerics.Tensors.TensorPrimitives.Min(x));
            max = Math.Max(0f, System.Numerics.Tensors.TensorPrimitives.Max(x));
        }
        float scale = (max == min ? 1f : max - min) / 255f;
        float initial = 0f - min / scale;
        int zp = (int)MathF.Round(Math.Clamp(initial, 0f, 255f));
        yScale[0] = scale;
        yZeroPoint[0] = (byte)zp;
        QuantizeRun(x, scale, zp, y);
    }

    /// <summary>y[i] = table[x[i] as an unsigned byte] (the quantized activations, QLinearConcat's rescaling).</summary>
    public static void Lookup<T>(ReadOnlySpan<T> x, ReadOnlySpan<byte> table, Span<T> y) where T : unmanaged
    {
        if (x.Length != y.Length || table.Length != 256) throw new ArgumentException("Lookup: inconsistent lengths");
        ReadOnlySpan<byte> xb = MemoryMarshal.AsBytes(x);
        Span<byte> yb = MemoryMarshal.AsBytes(y);
        ref byte t = ref MemoryMarshal.GetReference(table);
        for (int i = 0; i < xb.Length; i++) yb[i] = Unsafe.Add(ref t, xb[i]);
    }

    /// <summary>The functions quantized activations apply (table entries are built from them).</summary>
    public enum TableFunction
    {
        /// <summary>f(v) = v (QLinearConcat: requantization to the output's scale and zero point).</summary>
        Identity,
        /// <summary>f(v) = 1 / (1 + e^-v).</summary>
        Sigmoid,
        /// <summary>f(v) = v &gt;= 0 ? v : alpha * v.</summary>
        LeakyRelu,
    }

    /// <summary>
    /// The 256-entry table of a quantized activation, as ONNX Runtime builds it: entry b (the raw byte) holds
    /// quantize(f(x_scale * (b - x_zero_point))), the input read as <typeparamref name="T"/>.
    /// </summary>
    public static void BuildTable<T>(float xScale, int xZeroPoint, float yScale, int yZeroPoint, TableFunction function, float alpha, Span<byte> table)
        where T : unmanaged
    {
        int min = Requantize.Min<T>(), max = Requantize.Max<T>();
        for (int i = 0; i < 256; i++)
        {
            int x = typeof(T) == typeof(sbyte) ? (sbyte)(byte)i : i;
            float v = xScale * (x - xZeroPoint);
            v = function switch
            {
                TableFunction.Sigmoid => (float)(1.0 / (1.0 + Math.Exp(-(double)v))),
                TableFunction.LeakyRelu => v >= 0 ? v : alpha * v,
                _ => v,
            };
            table[i] = (byte)QuantizeOne(v, yScale, yZeroPoint, min, max);
        }
    }

    /// <summary>A quantized activation with scales and zero points known only at run time (the table is built per call).</summary>
    public static void LookupDynamic<T>(ReadOnlySpan<T> x, ReadOnlySpan<float> xScale, ReadOnlySpan<T> xZeroPoint, ReadOnlySpan<float> yScale,
        ReadOnlySpan<T> yZeroPoint, TableFunction function, float alpha, Span<T> y) where T : unmanaged
    {
        Span<byte> table = stackalloc byte[256];
        BuildTable<T>(xScale[0], xZeroPoint.IsEmpty ? 0 : Requantize.Widen(xZeroPoint[0]), yScale[0],
            yZeroPoint.IsEmpty ? 0 : Requantize.Widen(yZeroPoint[0]), function, alpha, table);
        Lookup(x, table, y);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float ToSingle<T>(T v) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return Unsafe.As<T, float>(ref v);
        if (typeof(T) == typeof(Half)) return (float)Unsafe.As<T, Half>(ref v);
        if (typeof(T) == typeof(int)) return Unsafe.As<T, int>(ref v);
        throw new NotSupportedException(typeof(T).Name);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static T FromInt<T>(int v) where T : unmanaged
    {
        if (typeof(T) == typeof(byte)) { byte b = (byte)v; return Unsafe.As<byte, T>(ref b); }
        if (typeof(T) == typeof(sbyte)) { sbyte b = (sbyte)v; return Unsafe.As<sbyte, T>(ref b); }
        if (typeof(T) == typeof(short)) { short b = (short)v; return Unsafe.As<short, T>(ref b); }
        if (typeof(T) == typeof(ushort)) { ushort b = (ushort)v; return Unsafe.As<ushort, T>(ref b); }
        if (typeof(T) == typeof(int)) return Unsafe.As<int, T>(ref v);
        throw new NotSupportedException(typeof(T).Name);
    }
}
