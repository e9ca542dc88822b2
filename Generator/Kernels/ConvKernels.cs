using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Ops;
using ModelCompiler.Ops.Nn;
using ModelCompiler.Passes;

namespace ModelCompiler.Kernels;

/// <summary>
/// SIMD kernels for float 1-D and 2-D convolutions with constant weights: depthwise 3x3/5x5 (stride 1 or 2)
/// get <see cref="DepthwiseConvKernel"/>, everything else the packed-panel GEMM <see cref="PackedConvKernel"/>.
/// Other depthwise shapes (7x7, dilated) keep the straightforward kernel: one real row in 8-row panels
/// would waste seven eighths of the multiply-adds.
/// </summary>
internal sealed class ConvKernelProvider : IKernelProvider
{
    public int Priority => 100;

    public Kernel? TryCreate(OpContext c)
    {
        var n = c.Node;
        if (n.OpType != "Conv" || n.Domain.Length != 0 || c.Type(0) != DataType.Float) return null;
        if (c.Rank(0) is not (3 or 4) || c.Const(1) is null || (c.Has(2) && c.Const(2) is null)) return null;
        var s = ConvShape.From(c);
        if (s.PadTop < 0 || s.PadLeft < 0 || s.OutHeight <= 0 || s.OutWidth <= 0) return null;
        if (DepthwiseConvKernel.Supports(s)) return new DepthwiseConvKernel(c, s);
        if (s.ChannelsPerGroup == 1 && s.OutChannelsPerGroup == 1) return null;
        return new PackedConvKernel(c, s);
    }
}

/// <summary>
/// Convolution as a register-blocked GEMM over build-time packed weight panels (<c>PackedConv.Conv2D</c>):
/// the weights are rewritten into [group][8-channel panel][k][8] here, so the run time never repacks them.
/// </summary>
internal sealed class PackedConvKernel : Kernel
{
    /// <summary>Below this a layer runs on one thread whatever the Threads option says.</summary>
    public const long MinimumMacsPerThreadedLayer = 4_000_000;

    private readonly ConvShape _shape;
    private readonly int _threads;
    private Tensor? _packed;

    public PackedConvKernel(OpContext c, ConvShape shape) : base(c.Node)
    {
        _shape = shape;
        _threads = KernelText.Threads(c, shape.Macs, MinimumMacsPerThreadedLayer);
    }

    public override string Summary => _shape.Summary;
    public override long Macs => _shape.Macs;

    public override void Emit(LayerWriter w)
    {
        _packed ??= WeightPacking.Pack(Node.RequiredInput(1).Constant!, weights => WeightPacking.ConvPanels(weights, _shape.OutChannels, _shape.Groups, _shape.KPerGroup),
            new WeightLayout("ConvPanels", $"outChannels: {_shape.OutChannels}, groups: {_shape.Groups}, kPerGroup: {_shape.KPerGroup}", "packed into conv panels"));
        string bias = w.HasInput(2) ? w.In(2) : "default";
        KernelText.Lines(w, $"{KernelText.Runtime}PackedConv.Conv2D({w.In(0)}, {w.Weight(_packed)}, {bias}, {KernelText.Residual(w)}, {w.Out(0)}, {_shape.GeometryLiteral()},");
        w.Line($"    {KernelText.Epilogue(w)}, threads: {_threads});");
    }
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
    }

    /// <summary>The same conditions as the run-time <c>DepthwiseConv.Supports</c>.</summary>
    public static bool Supports(ConvShape s) =>
        s.IsDepthwise && s.KernelHeight == s.KernelWidth && s.KernelHeight is 3 or 5 && s.StrideHeight == s.StrideWidth
        && s.StrideHeight is 1 or 2 && s.DilationHeight == 1 && s.DilationWidth == 1 && s.PadTop >= 0 && s.PadLeft >= 0;

    public override string Summary => _shape.Summary;
    public override long Macs => _shape.Macs;

    public override void Emit(LayerWriter w)
    {
        string bias = w.HasInput(2) ? w.In(2) : "default";
        KernelText.Lines(w, $"{KernelText.Runtime}DepthwiseConv.Conv2D({w.In(0)}, {w.In(1)}, {bias}, {KernelText.Residual(w)}, {w.Out(0)}, {_shape.GeometryLiteral()},");
        w.Line($"    {KernelText.Epilogue(w)}, threads: {_threads});");
    }
}
