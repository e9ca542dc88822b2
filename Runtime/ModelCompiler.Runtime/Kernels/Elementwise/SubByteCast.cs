using System;
using System.ComponentModel;
using System.Numerics;

namespace ModelCompiler.Runtime;

/// <summary>
/// Cast to int4/uint4 (held one element per sbyte/byte): like every integer Cast, floating-point values are
/// truncated toward zero (saturating to int32, NaN to 0), and the result keeps its low 4 bits, sign-extended
/// for int4 (-9 becomes 7, 8 becomes -8), as the ONNX reference computes it. Casts from 4-bit types need
/// nothing special: the sbyte/byte elements already hold the values.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class SubByteCast
{
    /// <summary>y = the low 4 bits of (int)x, sign-extended when <paramref name="signed"/>.</summary>
    public static void ToInt4<TFrom, TTo>(ReadOnlySpan<TFrom> x, Span<TTo> y, bool signed)
        where TFrom : unmanaged, INumberBase<TFrom> where TTo : unmanaged, IBinaryInteger<TTo>
    {
        for (int i = 0; i < x.Length; i++)
        {
            long v = long.CreateSaturating(int.CreateSaturating(x[i])) & 0xF;
            if (signed && v >= 8) v -= 16;
            y[i] = TTo.CreateTruncating(v);
        }
    }

    /// <summary>y = the low 2 bits of (int)x, sign-extended when <paramref name="signed"/> (int2/uint2).</summary>
    public static void ToInt2<TFrom, TTo>(ReadOnlySpan<TFrom> x, Span<TTo> y, bool signed)
        where TFrom : unmanaged, INumberBase<TFrom> where TTo : unmanaged, IBinaryInteger<TTo>
    {
        for (int i = 0; i < x.Length; i++)
        {
            long v = long.CreateSaturating(int.CreateSaturating(x[i])) & 0x3;
            if (signed && v >= 2) v -= 4;
            y[i] = TTo.CreateTruncating(v);
        }
    }
}
