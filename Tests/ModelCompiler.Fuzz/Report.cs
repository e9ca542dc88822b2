using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace ModelCompiler.Fuzz;

/// <summary>Writes a campaign's results: results.jsonl (every case), summary.txt, and defects/ (each defect's model and description).</summary>
internal static class Report
{
    public static string Write(string outDir, CampaignSettings settings, Corpus corpus, IReadOnlyList<CaseResult> results, TimeSpan elapsed)
    {
        Directory.CreateDirectory(outDir);
        using (var w = new StreamWriter(Path.Combine(outDir, "results.jsonl")))
            foreach (var r in results) w.WriteLine(JsonSerializer.Serialize(r, Json.Options));

        var s = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        s.AppendLine(inv, $"modelc-fuzz: seed {settings.Seed}, cases {settings.Start}..{settings.Start + settings.Cases - 1}, {settings.Jobs} worker(s), {elapsed.TotalSeconds:F0} s");
        s.AppendLine(inv, $"kinds: {settings.KindList}");
        s.AppendLine(inv, $"corpus: {corpus.Description}");
        s.AppendLine(inv, $"limits per case: {settings.TimeLimit.TotalSeconds:F0} s, {settings.MemoryLimitBytes >> 20} MiB managed heap");
        s.AppendLine();
        foreach (var g in results.GroupBy(r => r.Outcome).OrderBy(g => g.Key, StringComparer.Ordinal))
            s.AppendLine(inv, $"{g.Key,-14} {g.Count(),6}");
        s.AppendLine();
        s.AppendLine("errors reported (cases with each id):");
        foreach (var g in results.SelectMany(r => r.Ids.Split(',', StringSplitOptions.RemoveEmptyEntries)).GroupBy(i => i).OrderBy(g => g.Key, StringComparer.Ordinal))
            s.AppendLine(inv, $"  {g.Key} {g.Count(),6}");
        s.AppendLine();
        s.AppendLine("by kind:                 cases compiled rejected defects");
        foreach (var g in results.GroupBy(r => r.Kind).OrderBy(g => g.Key, StringComparer.Ordinal))
            s.AppendLine(inv, $"  {g.Key,-22} {g.Count(),6} {g.Count(r => r.Outcome == "compiled"),8} {g.Count(r => r.Outcome == "rejected"),8} {g.Count(r => r.IsDefect),7}");
        s.AppendLine();
        s.AppendLine("slowest cases:");
        foreach (var r in results.OrderByDescending(r => r.Ms).Take(5))
            s.AppendLine(inv, $"  case {r.Index}: {r.Ms / 1000:F1} s, {r.PeakMiB:F0} MiB, {r.Outcome} {r.Ids} ({r.Seed}, {r.Kind})");
        var peak = results.OrderByDescending(r => r.PeakMiB).FirstOrDefault();
        if (peak is not null) s.AppendLine(inv, $"most memory: case {peak.Index}, {peak.PeakMiB:F0} MiB ({peak.Seed}, {peak.Kind})");
        s.AppendLine();

        var defects = results.Where(r => r.IsDefect || r.Outcome == "harness-error").ToList();
        s.AppendLine(inv, $"DEFECTS: {defects.Count}");
        foreach (var g in defects.GroupBy(r => r.DefectKey).OrderByDescending(g => g.Count()))
        {
            s.AppendLine(inv, $"  [{g.Count()}x] {g.First().Defect ?? g.First().Outcome}: {g.First().Message}");
            foreach (var r in g.Take(3))
                s.AppendLine(inv, $"      case {r.Index} ({r.Seed}, {r.Kind}): {r.Description}");
        }
        if (defects.Count > 0)
            s.AppendLine(inv, $"each defect's model is in {Path.Combine(outDir, "defects")}; rerun one with: modelc-fuzz --seed {settings.Seed} --kinds {settings.KindList} --case N");
        string text = s.ToString();
        File.WriteAllText(Path.Combine(outDir, "summary.txt"), text);
        return text;
    }

    /// <summary>Saves a defect's mutated model and what was done to it, so that it can be compiled by hand.</summary>
    public static void SaveDefect(string outDir, FuzzCase c, CaseResult r)
    {
        string dir = Path.Combine(outDir, "defects");
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, $"case-{c.Index}.onnx"), c.Bytes);
        File.WriteAllText(Path.Combine(dir, $"case-{c.Index}.txt"),
            $"seed model: {c.Seed.Name}\nkind: {c.Kind}\nmutation: {c.Description}\nInputShape: {c.InputShape}\nThreads: {c.Threads}\n" +
            $"defect: {r.Defect}\n{r.Message}\n");
    }
}
