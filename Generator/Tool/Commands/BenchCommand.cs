using System;
using System.CommandLine;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using ModelCompiler.Tool.Onnx;
using ModelCompiler.Tool.Running;
using Spectre.Console;

namespace ModelCompiler.Tool.Commands;

/// <summary>
/// <c>modelc bench</c>: the compiled <c>Predict</c>'s latency (compiled in process, one thread) and, with --ort,
/// ONNX Runtime's on the same input (CPU, one thread, all graph optimizations, input and output bound once with
/// OrtIoBinding: its fastest C# path). A quick, in-process measurement; use BenchmarkDotNet for numbers to publish.
/// </summary>
internal static class BenchCommand
{
    public static Command Create(ToolContext ctx)
    {
        var ort = new Option<bool>("--ort") { Description = "Also time ONNX Runtime on the same input and print the ratio." };
        var seconds = new Option<double>("--seconds") { Description = "Seconds of measurement per engine (after one second of warm-up).", DefaultValueFactory = _ => 2.0 };
        var args = new ModelArguments("Take the input from the first sample of this data (default: seeded random values in [0, 1)).", labels: false);
        var command = new Command("bench", "Time the compiled Predict (compiled in process) and, with --ort, ONNX Runtime on the same input.")
        {
            ort, seconds,
        };
        args.AddTo(command);
        command.SetAction(parse => ctx.Guard(() =>
        {
            var (onnx, inputShape, input, set, _) = args.Load(parse);
            double measure = parse.GetValue(seconds);
            if (!(measure > 0 && measure <= 600)) throw new ToolException("--seconds must be above 0 and at most 600");
            var x = set?.Samples[0] ?? RandomInput(input.Length);

            ctx.Note($"compiling {onnx.Name} (ModelCompiler, then Roslyn in memory)");
            var compiled = InProcessModel.Compile(onnx.ToBytes(), onnx.Name, inputShape);
            var outputs = compiled.NewOutputs();
            ctx.Note($"timing the compiled Predict ({Format.Count(compiled.Result.Macs)} MACs per call)");
            var ours = Timing.Measure(() => compiled.Predict(x, outputs), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(measure));
            Timing? theirs = null;
            if (parse.GetValue(ort))
            {
                ctx.Note("timing ONNX Runtime (1 thread, all graph optimizations, OrtIoBinding)");
                theirs = TimeOrt(onnx, input, x, measure);
            }

            var table = new Table().AddColumns("engine", "median", "mean", "best", "calls", "first call");
            table.AddRow("ModelCompiler", Format.Micros(ours.MedianSeconds), Format.Micros(ours.MeanSeconds), Format.Micros(ours.MinSeconds), ours.Calls.ToString(System.Globalization.CultureInfo.InvariantCulture), Format.Micros(ours.FirstCallSeconds));
            if (theirs is not null)
                table.AddRow("ONNX Runtime", Format.Micros(theirs.MedianSeconds), Format.Micros(theirs.MeanSeconds), Format.Micros(theirs.MinSeconds), theirs.Calls.ToString(System.Globalization.CultureInfo.InvariantCulture), Format.Micros(theirs.FirstCallSeconds));
            ctx.Console.Write(table);
            if (theirs is not null) ctx.Line($"ONNX Runtime time / ModelCompiler time: {Format.Ratio(theirs.MedianSeconds / ours.MedianSeconds)} (median; in-process, not BenchmarkDotNet)");
        }));
        return command;
    }

    public static float[] RandomInput(int length)
    {
        var random = new Random(42);
        return Enumerable.Range(0, length).Select(_ => (float)random.NextDouble()).ToArray();
    }

    private static Timing TimeOrt(OnnxModel model, Data.ModelInput input, float[] x, double seconds)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        InferenceSession session;
        try { session = new InferenceSession(model.ToBytes(), options); }
        catch (OnnxRuntimeException e) { throw new ToolException($"ONNX Runtime cannot load {model.Name}: {e.Message}"); }
        using (session)
        {
            using var inputValue = OrtValue.CreateTensorValueFromMemory(x, input.Shape.Select(d => (long)d).ToArray());
            using var binding = session.CreateIoBinding();
            binding.BindInput(input.Name, inputValue);
            var outputs = session.OutputNames.Select(name =>
            {
                var meta = session.OutputMetadata[name];
                var dims = meta.Dimensions.Select(d => (long)Math.Max(1, d)).ToArray();
                return (name, value: OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, meta.ElementDataType, dims));
            }).ToList();
            try
            {
                foreach (var (name, value) in outputs) binding.BindOutput(name, value);
                using var run = new RunOptions();
                return Timing.Measure(() => session.RunWithBinding(run, binding), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(seconds));
            }
            finally
            {
                foreach (var (_, value) in outputs) value.Dispose();
            }
        }
    }
}
