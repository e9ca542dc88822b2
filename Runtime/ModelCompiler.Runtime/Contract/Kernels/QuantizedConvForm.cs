#if MODELCOMPILER_GENERATOR
namespace ModelCompiler.Contract;
#else
namespace ModelCompiler.Runtime;
#endif

/// <summary>
/// The forms an integer (QLinearConv / ConvInteger) convolution runs in. The generator chooses one per layer from its
/// shape with <see cref="QuantizedConvForms.Choose"/> and generated code calls that form's entry point of
/// <c>QuantizedConv</c> directly; at run time each form only checks the CPU's instructions, and where they are
/// missing runs the portable form it stands in for (<see cref="Gemm"/> or <see cref="DepthwiseDirect"/>). Every form
/// computes the same exact int32 sums and requantizes them the same way, so the choice never changes results.
/// </summary>
internal enum QuantizedConvForm
{
    /// <summary>Im2col blocks of pixels times [M][K padded to 4] int8 weights (<c>QGemm</c>, <c>QGemmRequant</c>).</summary>
    Gemm,

    /// <summary>
    /// Few input channels (a 3-channel stem): each kernel row's window packed by one byte permute (<c>WindowPackedConv</c>);
    /// needs AVX-VNNI and AVX-512 VBMI, else <see cref="Gemm"/>.
    /// </summary>
    Windowed,

    /// <summary>Depthwise, every output row in registers over the taps (<c>QuantizedConv.Depthwise</c>): any shape, any path.</summary>
    DepthwiseDirect,

    /// <summary>Depthwise with pixels in lanes, windows gathered by byte permutes (<c>DepthwiseVnni</c>); else <see cref="DepthwiseDirect"/>.</summary>
    DepthwiseWindowed,

    /// <summary>
    /// Depthwise 3x3 on small planes, channels in lanes (<c>DepthwiseChannelsLast</c>, with a per-channel table built once);
    /// on a CPU without its instructions, <see cref="DepthwiseWindowed"/>'s choice.
    /// </summary>
    DepthwiseChannelsLast,
}

/// <summary>Which <see cref="QuantizedConvForm"/> a layer of a given shape runs in.</summary>
internal static class QuantizedConvForms
{
    /// <summary>Largest K (input channels x kernel area) that <see cref="QuantizedConvForm.Windowed"/> packs; above it the dot products dominate.</summary>
    public const int WindowedMaxK = 32;

    /// <summary>
    /// The form for a convolution of geometry <paramref name="g"/>. <paramref name="requantized"/>: QLinearConv (8-bit
    /// output) rather than ConvInteger (int32 output, which only the portable forms write). <paramref name="symmetricWeights"/>:
    /// every weight zero point is 0 after the shift to int8 (the window forms have no term for the others).
    /// </summary>
    public static QuantizedConvForm Choose(in ConvGeometry g, bool requantized, bool symmetricWeights)
    {
        bool fast = requantized && symmetricWeights;
        if (g.inChannels == g.groups)
        {
            if (!fast || !WindowChunks.Fits(g)) return QuantizedConvForm.DepthwiseDirect;
            return DepthwiseChannelsLastShape.Fits(g.inChannels, g.outChannels, g.groups, g.inHeight, g.inWidth, g.outHeight, g.outWidth,
                g.kernelHeight, g.kernelWidth, g.strideHeight, g.strideWidth, g.dilationHeight, g.dilationWidth, g.padTop, g.padLeft)
                ? QuantizedConvForm.DepthwiseChannelsLast
                : QuantizedConvForm.DepthwiseWindowed;
        }
        return fast && WindowedFits(g) ? QuantizedConvForm.Windowed : QuantizedConvForm.Gemm;
    }

    /// <summary>
    /// One group, kernels 3 or 4 wide (narrower ones would leave most of each packed int empty: a 1x1 kernel would need
    /// 4x the dot products), small K, and chunks along rows or across row ends (<see cref="WindowChunks.Fits"/>).
    /// </summary>
    public static bool WindowedFits(in ConvGeometry g) =>
        g.groups == 1 && g.kernelWidth is 3 or 4 && g.inChannels * g.kernelHeight * g.kernelWidth <= WindowedMaxK &&
        WindowChunks.Fits(g) && WindowChunks.Choose(g) != WindowChunks.Layout.ShortRows;

    /// <summary>Whether a form is one of the depthwise ones (weights [M][kh*kw], no K padding).</summary>
    public static bool IsDepthwise(QuantizedConvForm form) => form >= QuantizedConvForm.DepthwiseDirect;
}
