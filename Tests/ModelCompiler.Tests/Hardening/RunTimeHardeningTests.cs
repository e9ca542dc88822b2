using System;
using System.Linq;
using System.Reflection;
using System.Threading;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Hardening;

/// <summary>
/// Predict under pressure: many threads at once give the same bits as one thread (reference: the same model
/// run alone on each input first), and input/output spans that share memory are rejected with ArgumentException.
/// </summary>
public sealed class RunTimeHardeningTests
{
    /// <summary>16 threads, each with its own input, each call compared bit for bit with the single-threaded result.</summary>
    private static void Hammer(int callsPerThread, string? threadsOption)
    {
        var model = ModelCompiler.Tests.Runtime.CompiledModel.Compile(TestModels.TinyCnn(), "Hammer.T" + (threadsOption ?? "1") + "C" + callsPerThread, threads: threadsOption);
        const int threads = 16;
        var inputs = Enumerable.Range(0, threads).Select(t => OnnxModelBuilder.RandomFloats(model.InputLengths[0], (uint)(100 + t))).ToArray();
        var expected = inputs.Select(x => model.Run(x)[0]).ToArray();
        int mismatches = 0;
        string? first = null;
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (int i = 0; i < callsPerThread; i++)
            {
                var y = model.Run(inputs[t])[0];
                if (!y.AsSpan().SequenceEqual(expected[t]) && Interlocked.Increment(ref mismatches) == 1)
                    first = $"thread {t}, call {i}: [{string.Join(", ", y.Take(4))}...] instead of [{string.Join(", ", expected[t].Take(4))}...]";
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        Assert.True(mismatches == 0, $"{mismatches} of {threads * callsPerThread} calls differ; first: {first}");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("2")]
    public void Sixteen_threads_give_identical_outputs(string? threadsOption) => Hammer(2_000, threadsOption);

    /// <summary>The long form: 16 threads x 100,000 calls. Run with MODELCOMPILER_LONG_TESTS=1 (README: Tests).</summary>
    [Theory]
    [Trait("Category", "Long")]
    [InlineData(null)]
    [InlineData("2")]
    public void Sixteen_threads_times_100000_calls_give_identical_outputs(string? threadsOption)
    {
        if (Environment.GetEnvironmentVariable("MODELCOMPILER_LONG_TESTS") != "1")
            Assert.Skip("long test (about a minute on 2 cores): set MODELCOMPILER_LONG_TESTS=1 to run it");
        Hammer(100_000, threadsOption);
    }

    [Fact]
    public void Input_and_output_spans_that_share_memory_are_rejected()
    {
        const string ns = "Overlap.M";
        var (result, unit) = InMemoryCompiler.Generate(TestModels.TinyMlp(), ns);
        Assert.NotNull(unit);
        string probe = $$"""
            namespace {{ns}}
            {
                public static class Calls
                {
                    // Input [0, 4) and output [offset, offset + 3) of one buffer.
                    public static void Shared(int offset)
                    {
                        var buffer = new float[16];
                        global::{{ns}}.Model.Predict(new global::System.ReadOnlySpan<float>(buffer, 0, 4), new global::System.Span<float>(buffer, offset, 3));
                    }
                }
            }
            """;
        var compiled = InMemoryCompiler.Compile(new[] { unit!, new InMemoryCompiler.Unit(ns + ".Calls", probe) });
        Assert.True(compiled.Assembly is not null, string.Join("\n", compiled.Errors));
        var shared = compiled.Assembly!.GetType(ns + ".Calls")!.GetMethod("Shared")!;
        void Call(int offset)
        {
            try { shared.Invoke(null, new object[] { offset }); }
            catch (TargetInvocationException e) when (e.InnerException is not null) { System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw(); }
        }
        foreach (int offset in new[] { 0, 2, 3 })
        {
            var e = Assert.Throws<ArgumentException>(() => Call(offset));
            Assert.Contains("share memory", e.Message);
        }
        Call(4); // adjacent, not overlapping
        Assert.Contains("Guard.Disjoint<float, float>(input, output", result.Source);
    }
}
