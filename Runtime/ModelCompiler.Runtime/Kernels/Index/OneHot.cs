using System;
using System.Numerics;

namespace ModelCompiler.Runtime;

/// <summary>
/// ONNX OneHot: indices seen as [outer, inner], the output as [outer, depth, inner]; the element at the index's
/// depth position is values[1] (on), every other one values[0] (off). Non-integer indices are truncated to
/// int64; a negative index counts from the end of depth; one outside [-depth, depth) matches nothing.
/// </summary>
public static partial class Indexing
{
    /// <summary>Writes y [outer, depth, inner].</summary>
    public static void OneHot<TIndex, T>(ReadOnlySpan<TIndex> indices, ReadOnlySpan<T> values, Span<T> y, int outer, int depth, int inner)
        where TIndex : INumber<TIndex>
    {
        T off = values[0], on = values[1];
        y.Fill(off);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                TIndex raw = indices[o * inner + i];
                if (TIndex.IsNaN(raw)) continue;
                long d = long.CreateSaturating(raw);
                if (d < 0) d += depth;
                if ((ulong)d < (ulong)depth) y[(o * depth + (int)d) * inner + i] = on;
            }
    }
}
