using System;
using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;

namespace ModelCompiler.Runtime;

/// <summary>
/// Element-wise activations. Generic over the element type where ONNX allows several (float, double,
/// Half, and integers for Relu and Clip). Float and double run vectorized where the formula allows;
/// element-by-element paths compute in double and round once, so Half results carry one rounding like
/// onnxruntime's. Attributes arrive as float32, as ONNX stores them.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Activations
{
    /// <summary>Relu: max(x, 0); NaN stays NaN.</summary>
    public static void Relu<T>(ReadOnlySpan<T> x, Span<T> y) where T : INumber<T> => TensorPrimitives.Max(x, T.Zero, y);

    /// <summary>LeakyRelu: x &lt; 0 ? alpha * x : x.</summary>
    public static void LeakyRelu<T>(ReadOnlySpan<T> x, Span<T> y, float alpha) where T : IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var va = new Vector<T>(T.CreateTruncating(alpha));
            for (; i <= x.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var v = new Vector<T>(x.Slice(i));
                Vector.ConditionalSelect(Vector.LessThan(v, Vector<T>.Zero), v * va, v).CopyTo(y.Slice(i));
            }
        }
        for (; i < x.Length; i++)
        {
            double v = double.CreateTruncating(x[i]);
            y[i] = v < 0 ? T.CreateTruncating(alpha * v) : x[i];
        }
    }

    /// <summary>Sigmoid: 1 / (1 + exp(-x)).</summary>
    public static void Sigmoid<T>(ReadOnlySpan<T> x, Span<T> y) where T : IExponentialFunctions<T> => TensorPrimitives.Sigmoid(x, y);

    /// <summary>Tanh.</summary>
    public static void Tanh<T>(ReadOnlySpan<T> x, Span<T> y) where T : IHyperbolicFunctions<T> => TensorPrimitives.Tanh(x, y);

    /// <summary>HardSigmoid: max(0, min(1, alpha * x + beta)); NaN stays NaN.</summary>
    public static void HardSigmoid<T>(ReadOnlySpan<T> x, Span<T> y, float alpha, float beta) where T : IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            Vector<T> va = new(T.CreateTruncating(alpha)), vb = new(T.CreateTruncating(beta)), one = Vector<T>.One;
            for (; i <= x.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var v = new Vector<T>(x.Slice(i)) * va + vb;
                Vector.Max(Vector.Min(v, one), Vector<T>.Zero).CopyTo(y.Slice(i));
            }
        }
        for (; i < x.Length; i++) y[i] = T.CreateTruncating(HardSigmoid(double.CreateTruncating(x[i]), alpha, beta));
    }

    /// <summary>HardSwish: x * max(0, min(1, x / 6 + 0.5)), that is x * HardSigmoid(x) with alpha 1/6, beta 0.5.</summary>
    public static void HardSwish<T>(ReadOnlySpan<T> x, Span<T> y) where T : IFloatingPointIeee754<T>
    {
        const float alpha = 1f / 6f, beta = 0.5f;
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            Vector<T> va = new(T.CreateTruncating(alpha)), vb = new(T.CreateTruncating(beta)), one = Vector<T>.One;
            for (; i <= x.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var v = new Vector<T>(x.Slice(i));
                (v * Vector.Max(Vector.Min(v * va + vb, one), Vector<T>.Zero)).CopyTo(y.Slice(i));
            }
        }
        for (; i < x.Length; i++)
        {
            double v = double.CreateTruncating(x[i]);
            y[i] = T.CreateTruncating(v * HardSigmoid(v, alpha, beta));
        }
    }

    private static double HardSigmoid(double x, float alpha, float beta)
    {
        double v = alpha * x + beta;
        return double.IsNaN(v) ? v : v < 0 ? 0 : v > 1 ? 1 : v;
    }

    /// <summary>Elu: x &lt; 0 ? alpha * (exp(x) - 1) : x (computed in double).</summary>
    public static void Elu<T>(ReadOnlySpan<T> x, Span<T> y, float alpha) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = double.CreateTruncating(x[i]);
            y[i] = v < 0 ? T.CreateTruncating(alpha * (Math.Exp(v) - 1)) : x[i];
        }
    }

    /// <summary>Selu: x &gt; 0 ? gamma * x : gamma * (alpha * exp(x) - alpha) (computed in double).</summary>
    public static void Selu<T>(ReadOnlySpan<T> x, Span<T> y, float alpha, float gamma) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = double.CreateTruncating(x[i]);
            y[i] = T.CreateTruncating(v > 0 ? gamma * v : gamma * (alpha * Math.Exp(v) - alpha));
        }
    }

    /// <summary>
    /// Softplus: ln(exp(x) + 1), evaluated in double as max(x, 0) + log1p(exp(-|x|)) so that large inputs do not
    /// overflow and very negative ones keep their precision.
    /// </summary>
    public static void Softplus<T>(ReadOnlySpan<T> x, Span<T> y) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = double.CreateTruncating(x[i]);
            y[i] = double.IsNaN(v) ? x[i] : T.CreateTruncating(Math.Max(v, 0) + Log1p(Math.Exp(-Math.Abs(v))));
        }
    }

    /// <summary>ln(1 + u), accurate for small u (1 + u rounds, and the rounding is divided back out).</summary>
    internal static double Log1p(double u)
    {
        double w = 1 + u;
        return w == 1 ? u : Math.Log(w) * u / (w - 1);
    }

    /// <summary>Softsign: x / (1 + |x|).</summary>
    public static void Softsign<T>(ReadOnlySpan<T> x, Span<T> y) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] / (T.One + T.Abs(x[i]));
    }

    /// <summary>ThresholdedRelu: x &gt; alpha ? x : 0.</summary>
    public static void ThresholdedRelu<T>(ReadOnlySpan<T> x, Span<T> y, float alpha) where T : IFloatingPointIeee754<T>
    {
        T a = T.CreateTruncating(alpha);
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > a ? x[i] : T.Zero;
    }

    /// <summary>Celu: max(0, x) + min(0, alpha * (exp(x / alpha) - 1)) (computed in double).</summary>
    public static void Celu<T>(ReadOnlySpan<T> x, Span<T> y, float alpha) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = double.CreateTruncating(x[i]);
            y[i] = T.CreateTruncating(Math.Max(0, v) + Math.Min(0, alpha * (Math.Exp(v / alpha) - 1)));
        }
    }

    /// <summary>Mish: x * tanh(softplus(x)) (computed in double).</summary>
    public static void Mish<T>(ReadOnlySpan<T> x, Span<T> y) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = double.CreateTruncating(x[i]);
            y[i] = T.CreateTruncating(v * Math.Tanh(Math.Max(v, 0) + Log1p(Math.Exp(-Math.Abs(v)))));
        }
    }

    /// <summary>Swish: x * sigmoid(alpha * x) (computed in double).</summary>
    public static void Swish<T>(ReadOnlySpan<T> x, Span<T> y, float alpha) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = double.CreateTruncating(x[i]);
            y[i] = T.CreateTruncating(v / (1 + Math.Exp(-alpha * v)));
        }
    }

    /// <summary>Gelu, approximate = "none": 0.5 * x * (1 + erf(x / sqrt 2)).</summary>
    public static void Gelu<T>(ReadOnlySpan<T> x, Span<T> y) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = double.CreateTruncating(x[i]);
            y[i] = T.CreateTruncating(0.5 * v * (1 + Elementwise.Erf(v * 0.70710678118654752)));
        }
    }

    /// <summary>Gelu, approximate = "tanh": 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))).</summary>
    public static void GeluTanh<T>(ReadOnlySpan<T> x, Span<T> y) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = double.CreateTruncating(x[i]);
            y[i] = T.CreateTruncating(0.5 * v * (1 + Math.Tanh(0.79788456080286536 * (v + 0.044715 * v * v * v))));
        }
    }

    /// <summary>
    /// Shrink: x &lt; -lambd ? x + bias : x &gt; lambd ? x - bias : 0, computed in double and converted back
    /// (integers truncate toward zero, as the ONNX reference and onnxruntime do).
    /// </summary>
    public static void Shrink<T>(ReadOnlySpan<T> x, Span<T> y, float lambd, float bias) where T : INumber<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = double.CreateTruncating(x[i]);
            y[i] = v < -lambd ? T.CreateTruncating(v + bias) : v > lambd ? T.CreateTruncating(v - bias) : T.Zero;
        }
    }

    /// <summary>Clip: min(max(x, min), max). When min &gt; max every element becomes max; NaN stays NaN.</summary>
    public static void Clip<T>(ReadOnlySpan<T> x, Span<T> y, T min, T max) where T : INumber<T>
    {
        TensorPrimitives.Max(x, min, y);
        TensorPrimitives.Min(y, max, y);
    }
}

/// <summary>ONNX PRelu: x &lt; 0 ? slope * x : x, the slope broadcast to x's shape.</summary>
public readonly struct PRelu<T> : IBinaryOp<T, T, T> where T : INumber<T>
{
    /// <inheritdoc/>
    public static T Apply(T x, T slope) => x < T.Zero ? x * slope : x;
}
