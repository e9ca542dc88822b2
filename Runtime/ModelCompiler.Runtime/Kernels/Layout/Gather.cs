using System;
using System.Globalization;
using System.Numerics;

namespace ModelCompiler.Runtime;

public static partial class Layout
{
    /// <summary>
    /// ONNX Gather with run-time indices: x is seen as [outer, axisDim, inner], y as [outer, indices.Length, inner];
    /// <c>y[o, k, :] = x[o, indices[k], :]</c>. Negative indices count from the end.
    /// </summary>
    /// <exception cref="IndexOutOfRangeException">An index is outside [-axisDim, axisDim).</exception>
    public static void Gather<T, TIndex>(ReadOnlySpan<T> x, ReadOnlySpan<TIndex> indices, Span<T> y, int outer, int axisDim, int inner)
        where TIndex : unmanaged, IBinaryInteger<TIndex>
    {
        int count = indices.Length;
        int yo = 0;
        for (int o = 0; o < outer; o++)
        {
            int xBase = o * axisDim;
            for (int k = 0; k < count; k++, yo += inner)
            {
                long i = long.CreateTruncating(indices[k]);
                if (i < 0) i += axisDim;
                if ((ulong)i >= (ulong)axisDim) ThrowIndex(long.CreateTruncating(indices[k]), axisDim);
                int xo = (xBase + (int)i) * inner;
                if (inner == 1) y[yo] = x[xo];
                else x.Slice(xo, inner).CopyTo(y.Slice(yo, inner));
            }
        }
    }

    private static void ThrowIndex(long index, int axisDim) =>
        throw new IndexOutOfRangeException(string.Format(CultureInfo.InvariantCulture,
            "Gather index {0} is out of range for an axis of size {1}.", index, axisDim));
}
