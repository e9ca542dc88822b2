using System;
using System.Numerics;

namespace ModelCompiler.Runtime;

/// <summary>
/// ONNX TensorScatter (opset 24, the KV-cache update): the output is the cache with, for every batch entry b and
/// every slice before the sequence axis, the update's sequence steps s written at position write_indices[b] + s
/// (modulo the cache length when circular). The cache is seen as [batch, prefix, maxSequence, inner], the update
/// as [batch, prefix, sequence, inner].
/// </summary>
public static partial class Indexing
{
    /// <summary>Absent write indices are zeros; a linear write past the cache's end throws ArgumentOutOfRangeException.</summary>
    public static void TensorScatter<T, TIndex>(ReadOnlySpan<T> cache, ReadOnlySpan<T> update, ReadOnlySpan<TIndex> writeIndices, Span<T> y,
        int batch, int prefix, int maxSequence, int sequence, int inner, bool circular)
        where TIndex : IBinaryInteger<TIndex>
    {
        if (!cache.Overlaps(y)) cache.CopyTo(y);
        for (int b = 0; b < batch; b++)
        {
            long start = writeIndices.IsEmpty ? 0 : long.CreateTruncating(writeIndices[b]);
            if (start < 0 || !circular && start + sequence > maxSequence)
                throw new ArgumentOutOfRangeException(nameof(writeIndices), start, $"TensorScatter: write index {start} of batch entry {b} puts {sequence} steps outside [0, {maxSequence}).");
            for (int p = 0; p < prefix; p++)
            {
                int row = b * prefix + p;
                for (int s = 0; s < sequence; s++)
                {
                    long at = circular ? (start + s) % maxSequence : start + s;
                    update.Slice((row * sequence + s) * inner, inner).CopyTo(y.Slice((int)((row * (long)maxSequence + at) * inner), inner));
                }
            }
        }
    }
}
