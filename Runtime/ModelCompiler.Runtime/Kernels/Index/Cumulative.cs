using System;
using System.Numerics;

namespace ModelCompiler.Runtime;

/// <summary>
/// ONNX CumSum and CumProd over the middle axis of an [outer, n, inner] view. exclusive leaves the current
/// element out (the first output is 0, or 1 for a product); reverse runs from the end of the axis.
/// Integers wrap on overflow, as ONNX Runtime's do.
/// </summary>
public static partial class Indexing
{
    /// <summary>Running sums.</summary>
    public static void CumSum<T>(ReadOnlySpan<T> x, Span<T> y, int outer, int n, int inner, bool exclusive, bool reverse) where T : INumber<T> =>
        Run<T, ScatterAdd<T>>(x, y, outer, n, inner, exclusive, reverse, T.Zero);

    /// <summary>Running products.</summary>
    public static void CumProd<T>(ReadOnlySpan<T> x, Span<T> y, int outer, int n, int inner, bool exclusive, bool reverse) where T : INumber<T> =>
        Run<T, ScatterMul<T>>(x, y, outer, n, inner, exclusive, reverse, T.One);

    private static void Run<T, TCombine>(ReadOnlySpan<T> x, Span<T> y, int outer, int n, int inner, bool exclusive, bool reverse, T identity)
        where TCombine : struct, IScatterReduction<T>
    {
        int step = reverse ? -inner : inner;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int p = o * n * inner + i + (reverse ? (n - 1) * inner : 0);
                T acc = identity;
                for (int j = 0; j < n; j++, p += step)
                {
                    T v = x[p];
                    if (exclusive)
                    {
                        y[p] = acc;
                        acc = TCombine.Combine(acc, v);
                    }
                    else
                    {
                        acc = TCombine.Combine(acc, v);
                        y[p] = acc;
                    }
                }
            }
    }
}
