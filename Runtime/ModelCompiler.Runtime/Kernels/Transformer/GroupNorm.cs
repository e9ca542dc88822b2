using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace ModelCompiler.Runtime;

/// <summary>
/// GroupNormalization (opset 18, 21) over float32 [batch, channels, spatial]: the channels fall into groups of
/// channels / groups consecutive channels, each (batch, group) block is normalized by its own mean and biased
/// variance, then every channel gets its scale and bias. Opset 21 gives them per channel; opset 18 per group,
/// which the generator says with perGroup. y may be x.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[SkipLocalsInit]
public static unsafe class GroupNorm
{
    /// <summary>y = (x - mean) / sqrt(var + epsilon) * scale + bias, the statistics per (batch, group).</summary>
    public static void Normalize(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, Span<float> y,
        int batch, int channels, int spatial, int groups, bool perGroup, float epsilon) =>
        Normalize(x, scale, bias, y, batch, channels, spatial, groups, perGroup, epsilon, VectorWidth.Auto);

    internal static void Normalize(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, Span<float> y,
        int batch, int channels, int spatial, int groups, bool perGroup, float epsilon, VectorWidth width)
    {
        if (groups <= 0 || channels % groups != 0) throw new ArgumentException($"{channels} channels do not divide into {groups} groups.", nameof(groups));
        long n = (long)batch * channels * spatial;
        if (x.Length < n) throw new ArgumentException($"X has {x.Length} elements; needs {n}.", nameof(x));
        if (y.Length < n) throw new ArgumentException($"Y has {y.Length} elements; needs {n}.", nameof(y));
        int parameters = perGroup ? groups : channels;
        if (scale.Length < parameters || bias.Length < parameters)
            throw new ArgumentException($"Scale and bias need {parameters} values each.", scale.Length < parameters ? nameof(scale) : nameof(bias));
        fixed (float* px = x, ps = scale, pb = bias, py = y)
        {
            SimdLevel.Run<Blocks, Args>(width, new Args(px, ps, pb, py, batch, channels, spatial, groups, perGroup, epsilon), threads: 1);
        }
    }

    private readonly struct Args
    {
        public readonly float* X, Scale, Bias, Y;
        public readonly int Batch, Channels, Spatial, Groups;
        public readonly bool PerGroup;
        public readonly float Epsilon;

        public Args(float* x, float* scale, float* bias, float* y, int batch, int channels, int spatial, int groups, bool perGroup, float epsilon)
        {
            X = x; Scale = scale; Bias = bias; Y = y; Batch = batch; Channels = channels; Spatial = spatial; Groups = groups; PerGroup = perGroup; Epsilon = epsilon;
        }
    }

    private struct Blocks : IVectorKernel<Args>
    {
        public static void Run<TV>(in Args a, int threads) where TV : unmanaged, IVec<TV> =>
            GroupNorm.Run<TV>(a.X, a.Scale, a.Bias, a.Y, a.Batch, a.Channels, a.Spatial, a.Groups, a.PerGroup, a.Epsilon);
    }

    private static void Run<TV>(float* x, float* scale, float* bias, float* y, int batch, int channels, int spatial, int groups, bool perGroup, float epsilon)
        where TV : unmanaged, IVec<TV>
    {
        float* lanes = stackalloc float[16];
        int perBlock = channels / groups;
        int blockLength = perBlock * spatial;
        for (int b = 0; b < batch; b++)
        {
            for (int g = 0; g < groups; g++)
            {
                long start = ((long)b * groups + g) * blockLength;
                float mean = RowMath.Sum<TV>(x + start, blockLength, lanes) / blockLength;
                float variance = RowMath.SquaredDeviations<TV>(x + start, blockLength, mean, lanes) / blockLength;
                float invStd = 1f / MathF.Sqrt(variance + epsilon);
                for (int c = 0; c < perBlock; c++)
                {
                    int p = perGroup ? g : g * perBlock + c;
                    long at = start + (long)c * spatial;
                    RowMath.Affine<TV>(x + at, y + at, spatial, mean, invStd * scale[p], bias[p]);
                }
            }
        }
    }
}
