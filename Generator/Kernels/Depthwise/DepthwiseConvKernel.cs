using ModelCompiler.Contract;
using ModelCompiler.Emit;
using ModelCompiler.Kernels.Convolution;
using ModelCompiler.Ops;
using ModelCompiler.Ops.Nn;
using ModelCompiler.Passes;

namespace ModelCompiler.Kernels.Depthwise;

/// <summary>
/// Float depthwise 3x3 and 5x5 convolutions, stride 1 or 2 (<see cref="DepthwiseConvKernel"/>). Other depthwise shapes
/// (7x7, dilated) keep the straightforward kernel.
/// </summary>
internal sealed class DepthwiseConvKernelProvider : IKernelProvider
{
    public int Priority => 100;

    public Kernel? TryCreate(OpContext c) =>
        FloatConv.TryShape(c) is { } s && DepthwiseConvKernel.Supports(s) ? new DepthwiseConvKernel(c, s) : null;
}

/// <summary>Depthwise 3x3 and 5x5 convolutions, stride 1 or 2, any padding (<c>DepthwiseConv.Conv2D</c>); weights as ONNX stores them.</summary>
internal sealed class DepthwiseConvKernel : Kernel
{
    /// <summary>Depthwise layers do ~10x fewer multiply-adds per byte; threads pay off earlier.</summary>
    public const long MinimumMacsPerThreadedLayer = 1_000_000;

    private readonly ConvShape _shape;
    private readonly int _threads;

    public DepthwiseConvKernel(OpContext c, ConvShape shape) : base(c.Node)
    {
        _shape = shape;
        _threads = KernelText.Threads(c, shape.Macs, MinimumMacsPerThreadedLayer);
        Name = RuntimeApi.DepthwiseConv.Conv2D;
        Threads = _threads;
    }

    /// <summary>The layers the run-time kernel takes (<see cref="DepthwiseConvShape.Fits"/>, compiled into both).</summary>
    public static bool Supports(ConvShape s) => s.IsDepthwise && DepthwiseConvShape.Fits(s.Geometry);

    public override string Summary => _shape.Summary;
    public override long Macs => _shape.Macs;

    public override void Emit(LayerWriter w)
    {
        string bias = w.HasInput(2) ? w.In(2) : "default";
        KernelText.Lines(w, $"{KernelText.Runtime}{RuntimeApi.DepthwiseConv.Conv2D}({w.In(0)}, {w.In(1)}, {bias}, {KernelText.Residual(w)}, {w.Out(0)}, {_shape.GeometryLiteral()},");
        w.Line($"    {KernelText.Epilogue(w)}, threads: {_threads});");
    }
}
