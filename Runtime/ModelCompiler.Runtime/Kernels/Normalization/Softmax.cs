using System;
using System.ComponentModel;
using System.Numerics.Tensors;

namespace ModelCompiler.Runtime;

/// <summary>
/// Softmax and LogSoftmax over the middle axis of an [outer, n, inner] view of a float32 tensor (opset 13+:
/// the op's axis; before opset 13 the input is coerced to 2-D, so inner is 1 and n is the flattened block).
/// Numerically stable: the maximum is subtracted before exponentiating.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Softmax
{
    /// <summary>y = exp(x - max) / sum(exp(x - max)) along the n axis.</summary>
    public static void Normalize(ReadOnlySpan<float> x, Span<float> y, int outer, int n, int inner) => Run(x, y, outer, n, inner, log: false);

    /// <summary>y = x - max - log(sum(exp(x - max))) along the n axis.</summary>
    public static void LogNormalize(ReadOnlySpan<float> x, Span<float> y, int outer, int n, int inner) => Run(x, y, outer, n, inner, log: true);

    private static void Run(ReadOnlySpan<float> x, Span<float> y, int outer, int n, int inner, bool log)
    {
        if (n == 0) return;
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++) Row(x.Slice(o * n, n), y.Slice(o * n, n), log);
            return;
        }
        int block = n * inner;
        for (int o = 0; o < outer; o++)
        {
            int b = o * block;
            for (int i = 0; i < inner; i++)
            {
                int start = b + i;
                float max = float.NegativeInfinity;
                for (int k = 0, p = start; k < n; k++, p += inner) max = MathF.Max(max, x[p]);
                float sum = 0;
                for (int k = 0, p = start; k < n; k++, p += inner)
                {
                    float e = MathF.Exp(x[p] - max);
                    sum += e;
                    if (!log) y[p] = e;
                }
                if (log)
                {
                    float shift = max + MathF.Log(sum);
                    for (int k = 0, p = start; k < n; k++, p += inner) y[p] = x[p] - shift;
                }
                else
                {
                    float inv = 1f / sum;
                    for (int k = 0, p = start; k < n; k++, p += inner) y[p] *= inv;
                }
            }
        }
    }

    private static void Row(ReadOnlySpan<float> x, Span<float> y, bool log)
    {
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, y);
        if (log)
        {
            // y holds x - max; exp of it only feeds the sum, so compute the sum element by element.
            float sum = 0;
            foreach (float v in y) sum += MathF.Exp(v);
            TensorPrimitives.Subtract(y, MathF.Log(sum), y);
        }
        else
        {
            TensorPrimitives.Exp(y, y);
            float sum = TensorPrimitives.Sum(y);
            TensorPrimitives.Divide(y, sum, y);
        }
    }
}
