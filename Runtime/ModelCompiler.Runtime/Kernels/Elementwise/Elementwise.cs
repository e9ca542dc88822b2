using System;
using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;

namespace ModelCompiler.Runtime;

/// <summary>
/// Element-wise unary math (Exp, Log, Sqrt, Abs, Sign...), generic over the element type. Float and
/// double run vectorized through TensorPrimitives where its result is the ONNX one; integers wrap
/// (Neg and Abs of the minimum value give the minimum value, as in C).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Elementwise
{
    /// <summary>Exp.</summary>
    public static void Exp<T>(ReadOnlySpan<T> x, Span<T> y) where T : IExponentialFunctions<T> => TensorPrimitives.Exp(x, y);

    /// <summary>Natural logarithm (log 0 = -inf, log of a negative number = NaN).</summary>
    public static void Log<T>(ReadOnlySpan<T> x, Span<T> y) where T : ILogarithmicFunctions<T> => TensorPrimitives.Log(x, y);

    /// <summary>Square root (NaN for negative inputs).</summary>
    public static void Sqrt<T>(ReadOnlySpan<T> x, Span<T> y) where T : IRootFunctions<T> => TensorPrimitives.Sqrt(x, y);

    /// <summary>1 / x.</summary>
    public static void Reciprocal<T>(ReadOnlySpan<T> x, Span<T> y) where T : IFloatingPointIeee754<T> => TensorPrimitives.Reciprocal(x, y);

    /// <summary>Floor.</summary>
    public static void Floor<T>(ReadOnlySpan<T> x, Span<T> y) where T : IFloatingPoint<T> => TensorPrimitives.Floor(x, y);

    /// <summary>Ceil.</summary>
    public static void Ceil<T>(ReadOnlySpan<T> x, Span<T> y) where T : IFloatingPoint<T> => TensorPrimitives.Ceiling(x, y);

    /// <summary>Round to nearest, halves to even (ONNX Round, numpy.round).</summary>
    public static void Round<T>(ReadOnlySpan<T> x, Span<T> y) where T : IFloatingPoint<T> => TensorPrimitives.Round(x, y);

    /// <summary>-x (integers wrap).</summary>
    public static void Neg<T>(ReadOnlySpan<T> x, Span<T> y) where T : INumber<T> => TensorPrimitives.Negate(x, y);

    /// <summary>|x| (for integers, |minimum value| wraps to the minimum value, as in C).</summary>
    public static void Abs<T>(ReadOnlySpan<T> x, Span<T> y) where T : INumber<T>
    {
        if (typeof(T) == typeof(float) || typeof(T) == typeof(double) || typeof(T) == typeof(Half))
        {
            TensorPrimitives.Abs(x, y);
            return;
        }
        for (int i = 0; i < x.Length; i++)
        {
            T v = x[i];
            y[i] = T.IsNegative(v) ? T.Zero - v : v;
        }
    }

    /// <summary>Sign: 1 for positive, -1 for negative, 0 for zero; NaN stays NaN.</summary>
    public static void Sign<T>(ReadOnlySpan<T> x, Span<T> y) where T : INumber<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            T v = x[i];
            y[i] = v > T.Zero ? T.One : v < T.Zero ? T.Zero - T.One : v;
        }
    }

    /// <summary>The Gauss error function, within about 1e-7 relative error for every input.</summary>
    public static void Erf<T>(ReadOnlySpan<T> x, Span<T> y) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) y[i] = T.CreateTruncating(Erf(double.CreateTruncating(x[i])));
    }

    /// <summary>Sin.</summary>
    public static void Sin<T>(ReadOnlySpan<T> x, Span<T> y) where T : ITrigonometricFunctions<T> => TensorPrimitives.Sin(x, y);

    /// <summary>Cos.</summary>
    public static void Cos<T>(ReadOnlySpan<T> x, Span<T> y) where T : ITrigonometricFunctions<T> => TensorPrimitives.Cos(x, y);

    /// <summary>Tan.</summary>
    public static void Tan<T>(ReadOnlySpan<T> x, Span<T> y) where T : ITrigonometricFunctions<T> => TensorPrimitives.Tan(x, y);

    /// <summary>Asin (NaN outside [-1, 1]).</summary>
    public static void Asin<T>(ReadOnlySpan<T> x, Span<T> y) where T : ITrigonometricFunctions<T> => TensorPrimitives.Asin(x, y);

    /// <summary>Acos (NaN outside [-1, 1]).</summary>
    public static void Acos<T>(ReadOnlySpan<T> x, Span<T> y) where T : ITrigonometricFunctions<T> => TensorPrimitives.Acos(x, y);

    /// <summary>Atan.</summary>
    public static void Atan<T>(ReadOnlySpan<T> x, Span<T> y) where T : ITrigonometricFunctions<T> => TensorPrimitives.Atan(x, y);

    /// <summary>Sinh.</summary>
    public static void Sinh<T>(ReadOnlySpan<T> x, Span<T> y) where T : IHyperbolicFunctions<T> => TensorPrimitives.Sinh(x, y);

    /// <summary>Cosh.</summary>
    public static void Cosh<T>(ReadOnlySpan<T> x, Span<T> y) where T : IHyperbolicFunctions<T> => TensorPrimitives.Cosh(x, y);

    /// <summary>Asinh.</summary>
    public static void Asinh<T>(ReadOnlySpan<T> x, Span<T> y) where T : IHyperbolicFunctions<T> => TensorPrimitives.Asinh(x, y);

    /// <summary>Acosh (NaN below 1).</summary>
    public static void Acosh<T>(ReadOnlySpan<T> x, Span<T> y) where T : IHyperbolicFunctions<T> => TensorPrimitives.Acosh(x, y);

    /// <summary>Atanh (NaN outside [-1, 1]).</summary>
    public static void Atanh<T>(ReadOnlySpan<T> x, Span<T> y) where T : IHyperbolicFunctions<T> => TensorPrimitives.Atanh(x, y);

    /// <summary>y = x * x (Pow with the constant exponent 2: the same correctly rounded result, without pow).</summary>
    public static void Square<T>(ReadOnlySpan<T> x, Span<T> y) where T : INumber<T> => TensorPrimitives.Multiply(x, x, y);

    /// <summary>IsNaN.</summary>
    public static void IsNaN<T>(ReadOnlySpan<T> x, Span<bool> y) where T : INumberBase<T>
    {
        for (int i = 0; i < x.Length; i++) y[i] = T.IsNaN(x[i]);
    }

    /// <summary>IsInf: +inf counts when <paramref name="positive"/>, -inf when <paramref name="negative"/>.</summary>
    public static void IsInf<T>(ReadOnlySpan<T> x, Span<bool> y, bool negative, bool positive) where T : INumberBase<T>
    {
        for (int i = 0; i < x.Length; i++) y[i] = (positive && T.IsPositiveInfinity(x[i])) || (negative && T.IsNegativeInfinity(x[i]));
    }

    /// <summary>BitwiseNot: ~x.</summary>
    public static void BitwiseNot<T>(ReadOnlySpan<T> x, Span<T> y) where T : IBinaryInteger<T> => TensorPrimitives.OnesComplement(x, y);

    /// <summary>y = y / count, the last step of ONNX Mean (the sum of the inputs divided by their number).</summary>
    public static void DivideBy<T>(Span<T> y, int count) where T : INumber<T> => TensorPrimitives.Divide(y, T.CreateTruncating(count), y);

    /// <summary>erf in double (<see cref="ScalarMath.Erf"/>, the function constant folding uses too).</summary>
    internal static double Erf(double x) => ScalarMath.Erf(x);
}
