using System;
using System.Collections.Generic;
using System.Linq;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace ModelCompiler.Benchmarks;

/// <summary>
/// <c>-- --filter '*'</c> (any BenchmarkDotNet arguments): runs the benchmarks, then prints the model report
/// (ModelCompiler vs ONNX Runtime, allocation, GFLOP/s and share of the measured FMA peak) and writes it to
/// BenchmarkDotNet.Artifacts/results/ModelCompiler-report.md. <c>-- --layers</c>: the top layers by time of
/// each model, from the generated PredictProfiled; <c>-- --ort-layers</c>: ONNX Runtime's own per-node breakdown.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Contains("--layers")) return LayerProfile.Run(args.Where(a => a != "--layers").ToArray());
        if (args.Contains("--ort-layers")) return OrtLayerProfile.Run(args.Where(a => a != "--ort-layers").ToArray());
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchmarkConfig.Create()).ToList();
        if (summaries.Count == 0) return 0;
        string report = ModelReport.Build(summaries);
        Console.WriteLine();
        Console.WriteLine(report);
        string dir = summaries[0].ResultsDirectoryPath;
        System.IO.Directory.CreateDirectory(dir);
        System.IO.File.WriteAllText(System.IO.Path.Combine(dir, "ModelCompiler-report.md"), report);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}

/// <summary>The table docs/benchmarks.md records, computed from BenchmarkDotNet's summaries.</summary>
public static class ModelReport
{
    /// <summary>
    /// One table of a peak benchmark class's variants (median, rate = GFLOP/s divided by <paramref name="flopsPerUnit"/>),
    /// leaving out those whose instructions this machine lacks; returns the best rate, or null when none ran.
    /// </summary>
    private static double? PeakTable(System.Text.StringBuilder sb, IReadOnlyList<(Summary Summary, BenchmarkDotNet.Running.BenchmarkCase Case)> cases,
        Type type, string title, string unit, double flopsPerUnit, Func<string, bool> runs)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        double? best = null;
        sb.AppendLine(title);
        sb.AppendLine();
        sb.AppendLine($"| variant | median | {unit} |");
        sb.AppendLine("|---|---:|---:|");
        foreach (var (s, c) in cases.Where(x => x.Case.Descriptor.Type == type))
        {
            var g = GflopsColumn.Gflops(s, c);
            string name = c.Descriptor.WorkloadMethod.Name;
            if (g is null || s[c]?.ResultStatistics is null || !runs(name)) continue;
            double rate = g.Value / flopsPerUnit;
            sb.AppendLine(string.Format(inv, "| {0} | {1} | {2:0.0} |", name, Time(s[c]!.ResultStatistics!.Median), rate));
            best = Math.Max(best ?? 0, rate);
        }
        sb.AppendLine();
        return best;
    }

    public static string Build(IReadOnlyList<Summary> summaries)
    {
        var cases = summaries.SelectMany(s => s.BenchmarksCases.Select(c => (Summary: s, Case: c))).ToList();
        var sb = new System.Text.StringBuilder();
        var inv = System.Globalization.CultureInfo.InvariantCulture;

        double? peak = PeakTable(sb, cases, typeof(PeakFma), "Peak float32 FMA rate, one core:", "GFLOP/s", 1, PeakFma.Runs);
        sb.AppendLine(peak is { } p ? string.Format(inv, "Peak: {0:0.0} GFLOP/s", p) : "Peak: not measured in this run (add --filter '*PeakFma*')");
        sb.AppendLine();
        if (cases.Any(x => x.Case.Descriptor.Type == typeof(PeakInt8)))
            PeakTable(sb, cases, typeof(PeakInt8), "Peak 8-bit multiply-accumulate rate, one core (the instructions .NET exposes):", "GMAC/s", 2, PeakInt8.Runs);

        // Medians, and the ratio of the fastest iterations too: on a shared VM a slow phase of the host can cover
        // half of one benchmark's iterations and none of the other's, which moves a median ratio but not this one.
        sb.AppendLine("| model | MACs | ModelCompiler | ONNX Runtime | ORT / MC | ORT / MC, fastest iterations | MC allocated per call | MC GFLOP/s | % of peak | scratch bytes |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var group in cases.Where(x => x.Case.Descriptor.Type.GetCustomAttributes(typeof(ModelAttribute), false).Length > 0)
                     .GroupBy(x => x.Case.Descriptor.Type))
        {
            var model = (ModelAttribute)group.Key.GetCustomAttributes(typeof(ModelAttribute), false)[0];
            var mc = group.FirstOrDefault(x => x.Case.Descriptor.WorkloadMethod.Name == "ModelCompiler");
            var ort = group.FirstOrDefault(x => x.Case.Descriptor.WorkloadMethod.Name == "OnnxRuntime");
            double? mcTime = mc.Case is null ? null : mc.Summary[mc.Case]?.ResultStatistics?.Median;
            double? ortTime = ort.Case is null ? null : ort.Summary[ort.Case]?.ResultStatistics?.Median;
            double? mcMin = mc.Case is null ? null : mc.Summary[mc.Case]?.ResultStatistics?.Min;
            double? ortMin = ort.Case is null ? null : ort.Summary[ort.Case]?.ResultStatistics?.Min;
            long? allocated = mc.Case is null ? null : mc.Summary[mc.Case]?.GcStats.GetBytesAllocatedPerOperation(mc.Case);
            double? gflops = mcTime is { } t ? 2.0 * model.Macs / t : null;
            sb.AppendLine(string.Format(inv, "| {0} | {1} | {2} | {3} | {4} | {5} | {6} | {7} | {8} | {9:N0} |",
                model.Name, Count(model.Macs), Time(mcTime), Time(ortTime),
                mcTime is { } a && ortTime is { } b ? (b / a).ToString("0.00", inv) + "x" : "-",
                mcMin is { } a2 && ortMin is { } b2 ? (b2 / a2).ToString("0.00", inv) + "x" : "-",
                allocated is { } bytes ? bytes.ToString(inv) + " B" : "-",
                gflops is { } gf ? gf.ToString("0.00", inv) : "-",
                gflops is { } gp && peak is { } pk ? (100 * gp / pk).ToString("0.0", inv) + "%" : "-",
                model.ScratchBytes));
        }
        return sb.ToString();
    }

    private static string Count(long n) => n >= 1_000_000_000 ? (n / 1e9).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) + " G"
        : n >= 1_000_000 ? (n / 1e6).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " M"
        : (n / 1e3).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " K";

    private static string Time(double? ns) => ns switch
    {
        null => "-",
        >= 1e6 => (ns.Value / 1e6).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) + " ms",
        >= 1e3 => (ns.Value / 1e3).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) + " us",
        _ => ns.Value.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " ns",
    };
}
