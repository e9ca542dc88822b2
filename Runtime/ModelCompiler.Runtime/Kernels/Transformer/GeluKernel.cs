using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace ModelCompiler.Runtime;

/// <summary>
/// Vectorized float32 GELU, both ONNX forms, in one pass:
/// <list type="bullet">
/// <item>approximate="none": 0.5 x (1 + erf(x / sqrt 2)) = x - h for x &gt;= 0 and h for x &lt; 0, with h = 0.5 x erfc(|x| / sqrt 2).
/// erfc is the Chebyshev fit of Numerical Recipes (erfcc: fractional error below 1.2e-7 everywhere), so the
/// small negative tail keeps its relative precision instead of cancelling in 1 + erf.</item>
/// <item>approximate="tanh": 0.5 x (1 + tanh(a)) = x / (1 + exp(-2a)), a = sqrt(2/pi) (x + 0.044715 x^3), an exact identity.</item>
/// </list>
/// y may be x.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class GeluKernel
{
    /// <summary>approximate="none".</summary>
    public static void Erf(ReadOnlySpan<float> x, Span<float> y) => Run(x, y, tanh: false, VectorWidth.Auto);

    /// <summary>approximate="tanh".</summary>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y) => Run(x, y, tanh: true, VectorWidth.Auto);

    internal static void Run(ReadOnlySpan<float> x, Span<float> y, bool tanh, VectorWidth width)
    {
        if (y.Length < x.Length) throw new ArgumentException($"Y has {y.Length} elements; X has {x.Length}.", nameof(y));
        fixed (float* px = x, py = y)
        {
            var a = new Args(px, py, x.Length);
            if (tanh) MathLevel.Run<TanhLoop, Args>(width, a);
            else MathLevel.Run<ErfLoop, Args>(width, a);
        }
    }

    private readonly struct Args
    {
        public readonly float* X, Y;
        public readonly int Length;
        public Args(float* x, float* y, int length) { X = x; Y = y; Length = length; }
    }

    private struct ErfLoop : IMathKernel<Args>
    {
        public static void Run<TV>(in Args a) where TV : unmanaged, IMathVec<TV>
        {
            int i = 0, n = a.Length;
            for (; i <= n - TV.Count; i += TV.Count) TV.Store(a.Y + i, ErfForm(TV.Load(a.X + i)));
            for (; i < n; i++) MathVec1.Store(a.Y + i, ErfForm(MathVec1.Load(a.X + i)));
        }
    }

    private struct TanhLoop : IMathKernel<Args>
    {
        public static void Run<TV>(in Args a) where TV : unmanaged, IMathVec<TV>
        {
            int i = 0, n = a.Length;
            for (; i <= n - TV.Count; i += TV.Count) TV.Store(a.Y + i, TanhForm(TV.Load(a.X + i)));
            for (; i < n; i++) MathVec1.Store(a.Y + i, TanhForm(MathVec1.Load(a.X + i)));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ErfForm<TV>(TV x) where TV : unmanaged, IMathVec<TV>
    {
        // |x|/sqrt 2 clamped at 20, where erfc is exactly 0 in float32: infinities then give erfc = 0, not exp(-inf) = NaN.
        TV z = TV.Clamp(TV.Multiply(TV.Abs(x), TV.Splat(0.70710678f)), 0f, 20f);
        TV t = TV.Reciprocal(TV.Add(TV.Splat(1f), TV.Multiply(TV.Splat(0.5f), z)));
        TV p = TV.Splat(0.17087277f);
        p = TV.Add(TV.Multiply(p, t), TV.Splat(-0.82215223f));
        p = TV.Add(TV.Multiply(p, t), TV.Splat(1.48851587f));
        p = TV.Add(TV.Multiply(p, t), TV.Splat(-1.13520398f));
        p = TV.Add(TV.Multiply(p, t), TV.Splat(0.27886807f));
        p = TV.Add(TV.Multiply(p, t), TV.Splat(-0.18628806f));
        p = TV.Add(TV.Multiply(p, t), TV.Splat(0.09678418f));
        p = TV.Add(TV.Multiply(p, t), TV.Splat(0.37409196f));
        p = TV.Add(TV.Multiply(p, t), TV.Splat(1.00002368f));
        p = TV.Add(TV.Multiply(p, t), TV.Splat(-1.26551223f));
        TV erfc = TV.Multiply(t, FastMath.Exp(TV.Subtract(p, TV.Multiply(z, z))));
        // x < 0: x*erfc/2; -Infinity gives Infinity * 0 = NaN there, as ONNX Runtime's 0.5x(1 + erf(x/sqrt 2)) does.
        TV h = TV.Multiply(TV.Multiply(TV.Splat(0.5f), x), erfc);
        // x >= 0: x - x*erfc/2, with x clamped in the product, so +Infinity gives +Infinity (as ONNX Runtime's
        // 0.5x(1 + erf(x/sqrt 2)) does) rather than Infinity * 0 = NaN; erfc is 0 in float32 long before 10.
        TV hPositive = TV.Multiply(TV.Multiply(TV.Splat(0.5f), TV.Clamp(x, 0f, 10f)), erfc);
        return TV.SelectNonNegative(x, TV.Subtract(x, hPositive), h);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV TanhForm<TV>(TV x) where TV : unmanaged, IMathVec<TV>
    {
        // -2a = x * (-2 sqrt(2/pi)) * (1 + 0.044715 x^2)
        TV inner = TV.Add(TV.Splat(1f), TV.Multiply(TV.Splat(0.044715f), TV.Multiply(x, x)));
        TV minus2a = TV.Multiply(TV.Multiply(x, TV.Splat(-1.5957691216057308f)), inner);
        return TV.Multiply(x, TV.Reciprocal(TV.Add(TV.Splat(1f), FastMath.Exp(minus2a))));
    }
}
