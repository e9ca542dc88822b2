using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace ModelCompiler.Runtime;

/// <summary>
/// LayerNormalization (opset 17) and RMSNormalization (opset 23) over float32 rows: X is seen as [rows, cols]
/// where cols is the product of the dimensions from 'axis' on, and scale/bias hold one value per column
/// (the generator expands smaller broadcastable ones at build time). Each row is read three times (sum,
/// squared deviations, output); a row of a transformer's hidden size stays in L1 across the passes.
/// y may be x: every element is written after its row was read.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[SkipLocalsInit]
public static unsafe class LayerNorm
{
    /// <summary>
    /// y = (x - mean) / sqrt(var + epsilon) * scale + bias per row (biased variance of the row); <paramref name="bias"/>
    /// may be empty; <paramref name="mean"/> and <paramref name="invStdDev"/>, when not empty, receive one value per row.
    /// </summary>
    public static void Normalize(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, Span<float> y,
        Span<float> mean, Span<float> invStdDev, int rows, int cols, float epsilon) =>
        Normalize(x, scale, bias, y, mean, invStdDev, rows, cols, epsilon, VectorWidth.Auto);

    /// <summary>y = x / sqrt(mean(x^2) + epsilon) * scale per row.</summary>
    public static void RootMeanSquare(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, Span<float> y, int rows, int cols, float epsilon) =>
        RootMeanSquare(x, scale, y, rows, cols, epsilon, VectorWidth.Auto);

    internal static void Normalize(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, Span<float> y,
        Span<float> mean, Span<float> invStdDev, int rows, int cols, float epsilon, VectorWidth width)
    {
        Check(x, scale, y, rows, cols);
        if (!bias.IsEmpty && bias.Length < cols) throw new ArgumentException($"The bias has {bias.Length} values; a row has {cols}.", nameof(bias));
        if (!mean.IsEmpty && mean.Length < rows) throw new ArgumentException("Mean needs one value per row.", nameof(mean));
        if (!invStdDev.IsEmpty && invStdDev.Length < rows) throw new ArgumentException("InvStdDev needs one value per row.", nameof(invStdDev));
        fixed (float* px = x, ps = scale, pb = bias, py = y, pm = mean, pi = invStdDev)
        {
            var a = new Args(px, ps, bias.IsEmpty ? null : pb, py, mean.IsEmpty ? null : pm, invStdDev.IsEmpty ? null : pi, rows, cols, epsilon);
            SimdLevel.Run<LayerRows, Args>(width, a, threads: 1);
        }
    }

    internal static void RootMeanSquare(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, Span<float> y, int rows, int cols, float epsilon, VectorWidth width)
    {
        Check(x, scale, y, rows, cols);
        fixed (float* px = x, ps = scale, py = y)
        {
            var a = new Args(px, ps, null, py, null, null, rows, cols, epsilon);
            SimdLevel.Run<RmsRows, Args>(width, a, threads: 1);
        }
    }

    private static void Check(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, Span<float> y, int rows, int cols)
    {
        if (rows < 0 || cols <= 0) throw new ArgumentException("Row and column counts must be positive.");
        long n = (long)rows * cols;
        if (x.Length < n) throw new ArgumentException($"X has {x.Length} elements; {rows}x{cols} needs {n}.", nameof(x));
        if (y.Length < n) throw new ArgumentException($"Y has {y.Length} elements; {rows}x{cols} needs {n}.", nameof(y));
        if (scale.Length < cols) throw new ArgumentException($"The scale has {scale.Length} values; a row has {cols}.", nameof(scale));
    }

    private readonly struct Args
    {
        public readonly float* X, Scale, Bias, Y, Mean, InvStdDev;
        public readonly int Rows, Cols;
        public readonly float Epsilon;

        public Args(float* x, float* scale, float* bias, float* y, float* mean, float* invStdDev, int rows, int cols, float epsilon)
        {
            X = x; Scale = scale; Bias = bias; Y = y; Mean = mean; InvStdDev = invStdDev; Rows = rows; Cols = cols; Epsilon = epsilon;
        }
    }

    private struct LayerRows : IVectorKernel<Args>
    {
        public static void Run<TV>(in Args a, int threads) where TV : unmanaged, IVec<TV> => Rows<TV>(a, rms: false);
    }

    private struct RmsRows : IVectorKernel<Args>
    {
        public static void Run<TV>(in Args a, int threads) where TV : unmanaged, IVec<TV> => Rows<TV>(a, rms: true);
    }

    private static void Rows<TV>(in Args a, bool rms) where TV : unmanaged, IVec<TV>
    {
        float* lanes = stackalloc float[16];
        int n = a.Cols;
        for (int r = 0; r < a.Rows; r++)
        {
            float* x = a.X + (long)r * n, y = a.Y + (long)r * n;
            if (rms)
            {
                float meanSquare = RowMath.SquaredDeviations<TV>(x, n, 0f, lanes) / n;
                float inv = 1f / MathF.Sqrt(meanSquare + a.Epsilon);
                RowMath.Affine<TV>(x, y, n, 0f, inv, a.Scale, null);
                continue;
            }
            float mean = RowMath.Sum<TV>(x, n, lanes) / n;
            float variance = RowMath.SquaredDeviations<TV>(x, n, mean, lanes) / n;
            float invStd = 1f / MathF.Sqrt(variance + a.Epsilon);
            RowMath.Affine<TV>(x, y, n, mean, invStd, a.Scale, a.Bias);
            if (a.Mean is not null) a.Mean[r] = mean;
            if (a.InvStdDev is not null) a.InvStdDev[r] = invStd;
        }
    }
}
