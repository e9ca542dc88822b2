using System;
using System.ComponentModel;

namespace ModelCompiler.Runtime;

/// <summary>
/// Resize and Upsample. Everything that depends on the mode (coordinate transformation, rounding, filter
/// coefficients) is computed at build time into per-axis tables: for every output index along an axis, the
/// input element offsets (index * input stride, so offsets of different axes add up) and their weights.
/// Tables of all axes are concatenated in axis order. A negative offset marks an output position outside the
/// tf_crop_and_resize region, which gets the extrapolation value.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Resize
{
    private const int MaxRank = 16;

    /// <summary>Nearest-neighbour: one source per output index and axis; <paramref name="sources"/> holds outShape[a] entries per axis.</summary>
    public static void Nearest<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> outShape, ReadOnlySpan<int> sources, T extrapolation)
    {
        int rank = outShape.Length;
        if (rank > MaxRank) throw new ArgumentException("too many axes", nameof(outShape));
        if (y.IsEmpty) return;
        Span<int> start = stackalloc int[MaxRank];
        for (int a = 0, s = 0; a < rank; a++) { start[a] = s; s += outShape[a]; }
        int last = rank - 1, width = outShape[last];
        ReadOnlySpan<int> lastTable = sources.Slice(start[last], width);
        Span<int> index = stackalloc int[MaxRank];
        index.Clear();
        for (int rowStart = 0; rowStart < y.Length; rowStart += width)
        {
            Span<T> yRow = y.Slice(rowStart, width);
            int offset = 0;
            bool outside = false;
            for (int a = 0; a < last; a++)
            {
                int src = sources[start[a] + index[a]];
                if (src < 0) outside = true;
                offset += src;
            }
            if (outside)
            {
                yRow.Fill(extrapolation);
            }
            else
            {
                for (int j = 0; j < width; j++)
                {
                    int src = lastTable[j];
                    yRow[j] = src < 0 ? extrapolation : x[offset + src];
                }
            }
            for (int a = last - 1; a >= 0; a--)
            {
                if (++index[a] < outShape[a]) break;
                index[a] = 0;
            }
        }
    }

    /// <summary>
    /// Separable interpolation (linear, cubic, antialiased filters): along axis a every output index has
    /// taps[a] (offset, weight) pairs, so the table of axis a holds outShape[a] * taps[a] entries. An output element
    /// is the sum over all combinations of one tap per axis of the product of their weights times the input there.
    /// </summary>
    public static void Interpolate(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> outShape, ReadOnlySpan<int> taps,
        ReadOnlySpan<int> sources, ReadOnlySpan<float> weights, float extrapolation)
    {
        int rank = outShape.Length;
        if (rank > MaxRank) throw new ArgumentException("too many axes", nameof(outShape));
        if (y.IsEmpty) return;
        Span<int> start = stackalloc int[MaxRank];
        for (int a = 0, s = 0; a < rank; a++) { start[a] = s; s += outShape[a] * taps[a]; }
        int last = rank - 1, width = outShape[last], lastTaps = taps[last];
        ReadOnlySpan<int> lastSources = sources.Slice(start[last], width * lastTaps);
        ReadOnlySpan<float> lastWeights = weights.Slice(start[last], width * lastTaps);
        Span<int> index = stackalloc int[MaxRank];
        Span<int> tap = stackalloc int[MaxRank];
        index.Clear();
        for (int rowStart = 0; rowStart < y.Length; rowStart += width)
        {
            Span<float> yRow = y.Slice(rowStart, width);
            bool outside = false;
            for (int a = 0; a < last; a++)
                if (sources[start[a] + index[a] * taps[a]] < 0) outside = true;
            if (outside)
            {
                yRow.Fill(extrapolation);
            }
            else
            {
                yRow.Clear();
                tap.Clear();
                while (true)
                {
                    // One combination of taps on the outer axes: its input offset and weight.
                    int offset = 0;
                    float weight = 1f;
                    for (int a = 0; a < last; a++)
                    {
                        int e = start[a] + index[a] * taps[a] + tap[a];
                        offset += sources[e];
                        weight *= weights[e];
                    }
                    for (int j = 0, e0 = 0; j < width; j++, e0 += lastTaps)
                    {
                        if (lastSources[e0] < 0) continue;
                        float sum = 0f;
                        for (int t = 0; t < lastTaps; t++) sum += lastWeights[e0 + t] * x[offset + lastSources[e0 + t]];
                        yRow[j] += weight * sum;
                    }
                    int b = last - 1;
                    for (; b >= 0; b--)
                    {
                        if (++tap[b] < taps[b]) break;
                        tap[b] = 0;
                    }
                    if (b < 0) break;
                }
                for (int j = 0; j < width; j++)
                    if (lastSources[j * lastTaps] < 0) yRow[j] = extrapolation;
            }
            for (int a = last - 1; a >= 0; a--)
            {
                if (++index[a] < outShape[a]) break;
                index[a] = 0;
            }
        }
    }
}
