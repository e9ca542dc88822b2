using System;
using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;

namespace ModelCompiler.Runtime;

/// <summary>
/// Einsum (opset 12) of one or two operands, the equation resolved at build time into loops: every output element
/// is the sum over the summed labels of the operands' product. <see cref="Contract{T}"/> handles any equation
/// (transposes, diagonals, broadcasting, reductions) from per-label strides; <see cref="BatchedProduct{T}"/> is the
/// fast path for equations that are a batched matrix product (bij,bjk->bik, bhqd,bhkd->bhqk...).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Einsum
{
    /// <summary>
    /// y[o] = Σ over the summed indices of a[offset] (* b[offset]); <paramref name="dims"/> lists the output labels'
    /// sizes (the first <paramref name="outputRank"/>, in output order) then the summed labels' sizes; the stride
    /// spans give each operand's element stride per label (0 for a label it lacks or broadcasts; a repeated label's
    /// strides added, which walks the diagonal). <paramref name="b"/> is empty for one operand.
    /// </summary>
    public static void Contract<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y, ReadOnlySpan<int> dims, int outputRank,
        ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides) where T : unmanaged, INumber<T>
    {
        int rank = dims.Length;
        if (aStrides.Length != rank || (!b.IsEmpty && bStrides.Length != rank) || outputRank > rank)
            throw new ArgumentException("Every operand needs one stride per label.", nameof(aStrides));
        long outCount = 1, sumCount = 1;
        for (int d = 0; d < rank; d++)
        {
            if (d < outputRank) outCount *= dims[d];
            else sumCount *= dims[d];
        }
        if (y.Length < outCount) throw new ArgumentException($"Y needs {outCount} elements.", nameof(y));
        bool two = !b.IsEmpty;
        Span<int> index = stackalloc int[rank];
        index.Clear();
        long oa = 0, ob = 0;
        for (long o = 0; o < outCount; o++)
        {
            T sum = T.Zero;
            if (sumCount > 0)
            {
                long sa = oa, sb = ob;
                for (long s = 0; s < sumCount; s++)
                {
                    sum += two ? a[(int)sa] * b[(int)sb] : a[(int)sa];
                    for (int d = rank - 1; d >= outputRank; d--)
                    {
                        sa += aStrides[d];
                        if (two) sb += bStrides[d];
                        if (++index[d] < dims[d]) break;
                        sa -= (long)aStrides[d] * dims[d];
                        if (two) sb -= (long)bStrides[d] * dims[d];
                        index[d] = 0;
                    }
                }
            }
            y[(int)o] = sum;
            for (int d = outputRank - 1; d >= 0; d--)
            {
                oa += aStrides[d];
                if (two) ob += bStrides[d];
                if (++index[d] < dims[d]) break;
                oa -= (long)aStrides[d] * dims[d];
                if (two) ob -= (long)bStrides[d] * dims[d];
                index[d] = 0;
            }
        }
    }

    /// <summary>
    /// y[batch, m, n] = Σ_k a[batch * aBatch + m * aRow + k * aDepth] * b[batch * bBatch + k * bDepth + n * bCol], y contiguous.
    /// Rows of b contiguous in n run as vector multiply-adds, contiguous k as dot products.
    /// </summary>
    public static void BatchedProduct<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y, int batch, int m, int n, int k,
        int aBatch, int aRow, int aDepth, int bBatch, int bDepth, int bCol) where T : unmanaged, INumber<T>
    {
        long count = (long)batch * m * n;
        if (y.Length < count) throw new ArgumentException($"Y needs {count} elements.", nameof(y));
        long aLast = (long)(batch - 1) * aBatch + (long)(m - 1) * aRow + (long)(k - 1) * aDepth;
        long bLast = (long)(batch - 1) * bBatch + (long)(k - 1) * bDepth + (long)(n - 1) * bCol;
        if (count > 0 && k > 0 && (aLast >= a.Length || bLast >= b.Length)) throw new ArgumentException("An operand is shorter than its strides reach.", aLast >= a.Length ? nameof(a) : nameof(b));
        for (int bi = 0; bi < batch; bi++)
        {
            for (int i = 0; i < m; i++)
            {
                Span<T> row = y.Slice((int)(((long)bi * m + i) * n), n);
                int aStart = bi * aBatch + i * aRow;
                if (bCol == 1 && n > 1)
                {
                    row.Clear();
                    for (int p = 0; p < k; p++) TensorPrimitives.MultiplyAdd(b.Slice(bi * bBatch + p * bDepth, n), a[aStart + p * aDepth], row, row);
                }
                else if (aDepth == 1 && bDepth == 1)
                {
                    for (int j = 0; j < n; j++) row[j] = TensorPrimitives.Dot(a.Slice(aStart, k), b.Slice(bi * bBatch + j * bCol, k));
                }
                else
                {
                    for (int j = 0; j < n; j++)
                    {
                        T sum = T.Zero;
                        for (int p = 0; p < k; p++) sum += a[aStart + p * aDepth] * b[bi * bBatch + p * bDepth + j * bCol];
                        row[j] = sum;
                    }
                }
            }
        }
    }
}
