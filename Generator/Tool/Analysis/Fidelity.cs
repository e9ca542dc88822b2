using System;
using System.Collections.Generic;
using System.Linq;

namespace ModelCompiler.Tool.Analysis;

/// <summary>
/// How closely model B's first output follows model A's over the same samples: top-1 agreement (argmax of each
/// output), the mean Kullback-Leibler divergence KL(softmax(A) || softmax(B)) in nats (a student's fidelity to its
/// teacher), the largest and mean absolute difference, and each model's top-1 accuracy where labels are given.
/// </summary>
internal sealed record Fidelity(int Samples, double Agreement, double KlDivergence, double MaxAbsDiff, double MeanAbsDiff, double? AccuracyA, double? AccuracyB)
{
    public static Fidelity Compare(IReadOnlyList<float[]> a, IReadOnlyList<float[]> b, int[]? labels)
    {
        if (a.Count != b.Count || a.Count == 0) throw new ToolException($"cannot compare {a.Count} outputs with {b.Count}");
        if (a[0].Length != b[0].Length) throw new ToolException($"the models' first outputs have {a[0].Length} and {b[0].Length} elements; compare needs outputs of one shape");
        int agree = 0, correctA = 0, correctB = 0;
        double kl = 0, max = 0, sum = 0;
        long count = 0;
        for (int s = 0; s < a.Count; s++)
        {
            int ia = ArgMax(a[s]), ib = ArgMax(b[s]);
            if (ia == ib) agree++;
            if (labels is not null)
            {
                if (ia == labels[s]) correctA++;
                if (ib == labels[s]) correctB++;
            }
            kl += KullbackLeibler(a[s], b[s]);
            for (int i = 0; i < a[s].Length; i++)
            {
                double d = Math.Abs((double)a[s][i] - b[s][i]);
                if (!(d <= max)) max = d; // NaN propagates: a NaN output is never "close"
                sum += d;
                count++;
            }
        }
        return new Fidelity(a.Count, (double)agree / a.Count, kl / a.Count, max, sum / count,
            labels is null ? null : (double)correctA / a.Count, labels is null ? null : (double)correctB / a.Count);
    }

    /// <summary>Index of the largest element (the first of equals).</summary>
    public static int ArgMax(float[] v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    /// <summary>KL(softmax(p) || softmax(q)) in nats, computed in double with log-sum-exp.</summary>
    public static double KullbackLeibler(float[] p, float[] q)
    {
        double[] lp = LogSoftmax(p), lq = LogSoftmax(q);
        double kl = 0;
        for (int i = 0; i < lp.Length; i++) kl += Math.Exp(lp[i]) * (lp[i] - lq[i]);
        return Math.Max(0, kl);
    }

    private static double[] LogSoftmax(float[] v)
    {
        double max = v.Max();
        double lse = max + Math.Log(v.Sum(x => Math.Exp(x - max)));
        return v.Select(x => x - lse).ToArray();
    }
}
