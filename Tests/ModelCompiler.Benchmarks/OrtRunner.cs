using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.OnnxRuntime;

namespace ModelCompiler.Benchmarks;

/// <summary>
/// ONNX Runtime's fastest C# path, as the baseline: CPU execution provider, one intra-op (and inter-op)
/// thread, every graph optimization on, the input and every output bound once to OrtValues over pinned
/// managed arrays with <see cref="OrtIoBinding"/>, so a call is just <c>RunWithBinding</c>.
/// </summary>
public sealed class OrtRunner : IDisposable
{
    private readonly SessionOptions _options;
    private readonly InferenceSession _session;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _run = new();
    private readonly List<OrtValue> _values = new();

    /// <param name="profilePrefix">When set, ONNX Runtime records every node's time (SessionOptions.EnableProfiling)
    /// into a JSON file starting with this path; <see cref="EndProfiling"/> returns the file.</param>
    public OrtRunner(string modelPath, float[] input, ReadOnlySpan<int> inputShape, IReadOnlyList<(float[] Buffer, int[] Shape)> outputs, string? profilePrefix = null)
    {
        _options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, // NanoDet's "initializer in graph inputs" warnings
        };
        if (profilePrefix is not null)
        {
            _options.EnableProfiling = true;
            _options.ProfileOutputPathPrefix = profilePrefix;
        }
        _session = new InferenceSession(modelPath, _options);
        _binding = _session.CreateIoBinding();
        var inputValue = OrtValue.CreateTensorValueFromMemory(input, Longs(inputShape));
        _values.Add(inputValue);
        _binding.BindInput(_session.InputNames.Single(), inputValue);
        if (_session.OutputNames.Count != outputs.Count)
            throw new InvalidOperationException($"ONNX Runtime sees {_session.OutputNames.Count} outputs, the compiled model {outputs.Count}");
        for (int k = 0; k < outputs.Count; k++)
        {
            var value = OrtValue.CreateTensorValueFromMemory(outputs[k].Buffer, Longs(outputs[k].Shape));
            _values.Add(value);
            _binding.BindOutput(_session.OutputNames[k], value);
        }
    }

    public void Run() => _session.RunWithBinding(_run, _binding);

    /// <summary>Stops profiling and returns the JSON file ONNX Runtime wrote (only with a profile prefix).</summary>
    public string EndProfiling() => _session.EndProfiling();

    private static long[] Longs(ReadOnlySpan<int> shape)
    {
        var result = new long[shape.Length];
        for (int i = 0; i < shape.Length; i++) result[i] = shape[i];
        return result;
    }

    public void Dispose()
    {
        _binding.Dispose();
        foreach (var v in _values) v.Dispose();
        _run.Dispose();
        _session.Dispose();
        _options.Dispose();
    }
}
