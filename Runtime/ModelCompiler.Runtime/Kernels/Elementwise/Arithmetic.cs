using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace ModelCompiler.Runtime;

/// <summary>ONNX Add: a + b (integers wrap).</summary>
public readonly struct Add<T> : IBinaryOp<T, T, T> where T : INumber<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T b) => unchecked(a + b);
    /// <inheritdoc/>
    public static bool HasSpanPath => true;
    /// <inheritdoc/>
    public static void ApplySpan(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Add(a, b, y);
}

/// <summary>ONNX Sub: a - b.</summary>
public readonly struct Sub<T> : IBinaryOp<T, T, T> where T : INumber<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T b) => unchecked(a - b);
    /// <inheritdoc/>
    public static bool HasSpanPath => true;
    /// <inheritdoc/>
    public static void ApplySpan(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Subtract(a, b, y);
}

/// <summary>ONNX Mul: a * b.</summary>
public readonly struct Mul<T> : IBinaryOp<T, T, T> where T : INumber<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T b) => unchecked(a * b);
    /// <inheritdoc/>
    public static bool HasSpanPath => true;
    /// <inheritdoc/>
    public static void ApplySpan(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Multiply(a, b, y);
}

/// <summary>ONNX Div: a / b (integer division truncates toward zero, as C does).</summary>
public readonly struct Div<T> : IBinaryOp<T, T, T> where T : INumber<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T b) => a / b;
    /// <inheritdoc/>
    public static bool HasSpanPath => typeof(T) == typeof(float) || typeof(T) == typeof(double);
    /// <inheritdoc/>
    public static void ApplySpan(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Divide(a, b, y);
}

/// <summary>
/// ONNX Pow: a ^ b, where the exponent may have another type. Integer base and integer exponent multiply
/// exactly (wrapping like the other integer ops; a negative exponent gives 1/a^|b| truncated toward zero);
/// otherwise the power is taken in double and converted to the base's type (truncating for integers).
/// </summary>
public readonly struct Pow<TA, TB> : IBinaryOp<TA, TB, TA> where TA : INumber<TA> where TB : INumber<TB>
{
    /// <inheritdoc/>
    public static TA Apply(TA a, TB b)
    {
        if (IsInteger<TA>() && IsInteger<TB>()) return IntegerPower(a, b);
        double r = Math.Pow(double.CreateTruncating(a), double.CreateTruncating(b));
        return TA.CreateTruncating(r);
    }

    private static TA IntegerPower(TA a, TB b)
    {
        if (TB.IsNegative(b))
        {
            if (a == TA.One) return TA.One;
            if (TA.IsNegative(a) && a == TA.Zero - TA.One) return TB.IsEvenInteger(b) ? TA.One : a;
            return TA.Zero;
        }
        ulong e = ulong.CreateTruncating(b);
        TA result = TA.One, square = a;
        while (e != 0)
        {
            if ((e & 1) != 0) result = unchecked(result * square);
            e >>= 1;
            if (e != 0) square = unchecked(square * square);
        }
        return result;
    }

    private static bool IsInteger<T>() =>
        typeof(T) == typeof(sbyte) || typeof(T) == typeof(byte) || typeof(T) == typeof(short) || typeof(T) == typeof(ushort)
        || typeof(T) == typeof(int) || typeof(T) == typeof(uint) || typeof(T) == typeof(long) || typeof(T) == typeof(ulong);
}

/// <summary>ONNX Mod with fmod = 0 (integers): the remainder takes the divisor's sign, as Python's %.</summary>
public readonly struct Mod<T> : IBinaryOp<T, T, T> where T : INumber<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T b)
    {
        T r = a % b;
        if (r != T.Zero && T.IsNegative(r) != T.IsNegative(b)) r += b;
        return r;
    }
}

/// <summary>ONNX Mod with fmod = 1: the remainder takes the dividend's sign, as C's fmod (and C#'s %).</summary>
public readonly struct FMod<T> : IBinaryOp<T, T, T> where T : INumber<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T b) => a % b;
}

/// <summary>ONNX Max (pairwise step of the variadic op): NaN propagates, as numpy.maximum.</summary>
public readonly struct Max<T> : IBinaryOp<T, T, T> where T : INumber<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T b) => T.IsNaN(a) ? a : T.IsNaN(b) ? b : a > b ? a : b;
    /// <inheritdoc/>
    public static bool HasSpanPath => true;
    /// <inheritdoc/>
    public static void ApplySpan(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Max(a, b, y);
}

/// <summary>ONNX Min (pairwise step of the variadic op): NaN propagates, as numpy.minimum.</summary>
public readonly struct Min<T> : IBinaryOp<T, T, T> where T : INumber<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T b) => T.IsNaN(a) ? a : T.IsNaN(b) ? b : a < b ? a : b;
    /// <inheritdoc/>
    public static bool HasSpanPath => true;
    /// <inheritdoc/>
    public static void ApplySpan(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Min(a, b, y);
}

/// <summary>ONNX BitwiseAnd: a &amp; b.</summary>
public readonly struct BitwiseAnd<T> : IBinaryOp<T, T, T> where T : IBinaryInteger<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T b) => a & b;
    /// <inheritdoc/>
    public static bool HasSpanPath => true;
    /// <inheritdoc/>
    public static void ApplySpan(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.BitwiseAnd(a, b, y);
}

/// <summary>ONNX BitwiseOr: a | b.</summary>
public readonly struct BitwiseOr<T> : IBinaryOp<T, T, T> where T : IBinaryInteger<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T b) => a | b;
    /// <inheritdoc/>
    public static bool HasSpanPath => true;
    /// <inheritdoc/>
    public static void ApplySpan(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.BitwiseOr(a, b, y);
}

/// <summary>ONNX BitwiseXor: a ^ b.</summary>
public readonly struct BitwiseXor<T> : IBinaryOp<T, T, T> where T : IBinaryInteger<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T b) => a ^ b;
    /// <inheritdoc/>
    public static bool HasSpanPath => true;
    /// <inheritdoc/>
    public static void ApplySpan(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Xor(a, b, y);
}

/// <summary>ONNX BitShift, direction LEFT (unsigned types): a &lt;&lt; b, 0 once b reaches the type's width.</summary>
public readonly struct ShiftLeft<T> : IBinaryOp<T, T, T> where T : IBinaryInteger<T>, IUnsignedNumber<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T b) => b >= T.CreateTruncating(Unsafe.SizeOf<T>() * 8) ? T.Zero : a << int.CreateTruncating(b);
}

/// <summary>ONNX BitShift, direction RIGHT (unsigned types): a &gt;&gt; b, 0 once b reaches the type's width.</summary>
public readonly struct ShiftRight<T> : IBinaryOp<T, T, T> where T : IBinaryInteger<T>, IUnsignedNumber<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T b) => b >= T.CreateTruncating(Unsafe.SizeOf<T>() * 8) ? T.Zero : a >>> int.CreateTruncating(b);
}
