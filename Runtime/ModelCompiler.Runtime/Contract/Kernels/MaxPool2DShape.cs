#if MODELCOMPILER_GENERATOR
namespace ModelCompiler.Contract;
#else
namespace ModelCompiler.Runtime;
#endif

/// <summary>The float max pools <c>MaxPool2D.Run</c> computes; the generator gives it exactly these layers.</summary>
internal static class MaxPool2DShape
{
    /// <summary>Stride 1 or 2 across, any stride down, dilation 1, every window overlapping the input.</summary>
    public static bool Fits(int inHeight, int inWidth, int outHeight, int outWidth, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int padTop, int padLeft) =>
        kernelHeight > 0 && kernelWidth > 0 && strideHeight > 0 && (strideWidth == 1 || strideWidth == 2) && padTop >= 0 && padLeft >= 0
        && outHeight > 0 && outWidth > 0 && inHeight > 0 && inWidth > 0
        // The first and last windows of each axis overlap the input, and so do all between them.
        && kernelHeight > padTop && kernelWidth > padLeft
        && (long)(outHeight - 1) * strideHeight - padTop <= inHeight - 1 && (long)(outWidth - 1) * strideWidth - padLeft <= inWidth - 1;
}
