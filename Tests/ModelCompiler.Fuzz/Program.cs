using System;
using System.CommandLine;
using System.Diagnostics;
using System.IO;
using System.Linq;
using ModelCompiler.Fuzz.Mutations;

namespace ModelCompiler.Fuzz;

/// <summary>
/// modelc-fuzz: runs a seeded mutation campaign over the shared seed models and exits 1 if any case is a defect.
/// <code>
/// modelc-fuzz --seed 7 --cases 10000 --jobs 2          a campaign (run-campaign.sh wraps it)
/// modelc-fuzz --seed 7 --case 1234                     one case, in this process, with its diagnostics
/// modelc-fuzz --list-kinds                             the mutation kinds
/// </code>
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var seed = new Option<ulong>("--seed") { Description = "Campaign seed: (seed, case index) names one mutated model exactly.", DefaultValueFactory = _ => 1 };
        var cases = new Option<long>("--cases") { Description = "How many cases.", DefaultValueFactory = _ => 2000 };
        var start = new Option<long>("--start") { Description = "Index of the first case.", DefaultValueFactory = _ => 0 };
        var kinds = new Option<string?>("--kinds") { Description = "Mutation kinds, comma separated, or 'all' (see --list-kinds)." };
        var shared = new Option<string?>("--shared") { Description = "Seed models: every .onnx below this folder (default: ../shared beside the repository, or MODELCOMPILER_SHARED)." };
        var maxModelKb = new Option<long>("--max-model-kb") { Description = "Seed models larger than this are left out.", DefaultValueFactory = _ => 16384 };
        var jobs = new Option<int>("--jobs") { Description = "Worker processes run at once.", DefaultValueFactory = _ => 1 };
        var timeLimit = new Option<double>("--time-limit") { Description = "Seconds one case may take before it is a defect.", DefaultValueFactory = _ => 20 };
        var memoryLimit = new Option<long>("--memory-limit-mb") { Description = "Managed heap growth (MiB) one case may use before it is a defect.", DefaultValueFactory = _ => 2048 };
        var outDir = new Option<string?>("--out") { Description = "Where results.jsonl, summary.txt and defects/ go (default artifacts/fuzz/seed-N)." };
        var oneCase = new Option<long?>("--case") { Description = "Run only this case, in this process, and print it." };
        var listKinds = new Option<bool>("--list-kinds") { Description = "List the mutation kinds and exit." };

        CampaignSettings Settings(ParseResult p) => new()
        {
            Seed = p.GetValue(seed),
            Start = p.GetValue(start),
            Cases = p.GetValue(cases),
            Kinds = CampaignSettings.ParseKinds(p.GetValue(kinds)),
            SharedRoot = ResolveShared(p.GetValue(shared)),
            MaxModelBytes = p.GetValue(maxModelKb) * 1024,
            Jobs = p.GetValue(jobs),
            TimeLimit = TimeSpan.FromSeconds(p.GetValue(timeLimit)),
            MemoryLimitBytes = p.GetValue(memoryLimit) << 20,
        };

        var root = new RootCommand("Seeded mutation fuzzer for ModelCompiler: every case through ModelCompilation.Compile, bounded in time and memory.")
        {
            seed, cases, start, kinds, shared, maxModelKb, jobs, timeLimit, memoryLimit, outDir, oneCase, listKinds,
        };
        root.SetAction(p =>
        {
            if (p.GetValue(listKinds))
            {
                foreach (var m in Mutation.All) Console.WriteLine($"{m.Kind,-20} {m.Summary}");
                return 0;
            }
            var settings = Settings(p);
            return p.GetValue(oneCase) is { } index ? RunOne(settings, index, p.GetValue(outDir)) : RunCampaign(settings, p.GetValue(outDir));
        });

        var worker = new Command("worker", "(internal) run cases named on standard input") { seed, kinds, shared, maxModelKb, timeLimit, memoryLimit };
        worker.Hidden = true;
        worker.SetAction(p => Worker.Run(Settings(p)));
        root.Add(worker);
        return root.Parse(args).Invoke();
    }

    private static int RunCampaign(CampaignSettings settings, string? outDir)
    {
        outDir ??= Path.Combine(RepoRoot() ?? ".", "artifacts", "fuzz", "seed-" + settings.Seed);
        var corpus = Corpus.Load(settings.SharedRoot, settings.MaxModelBytes);
        Console.WriteLine($"modelc-fuzz: seed {settings.Seed}, {settings.Cases} cases from {settings.Start}, kinds {settings.KindList}");
        Console.WriteLine($"  corpus: {corpus.Description}");
        var clock = Stopwatch.StartNew();
        var results = new Supervisor(settings, Console.WriteLine).Run();
        foreach (var r in results.Where(r => r.IsDefect))
            Report.SaveDefect(outDir, FuzzCase.Create(settings.Seed, r.Index, corpus, settings.Kinds), r);
        string summary = Report.Write(outDir, settings, corpus, results, clock.Elapsed);
        Console.WriteLine();
        Console.Write(summary);
        int defects = results.Count(r => r.IsDefect || r.Outcome == "harness-error");
        Console.WriteLine($"modelc-fuzz: {results.Count} cases, {defects} defect(s)");
        return defects == 0 ? 0 : 1;
    }

    private static int RunOne(CampaignSettings settings, long index, string? outDir)
    {
        var corpus = Corpus.Load(settings.SharedRoot, settings.MaxModelBytes);
        var c = FuzzCase.Create(settings.Seed, index, corpus, settings.Kinds);
        Console.WriteLine($"case {index}: {c.Seed.Name}, {c.Kind}: {c.Description}");
        Console.WriteLine($"  InputShape={c.InputShape ?? "-"} Threads={c.Threads ?? "-"}");
        // The guard in Compile turns an unexpected exception into MC9999 without its stack; keep the last one thrown.
        Exception? last = null;
        AppDomain.CurrentDomain.FirstChanceException += (_, e) => last = e.Exception;
        var r = new CaseRunner(settings.TimeLimit, settings.MemoryLimitBytes).Run(c);
        if (r.IsDefect && last is not null) Console.WriteLine("  last exception thrown: " + last);
        Console.WriteLine($"  {r.Outcome}{(r.Defect is null ? "" : " (" + r.Defect + ")")} {r.Ids} in {r.Ms:F0} ms, {r.PeakMiB:F0} MiB");
        if (r.Message is not null) Console.WriteLine("  " + r.Message);
        string file = Path.Combine(outDir ?? ".", $"case-{index}.onnx");
        File.WriteAllBytes(file, c.Bytes);
        Console.WriteLine($"  model written to {file}");
        return r.IsDefect ? 1 : 0;
    }

    private static string? RepoRoot()
    {
        foreach (string startDir in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(startDir); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "ModelCompiler.sln"))) return dir.FullName;
        return null;
    }

    private static string? ResolveShared(string? given)
    {
        if (!string.IsNullOrWhiteSpace(given)) return Path.GetFullPath(given);
        if (Environment.GetEnvironmentVariable("MODELCOMPILER_SHARED") is { Length: > 0 } env) return env;
        return RepoRoot() is { } root ? Path.GetFullPath(Path.Combine(root, "..", "shared")) : null;
    }
}
