using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;

namespace ModelCompiler.FirstCall;

/// <summary>
/// How long the first <c>Predict</c> takes in a fresh process, against ONNX Runtime's session creation plus first
/// run in a fresh process. Without arguments (or with <c>--runs N</c>, <c>--filter TEXT</c>): for each compiled
/// model, N samples of each side, interleaved, each one a new process running this program as
/// <c>child compiled|ort MODEL PATH</c>; prints a Markdown table of medians and minimums. With
/// <c>--ready-to-run DLL</c> (the ReadyToRun build of ModelCompiler.Runtime, as the package ships it for linux-x64)
/// a third side runs the same program from a copy of its folder whose ModelCompiler.Runtime.dll is that one, so
/// the JIT-compiled and precompiled run-time library are compared in the same interleaved run.
/// <para>
/// A child takes a timestamp on entering <c>Main</c>, runs one inference the way a one-shot console app would,
/// takes another and prints both (Stopwatch timestamps: the monotonic clock, comparable across processes on one
/// machine). The parent reports "in Main" (what the model's first inference costs the app: for ModelCompiler
/// assembly loading, static initialization, weight mapping, JIT and the computation; for ONNX Runtime loading its
/// managed and native libraries, session creation and the first run) and "from start" (from just before it
/// started the process, so the .NET host and runtime start-up, the same for both sides, are in it too).
/// </para>
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 4 && args[0] == "child") return Child(args[1], args[2], args[3]);
        return Parent(args);
    }

    // ---- child: one first inference, timed ----

    private static int Child(string side, string model, string path)
    {
        long start = Stopwatch.GetTimestamp();
        double checksum = side switch
        {
            "compiled" => CompiledModels.RunOnce(model),
            "ort" => OrtFirstRun.RunOnce(path),
            _ => throw new ArgumentException($"unknown side '{side}'"),
        };
        long end = Stopwatch.GetTimestamp();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{start} {end} {checksum:R}"));
        return 0;
    }

    /// <summary>The input every sample feeds: the same deterministic values on both sides.</summary>
    internal static float[] Input(int length)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (i * 37 % 101) / 101f;
        return x;
    }

    // ---- parent: start the children, interleaved, and tabulate ----

    private static int Parent(string[] args)
    {
        int runs = 10;
        string? filter = null, readyToRun = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--runs" && i + 1 < args.Length) runs = int.Parse(args[++i], CultureInfo.InvariantCulture);
            else if (args[i] == "--filter" && i + 1 < args.Length) filter = args[++i];
            else if (args[i] == "--ready-to-run" && i + 1 < args.Length) readyToRun = Path.GetFullPath(args[++i]);
            else
            {
                Console.Error.WriteLine($"unknown argument '{args[i]}'; usage: [--runs N] [--filter TEXT] [--ready-to-run PATH/ModelCompiler.Runtime.dll]");
                return 1;
            }
        }
        if (readyToRun is not null && !File.Exists(readyToRun))
        {
            Console.Error.WriteLine($"{readyToRun} does not exist (dotnet publish Runtime/ModelCompiler.Runtime.ReadyToRun -c Release makes it)");
            return 1;
        }

        string listFile = Path.Combine(AppContext.BaseDirectory, "firstcall-models.txt");
        var models = File.Exists(listFile)
            ? File.ReadAllLines(listFile).Where(l => l.Contains('=')).Select(l => (Name: l[..l.IndexOf('=')], Path: l[(l.IndexOf('=') + 1)..])).ToList()
            : new List<(string Name, string Path)>();
        if (models.Count == 0)
        {
            Console.WriteLine("No model was compiled into this program (../shared is missing?); nothing to measure.");
            return 0;
        }
        if (filter is not null) models = models.Where(m => m.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)).ToList();

        string self = typeof(Program).Assembly.Location;
        string? selfR2R = readyToRun is null ? null : ReadyToRunCopy(readyToRun);
        Console.WriteLine($"First inference in a fresh process, {runs} samples per side, interleaved; times in ms (median, min in brackets).");
        Console.WriteLine();
        Console.WriteLine(selfR2R is null
            ? "| model | ModelCompiler in Main | ONNX Runtime in Main | ORT / MC | ModelCompiler from start | ONNX Runtime from start |"
            : "| model | ModelCompiler (JIT) in Main | ModelCompiler (ReadyToRun) in Main | ONNX Runtime in Main | ORT / MC (JIT) | ORT / MC (R2R) | MC (JIT) from start | MC (R2R) from start | ONNX Runtime from start |");
        Console.WriteLine(selfR2R is null ? "|---|---:|---:|---:|---:|---:|" : "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, path) in models)
        {
            var mc = new List<(double Main, double Total)>();
            var r2r = new List<(double Main, double Total)>();
            var ort = new List<(double Main, double Total)>();
            for (int r = 0; r < runs; r++)
            {
                mc.Add(Sample(self, "compiled", name, path));
                if (selfR2R is not null) r2r.Add(Sample(selfR2R, "compiled", name, path));
                ort.Add(Sample(self, "ort", name, path));
            }
            double mcMain = Median(mc.Select(s => s.Main)), ortMain = Median(ort.Select(s => s.Main));
            if (selfR2R is null)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {Cell(mc, s => s.Main)} | {Cell(ort, s => s.Main)} | **{ortMain / mcMain:0.00}x** | {Cell(mc, s => s.Total)} | {Cell(ort, s => s.Total)} |"));
            }
            else
            {
                double r2rMain = Median(r2r.Select(s => s.Main));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {Cell(mc, s => s.Main)} | {Cell(r2r, s => s.Main)} | {Cell(ort, s => s.Main)} | {ortMain / mcMain:0.00}x | **{ortMain / r2rMain:0.00}x** | " +
                    $"{Cell(mc, s => s.Total)} | {Cell(r2r, s => s.Total)} | {Cell(ort, s => s.Total)} |"));
            }
        }
        return 0;
    }

    private static string Cell(List<(double Main, double Total)> samples, Func<(double Main, double Total), double> pick) =>
        string.Create(CultureInfo.InvariantCulture, $"{Median(samples.Select(pick)):0.0} ({samples.Min(pick):0.0})");

    /// <summary>
    /// A copy of this program's folder (in the temp directory) whose ModelCompiler.Runtime.dll is
    /// <paramref name="readyToRun"/>; returns the program's path there.
    /// </summary>
    private static string ReadyToRunCopy(string readyToRun)
    {
        string source = AppContext.BaseDirectory, target = Path.Combine(Path.GetTempPath(), "modelcompiler-firstcall-r2r");
        if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string to = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        File.Copy(readyToRun, Path.Combine(target, "ModelCompiler.Runtime.dll"), overwrite: true);
        File.Delete(Path.Combine(target, "ModelCompiler.Runtime.pdb"));
        return Path.Combine(target, Path.GetFileName(typeof(Program).Assembly.Location));
    }

    private static (double Main, double Total) Sample(string self, string side, string model, string path)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // Run through the same host as this process (dotnet), as a user's "dotnet app.dll" would.
        if (!string.Equals(Path.GetFileNameWithoutExtension(info.FileName), "dotnet", StringComparison.OrdinalIgnoreCase))
        {
            info.FileName = "dotnet";
        }
        info.ArgumentList.Add(self);
        info.ArgumentList.Add("child");
        info.ArgumentList.Add(side);
        info.ArgumentList.Add(model);
        info.ArgumentList.Add(path);
        long launched = Stopwatch.GetTimestamp();
        using var child = Process.Start(info) ?? throw new InvalidOperationException("could not start a child process");
        string output = child.StandardOutput.ReadToEnd();
        string errors = child.StandardError.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0) throw new InvalidOperationException($"{side} {model} failed ({child.ExitCode}): {errors}{output}");
        var parts = output.Trim().Split(' ');
        long start = long.Parse(parts[0], CultureInfo.InvariantCulture), end = long.Parse(parts[1], CultureInfo.InvariantCulture);
        return (Milliseconds(end - start), Milliseconds(end - launched));
    }

    private static double Milliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private static double Median(IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}
