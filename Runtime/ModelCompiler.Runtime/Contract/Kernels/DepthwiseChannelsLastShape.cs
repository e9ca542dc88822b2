#if MODELCOMPILER_GENERATOR
namespace ModelCompiler.Contract;
#else
namespace ModelCompiler.Runtime;
#endif

/// <summary>
/// The layer shapes <c>DepthwiseChannelsLast</c> takes, in plain integers. Part of the contract (compiled into the
/// runtime, for the kernel's <c>Fits</c>, and into the generator), which emits the kernel's per-channel table only for
/// layers of these shapes: one definition, so the two cannot drift apart.
/// </summary>
internal static class DepthwiseChannelsLastShape
{
    /// <summary>
    /// Largest input plane (pixels) taken with stride 1 and with stride 2. Measured against <c>DepthwiseVnni</c>
    /// on Zen 5 in the same runs: stride 1 faster up to 20x20 (96 channels 14 -> 11 us), even at 28x28, slower from
    /// 40x40; stride 2 faster up to 40x40 (144 channels of 28x28 18 -> 14.5 us, 96 of 40x40 20 -> 18 us), slower at 56x56.
    /// </summary>
    public const int MaxPlaneStride1 = 20 * 20, MaxPlaneStride2 = 40 * 40;

    /// <summary>
    /// 3x3, dilation 1, stride 1 or 2, padding at most 1 on each side, one channel per group, channels a multiple
    /// of 16, input and output planes of at least 16 pixels (the transposes work on 16 x 16 tiles) and input planes
    /// up to <see cref="MaxPlaneStride1"/> or <see cref="MaxPlaneStride2"/> pixels.
    /// </summary>
    public static bool Fits(int inChannels, int outChannels, int groups, int inHeight, int inWidth, int outHeight, int outWidth,
        int kernelHeight, int kernelWidth, int strideHeight, int strideWidth, int dilationHeight, int dilationWidth, int padTop, int padLeft)
    {
        if (kernelHeight != 3 || kernelWidth != 3 || dilationHeight != 1 || dilationWidth != 1) return false;
        if (strideHeight is not (1 or 2) || strideWidth is not (1 or 2)) return false;
        if (groups != inChannels || outChannels != inChannels || inChannels % 16 != 0) return false;
        int inPlane = inHeight * inWidth, outPlane = outHeight * outWidth;
        int maxPlane = strideHeight == 1 && strideWidth == 1 ? MaxPlaneStride1 : MaxPlaneStride2;
        if (inPlane < 16 || inPlane > maxPlane || outPlane < 16) return false;
        if (padTop is < 0 or > 1 || padLeft is < 0 or > 1) return false;
        // Every window inside the input with one pixel of padding around it.
        return (outHeight - 1) * strideHeight - padTop + 2 <= inHeight && (outWidth - 1) * strideWidth - padLeft + 2 <= inWidth;
    }
}
