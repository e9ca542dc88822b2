using System.Linq;
using Microsoft.ML.OnnxRuntime;

namespace ModelCompiler.FirstCall;

/// <summary>
/// ONNX Runtime's side of a sample: session creation plus one run, as a one-shot app would do it, with the options
/// the steady-state benchmarks use (CPU execution provider, one intra-op and inter-op thread, sequential,
/// <c>ORT_ENABLE_ALL</c>). Its own class, so that a compiled-side child never loads ONNX Runtime.
/// </summary>
internal static class OrtFirstRun
{
    /// <summary>Loads <paramref name="path"/>, runs it once on <see cref="Program.Input"/>; returns the sum of the first output.</summary>
    public static double RunOnce(string path)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        using var session = new InferenceSession(path, options);
        var (name, metadata) = session.InputMetadata.First();
        long[] shape = metadata.Dimensions.Select(d => (long)(d < 0 ? 1 : d)).ToArray();
        long length = shape.Aggregate(1L, (a, b) => a * b);
        using var input = OrtValue.CreateTensorValueFromMemory(Program.Input((int)length), shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, new[] { name }, new[] { input }, session.OutputNames);
        double sum = 0;
        foreach (float v in outputs[0].GetTensorDataAsSpan<float>()) sum += v;
        return sum;
    }
}
