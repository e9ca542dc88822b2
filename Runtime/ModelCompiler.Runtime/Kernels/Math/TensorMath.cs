using System;
using System.ComponentModel;
using System.Numerics;

namespace ModelCompiler.Runtime;

/// <summary>
/// Per-row and per-group math that no other family holds: Hardmax, LpNormalization, MeanVarianceNormalization
/// and Det. Sums run in double precision.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class TensorMath
{
    /// <summary>Hardmax over the middle axis of [outer, n, inner]: 1 at the first largest element, 0 elsewhere.</summary>
    public static void Hardmax<T>(ReadOnlySpan<T> x, Span<T> y, int outer, int n, int inner) where T : INumber<T>
    {
        y.Clear();
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int start = o * n * inner + i, best = 0;
                for (int j = 1; j < n; j++)
                    if (x[start + j * inner] > x[start + best * inner]) best = j;
                if (n > 0) y[start + best * inner] = T.One;
            }
    }

    /// <summary>
    /// LpNormalization over the middle axis of [outer, n, inner]: x divided by its L1 (p = 1) or L2 (p = 2) norm;
    /// a zero norm gives zeros, as ONNX's reference.
    /// </summary>
    public static void LpNormalization<T>(ReadOnlySpan<T> x, Span<T> y, int outer, int n, int inner, int p) where T : IFloatingPointIeee754<T>
    {
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int start = o * n * inner + i;
                double sum = 0;
                for (int j = 0; j < n; j++)
                {
                    double v = double.CreateTruncating(x[start + j * inner]);
                    sum += p == 1 ? Math.Abs(v) : v * v;
                }
                double norm = p == 1 ? sum : Math.Sqrt(sum);
                for (int j = 0; j < n; j++)
                    y[start + j * inner] = norm == 0 ? T.Zero : T.CreateTruncating(double.CreateTruncating(x[start + j * inner]) / norm);
            }
    }

    /// <summary>
    /// MeanVarianceNormalization as ONNX's function body defines it: per group of elements that share the kept
    /// coordinates, y = (x - mean) / (sqrt(mean(x²) - mean²) + 1e-9). The kept and reduced dimensions are given as
    /// shapes with the input's strides.
    /// </summary>
    public static void MeanVarianceNormalization<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> keptShape, ReadOnlySpan<int> keptStrides,
        ReadOnlySpan<int> reducedShape, ReadOnlySpan<int> reducedStrides) where T : IFloatingPointIeee754<T>
    {
        int groups = 1, size = 1;
        foreach (int d in keptShape) groups *= d;
        foreach (int d in reducedShape) size *= d;
        if (size == 0) return;
        Span<int> kept = stackalloc int[keptShape.Length], reduced = stackalloc int[reducedShape.Length];
        kept.Clear();
        for (int g = 0; g < groups; g++)
        {
            int start = Offset(kept, keptStrides);
            double sum = 0, squares = 0;
            reduced.Clear();
            for (int e = 0; e < size; e++)
            {
                double v = double.CreateTruncating(x[start + Offset(reduced, reducedStrides)]);
                sum += v;
                squares += v * v;
                Next(reduced, reducedShape);
            }
            double mean = sum / size, deviation = Math.Sqrt(squares / size - mean * mean) + 1e-9;
            reduced.Clear();
            for (int e = 0; e < size; e++)
            {
                int at = start + Offset(reduced, reducedStrides);
                y[at] = T.CreateTruncating((double.CreateTruncating(x[at]) - mean) / deviation);
                Next(reduced, reducedShape);
            }
            Next(kept, keptShape);
        }
    }

    private static int Offset(ReadOnlySpan<int> position, ReadOnlySpan<int> strides)
    {
        int o = 0;
        for (int d = 0; d < position.Length; d++) o += position[d] * strides[d];
        return o;
    }

    private static void Next(Span<int> position, ReadOnlySpan<int> shape)
    {
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            if (++position[d] < shape[d]) return;
            position[d] = 0;
        }
    }

    /// <summary>Det of each of <paramref name="count"/> m x m matrices: LU decomposition with partial pivoting in double precision.</summary>
    public static unsafe void Det<T>(ReadOnlySpan<T> x, Span<T> y, int count, int m) where T : IFloatingPointIeee754<T>
    {
        var a = new Span<double>(KernelScratch.Get(KernelScratch.LayerSlot, (long)m * m * sizeof(double)), m * m);
        for (int k = 0; k < count; k++)
        {
            for (int i = 0; i < m * m; i++) a[i] = double.CreateTruncating(x[k * m * m + i]);
            double det = 1;
            for (int col = 0; col < m && det != 0; col++)
            {
                int pivot = col;
                for (int r = col + 1; r < m; r++)
                    if (Math.Abs(a[r * m + col]) > Math.Abs(a[pivot * m + col])) pivot = r;
                if (a[pivot * m + col] == 0) { det = 0; break; }
                if (pivot != col)
                {
                    for (int j = 0; j < m; j++) (a[col * m + j], a[pivot * m + j]) = (a[pivot * m + j], a[col * m + j]);
                    det = -det;
                }
                double diagonal = a[col * m + col];
                det *= diagonal;
                for (int r = col + 1; r < m; r++)
                {
                    double f = a[r * m + col] / diagonal;
                    for (int j = col; j < m; j++) a[r * m + j] -= f * a[col * m + j];
                }
            }
            y[k] = T.CreateTruncating(det);
        }
    }
}
