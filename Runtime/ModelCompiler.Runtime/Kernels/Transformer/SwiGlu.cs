using System;
using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;

namespace ModelCompiler.Runtime;

/// <summary>SwiGLU (opset 28): y = a * sigmoid(alpha * a) * b, element-wise over equal shapes. y may be a or b.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class SwiGlu
{
    private const int Chunk = 256;

    /// <summary>y = a * sigmoid(alpha * a) * b.</summary>
    public static void Run<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y, float alpha) where T : unmanaged, IFloatingPointIeee754<T>, IExponentialFunctions<T>
    {
        if (a.Length != b.Length || y.Length != a.Length) throw new ArgumentException("A, B and Y must have the same length.", nameof(y));
        if (typeof(T) == typeof(Half))
        {
            // float16: computed in double, rounded once.
            for (int i = 0; i < a.Length; i++)
            {
                double v = double.CreateTruncating(a[i]);
                y[i] = T.CreateTruncating(v / (1 + Math.Exp(-(double)alpha * v)) * double.CreateTruncating(b[i]));
            }
            return;
        }
        T al = T.CreateTruncating(alpha);
        Span<T> gate = stackalloc T[Chunk];
        for (int start = 0; start < a.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, a.Length - start);
            ReadOnlySpan<T> ac = a.Slice(start, n);
            Span<T> g = gate.Slice(0, n);
            TensorPrimitives.Multiply(ac, al, g);
            TensorPrimitives.Sigmoid(g, g);
            TensorPrimitives.Multiply(g, ac, g);
            TensorPrimitives.Multiply(g, b.Slice(start, n), y.Slice(start, n));
        }
    }
}
