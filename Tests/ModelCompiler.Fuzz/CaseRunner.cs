using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using ModelCompiler.Compilation;
using ModelCompiler.Diagnostics;
using ModelCompiler.Onnx;

namespace ModelCompiler.Fuzz;

/// <summary>
/// Runs one case the way a build does: <see cref="ModelCompilation.Compile"/> (what the source generator calls)
/// and, when it succeeds, the weight blob writer (what `modelc weights` runs), timed and with the managed heap
/// sampled, and classifies the outcome.
/// </summary>
internal sealed class CaseRunner
{
    private readonly TimeSpan _timeLimit;
    private readonly long _memoryLimit;

    public CaseRunner(TimeSpan timeLimit, long memoryLimitBytes)
    {
        _timeLimit = timeLimit;
        _memoryLimit = memoryLimitBytes;
    }

    public CaseResult Run(FuzzCase c)
    {
        var result = new CaseResult { Index = c.Index, Seed = c.Seed.Name, Kind = c.Kind, Description = Trim(c.Description, 600) };
        if (GC.GetTotalMemory(false) > 256L << 20) GC.Collect();
        using var sampler = new HeapSampler();
        var clock = Stopwatch.StartNew();
        try
        {
            var compiled = ModelCompilation.Compile(c.Bytes, c.Options, default, ExternalDataOf(c));
            if (compiled.Success) compiled.WriteWeights!(Stream.Null);
            Classify(compiled, result);
        }
        catch (Exception e) when (e is not StackOverflowException)
        {
            result.Outcome = "defect";
            result.Defect = "exception";
            var frame = new StackTrace(e).GetFrames().FirstOrDefault(f => f.GetMethod()?.DeclaringType?.Namespace?.StartsWith("ModelCompiler", StringComparison.Ordinal) == true)?.GetMethod();
            result.Message = Trim($"{e.GetType().Name}: {e.Message} (at {frame?.DeclaringType?.Name}.{frame?.Name})", 400);
        }
        result.Ms = Math.Round(clock.Elapsed.TotalMilliseconds, 1);
        result.PeakMiB = Math.Round(sampler.Stop() / 1048576.0, 1);
        if (result.Defect is null && clock.Elapsed > _timeLimit) { result.Outcome = "defect"; result.Defect = "slow"; }
        if (result.Defect is null && sampler.Peak > _memoryLimit) { result.Outcome = "defect"; result.Defect = "memory"; }
        return result;
    }

    /// <summary>The folder external data is read from: the seed model's own folder (the built-in seeds have none).</summary>
    private static ExternalDataSource? ExternalDataOf(FuzzCase c) =>
        c.Seed.Directory is { } dir ? ExternalDataSource.Beside(Path.Combine(dir, Path.GetFileName(c.Seed.Name))) : null;

    private static void Classify(CompileResult compiled, CaseResult result)
    {
        var errors = compiled.Diagnostics.Where(d => d.Severity == Severity.Error).ToList();
        result.Ids = string.Join(",", errors.Select(d => d.Id).Distinct().OrderBy(i => i, StringComparer.Ordinal));
        result.Message = errors.Count > 0 ? Trim(errors[0].Message, 400) : null;
        if (errors.Any(d => d.Id == DiagnosticDescriptors.InternalError.Id))
        {
            result.Outcome = "defect";
            result.Defect = "internal-error";
            result.Message = Trim(errors.First(d => d.Id == DiagnosticDescriptors.InternalError.Id).Message, 400);
            return;
        }
        if (!compiled.Success)
        {
            result.Outcome = errors.Count > 0 ? "rejected" : "defect";
            if (errors.Count == 0) { result.Defect = "exception"; result.Message = "compilation failed without an error diagnostic"; }
            return;
        }
        // A model that compiles must be one the generated code can run: every tensor Predict takes fits a span.
        var tooLong = compiled.Inputs.Concat(compiled.Outputs).FirstOrDefault(t => t.Length > int.MaxValue || t.Length < 0);
        if (tooLong is not null)
        {
            result.Outcome = "defect";
            result.Defect = "unsound";
            result.Message = $"compiled, but Predict's tensor '{tooLong.Name}' has {tooLong.Length} elements, more than a span holds";
            return;
        }
        if (compiled.ArenaBytes > int.MaxValue || compiled.ArenaBytes < 0)
        {
            result.Outcome = "defect";
            result.Defect = "unsound";
            result.Message = $"compiled with a scratch arena of {compiled.ArenaBytes} bytes";
            return;
        }
        result.Outcome = "compiled";
    }

    private static string Trim(string s, int max) => s.Length <= max ? s : s.Substring(0, max) + "...";

    /// <summary>Samples the managed heap every few milliseconds on a background thread; <see cref="Peak"/> is the largest growth seen.</summary>
    private sealed class HeapSampler : IDisposable
    {
        private readonly long _baseline = GC.GetTotalMemory(false);
        private readonly Thread _thread;
        private volatile bool _stop;
        private long _max;

        public HeapSampler()
        {
            _max = _baseline;
            _thread = new Thread(() =>
            {
                while (!_stop)
                {
                    long now = GC.GetTotalMemory(false);
                    if (now > Interlocked.Read(ref _max)) Interlocked.Exchange(ref _max, now);
                    Thread.Sleep(2);
                }
            }) { IsBackground = true, Name = "heap sampler" };
            _thread.Start();
        }

        public long Peak => Math.Max(0, Interlocked.Read(ref _max) - _baseline);

        public long Stop()
        {
            long now = GC.GetTotalMemory(false);
            if (now > Interlocked.Read(ref _max)) Interlocked.Exchange(ref _max, now);
            _stop = true;
            return Peak;
        }

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
        }
    }
}
