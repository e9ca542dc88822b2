using ModelCompiler.Contract;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Ops;
using ModelCompiler.Ops.Nn;
using ModelCompiler.Passes;

namespace ModelCompiler.Kernels.Convolution;

/// <summary>
/// Float 1-D and 2-D convolutions with constant weights (all but depthwise ones, see
/// <see cref="Depthwise.DepthwiseConvKernelProvider"/>) run as <see cref="PackedConvKernel"/>.
/// </summary>
internal sealed class ConvKernelProvider : IKernelProvider
{
    public int Priority => 100;

    public Kernel? TryCreate(OpContext c)
    {
        if (FloatConv.TryShape(c) is not { } s) return null;
        // One channel in and out per group: one real row in 8-row panels would waste seven eighths of the work.
        if (s.ChannelsPerGroup == 1 && s.OutChannelsPerGroup == 1) return null;
        return new PackedConvKernel(c, s);
    }
}

/// <summary>What the float convolution kernels share: a Conv node they can take, and its shape.</summary>
internal static class FloatConv
{
    /// <summary>The shape of a float 1-D/2-D Conv with constant weights (and bias) and a non-empty output; null otherwise.</summary>
    public static ConvShape? TryShape(OpContext c)
    {
        var n = c.Node;
        if (n.OpType != "Conv" || n.Domain.Length != 0 || c.Type(0) != DataType.Float) return null;
        if (c.Rank(0) is not (3 or 4) || c.Const(1) is null || (c.Has(2) && c.Const(2) is null)) return null;
        var s = ConvShape.From(c);
        if (s.PadTop < 0 || s.PadLeft < 0 || s.OutHeight <= 0 || s.OutWidth <= 0) return null;
        return s;
    }
}

/// <summary>
/// Convolution as a register-blocked GEMM over build-time packed weight panels (<c>PackedConv.Conv2D</c>):
/// the weights are rewritten into [group][8-channel panel][k][8] here, so the run time never repacks them. The
/// zero-padded, stride-phase-split copy of the input lives in scratch memory the memory plan gives the layer.
/// </summary>
internal sealed class PackedConvKernel : Kernel
{
    /// <summary>Below this a layer runs on one thread whatever the Threads option says.</summary>
    public const long MinimumMacsPerThreadedLayer = 4_000_000;

    private readonly ConvShape _shape;
    private readonly int _threads;
    private readonly Tensor _packed;

    public PackedConvKernel(OpContext c, ConvShape shape) : base(c.Node)
    {
        _shape = shape;
        _threads = KernelText.Threads(c, shape.Macs, MinimumMacsPerThreadedLayer);
        _packed = WeightPacking.Pack(c.Const(1)!, weights => WeightLayouts.ConvPanels(weights, shape.OutChannels, shape.Groups, shape.KPerGroup),
            new WeightLayout(nameof(WeightLayouts.ConvPanels), $"outChannels: {shape.OutChannels}, groups: {shape.Groups}, kPerGroup: {shape.KPerGroup}", "packed into conv panels"));
        Name = RuntimeApi.PackedConv.Conv2D;
        Variant = PackedConvScratch.ReadsInPlace(shape.Geometry) ? "1x1 read in place" : null;
        Layouts = new[] { new WeightUse(c.In(1).Name, $"in {WeightLayouts.PanelRows}-channel panels [group][panel][k][{WeightLayouts.PanelRows}]") };
        Threads = _threads;
        ScratchBytes = PackedConvScratch.MaxBytes(shape.Geometry);
    }

    public override string Summary => _shape.Summary;
    public override long Macs => _shape.Macs;

    public override void Emit(LayerWriter w)
    {
        string bias = w.HasInput(2) ? w.In(2) : "default";
        KernelText.Lines(w, $"{KernelText.Runtime}{RuntimeApi.PackedConv.Conv2D}({w.In(0)}, {w.Weight(_packed)}, {bias}, {KernelText.Residual(w)}, {w.Out(0)}, {_shape.GeometryLiteral()},");
        w.Line($"    {KernelText.Epilogue(w)}, threads: {_threads}, {w.Scratch});");
    }
}
