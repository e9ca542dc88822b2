using System;

namespace ModelCompiler.Runtime;

public static partial class Layout
{
    /// <summary>
    /// ONNX Pad, every mode. The output is seen as <paramref name="dims"/> (its padded dimensions; trailing
    /// unpadded ones are folded into blocks of <paramref name="inner"/> contiguous elements). For each output
    /// dimension d, <paramref name="map"/> holds dims[d] entries (the maps of all dimensions one after the
    /// other): the input element offset that index contributes, or -1 where the output takes
    /// <paramref name="value"/>. Constant, edge, reflect, wrap and negative (cropping) pads differ only in the map.
    /// </summary>
    public static void Pad<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> dims, ReadOnlySpan<int> map, int inner, T value)
    {
        int rank = dims.Length;
        if (rank == 0)
        {
            x.Slice(0, inner).CopyTo(y);
            return;
        }
        int n = dims[rank - 1];
        ReadOnlySpan<int> last = map.Slice(map.Length - n, n);
        long outer = 1;
        for (int d = 0; d < rank - 1; d++) outer *= dims[d];
        if (outer == 0 || n == 0 || inner == 0) return;

        Span<int> index = stackalloc int[rank];
        index.Clear();
        int rowLength = n * inner, yo = 0;
        for (long o = 0; o < outer; o++, yo += rowLength)
        {
            // Offset of this row in the input, or -1 when an outer index falls in the padding.
            int bas = 0, start = 0;
            for (int d = 0; d < rank - 1; d++)
            {
                int m = map[start + index[d]];
                if (m < 0) { bas = -1; break; }
                bas += m;
                start += dims[d];
            }
            Span<T> row = y.Slice(yo, rowLength);
            if (bas < 0) row.Fill(value);
            else if (inner == 1)
            {
                for (int j = 0; j < n; j++)
                {
                    int m = last[j];
                    row[j] = m < 0 ? value : x[bas + m];
                }
            }
            else
            {
                for (int j = 0; j < n; j++)
                {
                    int m = last[j];
                    Span<T> block = row.Slice(j * inner, inner);
                    if (m < 0) block.Fill(value);
                    else x.Slice(bas + m, inner).CopyTo(block);
                }
            }

            for (int d = rank - 2; d >= 0; d--)
            {
                if (++index[d] < dims[d]) break;
                index[d] = 0;
            }
        }
    }
}
