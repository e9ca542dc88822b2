using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace ModelCompiler.Runtime;

/// <summary>A layer's work split in independent items (output tiles, channel blocks), run by <see cref="KernelThreads"/>.</summary>
internal interface IKernelWork
{
    void Run(int item);
}

/// <summary>
/// Splits one layer over several threads without allocating: a process-wide set of dedicated worker threads
/// (created the first time a layer asks for more threads than exist, then reused), handed the work through
/// fields and woken by a semaphore; items are claimed with an interlocked counter, the calling thread works too
/// and then waits for the helpers. <c>Parallel.For</c> is not used because it allocates on every call.
/// Each item writes a disjoint part of the output and computes it the same way whichever thread runs it, so
/// results do not depend on the thread count. While one layer holds the workers, another caller (a second
/// thread calling Predict) runs its layer on its own thread instead of waiting.
/// </summary>
internal sealed class KernelThreads
{
    private static KernelThreads? s_instance;
    private static readonly object s_createLock = new();

    private readonly object _gate = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly ManualResetEventSlim _done = new(false);
    private Thread[] _workers = Array.Empty<Thread>();
    private IKernelWork? _work;
    private int _items;
    private int _next;
    private int _running;
    private ExceptionDispatchInfo? _failure;

    /// <summary>Runs items 0..count-1 of <paramref name="work"/> on up to <paramref name="threads"/> threads (the caller included).</summary>
    public static void Run(IKernelWork work, int count, int threads)
    {
        if (threads <= 1 || count <= 1)
        {
            for (int i = 0; i < count; i++) work.Run(i);
            return;
        }
        var pool = Instance(Math.Min(threads, count) - 1);
        if (!Monitor.TryEnter(pool._gate))
        {
            for (int i = 0; i < count; i++) work.Run(i);
            return;
        }
        try
        {
            pool.Execute(work, count, Math.Min(threads, count) - 1);
        }
        finally
        {
            Monitor.Exit(pool._gate);
        }
    }

    private static KernelThreads Instance(int helpers)
    {
        var pool = Volatile.Read(ref s_instance);
        if (pool is not null && pool._workers.Length >= helpers) return pool;
        lock (s_createLock)
        {
            pool = s_instance ??= new KernelThreads();
            if (pool._workers.Length < helpers)
            {
                lock (pool._gate) pool.AddWorkers(helpers);
            }
            return pool;
        }
    }

    private void AddWorkers(int helpers)
    {
        var workers = new Thread[helpers];
        Array.Copy(_workers, workers, _workers.Length);
        for (int i = _workers.Length; i < helpers; i++)
        {
            workers[i] = new Thread(WorkerLoop, maxStackSize: 1 << 20) { IsBackground = true, Name = "ModelCompiler kernel worker " + i };
            workers[i].Start();
        }
        _workers = workers;
    }

    private void Execute(IKernelWork work, int count, int helpers)
    {
        _work = work;
        _items = count;
        _failure = null;
        Volatile.Write(ref _next, 0);
        _done.Reset();
        Volatile.Write(ref _running, helpers);
        _wake.Release(helpers);
        Drain(work, count);
        if (Volatile.Read(ref _running) != 0) _done.Wait();
        _work = null;
        _failure?.Throw();
    }

    private void Drain(IKernelWork work, int count)
    {
        try
        {
            for (int i; (i = Interlocked.Increment(ref _next) - 1) < count;) work.Run(i);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
            Volatile.Write(ref _next, count); // stop handing out items
        }
    }

    private void WorkerLoop()
    {
        while (true)
        {
            _wake.Wait();
            Drain(_work!, _items);
            if (Interlocked.Decrement(ref _running) == 0) _done.Set();
        }
    }
}
