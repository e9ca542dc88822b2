using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Fuzz.Mutations;

namespace ModelCompiler.Fuzz;

/// <summary>What names a campaign's cases exactly: the seed, the kinds, the corpus and the limits. Workers get the same settings.</summary>
internal sealed record CampaignSettings
{
    public ulong Seed { get; init; } = 1;
    public long Start { get; init; }
    public long Cases { get; init; } = 2000;
    public IReadOnlyList<Mutation> Kinds { get; init; } = Mutation.All;
    public string? SharedRoot { get; init; }
    public long MaxModelBytes { get; init; } = 16L << 20;
    public TimeSpan TimeLimit { get; init; } = TimeSpan.FromSeconds(20);
    public long MemoryLimitBytes { get; init; } = 2L << 30;
    public int Jobs { get; init; } = 1;

    public string KindList => string.Join(",", Kinds.Select(k => k.Kind));

    /// <summary>"all" or a comma-separated list of kinds; an unknown kind throws with the list of known ones.</summary>
    public static IReadOnlyList<Mutation> ParseKinds(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text!.Trim() == "all") return Mutation.All;
        var kinds = new List<Mutation>();
        foreach (string name in text.Split(new[] { ',', ' ' }, StringSplitOptions.RemoveEmptyEntries))
            kinds.Add(Mutation.Find(name) ?? throw new ArgumentException($"unknown mutation kind '{name}'; known: {string.Join(", ", Mutation.All.Select(m => m.Kind))}"));
        return kinds;
    }

    /// <summary>The worker's command line for these settings.</summary>
    public IEnumerable<string> WorkerArguments() => new[]
    {
        "worker", "--seed", Seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--kinds", KindList,
        "--shared", SharedRoot ?? "", "--max-model-kb", (MaxModelBytes / 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--time-limit", TimeLimit.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--memory-limit-mb", (MemoryLimitBytes >> 20).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
