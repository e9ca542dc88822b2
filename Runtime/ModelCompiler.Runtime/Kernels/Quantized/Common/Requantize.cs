using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelCompiler.Runtime;

/// <summary>
/// int32 accumulators to 8-bit outputs, as ONNX Runtime's MLAS requantizes: the float32 product
/// <c>(float)acc * multiplier</c>, clamped to the output range shifted by the zero point, rounded half to
/// even, plus the zero point. Clamping before rounding equals saturating after it (the bounds are integers).
/// </summary>
internal static class Requantize
{
    /// <summary>Smallest value of T (<see cref="QuantizedValues.Min"/>, the ranges the generator uses too).</summary>
    public static int Min<T>() => QuantizedValues.Min(Bits<T>(), Signed<T>());

    /// <summary>Largest value of T (int.MaxValue for 32-bit and wider).</summary>
    public static int Max<T>() => QuantizedValues.Max(Bits<T>(), Signed<T>());

    private static int Bits<T>() => typeof(T) == typeof(sbyte) || typeof(T) == typeof(byte) ? 8 : typeof(T) == typeof(short) || typeof(T) == typeof(ushort) ? 16 : 32;

    private static bool Signed<T>() => typeof(T) == typeof(sbyte) || typeof(T) == typeof(short) || typeof(T) == typeof(int);

    /// <summary>One value: saturate(round_half_even((float)acc * m) + zp).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int One(int acc, float multiplier, int zeroPoint, int min, int max)
    {
        float f = acc * multiplier;
        f = Math.Clamp(f, min - zeroPoint, max - zeroPoint);
        return (int)MathF.Round(f) + zeroPoint;
    }

    /// <summary>An 8-bit value from an int already in range.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Narrow<T>(int v) where T : unmanaged
    {
        if (typeof(T) == typeof(byte)) { byte b = (byte)v; return Unsafe.As<byte, T>(ref b); }
        if (typeof(T) == typeof(sbyte)) { sbyte s = (sbyte)v; return Unsafe.As<sbyte, T>(ref s); }
        throw new NotSupportedException(typeof(T).Name);
    }

    /// <summary>Reads an 8-bit element as an int (sign-extending int8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Widen<T>(T v) where T : unmanaged
    {
        if (typeof(T) == typeof(byte)) return Unsafe.As<T, byte>(ref v);
        if (typeof(T) == typeof(sbyte)) return Unsafe.As<T, sbyte>(ref v);
        if (typeof(T) == typeof(short)) return Unsafe.As<T, short>(ref v);
        if (typeof(T) == typeof(ushort)) return Unsafe.As<T, ushort>(ref v);
        if (typeof(T) == typeof(int)) return Unsafe.As<T, int>(ref v);
        throw new NotSupportedException(typeof(T).Name);
    }

    /// <summary>y[i] = requantized acc[i], one multiplier for all (y is byte or sbyte).</summary>
    public static void Store<T>(ReadOnlySpan<int> acc, float multiplier, int zeroPoint, Span<T> y) where T : unmanaged
    {
        int n = acc.Length;
        if (y.Length < n) throw new ArgumentException("output too short");
        int min = Min<T>(), max = Max<T>();
        int i = 0;
        if (Avx512F.IsSupported && n >= 16)
        {
            // 16 per step in one register: clamp in float, round half to even, add the zero point, vpmovdb (the
            // value is already in the type's range, so keeping the low byte is exact for byte and sbyte).
            var m = Vector512.Create(multiplier);
            var lo = Vector512.Create((float)(min - zeroPoint));
            var hi = Vector512.Create((float)(max - zeroPoint));
            var zp = Vector512.Create(zeroPoint);
            ref int a = ref MemoryMarshal.GetReference(acc);
            ref byte o = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(y));
            for (; ; i += 16)
            {
                if (i > n - 16)
                {
                    if (i == n) break;
                    i = n - 16; // the tail as one more overlapping block
                }
                // vcvtps2dq rounds half to even (default MXCSR mode); MinNative/MaxNative are plain vminps/vmaxps.
                var f = Vector512.MinNative(Vector512.MaxNative(Vector512.ConvertToSingle(Vector512.LoadUnsafe(ref a, (nuint)i)) * m, lo), hi);
                Avx512F.ConvertToVector128Byte(Avx512F.ConvertToVector512Int32(f) + zp).StoreUnsafe(ref o, (nuint)i);
                if (i == n - 16) break;
            }
            return;
        }
        if (Vector256.IsHardwareAccelerated && n >= 16)
        {
            var m = Vector256.Create(multiplier);
            var lo = Vector256.Create((float)(min - zeroPoint));
            var hi = Vector256.Create((float)(max - zeroPoint));
            var zp = Vector256.Create(zeroPoint);
            ref int a = ref MemoryMarshal.GetReference(acc);
            ref byte o = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(y));
            for (; i <= n - 16; i += 16)
                QuantizedEpilogue.Requant16Bytes(Vector256.LoadUnsafe(ref a, (nuint)i), Vector256.LoadUnsafe(ref a, (nuint)(i + 8)), m, m, lo, hi, zp)
                    .StoreUnsafe(ref o, (nuint)i);
            // The tail as one more overlapping block when there is room before it.
            if (i < n && n >= 16)
            {
                int last = n - 16;
                QuantizedEpilogue.Requant16Bytes(Vector256.LoadUnsafe(ref a, (nuint)last), Vector256.LoadUnsafe(ref a, (nuint)(last + 8)), m, m, lo, hi, zp)
                    .StoreUnsafe(ref o, (nuint)last);
                i = n;
            }
        }
        if (Vector128.IsHardwareAccelerated && n - i >= 8)
        {
            var m = Vector128.Create(multiplier);
            var lo = Vector128.Create((float)(min - zeroPoint));
            var hi = Vector128.Create((float)(max - zeroPoint));
            var zp = Vector128.Create(zeroPoint);
            ref int a = ref MemoryMarshal.GetReference(acc);
            ref byte o = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(y));
            for (; i <= n - 8; i += 8)
            {
                var r0 = Convert(Vector128.LoadUnsafe(ref a, (nuint)i), m, lo, hi) + zp;
                var r1 = Convert(Vector128.LoadUnsafe(ref a, (nuint)(i + 4)), m, lo, hi) + zp;
                StoreNarrow<T>(r0, r1, ref Unsafe.Add(ref o, i));
            }
        }
        for (; i < n; i++) y[i] = Narrow<T>(One(acc[i], multiplier, zeroPoint, min, max));
    }

    /// <summary>y[i] = requantized acc[i] with multiplier m[i] (per output column).</summary>
    public static void StorePerLane<T>(ReadOnlySpan<int> acc, ReadOnlySpan<float> multipliers, int zeroPoint, Span<T> y) where T : unmanaged
    {
        int n = acc.Length;
        if (y.Length < n || multipliers.Length < n) throw new ArgumentException("output too short");
        int min = Min<T>(), max = Max<T>();
        int i = 0;
        if (Vector128.IsHardwareAccelerated && n >= 8)
        {
            var lo = Vector128.Create((float)(min - zeroPoint));
            var hi = Vector128.Create((float)(max - zeroPoint));
            var zp = Vector128.Create(zeroPoint);
            ref int a = ref MemoryMarshal.GetReference(acc);
            ref float mm = ref MemoryMarshal.GetReference(multipliers);
            ref byte o = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(y));
            for (; i <= n - 8; i += 8)
            {
                var r0 = Convert(Vector128.LoadUnsafe(ref a, (nuint)i), Vector128.LoadUnsafe(ref mm, (nuint)i), lo, hi) + zp;
                var r1 = Convert(Vector128.LoadUnsafe(ref a, (nuint)(i + 4)), Vector128.LoadUnsafe(ref mm, (nuint)(i + 4)), lo, hi) + zp;
                StoreNarrow<T>(r0, r1, ref Unsafe.Add(ref o, i));
            }
        }
        for (; i < n; i++) y[i] = Narrow<T>(One(acc[i], multipliers[i], zeroPoint, min, max));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Convert(Vector128<int> acc, Vector128<float> m, Vector128<float> lo, Vector128<float> hi)
    {
        var f = Vector128.ConvertToSingle(acc) * m;
        f = Vector128.MinNative(Vector128.MaxNative(f, lo), hi);
        return Vector128.ConvertToInt32(Vector128.Round(f));
    }

    /// <summary>Stores 8 in-range ints as 8 bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreNarrow<T>(Vector128<int> a, Vector128<int> b, ref byte target)
    {
        var s = Vector128.Narrow(a, b); // 8 shorts, values already in range
        if (typeof(T) == typeof(byte))
        {
            var bytes = Vector128.Narrow(s.AsUInt16(), s.AsUInt16());
            Unsafe.WriteUnaligned(ref target, bytes.AsUInt64().ToScalar());
        }
        else
        {
            var bytes = Vector128.Narrow(s, s);
            Unsafe.WriteUnaligned(ref target, bytes.AsUInt64().ToScalar());
        }
    }
}
