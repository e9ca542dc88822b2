using System;
using System.ComponentModel;
using ModelCompiler.Shared;

namespace ModelCompiler.Runtime;

/// <summary>
/// The QONNX quantization ops on float32 tensors (<c>Quant</c>, <c>BipolarQuant</c>, <c>Trunc</c>,
/// <c>MultiThreshold</c>), element for element as the public <c>qonnx</c> reference computes them
/// (<see cref="QonnxScalar"/>). Parameters that broadcast are passed expanded over the block of axes they vary
/// on: element <c>i</c> uses parameter <c>(i / inner) % length</c>, where <c>length</c> is the parameters' length.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class QonnxOps
{
    /// <summary>Quant: <paramref name="rounding"/> is a <c>QonnxScalar</c> mode; <paramref name="bipolar"/> for signed 1-bit.</summary>
    public static void Quant(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> scale, ReadOnlySpan<float> zeroPoint, int inner,
        bool bipolar, float min, float max, int rounding)
    {
        Check(x, y, scale.Length, inner);
        if (zeroPoint.Length != scale.Length) throw new ArgumentException("One zero point per scale is needed.", nameof(zeroPoint));
        int length = scale.Length;
        for (int start = 0, p = 0; start < x.Length; start += inner, p = p + 1 == length ? 0 : p + 1)
        {
            float s = scale[p], z = zeroPoint[p];
            int end = Math.Min(start + inner, x.Length);
            for (int i = start; i < end; i++) y[i] = QonnxScalar.Quant(x[i], s, z, bipolar, min, max, rounding);
        }
    }

    /// <summary>BipolarQuant: where(x &gt;= 0, 1, -1) * scale.</summary>
    public static void BipolarQuant(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> scale, int inner)
    {
        Check(x, y, scale.Length, inner);
        int length = scale.Length;
        for (int start = 0, p = 0; start < x.Length; start += inner, p = p + 1 == length ? 0 : p + 1)
        {
            float s = scale[p];
            int end = Math.Min(start + inner, x.Length);
            for (int i = start; i < end; i++) y[i] = QonnxScalar.Bipolar(x[i], s);
        }
    }

    /// <summary>Trunc (v1: <paramref name="clamp"/> false, outZeroPoint = zeroPoint, outScale = scale; v2: as computed at build time).</summary>
    public static void Trunc(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> scale, ReadOnlySpan<float> zeroPoint, ReadOnlySpan<float> truncScale,
        ReadOnlySpan<float> outZeroPoint, ReadOnlySpan<float> outScale, int inner, bool clamp, float min, float max, int rounding)
    {
        Check(x, y, scale.Length, inner);
        int length = scale.Length;
        if (zeroPoint.Length != length || truncScale.Length != length || outZeroPoint.Length != length || outScale.Length != length)
            throw new ArgumentException("Every Trunc parameter needs the same length.", nameof(zeroPoint));
        for (int start = 0, p = 0; start < x.Length; start += inner, p = p + 1 == length ? 0 : p + 1)
        {
            int end = Math.Min(start + inner, x.Length);
            for (int i = start; i < end; i++)
                y[i] = QonnxScalar.Trunc(x[i], scale[p], zeroPoint[p], truncScale[p], outZeroPoint[p], outScale[p], clamp, min, max, rounding);
        }
    }

    /// <summary>
    /// MultiThreshold: y = outScale * (number of thresholds of the element's channel that x is &gt;= to) + outBias.
    /// <paramref name="thresholds"/> is [channels, steps]; the channel of element i is (i / inner) % channels.
    /// </summary>
    public static void MultiThreshold(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> thresholds, int channels, int steps, int inner,
        float outScale, float outBias)
    {
        Check(x, y, channels, inner);
        if (steps < 0 || thresholds.Length != channels * steps) throw new ArgumentException("The thresholds must be [channels, steps].", nameof(thresholds));
        for (int start = 0, c = 0; start < x.Length; start += inner, c = c + 1 == channels ? 0 : c + 1)
        {
            var t = thresholds.Slice(c * steps, steps);
            int end = Math.Min(start + inner, x.Length);
            for (int i = start; i < end; i++)
            {
                float v = x[i];
                int count = 0;
                foreach (float threshold in t) if (v >= threshold) count++;
                y[i] = outScale * count + outBias;
            }
        }
    }

    private static void Check(ReadOnlySpan<float> x, Span<float> y, int length, int inner)
    {
        if (y.Length != x.Length) throw new ArgumentException($"The output has {y.Length} elements; the input has {x.Length}.", nameof(y));
        if (length <= 0 || inner <= 0) throw new ArgumentException("Parameter blocks must be positive.", nameof(inner));
    }
}
