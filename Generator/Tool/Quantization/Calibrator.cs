using System;
using System.Collections.Generic;
using System.Linq;

namespace ModelCompiler.Tool.Quantization;

/// <summary>How an activation's range is chosen from calibration data.</summary>
internal enum CalibrationMethod { MinMax, Percentile, Entropy }

/// <summary>
/// Activation ranges from calibration runs. MinMax: the smallest and largest value seen. Percentile: the values at
/// the (100 - p)th and pth percentiles of everything seen (p = 99.999 by default), so a few outliers do not stretch
/// the grid. Entropy: TensorRT's KL-divergence threshold: a 2048-bin histogram of |x| is clipped at each candidate
/// threshold and requantized to 128 levels; the threshold whose distribution is closest (KL) to the original wins,
/// and the range is [-t, t] (or [0, t] for tensors that never go below 0); exact zeros are left out of the histogram,
/// and a tensor whose values fill fewer than 128 bins (discrete data) keeps its full range.
/// Percentile and entropy need a second
/// pass over the data (histograms over the range the first pass saw).
/// </summary>
internal sealed class Calibrator
{
    private const int Bins = 2048;
    private const int EntropyLevels = 128;
    private readonly CalibrationMethod _method;
    private readonly double _percentile;
    private readonly Dictionary<string, (double Min, double Max)> _ranges = new();
    private readonly Dictionary<string, long[]> _histograms = new();

    public Calibrator(CalibrationMethod method, double percentile = 99.999)
    {
        if (!(percentile > 50 && percentile <= 100)) throw new ToolException($"--percentile {percentile} must be above 50 and at most 100");
        _method = method;
        _percentile = percentile;
    }

    /// <summary>Whether <see cref="ObserveHistogram"/> needs a second pass after <see cref="Observe"/>.</summary>
    public bool NeedsSecondPass => _method != CalibrationMethod.MinMax;

    /// <summary>First pass: the range of every tensor.</summary>
    public void Observe(string tensor, float[] values)
    {
        if (values.Length == 0) return;
        double lo = double.MaxValue, hi = double.MinValue;
        foreach (float v in values)
        {
            if (!float.IsFinite(v)) continue;
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        if (lo > hi) return;
        _ranges[tensor] = _ranges.TryGetValue(tensor, out var r) ? (Math.Min(r.Min, lo), Math.Max(r.Max, hi)) : (lo, hi);
    }

    /// <summary>Second pass: histograms over the first pass's range (percentile) or of |x| over [0, max|x|] (entropy).</summary>
    public void ObserveHistogram(string tensor, float[] values)
    {
        if (!_ranges.TryGetValue(tensor, out var r)) return;
        var h = _histograms.TryGetValue(tensor, out var existing) ? existing : _histograms[tensor] = new long[Bins];
        double lo = _method == CalibrationMethod.Entropy ? 0 : r.Min;
        double hi = _method == CalibrationMethod.Entropy ? Math.Max(Math.Abs(r.Min), Math.Abs(r.Max)) : r.Max;
        double width = (hi - lo) / Bins;
        if (!(width > 0)) return;
        foreach (float v in values)
        {
            // Entropy leaves exact zeros (ReLU's) out: every grid holds 0 exactly, and their spike in the first bin
            // would otherwise dominate the KL of every wide threshold and pull the range down.
            if (!float.IsFinite(v) || _method == CalibrationMethod.Entropy && v == 0) continue;
            double x = _method == CalibrationMethod.Entropy ? Math.Abs(v) : v;
            h[Math.Clamp((int)((x - lo) / width), 0, Bins - 1)]++;
        }
    }

    public bool Has(string tensor) => _ranges.ContainsKey(tensor);

    /// <summary>The range to quantize <paramref name="tensor"/> over.</summary>
    public (double Min, double Max) Range(string tensor)
    {
        var r = _ranges[tensor];
        if (_method == CalibrationMethod.MinMax || !_histograms.TryGetValue(tensor, out var h) || h.Sum() == 0) return r;
        if (_method == CalibrationMethod.Percentile)
        {
            double width = (r.Max - r.Min) / Bins;
            return (r.Min + Quantile(h, 1 - _percentile / 100, upper: false) * width, r.Min + Quantile(h, _percentile / 100, upper: true) * width);
        }
        // A tensor with few distinct values (an input of 17 grey levels) has no continuous distribution to fit: KL
        // reaches 0 at a threshold that clips almost everything into one bin. Its full range is the right grid.
        if (h.Count(c => c != 0) < EntropyLevels) return r;
        double absMax = Math.Max(Math.Abs(r.Min), Math.Abs(r.Max));
        double t = EntropyThreshold(h) * absMax / Bins;
        return (r.Min < 0 ? -t : 0, t);
    }

    /// <summary>Bin edge (in bins) below which <paramref name="q"/> of the counts lie.</summary>
    private static double Quantile(long[] h, double q, bool upper)
    {
        long total = h.Sum();
        double target = q * total, sum = 0;
        for (int i = 0; i < h.Length; i++)
        {
            if (sum + h[i] >= target && h[i] > 0) return upper ? i + 1 : i;
            sum += h[i];
        }
        return upper ? h.Length : 0;
    }

    /// <summary>TensorRT's entropy calibration: the number of |x| bins to keep, from 128 to 2048.</summary>
    public static int EntropyThreshold(long[] h, int levels = EntropyLevels)
    {
        int best = h.Length;
        double bestKl = double.MaxValue;
        for (int i = levels; i <= h.Length; i++)
        {
            // P: the first i bins, with everything beyond folded into the last one.
            var p = new double[i];
            for (int k = 0; k < i; k++) p[k] = h[k];
            for (int k = i; k < h.Length; k++) p[i - 1] += h[k];
            double pSum = p.Sum();
            if (pSum == 0) continue;
            // Q: the first i bins merged into `levels` groups, each group's count spread over its non-empty bins.
            var q = new double[i];
            double stride = (double)i / levels;
            for (int g = 0; g < levels; g++)
            {
                int start = (int)Math.Floor(g * stride), end = g == levels - 1 ? i : (int)Math.Floor((g + 1) * stride);
                double count = 0;
                int nonEmpty = 0;
                for (int k = start; k < end; k++)
                {
                    count += h[k];
                    if (h[k] != 0) nonEmpty++;
                }
                if (nonEmpty == 0) continue;
                for (int k = start; k < end; k++) if (h[k] != 0) q[k] = count / nonEmpty;
            }
            double qSum = q.Sum();
            if (qSum == 0) continue;
            double kl = 0;
            for (int k = 0; k < i; k++)
            {
                if (p[k] == 0) continue;
                double pk = p[k] / pSum, qk = q[k] / qSum;
                kl += qk == 0 ? pk * 20 : pk * Math.Log(pk / qk); // an empty Q bin where P has mass: heavily penalized
            }
            if (kl < bestKl)
            {
                bestKl = kl;
                best = i;
            }
        }
        return best;
    }
}
