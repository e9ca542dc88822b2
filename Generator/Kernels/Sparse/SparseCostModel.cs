namespace ModelCompiler.Kernels.Sparse;

/// <summary>
/// When a layer runs sparse (<c>SparseRows.Multiply</c>) rather than on its dense kernel: a break-even density per
/// layer kind, the fraction of stored entries below which the sparse kernel is measured faster. Dense time grows
/// with the MACs, sparse time with the stored entries (each multiplies a run of pixels or one input), so the ratio
/// of the two kernels' per-MAC rates is a density. The margin under the measured break-even keeps layers near it
/// dense, so no layer is chosen sparse where it would be slower beyond noise.
/// <para>
/// Calibration (SparseKernelBenchmark in Tests/ModelCompiler.Benchmarks and an interleaved in-process A/B, best of
/// 7 x 3, on the shared 2-core development VM, AMD Zen 5, load average 10-24 from other builds: noisy): random zeros
/// at 60..95%, sparse kernel against the dense one of the same layer (PackedConv, PackedGemm). 1x1 convolutions,
/// MobileNetV2 shapes, 49 to 3136 pixels: about break-even at 80% zeros (0.85x to 1.2x), 1.5x to 3x at 90%, 3.4x to
/// 4.6x at 95%; 7x7 maps now like the others (their pixels are one pass of up to four vectors). Fully connected
/// layers (one row: a dot product per output, about 0.5 ns a stored weight) against a dense matrix-vector product that
/// streams 17 (1280 x 1000, from L3) to 38 (512 x 256, from L2) weights a nanosecond: break-even near 88% zeros for
/// the large one (1.06x at 90%, 1.55x to 1.8x at 95%), near 95% for those that fit in L2 (0.73x at 95%).
/// </para>
/// </summary>
internal static class SparseCostModel
{
    /// <summary>1x1 convolution with at least <see cref="WidePixels"/> pixels: sparse when at most this fraction of the weights is stored.</summary>
    public const double PixelRowsBreakEven = 0.15;

    /// <summary>1x1 convolution with fewer pixels (under 7x7, not measured): sparse when at most this fraction is stored.</summary>
    public const double FewPixelsBreakEven = 0.07;

    /// <summary>Pixels from which a 1x1 convolution's rows run at the measured rate (7x7 maps and up) and <see cref="PixelRowsBreakEven"/> applies.</summary>
    public const int WidePixels = 48;

    /// <summary>
    /// Fully connected, weights beyond the L2 cache (<see cref="LargeDotWeights"/> and up): sparse at 88% zeros and more.
    /// Hot in cache (the kernel benchmark) that is break-even; inside a model the layers before evict them, and the
    /// dense product streams 4 bytes a weight from memory where the sparse one streams 5 a non-zero (MobileNetV2's
    /// classifier at 90% zeros: 300 us dense in the layer profile against 75 us hot).
    /// </summary>
    public const double LargeDotRowsBreakEven = 0.12;

    /// <summary>Fully connected, smaller: sparse only at 96% zeros and more.</summary>
    public const double DotRowsBreakEven = 0.04;

    /// <summary>Weights (float32) from which a fully connected layer's dense product streams them from beyond L2 (2 MB).</summary>
    public const long LargeDotWeights = 512 * 1024;

    /// <summary>
    /// Below this many multiply-accumulates (weights x pixels) a layer stays dense: its time is call overhead whatever
    /// the kernel. (A 15 -> 45 convolution on 112x112 has few weights but 8.5 M MACs.)
    /// </summary>
    public const long MinimumMacs = 100_000;

    /// <summary>True when the sparse kernel is expected to be faster for a layer storing <paramref name="entries"/> of <paramref name="weights"/> over <paramref name="pixels"/> pixels (1: fully connected).</summary>
    public static bool PrefersSparse(long entries, long weights, int pixels) =>
        weights * pixels >= MinimumMacs && entries <= BreakEven(weights, pixels) * weights;

    private static double BreakEven(long weights, int pixels) =>
        pixels == 1 ? (weights >= LargeDotWeights ? LargeDotRowsBreakEven : DotRowsBreakEven)
        : pixels < WidePixels ? FewPixelsBreakEven : PixelRowsBreakEven;
}
