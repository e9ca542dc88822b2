using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Attributes;
using Bench.Models;
using ModelCompiler.Runtime;

namespace ModelCompiler.Benchmarks;

/// <summary>
/// A binary (XNOR-popcount) convolution and matrix product against ModelCompiler's own float32 kernels of the same
/// shape (the packed-panel convolution and the strip-packed matrix product, weights packed once in setup). The issue's
/// goal is the binary kernel at 6x or more. Shapes: 64 -> 64 channels 3x3 on 16x16 (pad 1), 256 -> 256 3x3 on 8x8
/// (pad 1), and a 1 x 1024 by 1024 x 1024 product.
/// </summary>
public class BinaryKernelBenchmark
{
    [Params("conv 64->64 3x3 16x16", "conv 256->256 3x3 8x8", "dense 1x1024 * 1024x1024")]
    public string Shape { get; set; } = "";

    private float[] _x = Array.Empty<float>(), _y = Array.Empty<float>(), _floatWeights = Array.Empty<float>(), _bias = Array.Empty<float>(), _scale = Array.Empty<float>();
    private ulong[] _bits = Array.Empty<ulong>();
    private ConvGeometry _geometry;
    private BinaryConvShape _binaryShape;
    private int _c, _n, _hw;
    private bool _dense;

    [GlobalSetup]
    public void Setup()
    {
        (_c, _n, _hw, _dense) = Shape switch
        {
            "conv 64->64 3x3 16x16" => (64, 64, 16, false),
            "conv 256->256 3x3 8x8" => (256, 256, 8, false),
            _ => (1024, 1024, 1, true),
        };
        int taps = _dense ? 1 : 9;
        long k = (long)_c * taps;
        var rng = new Random(7);
        _x = Enumerable.Range(0, _c * _hw * _hw).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        _y = new float[_n * _hw * _hw];
        // +-1 weights in ONNX order ([n][c][ky][kx] or [n][k] for the product, transposed B).
        var w = Enumerable.Range(0, (int)(_n * k)).Select(_ => rng.Next(2) == 0 ? 1f : -1f).ToArray();
        _bias = new float[_n];
        _scale = Enumerable.Repeat(1f, _n).ToArray();
        // The binary layout (BinaryLayers): panels of 8 channels, [panel][word][8], bits in (ky, kx, c) order.
        int words = (int)((k + 63) / 64);
        _bits = new ulong[BinaryLayers.PackedWeightWords(_n, k)];
        for (int o = 0; o < _n; o++)
            for (long i = 0; i < k; i++)
            {
                long ch = i % _c, tap = i / _c;
                if (w[(o * (long)_c + ch) * taps + tap] > 0) _bits[(long)(o / 8) * words * 8 + (i >> 6) * 8 + o % 8] |= 1UL << (int)(i & 63);
            }
        if (_dense)
            _floatWeights = WeightLayouts.GemmStrips(w, (int)k, _n, transposed: true);
        else
        {
            _floatWeights = WeightLayouts.ConvPanels(w, _n, 1, (int)k);
            _geometry = new ConvGeometry(1, _c, _hw, _hw, _n, _hw, _hw, 1, 3, 3, 1, 1, 1, 1, 1, 1);
            _binaryShape = new BinaryConvShape(1, _c, _hw, _hw, _n, _hw, _hw, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1);
        }
        Binary();
        var binary = (float[])_y.Clone();
        Float32();
        // The float kernel on sign(x) must give the same integers (a check that both compute the same layer).
        if (_dense)
        {
            var signs = _x.Select(v => v >= 0 ? 1f : -1f).ToArray();
            PackedGemm.Multiply(signs, _floatWeights, _bias, default, _y, 1, _n, _c, Epilogue.None);
            for (int i = 0; i < _y.Length; i++)
                if (_y[i] != binary[i]) throw new InvalidOperationException($"binary and float products differ at {i}: {binary[i]} vs {_y[i]}");
        }
    }

    [Benchmark(Baseline = true)]
    public void Float32()
    {
        if (_dense) PackedGemm.Multiply(_x, _floatWeights, _bias, default, _y, 1, _n, _c, Epilogue.None);
        else PackedConv.Conv2D(_x, _floatWeights, _bias, default, _y, _geometry, Epilogue.None);
    }

    [Benchmark]
    public void Binary()
    {
        if (_dense) BinaryLayers.Dense(_x, _bits, default, false, _scale, _bias, default, 1f, _y, 1, _n, _c);
        else BinaryLayers.Conv2D(_x, _bits, default, false, _scale, _bias, default, 1f, _y, _binaryShape);
    }
}

/// <summary>
/// The popcount loop per instruction set (issue 15: scalar <c>PopCount</c> on 64-bit words against nibble tables
/// with <c>vpshufb</c> on 256-bit (AVX2) and 512-bit (AVX-512BW) vectors, the latter with and without the
/// Harley-Seal carry-save tree (Avx512 / Avx512Lookup; products have no tree, so the two rows match there)): the same binary layer run with each path
/// forced. A path the machine lacks falls back to the next one down (scalar at the end), so compare only the rows
/// this machine has. Shapes: the two convolutions of <see cref="BinaryKernelBenchmark"/>, tiny_bnn3_sign's first
/// binary convolution (16 -> 48 channels 3x3 on 8x8, Sign input with zeros), and the 1 x 1024 by 1024 x 1024 product.
/// </summary>
public class BinaryPopcountIsaBenchmark
{
    [Params("conv 64->64 3x3 16x16", "conv 256->256 3x3 8x8", "conv 16->48 3x3 8x8 sign", "dense 1x1024 * 1024x1024")]
    public string Shape { get; set; } = "";

    [Params("Scalar", "Avx2", "Avx512Lookup", "Avx512")]
    public string Isa { get; set; } = "";

    private float[] _x = Array.Empty<float>(), _y = Array.Empty<float>(), _scale = Array.Empty<float>(), _bias = Array.Empty<float>();
    private ulong[] _bits = Array.Empty<ulong>();
    private BinaryConvShape _shape;
    private BinaryIsa _isa;
    private int _c, _n;
    private bool _dense, _sign3;

    [GlobalSetup]
    public void Setup()
    {
        _isa = Enum.Parse<BinaryIsa>(Isa);
        int hw;
        (_c, _n, hw, _dense, _sign3) = Shape switch
        {
            "conv 64->64 3x3 16x16" => (64, 64, 16, false, false),
            "conv 256->256 3x3 8x8" => (256, 256, 8, false, false),
            "conv 16->48 3x3 8x8 sign" => (16, 48, 8, false, true),
            _ => (1024, 1024, 1, true, false),
        };
        long k = (long)_c * (_dense ? 1 : 9);
        var rng = new Random(11);
        _x = Enumerable.Range(0, _c * hw * hw).Select(_ => _sign3 && rng.Next(4) == 0 ? 0f : (float)(rng.NextDouble() * 2 - 1)).ToArray();
        _y = new float[_n * hw * hw];
        _bits = Enumerable.Range(0, (int)BinaryLayers.PackedWeightWords(_n, k)).Select(_ => (ulong)rng.NextInt64() ^ ((ulong)rng.NextInt64() << 1)).ToArray();
        // Bits past k in each panel word stay zero, as the generator packs them.
        int words = BinaryLayers.Words(k);
        if (k % 64 != 0)
            for (int i = 0; i < _bits.Length; i++)
                if (i / 8 % words == words - 1) _bits[i] &= (1UL << (int)(k % 64)) - 1;
        _scale = Enumerable.Repeat(0.5f, _n).ToArray();
        _bias = new float[_n];
        _shape = new BinaryConvShape(1, _c, hw, hw, _n, hw, hw, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1);
    }

    [Benchmark]
    public void Layer()
    {
        if (_dense) BinaryLayers.Dense(_x, _bits, default, _sign3, _scale, _bias, default, 1f, _y, 1, _n, _c, _isa);
        else BinaryLayers.Conv2D(_x, _bits, default, _sign3, _scale, _bias, default, 1f, _y, _shape, _isa);
    }
}

#if BENCH_TFC1W1A
/// <summary>
/// TFC_1W1A (QONNX model zoo: binarized 784-64-64-64-10 MLP). ONNX Runtime runs the graph with its BipolarQuant ops
/// rewritten into standard ONNX ops (Less, Where, Mul), written to a temporary file at setup. Goal: 5x.
/// </summary>
[Model("TFC_1W1A (binarized MLP, QONNX)", Tfc1W1A.Macs, Tfc1W1A.ScratchBytes), Flops(2 * Tfc1W1A.Macs)]
public class Tfc1W1ABenchmark : ModelBenchmark
{
    private static readonly Lazy<string> s_rewritten = new(() =>
    {
        string path = Path.Combine(Path.GetTempPath(), "modelcompiler-bench-TFC_1W1A-standard.onnx");
        File.WriteAllBytes(path, global::ModelCompiler.Tests.LowBit.QonnxRewrite.ToStandardOnnx(File.ReadAllBytes(Shared("qonnx-zoo/TFC_1W1A.onnx"))));
        return path;
    });

    protected override string ModelPath => s_rewritten.Value;
    protected override int[] InputShape => Tfc1W1A.InputShape.ToArray();
    protected override int[][] OutputShapes => new[] { Tfc1W1A.OutputShape.ToArray() };
    protected override void Predict() => Tfc1W1A.Predict(Input, Outputs[0]);
    public override void PredictProfiled(Span<long> ticks) => Tfc1W1A.PredictProfiled(Input, Outputs[0], ticks);
    public override IReadOnlyList<string> LayerNames => Tfc1W1A.LayerNames;
}
#endif

#if BENCH_TINYBNN3
/// <summary>tiny_bnn3_sign (PyTorch export: real first conv, three binary convs with Sign activations, real FC). Goal: 3x.</summary>
[Model("tiny_bnn3_sign (binarized CNN)", TinyBnn3Sign.Macs, TinyBnn3Sign.ScratchBytes), Flops(2 * TinyBnn3Sign.Macs)]
public class TinyBnn3SignBenchmark : ModelBenchmark
{
    protected override string ModelPath => Shared("torch-exports/tiny_bnn3_sign.onnx");
    protected override int[] InputShape => TinyBnn3Sign.InputShape.ToArray();
    protected override int[][] OutputShapes => new[] { TinyBnn3Sign.OutputShape.ToArray() };
    protected override void Predict() => TinyBnn3Sign.Predict(Input, Outputs[0]);
    public override void PredictProfiled(Span<long> ticks) => TinyBnn3Sign.PredictProfiled(Input, Outputs[0], ticks);
    public override IReadOnlyList<string> LayerNames => TinyBnn3Sign.LayerNames;
}
#endif
