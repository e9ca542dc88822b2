using System;
using System.ComponentModel;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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

    /// <summary>Tap combinations with a nonzero weight on the outer axes of one output row (cubic on four outer axes is 256).</summary>
    private const int MaxCombinations = 1024;

    /// <summary>Widest row whose tap columns and cached rows go on the stack (8 x 4 KB).</summary>
    private const int MaxCachedWidth = 1024;

    private static bool Negative(ReadOnlySpan<int> values)
    {
        foreach (int v in values)
            if (v < 0) return true;
        return false;
    }

    /// <summary>Input rows whose horizontal interpolation is kept while output rows go by.</summary>
    private const int CacheRows = 4;

    /// <summary>
    /// h[j] = w0[j] * x[s0[j]] + w1[j] * x[s1[j]]: 8 outputs per step with AVX2 gathers, the same operations in the
    /// same order as the scalar loop (so the same bits).
    /// </summary>
    private static unsafe void HorizontalRow(ReadOnlySpan<float> x, ReadOnlySpan<int> s0, ReadOnlySpan<int> s1,
        ReadOnlySpan<float> w0, ReadOnlySpan<float> w1, Span<float> h)
    {
        int width = h.Length, j = 0;
        if (Avx2.IsSupported)
        {
            fixed (float* xp = x)
            fixed (int* s0p = s0, s1p = s1)
            fixed (float* w0p = w0, w1p = w1, hp = h)
            {
                for (; j + 8 <= width; j += 8)
                {
                    var a = Avx2.GatherVector256(xp, Avx.LoadVector256(s0p + j), 4);
                    var b = Avx2.GatherVector256(xp, Avx.LoadVector256(s1p + j), 4);
                    Avx.Store(hp + j, Avx.LoadVector256(w0p + j) * a + Avx.LoadVector256(w1p + j) * b);
                }
            }
        }
        for (; j < width; j++) h[j] = w0[j] * x[s0[j]] + w1[j] * x[s1[j]];
    }

    /// <summary>y[j] += weight * h[j].</summary>
    private static void AddScaled(ReadOnlySpan<float> h, float weight, Span<float> y)
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var k = Vector256.Create(weight);
            for (; j + 8 <= y.Length; j += 8)
                (Vector256.Create(y.Slice(j, 8)) + k * Vector256.Create(h.Slice(j, 8))).CopyTo(y.Slice(j, 8));
        }
        for (; j < y.Length; j++) y[j] += weight * h[j];
    }

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
        Span<int> rowOffsets = stackalloc int[MaxCombinations];
        Span<float> rowWeights = stackalloc float[MaxCombinations];
        // Linear along the row (two taps): the row's taps split into four columns (first and second source, first
        // and second weight), and each input row's horizontal interpolation is computed once into a small cache of
        // rows: consecutive output rows blend the same input rows (a 2x upsample uses each one twice).
        bool cachedRows = lastTaps == 2 && width <= MaxCachedWidth && !Negative(lastSources);
        Span<float> cache = stackalloc float[cachedRows ? CacheRows * width : 0];
        Span<int> cacheKeys = stackalloc int[CacheRows];
        cacheKeys.Fill(-1);
        int nextSlot = 0;
        Span<int> source0 = stackalloc int[cachedRows ? width : 0], source1 = stackalloc int[cachedRows ? width : 0];
        Span<float> weight0 = stackalloc float[cachedRows ? width : 0], weight1 = stackalloc float[cachedRows ? width : 0];
        for (int j = 0; j < source0.Length; j++)
        {
            source0[j] = lastSources[2 * j];
            source1[j] = lastSources[2 * j + 1];
            weight0[j] = lastWeights[2 * j];
            weight1[j] = lastWeights[2 * j + 1];
        }
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
                // The tap combinations on the outer axes with a nonzero weight (a batch or channel axis has one
                // tap of weight 1; a 2x upsample has two rows), each an input row offset and its weight.
                int combinations = 0;
                tap.Clear();
                while (true)
                {
                    int offset = 0;
                    float weight = 1f;
                    for (int a = 0; a < last; a++)
                    {
                        int e = start[a] + index[a] * taps[a] + tap[a];
                        offset += sources[e];
                        weight *= weights[e];
                    }
                    if (weight != 0f)
                    {
                        if (combinations == MaxCombinations) throw new ArgumentException("too many interpolation taps", nameof(taps));
                        rowOffsets[combinations] = offset;
                        rowWeights[combinations++] = weight;
                    }
                    int b = last - 1;
                    for (; b >= 0; b--)
                    {
                        if (++tap[b] < taps[b]) break;
                        tap[b] = 0;
                    }
                    if (b < 0) break;
                }
                yRow.Clear();
                for (int c = 0; c < combinations; c++)
                {
                    ReadOnlySpan<float> xRow = x.Slice(rowOffsets[c]);
                    float weight = rowWeights[c];
                    if (cachedRows)
                    {
                        int slot = cacheKeys.IndexOf(rowOffsets[c]);
                        if (slot < 0)
                        {
                            slot = nextSlot;
                            nextSlot = (nextSlot + 1) % CacheRows;
                            cacheKeys[slot] = rowOffsets[c];
                            HorizontalRow(xRow, source0, source1, weight0, weight1, cache.Slice(slot * width, width));
                        }
                        AddScaled(cache.Slice(slot * width, width), weight, yRow);
                        continue;
                    }
                    if (lastTaps == 2)
                    {
                        // Linear along the row: the common case, without the inner tap loop.
                        for (int j = 0, e0 = 0; j < width; j++, e0 += 2)
                        {
                            int s0 = lastSources[e0];
                            if (s0 < 0) continue;
                            yRow[j] += weight * (lastWeights[e0] * xRow[s0] + lastWeights[e0 + 1] * xRow[lastSources[e0 + 1]]);
                        }
                        continue;
                    }
                    for (int j = 0, e0 = 0; j < width; j++, e0 += lastTaps)
                    {
                        if (lastSources[e0] < 0) continue;
                        float sum = 0f;
                        for (int t = 0; t < lastTaps; t++) sum += lastWeights[e0 + t] * xRow[lastSources[e0 + t]];
                        yRow[j] += weight * sum;
                    }
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
