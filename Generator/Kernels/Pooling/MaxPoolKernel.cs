using System.Linq;
using ModelCompiler.Contract;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Ops;
using ModelCompiler.Ops.Nn;
using ModelCompiler.Passes;

namespace ModelCompiler.Kernels.Pooling;

/// <summary>
/// 2-D float MaxPool without the indices output, stride 1 or 2 across, dilation 1, and windows that all overlap
/// the input: the vectorized <c>MaxPool2D</c>. (The straightforward <c>Pool.MaxPool</c> visits every tap with
/// bounds checks; in the conv-heavy models it cost more than all convolutions together.)
/// </summary>
internal sealed class MaxPoolKernelProvider : IKernelProvider
{
    public int Priority => 100;

    public Kernel? TryCreate(OpContext c)
    {
        var n = c.Node;
        if (n.OpType != "MaxPool" || n.Domain.Length != 0 || c.Type(0) != DataType.Float || c.Rank(0) != 4) return null;
        if (c.HasOutput(1)) return null; // the indices output needs the straightforward kernel
        long[]? kernel = c.Ints("kernel_shape");
        if (kernel is not { Length: 2 }) return null;
        var g = SpatialGeometry.Compute(c, c.Shape(0).Skip(2).ToArray(), kernel.Select(k => ShapeText.CheckedInt(k)).ToArray(), c.Int("ceil_mode", 0) != 0);
        if (g.Dilations.Any(d => d != 1)) return null;
        int[] x = c.Shape(0);
        if (!MaxPool2DShape.Fits(x[2], x[3], g.Output[0], g.Output[1], g.Kernel[0], g.Kernel[1], g.Strides[0], g.Strides[1], g.PadsBegin[0], g.PadsBegin[1]))
            return null;
        return new MaxPoolKernel(c, g);
    }
}

/// <summary>Emits <c>MaxPool2D.Run</c> with every size as a named constant.</summary>
internal sealed class MaxPoolKernel : Kernel
{
    /// <summary>Window taps (outputs times kernel size) below which a pool stays on one thread.</summary>
    public const long MinimumTapsPerThreadedLayer = 4_000_000;

    private readonly int[] _x;
    private readonly SpatialGeometry _g;
    private readonly int _threads;

    public MaxPoolKernel(OpContext c, SpatialGeometry g) : base(c.Node)
    {
        _x = c.Shape(0);
        _g = g;
        long taps = (long)_x[0] * _x[1] * g.Output[0] * g.Output[1] * g.Kernel[0] * g.Kernel[1];
        _threads = KernelText.Threads(c, taps, MinimumTapsPerThreadedLayer);
        Name = RuntimeApi.MaxPool2D.Run;
        Threads = _threads;
    }

    public override string Summary => "max, " + _g.Describe();

    public override void Emit(LayerWriter w)
    {
        w.Line($"{KernelText.Runtime}{RuntimeApi.MaxPool2D.Run}({w.In(0)}, {w.Out(0)}, planes: {_x[0] * _x[1]}, inHeight: {_x[2]}, inWidth: {_x[3]}, outHeight: {_g.Output[0]}, outWidth: {_g.Output[1]},");
        w.Line($"    kernelHeight: {_g.Kernel[0]}, kernelWidth: {_g.Kernel[1]}, strideHeight: {_g.Strides[0]}, strideWidth: {_g.Strides[1]}, padTop: {_g.PadsBegin[0]}, padLeft: {_g.PadsBegin[1]}, threads: {_threads});");
    }
}
