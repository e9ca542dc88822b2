using ModelCompiler.Contract;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Ops;
using ModelCompiler.Ops.Nn;
using ModelCompiler.Passes;

namespace ModelCompiler.Kernels.Convolution;

/// <summary>
/// Float 3x3 stride-1 convolutions that gain from Winograd F(2x2, 3x3) or F(4x4, 3x3) run as <see cref="WinogradConvKernel"/>;
/// the others keep the packed direct convolution (<see cref="ConvKernelProvider"/>, asked after this one).
/// </summary>
internal sealed class WinogradConvKernelProvider : IKernelProvider
{
    public int Priority => 110;

    public Kernel? TryCreate(OpContext c) =>
        FloatConv.TryShape(c) is { } s && WinogradConvKernel.TileSizeFor(s) is int tile ? new WinogradConvKernel(c, s, tile) : null;
}

/// <summary>
/// Winograd F(m x m, 3 x 3) convolution (<c>WinogradConv.Conv2D</c>): the weights are transformed here (U = G g Gᵀ) into
/// (m + 2)² sets of 8-channel panels, so the run time only transforms activations; the column-phase copy of the input
/// lives in scratch memory the memory plan gives the layer.
/// </summary>
internal sealed class WinogradConvKernel : Kernel
{
    private readonly ConvShape _shape;
    private readonly int _threads, _tile;
    private readonly Tensor _packed;

    public WinogradConvKernel(OpContext c, ConvShape shape, int tileSize) : base(c.Node)
    {
        _shape = shape;
        _tile = tileSize;
        _threads = KernelText.Threads(c, shape.Macs, PackedConvKernel.MinimumMacsPerThreadedLayer);
        _packed = WeightPacking.Pack(c.Const(1)!, weights => WeightLayouts.WinogradPanels(weights, shape.OutChannels, shape.InChannels, tileSize),
            new WeightLayout(nameof(WeightLayouts.WinogradPanels), $"outChannels: {shape.OutChannels}, inChannels: {shape.InChannels}, tileSize: {tileSize}",
                $"transformed for Winograd F({tileSize}x{tileSize}, 3x3)"));
        Name = RuntimeApi.WinogradConv.Conv2D;
        Variant = $"Winograd F({tileSize}x{tileSize}, 3x3)";
        Layouts = new[] { new WeightUse(c.In(1).Name, $"transformed G g G^T, in {WeightLayouts.PanelRows}-channel panels [panel][point {WinogradConvShape.Points(tileSize)}][c][{WeightLayouts.PanelRows}]") };
        Threads = _threads;
        ScratchBytes = WinogradConvShape.ScratchBytes(shape.Geometry, tileSize);
    }

    /// <summary>Columns (tiles) of the widest micro-kernel strip and lanes of the widest vector (AVX-512), which the costs below assume.</summary>
    private const int Strip = 48, Lanes = 16;

    /// <summary>
    /// The transforms' cost per tile, point and channel pair, in units of one multiply-add column of the products, times
    /// the channels (so they weigh 1/C and 1/M): F(2x2) and F(4x4) (whose 6x6 transforms go through memory). Fitted to
    /// <c>WinogradLayerBenchmark</c> (Tests/ModelCompiler.Benchmarks) on the development machine (AVX-512).
    /// </summary>
    private const double Transform2 = 5, Transform4 = 45;

    /// <summary>A product's fixed cost (starting and storing its tile of accumulators), in multiply-add columns per output column: it weighs 1/C.</summary>
    private const double ProductSetup = 2;

    /// <summary>Streaming one weight (every block reads all of them), in multiply-add columns: what makes 512 channels at 7x7 slower than direct.</summary>
    private const double WeightStream = 16;

    /// <summary>Winograd must be estimated at least this much faster than direct to be chosen.</summary>
    private const double Margin = 0.9;

    /// <summary>
    /// The cost rule: the tile size (2 or 4) whose estimated time is least and below <see cref="Margin"/> of the direct
    /// convolution's, or null (the layer stays direct; also every layer <see cref="WinogradConvShape.Fits"/> refuses).
    /// Estimates in units of C x M multiply-adds: direct 9 per column of its wide rows (Ho x (Wo + 2)); Winograd (m + 2)²
    /// per tile column computed (the wide tile grid, padded to whole vectors in blocks of one strip), plus each
    /// product's fixed cost, the transforms and the weights streamed once per block (<see cref="Cost"/>). Measured
    /// (direct = 1): F(2x2) 0.70, 0.75, 0.81, 1.27 and F(4x4) 0.65, 0.53, 1.01, 1.85 on ResNet-18's 64x56, 128x28,
    /// 256x14 and 512x7 layers; F(2x2) 0.78 to 0.82 on 16 to 48 channels.
    /// </summary>
    public static int? TileSizeFor(ConvShape s)
    {
        var g = s.Geometry;
        if (!WinogradConvShape.Fits(g)) return null;
        double direct = 9.0 * g.outHeight * (g.outWidth + 2);
        int? best = null;
        double bestCost = Margin * direct;
        foreach (int tile in new[] { 2, 4 })
        {
            double cost = Cost(g, tile);
            if (cost < bestCost) { best = tile; bestCost = cost; }
        }
        return best;
    }

    /// <summary>The Winograd estimate of <see cref="TileSizeFor"/> for one tile size.</summary>
    internal static double Cost(ConvGeometry g, int tile)
    {
        long tiles = (long)WinogradConvShape.TilesHigh(g, tile) * WinogradConvShape.WideColumns(g, tile);
        long blocks = (tiles + Strip - 1) / Strip;
        long perBlock = ((tiles + blocks - 1) / blocks + Lanes - 1) / Lanes * Lanes;
        int points = WinogradConvShape.Points(tile);
        double transform = (tile == 2 ? Transform2 : Transform4) / 2 * (1.0 / g.inChannels + 1.0 / g.outChannels);
        return points * (blocks * perBlock * (1 + ProductSetup / g.inChannels) + tiles * transform + blocks * WeightStream);
    }

    public override string Summary => _shape.Summary;
    public override long Macs => _shape.Macs;

    public override void Emit(LayerWriter w)
    {
        string bias = w.HasInput(2) ? w.In(2) : "default";
        KernelText.Lines(w, $"{KernelText.Runtime}{RuntimeApi.WinogradConv.Conv2D}({w.In(0)}, {w.Weight(_packed)}, {bias}, {KernelText.Residual(w)}, {w.Out(0)}, {_shape.GeometryLiteral()},");
        w.Line($"    {KernelText.Epilogue(w)}, tileSize: {_tile}, threads: {_threads}, {w.Scratch});");
    }
}
