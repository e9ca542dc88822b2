using System;
using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;

namespace ModelCompiler.Runtime;

/// <summary>
/// ONNX Cast between numeric and bool tensors. Conversions behave as C#'s unchecked casts: floating-point
/// to integer truncates toward zero; out of range it saturates for 32- and 64-bit targets and, for 8- and
/// 16-bit targets, saturates to int32 and then wraps; NaN becomes 0. Integer to integer wraps; to floating
/// point rounds to nearest. Anything to bool is "value != 0" (NaN is true); bool is 0 or 1.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Cast
{
    /// <summary>y = (TTo)x element by element.</summary>
    public static void Convert<TFrom, TTo>(ReadOnlySpan<TFrom> x, Span<TTo> y) where TFrom : unmanaged, INumberBase<TFrom> where TTo : unmanaged, INumberBase<TTo>
    {
        if (typeof(TFrom) == typeof(float) && typeof(TTo) == typeof(Half))
        {
            TensorPrimitives.ConvertToHalf(System.Runtime.InteropServices.MemoryMarshal.Cast<TFrom, float>(x), System.Runtime.InteropServices.MemoryMarshal.Cast<TTo, Half>(y));
            return;
        }
        if (typeof(TFrom) == typeof(Half) && typeof(TTo) == typeof(float))
        {
            TensorPrimitives.ConvertToSingle(System.Runtime.InteropServices.MemoryMarshal.Cast<TFrom, Half>(x), System.Runtime.InteropServices.MemoryMarshal.Cast<TTo, float>(y));
            return;
        }
        for (int i = 0; i < x.Length; i++) y[i] = One<TFrom, TTo>(x[i]);
    }

    /// <summary>y = x != 0.</summary>
    public static void ToBool<T>(ReadOnlySpan<T> x, Span<bool> y) where T : INumberBase<T>
    {
        for (int i = 0; i < x.Length; i++) y[i] = !T.IsZero(x[i]);
    }

    /// <summary>y = x ? 1 : 0.</summary>
    public static void FromBool<T>(ReadOnlySpan<bool> x, Span<T> y) where T : INumberBase<T>
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] ? T.One : T.Zero;
    }

    /// <summary>One element, as C#'s unchecked cast from TFrom to TTo.</summary>
    public static TTo One<TFrom, TTo>(TFrom v) where TFrom : INumberBase<TFrom> where TTo : INumberBase<TTo>
    {
        bool fromFloat = typeof(TFrom) == typeof(float) || typeof(TFrom) == typeof(double) || typeof(TFrom) == typeof(Half);
        bool toSmallInteger = typeof(TTo) == typeof(sbyte) || typeof(TTo) == typeof(byte) || typeof(TTo) == typeof(short) || typeof(TTo) == typeof(ushort);
        bool toLargeInteger = typeof(TTo) == typeof(int) || typeof(TTo) == typeof(uint) || typeof(TTo) == typeof(long) || typeof(TTo) == typeof(ulong);
        if (fromFloat && toSmallInteger) return TTo.CreateTruncating(int.CreateSaturating(v));
        if (fromFloat && toLargeInteger) return TTo.CreateSaturating(v);
        return TTo.CreateTruncating(v); // integer wrap, or rounding to a floating-point type (overflow gives infinity)
    }
}
