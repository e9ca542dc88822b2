#if MODELCOMPILER_GENERATOR
namespace ModelCompiler.Contract;
#else
namespace ModelCompiler.Runtime;
#endif

/// <summary>The float depthwise convolutions <c>DepthwiseConv.Conv2D</c> computes; the generator gives it exactly these layers.</summary>
internal static class DepthwiseConvShape
{
    /// <summary>One channel per group in and out, a square 3x3 or 5x5 kernel, equal strides of 1 or 2, no dilation, a non-empty output.</summary>
    public static bool Fits(in ConvGeometry g) =>
        g.groups == g.inChannels && g.groups == g.outChannels && g.kernelHeight == g.kernelWidth && (g.kernelHeight == 3 || g.kernelHeight == 5)
        && g.strideHeight == g.strideWidth && (g.strideHeight == 1 || g.strideHeight == 2) && g.dilationHeight == 1 && g.dilationWidth == 1
        && g.padTop >= 0 && g.padLeft >= 0 && g.outHeight > 0 && g.outWidth > 0;
}
