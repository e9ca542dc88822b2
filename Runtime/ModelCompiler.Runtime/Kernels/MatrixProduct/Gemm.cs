using System;
using System.ComponentModel;
using System.Numerics.Tensors;

namespace ModelCompiler.Runtime;

/// <summary>Dense matrix products (row-major float32).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Gemm
{
    /// <summary>y[m,n] = alpha * op(a) * op(b), where op transposes when asked. a is [m,k] ([k,m] if transA), b is [k,n] ([n,k] if transB).</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, int m, int n, int k, bool transA, bool transB, float alpha)
    {
        for (int i = 0; i < m; i++)
        {
            Span<float> yRow = y.Slice(i * n, n);
            if (!transB)
            {
                yRow.Clear();
                for (int p = 0; p < k; p++)
                {
                    float av = transA ? a[p * m + i] : a[i * k + p];
                    TensorPrimitives.MultiplyAdd(b.Slice(p * n, n), av, yRow, yRow);
                }
            }
            else if (!transA)
            {
                ReadOnlySpan<float> aRow = a.Slice(i * k, k);
                for (int j = 0; j < n; j++) yRow[j] = TensorPrimitives.Dot(aRow, b.Slice(j * k, k));
            }
            else
            {
                for (int j = 0; j < n; j++)
                {
                    float sum = 0;
                    for (int p = 0; p < k; p++) sum += a[p * m + i] * b[j * k + p];
                    yRow[j] = sum;
                }
            }
            if (alpha != 1f) TensorPrimitives.Multiply(yRow, alpha, yRow);
        }
    }

    /// <summary>y[m,n] += beta * c, with c of shape [cRows, cCols] broadcast (cRows is 1 or m, cCols is 1 or n).</summary>
    public static void AddBias(ReadOnlySpan<float> c, int cRows, int cCols, Span<float> y, int m, int n, float beta)
    {
        for (int i = 0; i < m; i++)
        {
            Span<float> yRow = y.Slice(i * n, n);
            int r = cRows == 1 ? 0 : i;
            if (cCols == 1)
            {
                TensorPrimitives.Add(yRow, beta * c[r], yRow);
            }
            else if (beta == 1f)
            {
                TensorPrimitives.Add(yRow, c.Slice(r * n, n), yRow);
            }
            else
            {
                TensorPrimitives.MultiplyAdd(c.Slice(r * n, n), beta, yRow, yRow);
            }
        }
    }

    /// <summary>
    /// Batched y[b] = a[b] * b[b] for MatMul; <paramref name="aOffsets"/>/<paramref name="bOffsets"/> give each
    /// batch's start element, which is how broadcast batch dimensions are expressed.
    /// </summary>
    public static void BatchedMatMul(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, int m, int n, int k,
        ReadOnlySpan<int> aOffsets, ReadOnlySpan<int> bOffsets)
    {
        for (int batch = 0; batch < aOffsets.Length; batch++)
            Multiply(a.Slice(aOffsets[batch], m * k), b.Slice(bOffsets[batch], k * n), y.Slice(batch * m * n, m * n), m, n, k, false, false, 1f);
    }
}
