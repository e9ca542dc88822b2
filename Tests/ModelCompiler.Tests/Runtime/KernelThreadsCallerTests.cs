using System;
using System.Threading;
using ModelCompiler.Runtime;
using Xunit;

namespace ModelCompiler.Tests.Runtime;

/// <summary>
/// The parallel driver's "second concurrent caller" path, made to happen every time rather than by chance: caller A's
/// layer holds the worker threads and its items wait until caller B has run a whole layer of the same work type (B
/// finds the workers busy and runs its items on its own thread). Every item records which call's arguments it saw;
/// each call's items must all have seen that call's arguments. A hand-over object shared between callers (instead of
/// one per calling thread) lets B's arguments replace A's while A's items are still running, and fails here
/// deterministically, where the model-level <see cref="ConcurrentCallerTests"/> only catches it when the timing
/// happens to line up.
/// </summary>
public sealed class KernelThreadsCallerTests
{
    private const int Items = 8;

    private struct Call
    {
        public int Caller;
        public int[] Seen; // Seen[item] = the caller whose arguments item saw
        public ManualResetEventSlim? WaitFor; // A's items wait on B's whole call
    }

    private readonly struct Work : IWorkItems<Call>
    {
        public static void Run(in Call call, int item)
        {
            // 'call' refers to the driver's stored arguments: read them again after the wait, as a long item would.
            call.WaitFor?.Wait(TimeSpan.FromSeconds(10));
            call.Seen[item] = call.Caller;
        }
    }

    private readonly struct Ranges : IWorkRanges<Call>
    {
        public static void Run(in Call call, int first, int end)
        {
            call.WaitFor?.Wait(TimeSpan.FromSeconds(10));
            for (int i = first; i < end; i++) call.Seen[i] = call.Caller;
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_second_caller_during_a_threaded_layer_keeps_its_own_arguments_and_leaves_the_first_callers(bool ranges)
    {
        using var bDone = new ManualResetEventSlim(false);
        using var aStarted = new ManualResetEventSlim(false);
        var a = new Call { Caller = 1, Seen = new int[Items], WaitFor = bDone };
        var b = new Call { Caller = 2, Seen = new int[Items] };
        Exception? failure = null;

        var callerA = new Thread(() =>
        {
            try
            {
                aStarted.Set();
                if (ranges) KernelThreads.ForRanges<Ranges, Call>(a, Items, threads: 4);
                else KernelThreads.For<Work, Call>(a, Items, threads: 4);
            }
            catch (Exception e) { failure = e; }
        });
        callerA.Start();
        Assert.True(aStarted.Wait(TimeSpan.FromSeconds(10)), "caller A did not start");
        // Give A time to take the workers: its items then sit waiting for B.
        Thread.Sleep(200);
        var callerB = new Thread(() =>
        {
            try
            {
                if (ranges) KernelThreads.ForRanges<Ranges, Call>(b, Items, threads: 4);
                else KernelThreads.For<Work, Call>(b, Items, threads: 4);
            }
            catch (Exception e) { failure = e; }
            finally { bDone.Set(); }
        });
        callerB.Start();
        Assert.True(callerB.Join(TimeSpan.FromSeconds(20)) && callerA.Join(TimeSpan.FromSeconds(20)), "a caller did not finish (hang)");
        Assert.Null(failure);
        Assert.Equal(new[] { 1, 1, 1, 1, 1, 1, 1, 1 }, a.Seen);
        Assert.Equal(new[] { 2, 2, 2, 2, 2, 2, 2, 2 }, b.Seen);
    }
}
