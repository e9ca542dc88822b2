using System;
using System.ComponentModel;
using System.Numerics.Tensors;

namespace ModelCompiler.Runtime;

/// <summary>
/// Normalizations over [batch, channels, spatial] float32 tensors (spatial is the product of the trailing
/// dims, 1 for a 2-D [N, C] input): BatchNormalization, InstanceNormalization and LRN.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Normalization
{
    /// <summary>
    /// Inference-mode BatchNormalization: y = (x - mean[c]) * scale[c] / sqrt(var[c] + epsilon) + bias[c].
    /// x - mean is taken first so that values close to the mean keep their precision.
    /// </summary>
    public static void BatchNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, Span<float> y, int batch, int channels, int spatial, float epsilon)
    {
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                int offset = (n * channels + c) * spatial;
                float a = scale[c] / MathF.Sqrt(variance[c] + epsilon);
                Normalize(x.Slice(offset, spatial), y.Slice(offset, spatial), mean[c], a, bias[c]);
            }
        }
    }

    /// <summary>
    /// Training-mode BatchNormalization (opset 14+ training_mode=1): normalizes with the batch statistics of each
    /// channel (mean and biased variance over N and the spatial dims) and, when the spans are not empty, writes
    /// the updated running statistics: running = input * momentum + batch * (1 - momentum).
    /// </summary>
    public static void BatchNormTraining(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias,
        ReadOnlySpan<float> inputMean, ReadOnlySpan<float> inputVariance, Span<float> y, Span<float> runningMean, Span<float> runningVariance,
        int batch, int channels, int spatial, float epsilon, float momentum)
    {
        long count = (long)batch * spatial;
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int n = 0; n < batch; n++) sum += Sum(x.Slice((n * channels + c) * spatial, spatial));
            double mean = count == 0 ? double.NaN : sum / count;
            double squares = 0;
            for (int n = 0; n < batch; n++) squares += SquaredDeviations(x.Slice((n * channels + c) * spatial, spatial), mean);
            double variance = count == 0 ? double.NaN : squares / count;
            float a = (float)(scale[c] / Math.Sqrt((float)variance + epsilon));
            for (int n = 0; n < batch; n++)
            {
                int offset = (n * channels + c) * spatial;
                Normalize(x.Slice(offset, spatial), y.Slice(offset, spatial), (float)mean, a, bias[c]);
            }
            if (!runningMean.IsEmpty) runningMean[c] = (float)(inputMean[c] * momentum + mean * (1 - momentum));
            if (!runningVariance.IsEmpty) runningVariance[c] = (float)(inputVariance[c] * momentum + variance * (1 - momentum));
        }
    }

    /// <summary>
    /// InstanceNormalization: each (n, c) plane is normalized by its own mean and biased variance, then scaled
    /// and shifted per channel.
    /// </summary>
    public static void InstanceNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, Span<float> y,
        int batch, int channels, int spatial, float epsilon)
    {
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                int offset = (n * channels + c) * spatial;
                ReadOnlySpan<float> plane = x.Slice(offset, spatial);
                double mean = Sum(plane) / spatial;
                double variance = SquaredDeviations(plane, mean) / spatial;
                float a = (float)(scale[c] / Math.Sqrt((float)variance + epsilon));
                Normalize(plane, y.Slice(offset, spatial), (float)mean, a, bias[c]);
            }
        }
    }

    /// <summary>
    /// LRN across channels: y = x / (bias + alpha / size * sum of x^2 over the channels
    /// [c - floor((size - 1) / 2), c + ceil((size - 1) / 2)])^beta.
    /// </summary>
    public static void Lrn(ReadOnlySpan<float> x, Span<float> y, int batch, int channels, int spatial, int size, float alpha, float beta, float bias)
    {
        int before = (size - 1) / 2, after = size - 1 - before;
        float alphaOverSize = alpha / size;
        for (int n = 0; n < batch; n++)
        {
            int planeBase = n * channels * spatial;
            for (int c = 0; c < channels; c++)
            {
                int c0 = Math.Max(0, c - before), c1 = Math.Min(channels - 1, c + after);
                int offset = planeBase + c * spatial;
                for (int s = 0; s < spatial; s++)
                {
                    float squares = 0;
                    for (int k = c0; k <= c1; k++)
                    {
                        float v = x[planeBase + k * spatial + s];
                        squares += v * v;
                    }
                    y[offset + s] = x[offset + s] / MathF.Pow(bias + alphaOverSize * squares, beta);
                }
            }
        }
    }

    private static void Normalize(ReadOnlySpan<float> x, Span<float> y, float mean, float a, float b)
    {
        for (int i = 0; i < x.Length; i++) y[i] = (x[i] - mean) * a + b;
    }

    private static double Sum(ReadOnlySpan<float> x)
    {
        double s = 0;
        foreach (float v in x) s += v;
        return s;
    }

    private static double SquaredDeviations(ReadOnlySpan<float> x, double mean)
    {
        double s = 0;
        foreach (float v in x)
        {
            double d = v - mean;
            s += d * d;
        }
        return s;
    }
}
