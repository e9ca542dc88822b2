using ModelCompiler.Contract;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Ops;
using ModelCompiler.Ops.Nn;
using ModelCompiler.Passes;

namespace ModelCompiler.Kernels.Convolution;

/// <summary>
/// Float 3x3 stride-1 convolutions big enough to gain from Winograd F(2x2, 3x3) run as <see cref="WinogradConvKernel"/>;
/// the others keep the packed direct convolution (<see cref="ConvKernelProvider"/>, asked after this one).
/// </summary>
internal sealed class WinogradConvKernelProvider : IKernelProvider
{
    public int Priority => 110;

    public Kernel? TryCreate(OpContext c) =>
        FloatConv.TryShape(c) is { } s && WinogradConvKernel.Takes(s) ? new WinogradConvKernel(c, s) : null;
}

/// <summary>
/// Winograd F(2x2, 3x3) convolution (<c>WinogradConv.Conv2D</c>): the weights are transformed here (U = G g Gᵀ) into
/// 16 sets of 8-channel panels, so the run time only transforms activations; the column-phase copy of the input lives
/// in scratch memory the memory plan gives the layer.
/// </summary>
internal sealed class WinogradConvKernel : Kernel
{
    /// <summary>Fewer input or output channels than this stay direct: the transforms then cost as much as the products save.</summary>
    public const int MinimumChannels = 16;

    private readonly ConvShape _shape;
    private readonly int _threads;
    private readonly Tensor _packed;

    public WinogradConvKernel(OpContext c, ConvShape shape) : base(c.Node)
    {
        _shape = shape;
        _threads = KernelText.Threads(c, shape.Macs, PackedConvKernel.MinimumMacsPerThreadedLayer);
        _packed = WeightPacking.Pack(c.Const(1)!, weights => WeightLayouts.WinogradPanels(weights, shape.OutChannels, shape.InChannels),
            new WeightLayout(nameof(WeightLayouts.WinogradPanels), $"outChannels: {shape.OutChannels}, inChannels: {shape.InChannels}", "transformed for Winograd F(2x2, 3x3)"));
        Name = RuntimeApi.WinogradConv.Conv2D;
        Variant = "Winograd F(2x2, 3x3)";
        Layouts = new[] { new WeightUse(c.In(1).Name, $"transformed G g G^T, in {WeightLayouts.PanelRows}-channel panels [point 16][panel][c][{WeightLayouts.PanelRows}]") };
        Threads = _threads;
        ScratchBytes = WinogradConvShape.ScratchBytes(shape.Geometry);
    }

    /// <summary>
    /// The cost rule: a 3x3 stride-1 layer (<see cref="WinogradConvShape.Fits"/>) with at least
    /// <see cref="MinimumChannels"/> channels in and out.
    /// </summary>
    public static bool Takes(ConvShape s) =>
        WinogradConvShape.Fits(s.Geometry) && s.InChannels >= MinimumChannels && s.OutChannels >= MinimumChannels;

    public override string Summary => _shape.Summary;
    public override long Macs => _shape.Macs;

    public override void Emit(LayerWriter w)
    {
        string bias = w.HasInput(2) ? w.In(2) : "default";
        KernelText.Lines(w, $"{KernelText.Runtime}{RuntimeApi.WinogradConv.Conv2D}({w.In(0)}, {w.Weight(_packed)}, {bias}, {KernelText.Residual(w)}, {w.Out(0)}, {_shape.GeometryLiteral()},");
        w.Line($"    {KernelText.Epilogue(w)}, threads: {_threads}, {w.Scratch});");
    }
}
