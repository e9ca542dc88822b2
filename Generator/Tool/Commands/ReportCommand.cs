using System;
using System.CommandLine;
using System.Diagnostics;
using System.IO;
using System.Linq;
using ModelCompiler.Tool.Analysis;
using ModelCompiler.Tool.Onnx;
using ModelCompiler.Tool.Report;
using ModelCompiler.Tool.Running;

namespace ModelCompiler.Tool.Commands;

/// <summary>
/// <c>modelc report</c>: one self-contained HTML file about a model as ModelCompiler compiles it (see
/// <see cref="HtmlReport"/>), with each layer's share of the time from a profiled run of the compiled model
/// (compiled in process with Profile="true"; <c>PredictProfiled</c> times every layer).
/// </summary>
internal static class ReportCommand
{
    public static Command Create(ToolContext ctx)
    {
        var output = new Option<string>("--out", "-o") { Description = "Where to write the HTML report.", Required = true };
        var profileSeconds = new Option<double>("--profile-seconds") { Description = "Seconds of profiled Predict calls after one second of warm-up (0: no latency chart).", DefaultValueFactory = _ => 1.0 };
        var args = new ModelArguments("Profile on the first sample of this data (default: seeded random values in [0, 1)).", labels: false);
        var command = new Command("report", "Write a self-contained HTML report: the graph as a picture, a per-layer table, charts of MACs, parameters, sparsity, bits and latency share, and the arena plan over time.")
        {
            output, profileSeconds,
        };
        args.AddTo(command);
        command.SetAction(parse => ctx.Guard(() =>
        {
            var (onnx, inputShape, input, set, _) = args.Load(parse);
            double seconds = parse.GetValue(profileSeconds);
            if (!(seconds >= 0 && seconds <= 600)) throw new ToolException("--profile-seconds must be from 0 to 600");

            ctx.Note($"compiling {onnx.Name} (ModelCompiler with Profile=\"true\", then Roslyn in memory)");
            var compiled = InProcessModel.Compile(onnx.ToBytes(), onnx.Name, inputShape);
            double[]? share = null;
            string? note = null;
            double? perCall = null;
            if (seconds > 0)
            {
                var x = set?.Samples[0] ?? BenchCommand.RandomInput(input.Length);
                var outputs = compiled.NewOutputs();
                var ticks = new long[compiled.LayerNames.Count];
                ctx.Note("profiling the compiled Predict");
                var clock = Stopwatch.StartNew();
                while (clock.Elapsed.TotalSeconds < 1) compiled.Predict(x, outputs);
                long runs = 0;
                clock.Restart();
                while (clock.Elapsed.TotalSeconds < seconds || runs < 3)
                {
                    compiled.PredictProfiled(x, outputs, ticks);
                    runs++;
                }
                long total = ticks.Sum();
                share = ticks.Select(t => total == 0 ? 0 : (double)t / total).ToArray();
                perCall = (double)total / runs / Stopwatch.Frequency;
                note = $"Time shares from {runs} profiled calls ({Format.Micros(perCall.Value)} per call summed over layers) after one second of warm-up, on {(set is null ? "seeded random input" : "the first sample of " + Path.GetFileName(set.Source))}; a single-threaded in-process measurement on the machine that wrote this report.";
            }
            var report = new ReportData(onnx.Name, ModelFacts.Of(onnx, inputShape), compiled.Result, LayerTable.Of(compiled.Result), LayerTable.Arena(compiled.Result), share, note, perCall);
            string path = Path.GetFullPath(parse.GetValue(output)!);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, HtmlReport.Render(report));
            ctx.Line($"{onnx.Name}: {report.Layers.Count} layers, {Format.Count(compiled.Result.Macs)} MACs -> {path}");
        }));
        return command;
    }
}
