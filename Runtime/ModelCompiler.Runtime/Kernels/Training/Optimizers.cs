using System;
using System.ComponentModel;
using System.Numerics;

namespace ModelCompiler.Runtime;

/// <summary>
/// One update step of the ai.onnx.preview.training optimizers (Adagrad, Adam, Momentum) for one optimized tensor:
/// element-wise formulas from the ONNX operator descriptions, computed in double precision and rounded once.
/// A node that optimizes several tensors calls these once per tensor (the formulas treat them independently).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Optimizers
{
    /// <summary>
    /// Adagrad: g' = norm * x + g; h_new = h + g'^2; x_new = x - r / (1 + t * decay) * g' / (sqrt(h_new) + epsilon).
    /// </summary>
    public static void Adagrad<T>(double r, long t, ReadOnlySpan<T> x, ReadOnlySpan<T> g, ReadOnlySpan<T> h, Span<T> xNew, Span<T> hNew,
        int n, float decayFactor, float epsilon, float normCoefficient) where T : IFloatingPointIeee754<T>
    {
        double rate = r / (1 + t * (double)decayFactor);
        for (int i = 0; i < n; i++)
        {
            double xi = double.CreateTruncating(x[i]);
            double gi = normCoefficient * xi + double.CreateTruncating(g[i]);
            double hi = double.CreateTruncating(h[i]) + gi * gi;
            xNew[i] = T.CreateTruncating(xi - rate * gi / (Math.Sqrt(hi) + epsilon));
            hNew[i] = T.CreateTruncating(hi);
        }
    }

    /// <summary>
    /// Adam: g' = norm * x + g; v_new = alpha * v + (1 - alpha) * g'; h_new = beta * h + (1 - beta) * g'^2;
    /// r' = t > 0 ? r * sqrt(1 - beta^t) / (1 - alpha^t) : r; x_new = (1 - normPost) * (x - r' * v_new / (sqrt(h_new) + epsilon)).
    /// </summary>
    public static void Adam<T>(double r, long t, ReadOnlySpan<T> x, ReadOnlySpan<T> g, ReadOnlySpan<T> v, ReadOnlySpan<T> h,
        Span<T> xNew, Span<T> vNew, Span<T> hNew, int n, float alpha, float beta, float epsilon, float normCoefficient, float normCoefficientPost)
        where T : IFloatingPointIeee754<T>
    {
        double rate = t > 0 ? r * Math.Sqrt(1 - Math.Pow(beta, t)) / (1 - Math.Pow(alpha, t)) : r;
        for (int i = 0; i < n; i++)
        {
            double xi = double.CreateTruncating(x[i]);
            double gi = normCoefficient * xi + double.CreateTruncating(g[i]);
            double vi = alpha * double.CreateTruncating(v[i]) + (1 - (double)alpha) * gi;
            double hi = beta * double.CreateTruncating(h[i]) + (1 - (double)beta) * gi * gi;
            double updated = xi - rate * vi / (Math.Sqrt(hi) + epsilon);
            xNew[i] = T.CreateTruncating((1 - (double)normCoefficientPost) * updated);
            vNew[i] = T.CreateTruncating(vi);
            hNew[i] = T.CreateTruncating(hi);
        }
    }

    /// <summary>
    /// Momentum: g' = norm * x + g; v_new = alpha * v + (t > 0 ? beta : 1) * g'; x_new = x - r * v_new (standard) or
    /// x - r * (g' + alpha * v_new) (Nesterov).
    /// </summary>
    public static void Momentum<T>(double r, long t, ReadOnlySpan<T> x, ReadOnlySpan<T> g, ReadOnlySpan<T> v, Span<T> xNew, Span<T> vNew,
        int n, float alpha, float beta, float normCoefficient, bool nesterov) where T : IFloatingPointIeee754<T>
    {
        double betaAdjusted = t > 0 ? beta : 1;
        for (int i = 0; i < n; i++)
        {
            double xi = double.CreateTruncating(x[i]);
            double gi = normCoefficient * xi + double.CreateTruncating(g[i]);
            double vi = alpha * double.CreateTruncating(v[i]) + betaAdjusted * gi;
            double step = nesterov ? gi + alpha * vi : vi;
            xNew[i] = T.CreateTruncating(xi - r * step);
            vNew[i] = T.CreateTruncating(vi);
        }
    }
}
