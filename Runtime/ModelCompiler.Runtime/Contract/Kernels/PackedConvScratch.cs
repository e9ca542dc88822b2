#if MODELCOMPILER_GENERATOR
namespace ModelCompiler.Contract;
#else
namespace ModelCompiler.Runtime;
#endif

/// <summary>
/// The scratch memory one <c>PackedConv.Conv2D</c> call needs: its tap offset table, and (unless it reads a 1x1
/// stride-1 input in place) the zero-padded, stride-phase-split copy of one input image. The run-time kernel lays its
/// scratch out with these numbers; the generator asks the memory plan for <see cref="MaxBytes"/> of arena per layer.
/// </summary>
internal static class PackedConvScratch
{
    /// <summary>The widest micro-kernel strip (3 AVX-512 vectors) and vector (16 floats) of any instruction set.</summary>
    public const int MaxStripColumns = 48, MaxVectorLanes = 16;

    /// <summary>True when B is the input itself: 1x1, stride 1, no padding (no padded copy).</summary>
    public static bool ReadsInPlace(in ConvGeometry g) =>
        g.kernelHeight == 1 && g.kernelWidth == 1 && g.strideHeight == 1 && g.strideWidth == 1
        && g.padTop == 0 && g.padLeft == 0 && g.outHeight == g.inHeight && g.outWidth == g.inWidth;

    /// <summary>Rows and columns of one stride phase of the padded plane (Hq, Wq).</summary>
    public static int PhaseHeight(in ConvGeometry g) => g.outHeight + (g.kernelHeight - 1) * g.dilationHeight / g.strideHeight;
    public static int PhaseWidth(in ConvGeometry g) => g.outWidth + (g.kernelWidth - 1) * g.dilationWidth / g.strideWidth;

    /// <summary>Bytes of the offset table (one int per k of a group), rounded up to 64 so the planes stay aligned.</summary>
    public static long OffsetBytes(in ConvGeometry g) =>
        ((long)g.inChannels / g.groups * g.kernelHeight * g.kernelWidth * sizeof(int) + 63) / 64 * 64;

    /// <summary>
    /// Floats of padded planes for one image (0 when read in place), with slack past the last plane: the final strip
    /// of <paramref name="stripColumns"/> reads up to one vector of <paramref name="vectorLanes"/> and one row beyond it.
    /// </summary>
    public static long PlaneFloats(in ConvGeometry g, int stripColumns, int vectorLanes)
    {
        if (ReadsInPlace(g)) return 0;
        int wq = PhaseWidth(g);
        long channelStride = (long)g.strideHeight * g.strideWidth * PhaseHeight(g) * wq;
        return g.inChannels * channelStride + stripColumns + wq + vectorLanes;
    }

    /// <summary>Bytes of scratch for a call at one vector width.</summary>
    public static long Bytes(in ConvGeometry g, int stripColumns, int vectorLanes) =>
        OffsetBytes(g) + PlaneFloats(g, stripColumns, vectorLanes) * sizeof(float);

    /// <summary>Bytes of scratch enough at every vector width.</summary>
    public static long MaxBytes(in ConvGeometry g) => Bytes(g, MaxStripColumns, MaxVectorLanes);
}
