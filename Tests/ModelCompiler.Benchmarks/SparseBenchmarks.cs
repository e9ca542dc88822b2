using System;
using System.Collections.Generic;
using System.Linq;
using BenchmarkDotNet.Attributes;
using Bench.Models;
using ModelCompiler.Runtime;

namespace ModelCompiler.Benchmarks;

/// <summary>
/// Issue 14, unstructured pruning: the sparse kernel (<c>SparseRows.Multiply</c>: non-zero weights + one-byte column
/// gaps) against ModelCompiler's dense kernel of the same layer (1x1 convolutions: the packed-panel convolution
/// <c>PackedConv.Conv2D</c>; fully connected: the strip-packed <c>PackedGemm.Multiply</c>, one row), weights packed once
/// in setup, random unstructured zeros. Shapes: MobileNetV2's 1x1 convolutions on 14x14, 7x7, 56x56 and 28x28 maps,
/// its classifier, a 512 -> 256 layer and the digit-sized 96 -> 48 one. Goals: 1.0x at 60% zeros, 2x at 80%,
/// 3.5x at 90%, 5.5x at 95% (Dense is the baseline: the Sparse row's Ratio is sparse time / dense time, the speedup
/// its inverse). Setup refuses to benchmark when the two kernels disagree.
/// </summary>
public class SparseKernelBenchmark
{
    [Params("conv 576->96 14x14", "conv 960->320 7x7", "conv 24->144 56x56", "conv 192->32 28x28", "fc 1280->1000", "fc 512->256", "fc 96->48")]
    public string Shape { get; set; } = "";

    [Params(0.6, 0.8, 0.9, 0.95)]
    public double Zeros { get; set; }

    private float[] _x = Array.Empty<float>(), _y = Array.Empty<float>(), _packed = Array.Empty<float>(), _bias = Array.Empty<float>(), _values = Array.Empty<float>();
    private int[] _starts = Array.Empty<int>();
    private byte[] _gaps = Array.Empty<byte>();
    private ConvGeometry _geometry;
    private int _in, _out, _pixels;

    [GlobalSetup]
    public void Setup()
    {
        (_in, _out, int side) = Shape switch
        {
            "conv 576->96 14x14" => (576, 96, 14),
            "conv 960->320 7x7" => (960, 320, 7),
            "conv 24->144 56x56" => (24, 144, 56),
            "conv 192->32 28x28" => (192, 32, 28),
            "fc 1280->1000" => (1280, 1000, 1),
            "fc 512->256" => (512, 256, 1),
            _ => (96, 48, 1),
        };
        _pixels = side * side;
        var rng = new Random(14);
        // W [out, in] (a Conv's [out, in, 1, 1], a Gemm's transposed B), each weight zero with probability Zeros.
        var w = new float[_out * _in];
        for (int i = 0; i < w.Length; i++) w[i] = rng.NextDouble() < Zeros ? 0f : (float)(rng.NextDouble() * 2 - 1);
        _x = Enumerable.Range(0, _in * _pixels).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        _y = new float[_out * _pixels];
        _bias = new float[WeightLayouts.PaddedColumns(_out)];
        if (_pixels == 1) _packed = WeightLayouts.GemmStrips(w, _in, _out, transposed: true);
        else
        {
            _packed = WeightLayouts.ConvPanels(w, _out, 1, _in);
            _geometry = new ConvGeometry(1, _in, side, side, _out, side, side, 1, 1, 1, 1, 1, 0, 0, 1, 1);
        }
        (_starts, _gaps, _values) = SparseRowsFormat.Encode(w, _out, _in, (r, c) => (long)r * _in + c);
        Sparse();
        var sparse = (float[])_y.Clone();
        Dense();
        double err = 0, norm = 0;
        for (int i = 0; i < _y.Length; i++) { err += Math.Pow(_y[i] - sparse[i], 2); norm += (double)_y[i] * _y[i]; }
        if (!(Math.Sqrt(err / Math.Max(norm, 1e-30)) <= 1e-5)) throw new InvalidOperationException($"{Shape} at {Zeros:P0}: sparse and dense kernels differ");
    }

    [Benchmark(Baseline = true)]
    public void Dense()
    {
        if (_pixels == 1) PackedGemm.Multiply(_x, _packed, _bias, default, _y, 1, _out, _in, Epilogue.None);
        else PackedConv.Conv2D(_x, _packed, _bias, default, _y, _geometry, Epilogue.None);
    }

    [Benchmark]
    public void Sparse() =>
        SparseRows.Multiply(_x, _starts, _gaps, _values, _bias.AsSpan(0, _out), default, _y, _out, _in, _pixels, 1, Epilogue.None);
}

#if BENCH_MBV2_TV
/// <summary>torchvision MobileNetV2 (random weights, 1x3x224x224), dense: the twin of the 90% pruned one.</summary>
[Model("MobileNetV2 224 (torchvision, dense)", MobileNetV2Torchvision.Macs, MobileNetV2Torchvision.ScratchBytes), Flops(2 * MobileNetV2Torchvision.Macs)]
public class MobileNetV2DenseBenchmark : ModelBenchmark
{
    protected override string ModelPath => Shared("torchvision-scale/mobilenet_v2.onnx");
    protected override int[] InputShape => MobileNetV2Torchvision.InputShape.ToArray();
    protected override int[][] OutputShapes => new[] { MobileNetV2Torchvision.OutputShape.ToArray() };
    protected override void Predict() => MobileNetV2Torchvision.Predict(Input, Outputs[0]);
    public override void PredictProfiled(Span<long> ticks) => MobileNetV2Torchvision.PredictProfiled(Input, Outputs[0], ticks);
    public override IReadOnlyList<string> LayerNames => MobileNetV2Torchvision.LayerNames;
}
#endif

#if BENCH_MBV2_PRUNED90
/// <summary>The same MobileNetV2 with 90% unstructured L1 pruning of every Conv/Linear weight. Goals: 2.5x the dense twin, 2x ONNX Runtime.</summary>
[Model("MobileNetV2 224 pruned 90% unstructured", MobileNetV2Pruned90.Macs, MobileNetV2Pruned90.ScratchBytes), Flops(2 * MobileNetV2Pruned90.Macs)]
public class MobileNetV2Pruned90Benchmark : ModelBenchmark
{
    protected override string ModelPath => Shared("torchvision-scale/mobilenet_v2_pruned_unstructured90.onnx");
    protected override int[] InputShape => MobileNetV2Pruned90.InputShape.ToArray();
    protected override int[][] OutputShapes => new[] { MobileNetV2Pruned90.OutputShape.ToArray() };
    protected override void Predict() => MobileNetV2Pruned90.Predict(Input, Outputs[0]);
    public override void PredictProfiled(Span<long> ticks) => MobileNetV2Pruned90.PredictProfiled(Input, Outputs[0], ticks);
    public override IReadOnlyList<string> LayerNames => MobileNetV2Pruned90.LayerNames;
}
#endif

#if BENCH_DIGITS_PRUNED
/// <summary>Digit-sized torch exports, dense and 80% unstructured pruned (fine-tuned): each pruned one should beat its dense twin.</summary>
[Model("tiny_resnet3 (digits, dense)", TinyResnet3.Macs, TinyResnet3.ScratchBytes), Flops(2 * TinyResnet3.Macs)]
public class TinyResnet3Benchmark : ModelBenchmark
{
    protected override string ModelPath => Shared("torch-exports/tiny_resnet3.onnx");
    protected override int[] InputShape => TinyResnet3.InputShape.ToArray();
    protected override int[][] OutputShapes => new[] { TinyResnet3.OutputShape.ToArray() };
    protected override void Predict() => TinyResnet3.Predict(Input, Outputs[0]);
    public override void PredictProfiled(Span<long> ticks) => TinyResnet3.PredictProfiled(Input, Outputs[0], ticks);
    public override IReadOnlyList<string> LayerNames => TinyResnet3.LayerNames;
}

[Model("tiny_resnet3_pruned80 (digits)", TinyResnet3Pruned80.Macs, TinyResnet3Pruned80.ScratchBytes), Flops(2 * TinyResnet3Pruned80.Macs)]
public class TinyResnet3Pruned80Benchmark : ModelBenchmark
{
    protected override string ModelPath => Shared("torch-exports/tiny_resnet3_pruned80.onnx");
    protected override int[] InputShape => TinyResnet3Pruned80.InputShape.ToArray();
    protected override int[][] OutputShapes => new[] { TinyResnet3Pruned80.OutputShape.ToArray() };
    protected override void Predict() => TinyResnet3Pruned80.Predict(Input, Outputs[0]);
    public override void PredictProfiled(Span<long> ticks) => TinyResnet3Pruned80.PredictProfiled(Input, Outputs[0], ticks);
    public override IReadOnlyList<string> LayerNames => TinyResnet3Pruned80.LayerNames;
}

[Model("mlp_96_48 (digits, dense)", Mlp96x48.Macs, Mlp96x48.ScratchBytes), Flops(2 * Mlp96x48.Macs)]
public class Mlp96x48Benchmark : ModelBenchmark
{
    protected override string ModelPath => Shared("torch-exports/mlp_96_48.onnx");
    protected override int[] InputShape => Mlp96x48.InputShape.ToArray();
    protected override int[][] OutputShapes => new[] { Mlp96x48.OutputShape.ToArray() };
    protected override void Predict() => Mlp96x48.Predict(Input, Outputs[0]);
    public override void PredictProfiled(Span<long> ticks) => Mlp96x48.PredictProfiled(Input, Outputs[0], ticks);
    public override IReadOnlyList<string> LayerNames => Mlp96x48.LayerNames;
}

[Model("mlp_96_48_pruned80 (digits)", Mlp96x48Pruned80.Macs, Mlp96x48Pruned80.ScratchBytes), Flops(2 * Mlp96x48Pruned80.Macs)]
public class Mlp96x48Pruned80Benchmark : ModelBenchmark
{
    protected override string ModelPath => Shared("torch-exports/mlp_96_48_pruned80.onnx");
    protected override int[] InputShape => Mlp96x48Pruned80.InputShape.ToArray();
    protected override int[][] OutputShapes => new[] { Mlp96x48Pruned80.OutputShape.ToArray() };
    protected override void Predict() => Mlp96x48Pruned80.Predict(Input, Outputs[0]);
    public override void PredictProfiled(Span<long> ticks) => Mlp96x48Pruned80.PredictProfiled(Input, Outputs[0], ticks);
    public override IReadOnlyList<string> LayerNames => Mlp96x48Pruned80.LayerNames;
}
#endif
