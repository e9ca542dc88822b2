using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;

namespace ModelCompiler.Tool.Running;

/// <summary>Per-call times of a warmed-up action: median, mean and best over batches of calls.</summary>
internal sealed record Timing(double MedianSeconds, double MeanSeconds, double MinSeconds, long Calls, double FirstCallSeconds)
{
    /// <summary>
    /// Times <paramref name="call"/>: the first call alone, then <paramref name="warmup"/> of calls (tiered JIT reaches
    /// its optimized code after about a second), then batches of about 10 ms for <paramref name="measure"/>.
    /// </summary>
    public static Timing Measure(Action call, TimeSpan warmup, TimeSpan measure)
    {
        var first = Stopwatch.StartNew();
        call();
        double firstSeconds = first.Elapsed.TotalSeconds;
        var clock = Stopwatch.StartNew();
        long n = 0;
        while (clock.Elapsed < warmup) { call(); n++; }
        double perCall = warmup.TotalSeconds / Math.Max(1, n);
        int batch = (int)Math.Clamp(0.01 / Math.Max(perCall, 1e-9), 1, 1_000_000);
        var samples = new List<double>();
        long calls = 0;
        clock.Restart();
        while (clock.Elapsed < measure || samples.Count < 5)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < batch; i++) call();
            samples.Add(Stopwatch.GetElapsedTime(start).TotalSeconds / batch);
            calls += batch;
        }
        samples.Sort();
        return new Timing(samples[samples.Count / 2], samples.Average(), samples[0], calls, firstSeconds);
    }
}
