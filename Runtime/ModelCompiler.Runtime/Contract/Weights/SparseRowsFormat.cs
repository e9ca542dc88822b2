using System;
using System.Collections.Generic;
#if !MODELCOMPILER_GENERATOR
using System.ComponentModel;
#endif

#if MODELCOMPILER_GENERATOR
namespace ModelCompiler.Contract;
#else
namespace ModelCompiler.Runtime;
#endif

/// <summary>
/// The compact form of a sparse weight matrix that <c>SparseRows.Multiply</c> reads, written once for both sides (the
/// generator encodes at build time; the tests encode with it too). Row r (an output channel or output column) keeps
/// only its non-zero weights, in column order: <c>values[t]</c> is the weight, <c>gaps[t]</c> (one byte) how far its
/// column lies past the previous entry's (the first entry's gap is its column). A gap over 255 is bridged by entries
/// of value 0 and gap 255, so any width fits; they are rare at the sparsities where the form is chosen.
/// <c>rowStarts[r]</c>..<c>rowStarts[r + 1]</c> are row r's entries. Per stored weight that is 5 bytes instead of a
/// dense 4: at 90% zeros 12.5% of the dense bytes (plus 4 bytes a row).
/// </summary>
#if MODELCOMPILER_GENERATOR
internal
#else
[EditorBrowsable(EditorBrowsableState.Never)]
public
#endif
static class SparseRowsFormat
{
    /// <summary>The largest gap one entry holds.</summary>
    public const int MaxGap = byte.MaxValue;

    /// <summary>
    /// Encodes a rows x columns matrix whose element (r, c) is <c>weights[at(r, c)]</c>, scaled by <paramref name="scale"/>.
    /// Only exact zeros are dropped (the results stay those of the dense product, up to summation order).
    /// </summary>
    public static (int[] RowStarts, byte[] Gaps, float[] Values) Encode(float[] weights, int rows, int columns, Func<int, int, long> at, float scale = 1f)
    {
        var rowStarts = new int[rows + 1];
        var gaps = new List<byte>();
        var values = new List<float>();
        for (int r = 0; r < rows; r++)
        {
            int previous = 0;
            for (int c = 0; c < columns; c++)
            {
                float w = weights[at(r, c)];
                if (w == 0) continue;
                while (c - previous > MaxGap)
                {
                    previous += MaxGap;
                    gaps.Add(MaxGap);
                    values.Add(0f);
                }
                gaps.Add((byte)(c - previous));
                values.Add(w * scale);
                previous = c;
            }
            rowStarts[r + 1] = values.Count;
        }
        return (rowStarts, gaps.ToArray(), values.ToArray());
    }

    /// <summary>Entries <see cref="Encode"/> stores for these rows (non-zeros plus gap bridges), without encoding.</summary>
    public static long Entries(float[] weights, int rows, int columns, Func<int, int, long> at)
    {
        long entries = 0;
        for (int r = 0; r < rows; r++)
        {
            int previous = 0;
            for (int c = 0; c < columns; c++)
            {
                if (weights[at(r, c)] == 0) continue;
                entries += 1 + (c - previous - 1) / MaxGap;
                previous = c;
            }
        }
        return entries;
    }

    /// <summary>Bytes the encoded matrix takes: 5 per entry and 4 per row (plus one).</summary>
    public static long Bytes(long entries, int rows) => entries * 5 + (rows + 1L) * 4;
}
