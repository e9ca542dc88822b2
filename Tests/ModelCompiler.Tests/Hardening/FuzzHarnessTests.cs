using System;
using System.Linq;
using ModelCompiler.Fuzz;
using ModelCompiler.Fuzz.Mutations;
using Xunit;

namespace ModelCompiler.Tests.Hardening;

/// <summary>
/// The fuzz harness (Tests/ModelCompiler.Fuzz) checked on its built-in seeds: a (seed, case) pair names one model,
/// every mutation kind applies, planted limits are reported as defects, and a sample of 300 cases over the
/// built-in seeds ends with no defect. The CI sample over ../shared runs in .ci/run.
/// </summary>
public sealed class FuzzHarnessTests
{
    private static readonly Corpus s_builtIn = Corpus.Load(null, long.MaxValue);

    [Fact]
    public void A_seed_and_case_index_name_the_same_model_every_time()
    {
        for (long i = 0; i < 40; i++)
        {
            var a = FuzzCase.Create(42, i, s_builtIn, Mutation.All);
            var b = FuzzCase.Create(42, i, s_builtIn, Mutation.All);
            Assert.Equal(a.Bytes, b.Bytes);
            Assert.Equal(a.Description, b.Description);
            Assert.Equal(a.InputShape, b.InputShape);
        }
        Assert.NotEqual(FuzzCase.Create(42, 0, s_builtIn, Mutation.All).Bytes, FuzzCase.Create(43, 0, s_builtIn, Mutation.All).Bytes);
    }

    [Fact]
    public void Every_mutation_kind_applies_to_the_built_in_seeds_and_changes_the_model_or_its_options()
    {
        foreach (var kind in Mutation.All)
        {
            int applied = 0;
            for (long i = 0; i < 20; i++)
            {
                var c = FuzzCase.Create(7, i, s_builtIn, new[] { kind });
                if (c.Kind != kind.Kind) continue;
                applied++;
                byte[] seed = c.Seed.ReadBytes();
                Assert.True(!c.Bytes.AsSpan().SequenceEqual(seed) || c.InputShape is not null, $"{kind.Kind} left case {i} unchanged: {c.Description}");
                Assert.False(string.IsNullOrEmpty(c.Description));
            }
            Assert.True(applied > 0, $"{kind.Kind} never applied to the built-in seeds");
        }
    }

    [Fact]
    public void Planted_time_and_memory_limits_are_reported_as_defects()
    {
        var c = FuzzCase.Create(1, 0, s_builtIn, new Mutation[] { new OpsetVersion() });
        var normal = new CaseRunner(TimeSpan.FromSeconds(20), 2L << 30).Run(c);
        Assert.Null(normal.Defect);
        Assert.Equal("slow", new CaseRunner(TimeSpan.Zero, 2L << 30).Run(c).Defect);
        // A compile that allocates nothing on the heap cannot exceed -1 bytes: the sampler's peak is at least 0.
        Assert.Equal("memory", new CaseRunner(TimeSpan.FromSeconds(20), -1).Run(c).Defect);
    }

    [Fact]
    public void Unmutated_built_in_seeds_compile()
    {
        foreach (var seed in s_builtIn.Small)
        {
            var c = new FuzzCase(0, seed, "none", "", seed.ReadBytes(), null, null);
            var r = new CaseRunner(TimeSpan.FromSeconds(20), 2L << 30).Run(c);
            Assert.True(r.Outcome == "compiled", $"{seed.Name}: {r.Outcome} {r.Message}");
        }
    }

    [Fact]
    public void Three_hundred_cases_over_the_built_in_seeds_find_no_defect()
    {
        var runner = new CaseRunner(TimeSpan.FromSeconds(20), 2L << 30);
        var defects = Enumerable.Range(0, 300)
            .Select(i => runner.Run(FuzzCase.Create(20261205, i, s_builtIn, Mutation.All)))
            .Where(r => r.IsDefect)
            .Select(r => $"case {r.Index} ({r.Kind}: {r.Description}): {r.Defect} {r.Message}")
            .ToList();
        Assert.True(defects.Count == 0, string.Join("\n", defects));
    }
}
