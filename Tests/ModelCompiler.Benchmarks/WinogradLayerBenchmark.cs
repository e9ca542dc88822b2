using System;
using BenchmarkDotNet.Attributes;
using ModelCompiler.Runtime;

namespace ModelCompiler.Benchmarks;

/// <summary>
/// One 3x3 stride-1 convolution layer (pad 1, bias, Relu), as the packed direct convolution and as Winograd F(2x2, 3x3)
/// and F(4x4, 3x3), single-threaded, on the same seeded data: the measurements the Winograd cost rule
/// (Generator/Kernels/Convolution/WinogradConvKernel.cs) was calibrated on. Shapes: ResNet-18's four stages and
/// smaller-channel layers like those of YuNet and SqueezeNet.
/// </summary>
public class WinogradLayerBenchmark
{
    /// <summary>Channels in = out, and the square map size.</summary>
    [Params("64x56", "128x28", "256x14", "512x7", "16x80", "32x40", "48x13")]
    public string Shape { get; set; } = "64x56";

    /// <summary>0: direct (PackedConv); 2 or 4: the Winograd tile size.</summary>
    [Params(0, 2, 4)]
    public int Tile { get; set; }

    private float[] _x = Array.Empty<float>(), _w = Array.Empty<float>(), _bias = Array.Empty<float>(), _y = Array.Empty<float>();
    private byte[] _scratch = Array.Empty<byte>();
    private ConvGeometry _g;

    [GlobalSetup]
    public void Setup()
    {
        var parts = Shape.Split('x');
        int c = int.Parse(parts[0]), h = int.Parse(parts[1]);
        _g = new ConvGeometry(1, c, h, h, c, h, h, 1, 3, 3, 1, 1, 1, 1, 1, 1);
        var r = new Random(5);
        float[] Random(int n, float scale) { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1) * scale; return a; }
        _x = Random(c * h * h, 1f);
        var w = Random(c * c * 9, 1f / MathF.Sqrt(9 * c));
        _bias = Random(c, 0.1f);
        _y = new float[c * h * h];
        _w = Tile == 0 ? WeightLayouts.ConvPanels(w, c, 1, 9 * c) : WeightLayouts.WinogradPanels(w, c, c, Tile);
        _scratch = new byte[Tile == 0 ? PackedConvScratch.MaxBytes(_g) : WinogradConvShape.ScratchBytes(_g, Tile)];
    }

    [Benchmark]
    public void Conv()
    {
        var relu = new Epilogue(Act.Relu);
        if (Tile == 0) PackedConv.Conv2D(_x, _w, _bias, default, _y, _g, relu, 1, _scratch);
        else WinogradConv.Conv2D(_x, _w, _bias, default, _y, _g, relu, Tile, 1, _scratch);
    }
}
