namespace ModelCompiler.Kernels.Sparse;

/// <summary>
/// When a layer runs sparse (<c>SparseRows.Multiply</c>) rather than on its dense kernel: a break-even density per
/// layer kind, the fraction of stored entries below which the sparse kernel is measured faster. Dense time grows
/// with the MACs, sparse time with the stored entries (each multiplies a run of pixels or one input), so the ratio
/// of the two kernels' per-MAC rates is a density. The margin under the measured break-even keeps layers near it
/// dense, so no layer is chosen sparse where it would be slower beyond noise.
/// <para>
/// Calibration (development A/B in one process, interleaved, best of 7 x 3, on the shared 2-core development VM,
/// AVX2; noisy; the table is in docs/benchmarks.md "Pruned models"): random zeros at 50..95%, sparse kernel against
/// the dense strip kernel on the same product. 1x1 convolutions, MobileNetV2 shapes: with 196 to 3136 pixels the
/// sparse kernel wins from 70-80% zeros (80%: 1.2x to 2.6x; 90%: 2.1x to 4.6x); with 49 pixels only from 90-95%
/// (90%: 0.97x, 95%: 2.0x), where the partial vectors of the pixel tail cost a pass each. Fully connected layers
/// with one row (a dot product per output, scalar) lose to the dense kernel even at 95% zeros (0.6x to 0.8x), so they
/// stay dense: <see cref="DotRowsBreakEven"/> is below every tested density.
/// </para>
/// </summary>
internal static class SparseCostModel
{
    /// <summary>1x1 convolution with at least <see cref="WidePixels"/> pixels: sparse when at most this fraction of the weights is stored.</summary>
    public const double PixelRowsBreakEven = 0.20;

    /// <summary>1x1 convolution with fewer pixels (7x7 maps): sparse when at most this fraction is stored.</summary>
    public const double FewPixelsBreakEven = 0.07;

    /// <summary>Pixels from which a 1x1 convolution's vectors are mostly whole (<see cref="PixelRowsBreakEven"/> applies).</summary>
    public const int WidePixels = 128;

    /// <summary>Fully connected (one dot product per output): measured slower than dense at every tested sparsity; sparse only above 97% zeros.</summary>
    public const double DotRowsBreakEven = 0.03;

    /// <summary>Below this many weights a layer stays dense: its time is call overhead whatever the kernel.</summary>
    public const long MinimumWeights = 1024;

    /// <summary>True when the sparse kernel is expected to be faster for a layer storing <paramref name="entries"/> of <paramref name="weights"/> over <paramref name="pixels"/> pixels (1: fully connected).</summary>
    public static bool PrefersSparse(long entries, long weights, int pixels) =>
        weights >= MinimumWeights
        && entries <= (pixels == 1 ? DotRowsBreakEven : pixels < WidePixels ? FewPixelsBreakEven : PixelRowsBreakEven) * weights;
}
