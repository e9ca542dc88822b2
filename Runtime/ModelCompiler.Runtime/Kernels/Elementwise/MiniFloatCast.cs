using System;
using System.ComponentModel;
using System.Numerics;

namespace ModelCompiler.Runtime;

/// <summary>
/// Cast to and from the floating-point types held as raw bits (<see cref="MiniFloatFormat"/>: bfloat16 in ushort,
/// float8 and float4e2m1 in byte). Values go through double, which holds every value of these types and of the
/// numeric types exactly enough: decoding then follows <see cref="Cast.One{TFrom, TTo}"/> from double (truncation
/// toward zero for integer targets), encoding rounds to nearest even as <see cref="MiniFloats.FromDouble"/> says.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class MiniFloatCast
{
    /// <summary>y = the value of each x (bits of <paramref name="from"/>), cast to TTo.</summary>
    public static void ToNumber<TBits, TTo>(ReadOnlySpan<TBits> x, Span<TTo> y, MiniFloatFormat from)
        where TBits : unmanaged, IBinaryInteger<TBits> where TTo : unmanaged, INumberBase<TTo>
    {
        if (x.Length != y.Length) throw new ArgumentException("Cast: inconsistent lengths");
        for (int i = 0; i < x.Length; i++) y[i] = Cast.One<double, TTo>(MiniFloats.ToDouble(int.CreateTruncating(x[i]), from));
    }

    /// <summary>y = the bits of <paramref name="to"/> nearest to each x.</summary>
    public static void FromNumber<TFrom, TBits>(ReadOnlySpan<TFrom> x, Span<TBits> y, MiniFloatFormat to, bool saturate, E8M0Rounding rounding)
        where TFrom : unmanaged, INumberBase<TFrom> where TBits : unmanaged, IBinaryInteger<TBits>
    {
        if (x.Length != y.Length) throw new ArgumentException("Cast: inconsistent lengths");
        for (int i = 0; i < x.Length; i++) y[i] = TBits.CreateTruncating(MiniFloats.FromDouble(double.CreateTruncating(x[i]), to, saturate, rounding));
    }

    /// <summary>From one raw-bits type to another, through the value.</summary>
    public static void Convert<TFromBits, TToBits>(ReadOnlySpan<TFromBits> x, Span<TToBits> y, MiniFloatFormat from, MiniFloatFormat to, bool saturate, E8M0Rounding rounding)
        where TFromBits : unmanaged, IBinaryInteger<TFromBits> where TToBits : unmanaged, IBinaryInteger<TToBits>
    {
        if (x.Length != y.Length) throw new ArgumentException("Cast: inconsistent lengths");
        for (int i = 0; i < x.Length; i++)
            y[i] = TToBits.CreateTruncating(MiniFloats.FromDouble(MiniFloats.ToDouble(int.CreateTruncating(x[i]), from), to, saturate, rounding));
    }
}
