using System;
using System.IO;
using System.Linq;
using System.Reflection;
using BenchmarkDotNet.Attributes;

namespace ModelCompiler.Benchmarks;

/// <summary>
/// One model: its generated <c>Predict</c> against ONNX Runtime (the baseline) on the same seeded input.
/// Setup runs both once and refuses to benchmark when they disagree (relative L2 above 1e-3 on any output).
/// </summary>
public abstract class ModelBenchmark : IDisposable
{
    private OrtRunner? _ort;

    protected float[] Input { get; private set; } = Array.Empty<float>();
    protected float[][] Outputs { get; private set; } = Array.Empty<float[]>();
    private float[][] _ortOutputs = Array.Empty<float[]>();

    /// <summary>The .onnx file ONNX Runtime loads: the one the generator compiled.</summary>
    protected abstract string ModelPath { get; }
    protected abstract int[] InputShape { get; }
    protected abstract int[][] OutputShapes { get; }

    /// <summary>Calls the generated Predict with <see cref="Input"/> and <see cref="Outputs"/>.</summary>
    protected abstract void Predict();

    /// <summary>Calls the generated PredictProfiled (Profile="true"), adding ticks per layer.</summary>
    public abstract void PredictProfiled(Span<long> ticksPerLayer);
    public abstract System.Collections.Generic.IReadOnlyList<string> LayerNames { get; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1234);
        Input = new float[InputShape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < Input.Length; i++) Input[i] = (float)(rng.NextDouble() * 2 - 1);
        Outputs = OutputShapes.Select(s => new float[s.Aggregate(1, (a, b) => a * b)]).ToArray();
        _ortOutputs = OutputShapes.Select(s => new float[s.Aggregate(1, (a, b) => a * b)]).ToArray();
        _ort = new OrtRunner(ModelPath, Input, InputShape, _ortOutputs.Select((b, k) => (b, OutputShapes[k])).ToList());
        Predict();
        _ort.Run();
        for (int k = 0; k < Outputs.Length; k++)
        {
            double err = 0, norm = 0;
            for (int i = 0; i < Outputs[k].Length; i++)
            {
                double d = Outputs[k][i] - _ortOutputs[k][i];
                err += d * d;
                norm += (double)_ortOutputs[k][i] * _ortOutputs[k][i];
            }
            double rel = Math.Sqrt(err / Math.Max(norm, 1e-30));
            if (!(rel <= 1e-3) && !(Math.Sqrt(err / Outputs[k].Length) <= 1e-5)) // NaN fails
                throw new InvalidOperationException($"{GetType().Name}: output {k} differs from ONNX Runtime (relative L2 {rel:g3})");
        }
        AfterSetup();
    }

    /// <summary>
    /// Runs ONNX Runtime alone with node profiling on (same session settings as the benchmark) for about
    /// <paramref name="seconds"/> after <paramref name="warmUpSeconds"/> of warm-up (its first calls are several
    /// times slower); returns the profile file, which records the warm-up calls too.
    /// </summary>
    public string ProfileOnnxRuntime(double warmUpSeconds, double seconds, out int warmUp, out int calls)
    {
        var input = new float[InputShape.Aggregate(1, (a, b) => a * b)];
        var rng = new Random(1234);
        for (int i = 0; i < input.Length; i++) input[i] = (float)(rng.NextDouble() * 2 - 1);
        var outputs = OutputShapes.Select(s => (new float[s.Aggregate(1, (a, b) => a * b)], s)).ToList();
        using var ort = new OrtRunner(ModelPath, input, InputShape, outputs, Path.Combine(Path.GetTempPath(), "modelcompiler-ort-profile"));
        warmUp = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < warmUpSeconds || warmUp < 5)
        {
            ort.Run();
            warmUp++;
        }
        calls = 0;
        clock.Restart();
        while (clock.Elapsed.TotalSeconds < seconds || calls < 5)
        {
            ort.Run();
            calls++;
        }
        return ort.EndProfiling();
    }

    /// <summary>More setup for a model with extra benchmarks (BenchmarkDotNet allows one [GlobalSetup] per class).</summary>
    protected virtual void AfterSetup() { }

    [GlobalCleanup]
    public void Dispose()
    {
        _ort?.Dispose();
        _ort = null;
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true)]
    public void OnnxRuntime() => _ort!.Run();

    [Benchmark]
    public void ModelCompiler() => Predict();

    public static string SharedModels =>
        typeof(ModelBenchmark).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "SharedModels").Value!;

    public static string ResNet18Path => MetadataPath("ResNet18ModelPath");

    /// <summary>A model path the project file records as assembly metadata (models that do not sit under ../shared).</summary>
    protected static string MetadataPath(string key) =>
        typeof(ModelBenchmark).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    protected static string Shared(string relative) => Path.Combine(SharedModels, relative);
}
