using System;
using System.ComponentModel;
using System.Numerics;

namespace ModelCompiler.Runtime;

/// <summary>
/// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (opset 12, 13, 22) over an input seen as
/// [batch, classes, inner] (inner: the product of the dimensions after the class axis, 1 for [N, C]) with one
/// class index per (batch, inner) position. A position whose target is the ignore index contributes nothing and
/// weighs nothing; others weigh weight[target] (1 without weights). Reductions: none (one loss per position),
/// sum, and mean = sum of weighted losses / sum of their weights. Sums are kept in double.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Losses
{
    /// <summary>reduction="none": one loss per position.</summary>
    public const int ReductionNone = 0;
    /// <summary>reduction="sum".</summary>
    public const int ReductionSum = 1;
    /// <summary>reduction="mean": weighted sum / sum of weights.</summary>
    public const int ReductionMean = 2;

    /// <summary>loss = -input[n, target, d] * weight[target]; input holds log-probabilities.</summary>
    public static void NegativeLogLikelihood<T, TIndex>(ReadOnlySpan<T> input, ReadOnlySpan<TIndex> target, ReadOnlySpan<T> weight, Span<T> loss,
        int batch, int classes, int inner, long ignoreIndex, bool hasIgnoreIndex, int reduction)
        where T : unmanaged, IFloatingPointIeee754<T> where TIndex : unmanaged, IBinaryInteger<TIndex> =>
        Run(input, default, target, weight, loss, batch, classes, inner, ignoreIndex, hasIgnoreIndex, reduction, softmax: false);

    /// <summary>
    /// loss = -log_softmax(scores)[n, target, d] * weight[target], the log-softmax taken over the class axis;
    /// <paramref name="logProb"/>, when not empty, receives the whole log-softmax.
    /// </summary>
    public static void SoftmaxCrossEntropy<T, TIndex>(ReadOnlySpan<T> scores, ReadOnlySpan<TIndex> target, ReadOnlySpan<T> weight, Span<T> loss, Span<T> logProb,
        int batch, int classes, int inner, long ignoreIndex, bool hasIgnoreIndex, int reduction)
        where T : unmanaged, IFloatingPointIeee754<T> where TIndex : unmanaged, IBinaryInteger<TIndex> =>
        Run(scores, logProb, target, weight, loss, batch, classes, inner, ignoreIndex, hasIgnoreIndex, reduction, softmax: true);

    private static void Run<T, TIndex>(ReadOnlySpan<T> input, Span<T> logProb, ReadOnlySpan<TIndex> target, ReadOnlySpan<T> weight, Span<T> loss,
        int batch, int classes, int inner, long ignoreIndex, bool hasIgnoreIndex, int reduction, bool softmax)
        where T : unmanaged, IFloatingPointIeee754<T> where TIndex : unmanaged, IBinaryInteger<TIndex>
    {
        long positions = (long)batch * inner;
        if (input.Length < positions * classes) throw new ArgumentException($"The input needs {positions * classes} elements.", nameof(input));
        if (target.Length < positions) throw new ArgumentException($"The target needs {positions} elements.", nameof(target));
        if (!weight.IsEmpty && weight.Length < classes) throw new ArgumentException($"The weight needs {classes} values.", nameof(weight));
        if (loss.Length < (reduction == ReductionNone ? positions : 1)) throw new ArgumentException("The loss output is too short.", nameof(loss));
        if (!logProb.IsEmpty && logProb.Length < positions * classes) throw new ArgumentException("The log_prob output is too short.", nameof(logProb));
        double lossSum = 0, weightSum = 0;
        for (int n = 0; n < batch; n++)
        {
            for (int d = 0; d < inner; d++)
            {
                int first = n * classes * inner + d;
                double shift = 0;
                if (softmax)
                {
                    double max = double.NegativeInfinity, sum = 0;
                    for (int c = 0; c < classes; c++) max = Math.Max(max, double.CreateTruncating(input[first + c * inner]));
                    for (int c = 0; c < classes; c++) sum += Math.Exp(double.CreateTruncating(input[first + c * inner]) - max);
                    shift = max + Math.Log(sum);
                    if (!logProb.IsEmpty)
                        for (int c = 0; c < classes; c++) logProb[first + c * inner] = T.CreateTruncating(double.CreateTruncating(input[first + c * inner]) - shift);
                }
                long t = long.CreateTruncating(target[n * inner + d]);
                double l = 0, w = 0;
                if (!(hasIgnoreIndex && t == ignoreIndex))
                {
                    if (t < 0 || t >= classes) throw new ArgumentException($"Target {t} at position {n * inner + d} is not a class index (0 to {classes - 1}) nor the ignore index.", nameof(target));
                    w = weight.IsEmpty ? 1 : double.CreateTruncating(weight[(int)t]);
                    l = -(double.CreateTruncating(input[first + (int)t * inner]) - shift) * w;
                }
                if (reduction == ReductionNone) loss[n * inner + d] = T.CreateTruncating(l);
                lossSum += l;
                weightSum += w;
            }
        }
        if (reduction == ReductionSum) loss[0] = T.CreateTruncating(lossSum);
        else if (reduction == ReductionMean) loss[0] = T.CreateTruncating(lossSum / weightSum);
    }
}
