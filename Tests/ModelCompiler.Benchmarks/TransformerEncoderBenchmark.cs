using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Attributes;
using Bench.Models;
using Microsoft.ML.OnnxRuntime;

namespace ModelCompiler.Benchmarks;

/// <summary>
/// The small transformer encoder of Models/transformer_encoder.onnx (PyTorch's opset-13 form: LayerNorm, GELU and
/// attention as element-wise subgraphs), 16 tokens with 4 padding, against ONNX Runtime with the same settings as
/// <see cref="OrtRunner"/> (CPU, 1 thread, all graph optimizations, inputs and outputs bound once). Its inputs are
/// int64 token ids and mask, so it binds them itself rather than through <see cref="ModelBenchmark"/>.
/// </summary>
[Model("Transformer encoder (2 layers, hidden 64, 16 tokens)", TransformerEncoder.Macs, TransformerEncoder.ScratchBytes), Flops(2 * TransformerEncoder.Macs)]
public class TransformerEncoderBenchmark : IDisposable
{
    private readonly long[] _ids = new long[TransformerEncoder.InputIdsLength];
    private readonly long[] _mask = new long[TransformerEncoder.AttentionMaskLength];
    private readonly float[] _hidden = new float[TransformerEncoder.LastHiddenStateLength], _pooled = new float[TransformerEncoder.PooledLength];
    private readonly float[] _ortHidden = new float[TransformerEncoder.LastHiddenStateLength], _ortPooled = new float[TransformerEncoder.PooledLength];
    private SessionOptions? _options;
    private InferenceSession? _session;
    private OrtIoBinding? _binding;
    private readonly RunOptions _run = new();
    private readonly List<OrtValue> _values = new();

    public static string ModelPath => Path.Combine(AppContext.BaseDirectory, "Models", "transformer_encoder.onnx");

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1234);
        for (int i = 0; i < _ids.Length; i++) _ids[i] = rng.Next(32);
        for (int i = 0; i < _mask.Length; i++) _mask[i] = i < _mask.Length - 4 ? 1 : 0;
        _options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(ModelPath, _options);
        _binding = _session.CreateIoBinding();
        Bind(OrtValue.CreateTensorValueFromMemory(_ids, Shape(TransformerEncoder.InputIdsShape)), "input_ids", input: true);
        Bind(OrtValue.CreateTensorValueFromMemory(_mask, Shape(TransformerEncoder.AttentionMaskShape)), "attention_mask", input: true);
        Bind(OrtValue.CreateTensorValueFromMemory(_ortHidden, Shape(TransformerEncoder.LastHiddenStateShape)), "last_hidden_state", input: false);
        Bind(OrtValue.CreateTensorValueFromMemory(_ortPooled, Shape(TransformerEncoder.PooledShape)), "pooled", input: false);
        ModelCompiler();
        OnnxRuntime();
        foreach (var (ours, theirs, name) in new[] { (_hidden, _ortHidden, "last_hidden_state"), (_pooled, _ortPooled, "pooled") })
        {
            double err = 0, norm = 0;
            for (int i = 0; i < ours.Length; i++)
            {
                err += (ours[i] - (double)theirs[i]) * (ours[i] - theirs[i]);
                norm += (double)theirs[i] * theirs[i];
            }
            if (!(Math.Sqrt(err / Math.Max(norm, 1e-30)) <= 1e-3))
                throw new InvalidOperationException($"{nameof(TransformerEncoderBenchmark)}: {name} differs from ONNX Runtime (relative L2 {Math.Sqrt(err / norm):g3})");
        }
    }

    private void Bind(OrtValue value, string name, bool input)
    {
        _values.Add(value);
        if (input) _binding!.BindInput(name, value);
        else _binding!.BindOutput(name, value);
    }

    private static long[] Shape(ReadOnlySpan<int> shape) => shape.ToArray().Select(d => (long)d).ToArray();

    [Benchmark(Baseline = true)]
    public void OnnxRuntime() => _session!.RunWithBinding(_run, _binding!);

    [Benchmark]
    public void ModelCompiler() => TransformerEncoder.Predict(_ids, _mask, _hidden, _pooled);

    [GlobalCleanup]
    public void Dispose()
    {
        _binding?.Dispose();
        foreach (var v in _values) v.Dispose();
        _values.Clear();
        _session?.Dispose();
        _options?.Dispose();
        _binding = null;
        _session = null;
        _options = null;
        GC.SuppressFinalize(this);
    }
}
