using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;

namespace ModelCompiler.Fuzz;

/// <summary>
/// Runs a campaign in worker processes (<see cref="CampaignSettings.Jobs"/> at a time). A worker that does not
/// answer within the time limit (plus a grace period) is killed and the case counted as a timeout; a worker that
/// dies (stack overflow, a crash of the runtime) counts as a crash; either way a fresh worker takes the next case.
/// </summary>
internal sealed class Supervisor
{
    private static readonly TimeSpan s_grace = TimeSpan.FromSeconds(10);
    private readonly CampaignSettings _settings;
    private readonly Action<string> _log;

    public Supervisor(CampaignSettings settings, Action<string> log)
    {
        _settings = settings;
        _log = log;
    }

    public IReadOnlyList<CaseResult> Run()
    {
        var queue = new ConcurrentQueue<long>(Enumerable.Range(0, (int)_settings.Cases).Select(i => _settings.Start + i));
        var results = new ConcurrentBag<CaseResult>();
        int done = 0, defects = 0;
        var clock = Stopwatch.StartNew();
        var jobs = Enumerable.Range(0, Math.Max(1, _settings.Jobs)).Select(_ => Task.Run(() =>
        {
            WorkerProcess? worker = null;
            try
            {
                while (queue.TryDequeue(out long index))
                {
                    worker ??= WorkerProcess.Start(_settings);
                    var result = worker.RunCase(index, _settings.TimeLimit + s_grace);
                    if (result.Defect is "timeout" or "crash")
                    {
                        worker.Dispose();
                        worker = null;
                    }
                    results.Add(result);
                    if (result.IsDefect) System.Threading.Interlocked.Increment(ref defects);
                    int n = System.Threading.Interlocked.Increment(ref done);
                    if (n % 250 == 0 || n == _settings.Cases)
                        _log($"  {n}/{_settings.Cases} cases, {defects} defect(s), {clock.Elapsed.TotalSeconds:F0} s");
                }
            }
            finally { worker?.Dispose(); }
        })).ToArray();
        Task.WaitAll(jobs);
        return results.OrderBy(r => r.Index).ToList();
    }

    /// <summary>One worker process and its pipes.</summary>
    private sealed class WorkerProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _stderr = new();

        private WorkerProcess(Process process) => _process = process;

        public static WorkerProcess Start(CampaignSettings settings)
        {
            var info = new ProcessStartInfo
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            // This program again, as "dotnet modelc-fuzz.dll worker ..." or through its apphost.
            string self = typeof(Supervisor).Assembly.Location;
            string host = Environment.ProcessPath ?? "dotnet";
            info.FileName = host;
            if (System.IO.Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase)) info.ArgumentList.Add(self);
            foreach (string a in settings.WorkerArguments()) info.ArgumentList.Add(a);
            // A hard heap limit a little above the memory limit: a case that tries to allocate without bound gets
            // OutOfMemoryException (an escaped exception or MC9999, both defects) instead of the machine's memory.
            long hardLimit = settings.MemoryLimitBytes + (512L << 20);
            info.Environment["DOTNET_GCHeapHardLimit"] = "0x" + hardLimit.ToString("X", System.Globalization.CultureInfo.InvariantCulture);
            info.Environment["DOTNET_gcServer"] = "0";
            info.Environment["DOTNET_TieredPGO"] = "0";
            var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start a worker");
            var worker = new WorkerProcess(process);
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                lock (worker._stderr)
                {
                    worker._stderr.AppendLine(e.Data);
                    if (worker._stderr.Length > 8000) worker._stderr.Remove(0, worker._stderr.Length - 8000);
                }
            };
            process.BeginErrorReadLine();
            return worker;
        }

        public CaseResult RunCase(long index, TimeSpan limit)
        {
            var clock = Stopwatch.StartNew();
            string? line;
            try
            {
                _process.StandardInput.WriteLine(index.ToString(System.Globalization.CultureInfo.InvariantCulture));
                _process.StandardInput.Flush();
                var read = _process.StandardOutput.ReadLineAsync();
                if (!read.Wait(limit))
                    return new CaseResult { Index = index, Outcome = "defect", Defect = "timeout", Ms = Math.Round(clock.Elapsed.TotalMilliseconds), Message = $"no answer within {limit.TotalSeconds:F0} s; the worker was killed" };
                line = read.Result;
            }
            catch (Exception e) when (e is System.IO.IOException or AggregateException)
            {
                line = null;
            }
            if (line is null)
            {
                _process.WaitForExit(2000);
                string tail;
                lock (_stderr) tail = _stderr.ToString();
                return new CaseResult
                {
                    Index = index, Outcome = "defect", Defect = "crash", Ms = Math.Round(clock.Elapsed.TotalMilliseconds),
                    Message = $"the worker died (exit code {(_process.HasExited ? _process.ExitCode : -1)}): {Last(tail, 600)}",
                };
            }
            return JsonSerializer.Deserialize<CaseResult>(line, Json.Options) ?? throw new InvalidOperationException("empty answer: " + line);
        }

        private static string Last(string s, int n) => s.Length <= n ? s : s.Substring(s.Length - n);

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.StandardInput.Close();
                    if (!_process.WaitForExit(2000)) _process.Kill(entireProcessTree: true);
                }
            }
            catch (Exception e) when (e is InvalidOperationException or System.IO.IOException or System.ComponentModel.Win32Exception) { }
            _process.Dispose();
        }
    }
}
