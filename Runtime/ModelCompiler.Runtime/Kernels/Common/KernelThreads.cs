using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace ModelCompiler.Runtime;

/// <summary>
/// One layer call's work as numbered, independent items (output tiles, channel blocks...), for
/// <see cref="KernelThreads.For{TWork, TArgs}"/>. <typeparamref name="TArgs"/> holds the call's pointers and sizes.
/// </summary>
internal interface IWorkItems<TArgs> where TArgs : struct
{
    /// <summary>Computes item <paramref name="item"/>; items write disjoint parts of the output.</summary>
    static abstract void Run(in TArgs args, int item);
}

/// <summary>
/// One layer call's work as a run of independent units (planes, channels) that may be cut into contiguous
/// ranges, for <see cref="KernelThreads.ForRanges{TWork, TArgs}"/>.
/// </summary>
internal interface IWorkRanges<TArgs> where TArgs : struct
{
    /// <summary>Computes units [<paramref name="first"/>, <paramref name="end"/>).</summary>
    static abstract void Run(in TArgs args, int first, int end);
}

/// <summary>A layer's work split in independent items, run by <see cref="KernelThreads"/>.</summary>
internal interface IKernelWork
{
    void Run(int item);
}

/// <summary>
/// The parallel driver every threaded kernel uses: how one layer's work is split over the model's <c>Threads</c>.
/// Kernels call <see cref="For{TWork, TArgs}"/> (numbered items) or <see cref="ForRanges{TWork, TArgs}"/>
/// (contiguous runs of planes or channels); with one thread both are a plain loop on the calling thread.
/// <para>
/// Splits one layer over several threads without allocating: a process-wide set of dedicated worker threads
/// (created the first time a layer asks for more threads than exist, then reused), handed the work through
/// fields and woken by a semaphore; items are claimed with an interlocked counter, the calling thread works too
/// and then waits for the helpers. <c>Parallel.For</c> is not used because it allocates on every call.
/// Each item writes a disjoint part of the output and computes it the same way whichever thread runs it, so
/// results do not depend on the thread count. While one layer holds the workers, another caller (a second
/// thread calling Predict) runs its layer on its own thread instead of waiting.
/// </para>
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

    /// <summary>
    /// Units per thread when <see cref="ForRanges{TWork, TArgs}"/> cuts a layer's planes or channels into ranges: a
    /// few per thread, so a thread that starts late (or a plane that costs more) does not leave the others idle.
    /// </summary>
    public const int RangesPerThread = 4;

    /// <summary>
    /// Runs items 0..<paramref name="count"/>-1 of <typeparamref name="TWork"/> on up to <paramref name="threads"/>
    /// threads (the caller included); with one thread, a plain loop on the caller. Allocates nothing after a thread's
    /// first call (the hand-over object is cached per thread and per work type).
    /// </summary>
    public static void For<TWork, TArgs>(in TArgs args, int count, int threads)
        where TWork : IWorkItems<TArgs> where TArgs : struct
    {
        if (threads <= 1 || count <= 1)
        {
            for (int i = 0; i < count; i++) TWork.Run(args, i);
            return;
        }
        var work = ItemsWork<TWork, TArgs>.ForThisThread;
        work.Args = args;
        Run(work, count, threads);
    }

    /// <summary>
    /// Runs units [0, <paramref name="total"/>) of <typeparamref name="TWork"/>: in one range on the calling thread,
    /// or cut into up to <see cref="RangesPerThread"/> x <paramref name="threads"/> contiguous ranges over the threads.
    /// </summary>
    public static void ForRanges<TWork, TArgs>(in TArgs args, int total, int threads)
        where TWork : IWorkRanges<TArgs> where TArgs : struct
    {
        int items = threads > 1 ? Math.Min(total, RangesPerThread * threads) : 1;
        if (items <= 1)
        {
            TWork.Run(args, 0, total);
            return;
        }
        var work = RangesWork<TWork, TArgs>.ForThisThread;
        work.Args = args;
        work.Total = total;
        work.Items = items;
        Run(work, items, threads);
    }

    /// <summary>Hands one call's arguments to the worker threads; one cached instance per calling thread.</summary>
    private sealed class ItemsWork<TWork, TArgs> : IKernelWork where TWork : IWorkItems<TArgs> where TArgs : struct
    {
        [ThreadStatic] private static ItemsWork<TWork, TArgs>? t_instance;
        public static ItemsWork<TWork, TArgs> ForThisThread => t_instance ??= new ItemsWork<TWork, TArgs>();

        public TArgs Args;

        public void Run(int item) => TWork.Run(Args, item);
    }

    /// <summary>As <see cref="ItemsWork{TWork, TArgs}"/>, item i being units [Total * i / Items, Total * (i + 1) / Items).</summary>
    private sealed class RangesWork<TWork, TArgs> : IKernelWork where TWork : IWorkRanges<TArgs> where TArgs : struct
    {
        [ThreadStatic] private static RangesWork<TWork, TArgs>? t_instance;
        public static RangesWork<TWork, TArgs> ForThisThread => t_instance ??= new RangesWork<TWork, TArgs>();

        public TArgs Args;
        public int Total, Items;

        public void Run(int item) => TWork.Run(Args, (int)((long)Total * item / Items), (int)((long)Total * (item + 1) / Items));
    }

    /// <summary>Runs items 0..count-1 of <paramref name="work"/> on up to <paramref name="threads"/> threads (the caller included).</summary>
    private static void Run(IKernelWork work, int count, int threads)
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
