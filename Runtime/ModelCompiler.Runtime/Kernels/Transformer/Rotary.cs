using System;
using System.ComponentModel;

namespace ModelCompiler.Runtime;

/// <summary>
/// RotaryEmbedding (opset 23) on float32: each head row of <c>head</c> values has its first <c>rotary</c> values
/// rotated pairwise by the cos/sin of its position; the rest are copied. Pairs are (i, i + rotary/2) or, when
/// interleaved, (2i, 2i + 1). The input is 4-D [batch, heads, sequence, head] or 3-D [batch, sequence, heads * head].
/// With position ids the caches are [positions, rotary/2] rows picked by id; without, they are [batch, sequence, rotary/2].
/// y may be x.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Rotary
{
    /// <summary>Rotates every head row; <paramref name="positionIds"/> may be empty (then the caches are per batch and position).</summary>
    public static void Rotate(ReadOnlySpan<float> x, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, ReadOnlySpan<long> positionIds, Span<float> y,
        int batch, int heads, int sequence, int head, int rotary, bool interleaved, bool packedHeads)
    {
        int half = rotary / 2;
        long n = (long)batch * heads * sequence * head;
        if (rotary <= 0 || rotary > head || rotary % 2 != 0) throw new ArgumentException($"The rotary dimension {rotary} must be even and at most the head size {head}.", nameof(rotary));
        if (x.Length < n || y.Length < n) throw new ArgumentException($"X and Y need {n} elements.", x.Length < n ? nameof(x) : nameof(y));
        if (cos.Length != sin.Length) throw new ArgumentException("The cos and sin caches differ in length.", nameof(sin));
        long positions = cos.Length / half;
        if (positionIds.IsEmpty && positions < (long)batch * sequence) throw new ArgumentException("Without position ids the caches need batch x sequence rows.", nameof(cos));
        if (!positionIds.IsEmpty && positionIds.Length < (long)batch * sequence) throw new ArgumentException("Position ids need batch x sequence values.", nameof(positionIds));
        for (int b = 0; b < batch; b++)
        {
            for (int s = 0; s < sequence; s++)
            {
                long p = positionIds.IsEmpty ? (long)b * sequence + s : positionIds[b * sequence + s];
                if (p < 0 || p >= positions) throw new ArgumentException($"Position id {p} is outside the caches' {positions} rows.", nameof(positionIds));
                ReadOnlySpan<float> c = cos.Slice((int)(p * half), half), sn = sin.Slice((int)(p * half), half);
                for (int h = 0; h < heads; h++)
                {
                    long at = (packedHeads ? ((long)b * sequence + s) * heads + h : ((long)b * heads + h) * sequence + s) * head;
                    ReadOnlySpan<float> xr = x.Slice((int)at, head);
                    Span<float> yr = y.Slice((int)at, head);
                    for (int i = 0; i < half; i++)
                    {
                        int i1 = interleaved ? 2 * i : i, i2 = interleaved ? 2 * i + 1 : i + half;
                        float x1 = xr[i1], x2 = xr[i2];
                        yr[i1] = c[i] * x1 - sn[i] * x2;
                        yr[i2] = sn[i] * x1 + c[i] * x2;
                    }
                    if (rotary < head) xr.Slice(rotary).CopyTo(yr.Slice(rotary));
                }
            }
        }
    }
}
