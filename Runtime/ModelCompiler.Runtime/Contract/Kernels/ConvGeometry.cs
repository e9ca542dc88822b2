#if !MODELCOMPILER_GENERATOR
using System.ComponentModel;
#endif

#if MODELCOMPILER_GENERATOR
namespace ModelCompiler.Contract;
#else
namespace ModelCompiler.Runtime;
#endif

/// <summary>
/// Shape and window parameters of a 2-D convolution (1-D convolutions use height 1). Part of the contract: the
/// generator builds the same geometry to decide which kernel and variant a layer runs, and writes it into the call.
/// </summary>
#if MODELCOMPILER_GENERATOR
internal
#else
[EditorBrowsable(EditorBrowsableState.Never)]
public
#endif
readonly record struct ConvGeometry(
    int batch, int inChannels, int inHeight, int inWidth,
    int outChannels, int outHeight, int outWidth, int groups,
    int kernelHeight, int kernelWidth, int strideHeight, int strideWidth,
    int padTop, int padLeft, int dilationHeight, int dilationWidth);

/// <summary>Shape and window parameters of a 3-D convolution (NCDHW).</summary>
#if MODELCOMPILER_GENERATOR
internal
#else
[EditorBrowsable(EditorBrowsableState.Never)]
public
#endif
readonly record struct Conv3DGeometry(
    int batch, int inChannels, int inDepth, int inHeight, int inWidth,
    int outChannels, int outDepth, int outHeight, int outWidth, int groups,
    int kernelDepth, int kernelHeight, int kernelWidth,
    int strideDepth, int strideHeight, int strideWidth,
    int padFront, int padTop, int padLeft,
    int dilationDepth, int dilationHeight, int dilationWidth);
