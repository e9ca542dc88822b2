using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Threading;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Runtime;

/// <summary>
/// Several callers inside <c>Predict</c> at the same moment, on models compiled with <c>Threads="4"</c> through the
/// generator's metadata (<see cref="MetadataBuild"/>): a float convolution model whose large layers split over the
/// threads, and the same network quantized to int8 (QDQ, integer kernels; these take no <c>Threads</c> yet, so there
/// every caller runs its layers on its own thread, which is what this checks). Four caller threads start together at a
/// barrier and run rounds of calls, each cycling through the inputs from its own starting point into an output
/// poisoned with NaN before each call: every output must be bit-identical to the
/// <c>Threads="1"</c> build's for that input, the callers must really have been inside Predict together, and in steady
/// state no caller allocates and the whole process (the kernels' worker threads included) allocates 0 bytes in at
/// least one round. A hang fails at the test's timeout instead of blocking the run.
/// </summary>
[Collection(nameof(ProcessWideAllocation))]
public sealed class ConcurrentCallerTests
{
    private const int Callers = 4, Rounds = 3, CallsPerRound = 8;

    public static TheoryData<string> Models() => new("float", "int8");

    private static byte[] Model(string kind)
    {
        byte[] network = ThreadsOptionTests.Model();
        if (kind == "float") return network;
        var prepared = QdqQuantizer.Prepare(network);
        var calibration = Enumerable.Range(0, 8).Select(s => new[] { QuantCompare.Uniform(16 * 32 * 32, (uint)(300 + s), -1, 1) }).ToList();
        return QdqQuantizer.Quantize(prepared, calibration, new QdqQuantizer.Options(SignedActivations: false));
    }

    private static string Probe(string ns) => $$"""
        namespace {{ns}}
        {
            public static class Callers
            {
                private static int s_inFlight, s_maxInFlight;

                /// The most callers seen inside Predict at once.
                public static int MaxInFlight => global::System.Threading.Volatile.Read(ref s_maxInFlight);

                public static void Predict(float[] input, float[] output) => Net.Predict(input, output);

                /// Calls Predict n times, on inputs[(first + i) % count] into an output filled with NaN first (so that a layer
                /// computing another caller's data, or nothing, shows); counts outputs that differ from the expected ones in any
                /// bit; returns the bytes this thread allocated.
                public static long Run(float[][] inputs, float[] output, float[][] expected, int first, int n, int[] mismatches)
                {
                    long before = global::System.GC.GetAllocatedBytesForCurrentThread();
                    for (int i = 0; i < n; i++)
                    {
                        int k = (first + i) % inputs.Length;
                        float[] input = inputs[k];
                        global::System.MemoryExtensions.AsSpan(output).Fill(float.NaN);
                        int now = global::System.Threading.Interlocked.Increment(ref s_inFlight);
                        int seen;
                        while ((seen = global::System.Threading.Volatile.Read(ref s_maxInFlight)) < now
                               && global::System.Threading.Interlocked.CompareExchange(ref s_maxInFlight, now, seen) != seen) { }
                        Net.Predict(input, output);
                        global::System.Threading.Interlocked.Decrement(ref s_inFlight);
                        if (!global::System.MemoryExtensions.SequenceEqual(
                                global::System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(new global::System.ReadOnlySpan<float>(output)),
                                global::System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(new global::System.ReadOnlySpan<float>(expected[k]))))
                            mismatches[0]++;
                    }
                    return global::System.GC.GetAllocatedBytesForCurrentThread() - before;
                }
            }
        }
        """;

    /// <summary>The weights fingerprint the generated class checks its blob against (WeightBlob.Load's third argument).</summary>
    private static string Fingerprint(string source) =>
        System.Text.RegularExpressions.Regex.Match(source, @"WeightBlob\.Load\([^,]+, ""[^""]*"", ""([0-9a-f]+)""").Groups[1].Value is { Length: > 0 } f
            ? f : throw new Xunit.Sdk.XunitException("no WeightBlob.Load(..., fingerprint, ...) in the generated source");

    private static MethodInfo Method(MetadataBuild.Result m, string name) => m.Assembly.GetType(m.Namespace + ".Callers")!.GetMethod(name)!;

    private static MetadataBuild.Result Build(byte[] model, string ns, string? threads) =>
        MetadataBuild.Compile(model, "net.onnx", ns, "Net", threads is null ? new Dictionary<string, string>() : new() { ["Threads"] = threads }, Probe(ns));

    /// <summary>
    /// A hang (callers blocking each other for good) fails at the timeout: the body runs on a pool thread so that xunit
    /// can give up on it. Inside the rounds nothing waits with a timeout, since Barrier.SignalAndWait(TimeSpan) allocates.
    /// </summary>
    [Theory(Timeout = 180_000)]
    [MemberData(nameof(Models))]
    public async System.Threading.Tasks.Task Simultaneous_callers_on_a_Threads_4_build_get_the_single_thread_bits_and_allocate_nothing(string kind) =>
        await System.Threading.Tasks.Task.Run(() => Callers_agree(kind), TestContext.Current.CancellationToken);

    private static void Callers_agree(string kind)
    {
        byte[] model = Model(kind);
        string ns = kind == "float" ? "Concurrent.Float" : "Concurrent.Int8";
        var one = Build(model, ns + ".One", threads: null);
        var four = Build(model, ns + ".Four", threads: "4");
        // The metadata reached the generator: Threads enters the weights fingerprint, and the float convolutions split.
        Assert.NotEqual(Fingerprint(one.Source), Fingerprint(four.Source));
        if (kind == "float") Assert.Contains("threads: 4", four.Source);
        else Assert.Contains("QLinear", four.Source); // integer kernels (which take no Threads today: each caller runs them on its own thread)

        int length = 16 * 32 * 32, outputs = 10;
        var inputs = Enumerable.Range(0, Callers).Select(c => QuantCompare.Uniform(length, (uint)(500 + c), -1, 1)).ToArray();
        var expected = inputs.Select(x =>
        {
            var y = new float[outputs];
            Method(one, "Predict").Invoke(null, new object[] { x, y });
            return y;
        }).ToArray();
        Assert.True(expected.Select(e => string.Join(",", e)).Distinct().Count() == Callers, "each caller's input should give its own output");

        // A delegate, not MethodInfo.Invoke: the argument array and the boxed result would be allocations in the rounds.
        var run = Method(four, "Run").CreateDelegate<Func<float[][], float[], float[][], int, int, int[], long>>();
        var allocated = new long[Callers, Rounds];
        var mismatches = Enumerable.Range(0, Callers).Select(_ => new int[1]).ToArray();
        var failures = new List<Exception>();
        using var barrier = new Barrier(Callers + 1); // the callers and this thread, which measures the process between barriers
        var threads = Enumerable.Range(0, Callers).Select(c => new Thread(() =>
        {
            try
            {
                var output = new float[outputs];
                // Warm-up on this thread: its arena, the JIT and the tiered JIT's promotions (see CompiledModel.WarmUp).
                var clock = System.Diagnostics.Stopwatch.StartNew();
                while (clock.ElapsedMilliseconds < 300) run(inputs, output, expected, c, 10, mismatches[c]);
                barrier.SignalAndWait();
                for (int r = 0; r < Rounds; r++)
                {
                    barrier.SignalAndWait(); // all callers start the round together
                    allocated[c, r] = run(inputs, output, expected, c + r, CallsPerRound, mismatches[c]);
                    barrier.SignalAndWait();
                }
            }
            catch (Exception e)
            {
                lock (failures) failures.Add(e);
                barrier.RemoveParticipant();
            }
        }) { IsBackground = true, Name = $"caller {c}" }).ToList();
        threads.ForEach(t => t.Start());

        var total = new long[Rounds];
        var timeout = TimeSpan.FromMinutes(2);
        barrier.SignalAndWait();
        for (int r = 0; r < Rounds; r++)
        {
            barrier.SignalAndWait();
            long before = GC.GetTotalAllocatedBytes(precise: true);
            barrier.SignalAndWait();
            total[r] = GC.GetTotalAllocatedBytes(precise: true) - before;
        }
        Assert.All(threads, t => Assert.True(t.Join(timeout), $"{t.Name} did not finish"));
        Assert.Empty(failures);

        Assert.All(mismatches, m => Assert.Equal(0, m[0]));
        int overlap = (int)four.Assembly.GetType(four.Namespace + ".Callers")!.GetProperty("MaxInFlight")!.GetValue(null)!;
        Assert.True(overlap >= 2, $"at most {overlap} caller(s) were inside Predict at once: the test did not exercise concurrent callers");
        for (int c = 0; c < Callers; c++)
        {
            // A real per-call allocation shows in every round; a stray one from the runtime in at most some.
            long least = Enumerable.Range(0, Rounds).Min(r => allocated[c, r]);
            Assert.True(least == 0, $"caller {c} allocated {string.Join(", ", Enumerable.Range(0, Rounds).Select(r => allocated[c, r]))} B in its rounds of {CallsPerRound} calls");
        }
        Assert.True(total.Min() == 0, $"the process allocated {string.Join(", ", total)} B in the rounds (kernel worker threads included)");
    }
}
