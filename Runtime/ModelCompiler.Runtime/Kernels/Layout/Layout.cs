using System;
using System.ComponentModel;
using System.Numerics;

namespace ModelCompiler.Runtime;

/// <summary>
/// Data movement for any element type: strided copies (Transpose, Slice, Split, Concat, Expand, Tile,
/// DepthToSpace, SpaceToDepth all reduce to one), Pad, Gather, fills. The generator works out every offset
/// and stride at build time and has already merged dimensions that are contiguous in both tensors, so the
/// loops here only walk what is left.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class Layout
{
    /// <summary>
    /// Strided copy into a contiguous destination: for every index i over <paramref name="dims"/> (row-major),
    /// <c>y[k++] = x[xOffset + Σ i[d]·xStrides[d]]</c>. Strides may be 0 (broadcast) or negative (reversed slices).
    /// </summary>
    public static void Copy<T>(ReadOnlySpan<T> x, int xOffset, ReadOnlySpan<int> xStrides, Span<T> y, ReadOnlySpan<int> dims)
    {
        int rank = dims.Length;
        if (rank == 0)
        {
            y[0] = x[xOffset];
            return;
        }
        Span<int> yStrides = stackalloc int[rank];
        int acc = 1;
        for (int d = rank - 1; d >= 0; d--)
        {
            yStrides[d] = acc;
            acc *= dims[d];
        }
        Copy(x, xOffset, xStrides, y, 0, yStrides, dims);
    }

    /// <summary>
    /// General strided copy: for every index i over <paramref name="dims"/>,
    /// <c>y[yOffset + Σ i[d]·yStrides[d]] = x[xOffset + Σ i[d]·xStrides[d]]</c>.
    /// Runs along the last dimension that are contiguous on both sides are one <see cref="Span{T}.CopyTo"/>.
    /// </summary>
    public static void Copy<T>(ReadOnlySpan<T> x, int xOffset, ReadOnlySpan<int> xStrides, Span<T> y, int yOffset, ReadOnlySpan<int> yStrides, ReadOnlySpan<int> dims)
    {
        int rank = dims.Length;
        if (rank == 0)
        {
            y[yOffset] = x[xOffset];
            return;
        }
        long outer = 1;
        for (int d = 0; d < rank - 1; d++) outer *= dims[d];
        int n = dims[rank - 1], xs = xStrides[rank - 1], ys = yStrides[rank - 1];
        if (outer == 0 || n == 0) return;

        // A 2-D transpose at the bottom (x contiguous along the next-to-last dimension, y along the last one):
        // walk it in tiles so that both sides stay in cache.
        int loops = rank - 1;
        bool tiled = rank >= 2 && xs != 1 && ys == 1 && xStrides[rank - 2] == 1 && dims[rank - 2] >= TileSize && n >= TileSize;
        if (tiled)
        {
            loops = rank - 2;
            outer /= dims[rank - 2];
        }

        Span<int> index = stackalloc int[rank];
        index.Clear();
        int xo = xOffset, yo = yOffset;
        for (long o = 0; o < outer; o++)
        {
            if (tiled) Transpose2D(x, xo, xs, y, yo, yStrides[rank - 2], dims[rank - 2], n);
            else Row(x, xo, xs, y, yo, ys, n);
            for (int d = loops - 1; d >= 0; d--)
            {
                xo += xStrides[d];
                yo += yStrides[d];
                if (++index[d] < dims[d]) break;
                xo -= xStrides[d] * dims[d];
                yo -= yStrides[d] * dims[d];
                index[d] = 0;
            }
        }
    }

    private const int TileSize = 16;

    /// <summary>y[yo + i·yRow + j] = x[xo + i + j·xCol] for i &lt; rows, j &lt; cols, in tiles.</summary>
    private static void Transpose2D<T>(ReadOnlySpan<T> x, int xo, int xCol, Span<T> y, int yo, int yRow, int rows, int cols)
    {
        for (int i0 = 0; i0 < rows; i0 += TileSize)
        {
            int i1 = Math.Min(rows, i0 + TileSize);
            for (int j0 = 0; j0 < cols; j0 += TileSize)
            {
                int j1 = Math.Min(cols, j0 + TileSize);
                for (int i = i0; i < i1; i++)
                {
                    int xi = xo + i + j0 * xCol, yi = yo + i * yRow;
                    for (int j = j0; j < j1; j++, xi += xCol) y[yi + j] = x[xi];
                }
            }
        }
    }

    private static void Row<T>(ReadOnlySpan<T> x, int xo, int xs, Span<T> y, int yo, int ys, int n)
    {
        if (xs == 1 && ys == 1)
        {
            x.Slice(xo, n).CopyTo(y.Slice(yo, n));
        }
        else if (xs == 0 && ys == 1)
        {
            y.Slice(yo, n).Fill(x[xo]);
        }
        else if (ys == 1)
        {
            Span<T> row = y.Slice(yo, n);
            for (int i = 0; i < row.Length; i++, xo += xs) row[i] = x[xo];
        }
        else
        {
            for (int i = 0; i < n; i++, xo += xs, yo += ys) y[yo] = x[xo];
        }
    }

    /// <summary>ONNX Range: <c>y[i] = start + i·delta</c>.</summary>
    public static void Range<T>(Span<T> y, T start, T delta) where T : INumber<T>
    {
        T i = T.Zero;
        for (int k = 0; k < y.Length; k++, i++) y[k] = start + i * delta;
    }
}
