using System;
using System.Numerics;

namespace ModelCompiler.Runtime;

/// <summary>
/// ONNX ReverseSequence: for every batch entry b, the first sequence_lens[b] time steps are reversed and the
/// rest copied. The tensor is [time, batch, inner] (time_axis 0) or [batch, time, inner] (time_axis 1).
/// </summary>
public static partial class Indexing
{
    /// <summary>A length outside [0, time] throws ArgumentOutOfRangeException.</summary>
    public static void ReverseSequence<T, TLength>(ReadOnlySpan<T> x, ReadOnlySpan<TLength> sequenceLengths, Span<T> y,
        bool timeMajor, int batch, int time, int inner)
        where TLength : IBinaryInteger<TLength>
    {
        for (int b = 0; b < batch; b++)
        {
            long len = long.CreateTruncating(sequenceLengths[b]);
            if (len < 0 || len > time)
                throw new ArgumentOutOfRangeException(nameof(sequenceLengths), len, $"ReverseSequence: sequence length {len} of batch entry {b} is outside [0, {time}].");
            for (int t = 0; t < time; t++)
            {
                int source = t < len ? (int)len - 1 - t : t;
                int from = (timeMajor ? source * batch + b : b * time + source) * inner;
                int to = (timeMajor ? t * batch + b : b * time + t) * inner;
                x.Slice(from, inner).CopyTo(y.Slice(to, inner));
            }
        }
    }
}
