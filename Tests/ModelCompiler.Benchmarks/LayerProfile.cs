using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;

namespace ModelCompiler.Benchmarks;

/// <summary>
/// <c>--layers [--top N] [--seconds S] [--model TEXT]</c>: for every model (or those whose class name contains TEXT), calls the generated PredictProfiled (Profile="true")
/// repeatedly for about S seconds after a warm-up, and prints the N layers that took the most time with their
/// share of the model's total. This is a breakdown (Stopwatch timestamps between layers), not a benchmark:
/// speed claims come from the BenchmarkDotNet run.
/// </summary>
public static class LayerProfile
{
    public static int Run(string[] args)
    {
        int top = Option(args, "--top", 5);
        double seconds = Option(args, "--seconds", 3);
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        foreach (var type in Models(args))
        {
            var bench = (ModelBenchmark)Activator.CreateInstance(type)!;
            bench.Setup();
            var model = (ModelAttribute)type.GetCustomAttributes(typeof(ModelAttribute), false)[0];
            var ticks = new long[bench.LayerNames.Count];
            for (int i = 0; i < 3; i++) bench.PredictProfiled(ticks); // warm-up: JIT tiers, arena
            Array.Clear(ticks);
            int calls = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed.TotalSeconds < seconds || calls < 5)
            {
                bench.PredictProfiled(ticks);
                calls++;
            }
            // Bytes this thread allocates in one plain Predict call (the benchmark's MemoryDiagnoser counts every thread).
            long before = GC.GetAllocatedBytesForCurrentThread();
            bench.ModelCompiler();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            bench.Dispose();
            double total = ticks.Sum();
            Console.WriteLine();
            Console.WriteLine(string.Format(inv, "{0}: {1} calls, {2:0.000} ms per call in layers; Predict allocated {3} B on the calling thread",
                model.Name, calls, total / calls * 1e3 / Stopwatch.Frequency, allocated));
            Console.WriteLine("| layer | time per call | share |");
            Console.WriteLine("|---|---:|---:|");
            foreach (int i in Enumerable.Range(0, ticks.Length).OrderByDescending(i => ticks[i]).Take(top))
                Console.WriteLine(string.Format(inv, "| {0} | {1:0.0} us | {2:0.0}% |", bench.LayerNames[i],
                    ticks[i] * 1e6 / Stopwatch.Frequency / calls, 100 * ticks[i] / total));
        }
        return 0;
    }

    /// <summary>The benchmark classes, or those whose name contains the <c>--model</c> text, by name.</summary>
    internal static IEnumerable<Type> Models(string[] args)
    {
        int at = Array.IndexOf(args, "--model");
        string only = at >= 0 && at + 1 < args.Length ? args[at + 1] : "";
        return typeof(LayerProfile).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(ModelBenchmark).IsAssignableFrom(t))
            .Where(t => t.Name.Contains(only, StringComparison.OrdinalIgnoreCase))
            .OrderBy(t => t.Name, StringComparer.Ordinal);
    }

    internal static T Option<T>(string[] args, string name, T fallback) where T : IParsable<T>
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && T.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : fallback;
    }
}
