using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Xunit;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>
/// Runs a body on several dedicated threads released together by a barrier, so that they really overlap (a
/// Parallel.For on a 2-core machine may run its iterations one after another); fails if one throws or hangs.
/// </summary>
public static class Concurrently
{
    public static void Run(int threads, Action<int> body, TimeSpan? timeout = null)
    {
        var failures = new List<Exception>();
        using var start = new Barrier(threads);
        var started = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                body(t);
            }
            catch (Exception e)
            {
                lock (failures) failures.Add(e);
            }
        }) { IsBackground = true, Name = $"concurrent caller {t}" }).ToList();
        started.ForEach(t => t.Start());
        var limit = timeout ?? TimeSpan.FromMinutes(2);
        Assert.All(started, t => Assert.True(t.Join(limit), $"{t.Name} did not finish within {limit}"));
        if (failures.Count > 0) throw new AggregateException(failures);
    }
}
