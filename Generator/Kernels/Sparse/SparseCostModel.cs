namespace ModelCompiler.Kernels.Sparse;

/// <summary>
/// When a layer runs sparse (<c>SparseRows.Multiply</c>) rather than on its dense kernel: a break-even density per
/// layer kind, the fraction of stored entries below which the sparse kernel is measured faster. Dense time grows
/// with the MACs, sparse time with the stored entries (each multiplies a run of pixels or one input), so the ratio
/// of the two kernels' per-MAC rates is a density. The margin under the measured break-even keeps layers near it
/// dense, so no layer is chosen sparse where it would be slower beyond noise.
/// <para>
/// Calibration (development A/B, interleaved, best of 7, on the 2-core development VM, AVX2; noisy, see
/// docs/benchmarks.md "Pruned models"): 1x1 convolutions of MobileNetV2 shapes (96..960 channels, 7x7..56x56
/// pixels) against <c>PackedConv.Conv2D</c>, and fully connected layers (m = 1, k, n 256..1280) against
/// <c>PackedGemm.Multiply</c>, at 50/60/70/80/90/95% random zeros.
/// </para>
/// </summary>
internal static class SparseCostModel
{
    /// <summary>1x1 convolution: sparse when at most this fraction of the weights is stored.</summary>
    public const double PixelRowsBreakEven = 0.30;

    /// <summary>Fully connected (one dot product per output): sparse when at most this fraction is stored.</summary>
    public const double DotRowsBreakEven = 0.40;

    /// <summary>Below this many weights a layer stays dense: its time is call overhead whatever the kernel.</summary>
    public const long MinimumWeights = 1024;

    /// <summary>True when the sparse kernel is expected to be faster for a layer storing <paramref name="entries"/> of <paramref name="weights"/>.</summary>
    public static bool PrefersSparse(long entries, long weights, bool dotRows) =>
        weights >= MinimumWeights && entries <= (dotRows ? DotRowsBreakEven : PixelRowsBreakEven) * weights;
}
