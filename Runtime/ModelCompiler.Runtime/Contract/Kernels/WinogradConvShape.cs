#if MODELCOMPILER_GENERATOR
namespace ModelCompiler.Contract;
#else
namespace ModelCompiler.Runtime;
#endif

/// <summary>
/// The layers <c>WinogradConv.Conv2D</c> takes and the scratch memory it needs. Winograd F(2x2, 3x3): each 2x2 block
/// of outputs (a tile) comes from a 4x4 block of the padded input, transformed to 16 points; each point is one
/// matrix product over the channels. The kernel first copies the input once, zero-padded, into two column phases
/// (even and odd padded columns: plane q holds padded column 2j + q at j), so that the four columns a tile reads are
/// contiguous runs across tiles; that copy is the layer's scratch.
/// </summary>
internal static class WinogradConvShape
{
    /// <summary>Outputs per tile side (the m of F(m x m, 3 x 3)).</summary>
    public const int TileSize = 2;

    /// <summary>Input points per tile side (m + 2) and per tile (16): one matrix product each.</summary>
    public const int TileInput = TileSize + 2, Points = TileInput * TileInput;

    /// <summary>Non-grouped, 3x3, stride 1, dilation 1 (any padding).</summary>
    public static bool Fits(in ConvGeometry g) =>
        g.groups == 1 && g.kernelHeight == 3 && g.kernelWidth == 3 && g.strideHeight == 1 && g.strideWidth == 1
        && g.dilationHeight == 1 && g.dilationWidth == 1 && g.padTop >= 0 && g.padLeft >= 0 && g.outHeight > 0 && g.outWidth > 0;

    /// <summary>Tile rows and columns (the output rounded up to whole tiles).</summary>
    public static int TilesHigh(in ConvGeometry g) => (g.outHeight + TileSize - 1) / TileSize;
    public static int TilesWide(in ConvGeometry g) => (g.outWidth + TileSize - 1) / TileSize;

    /// <summary>Rows of a column-phase plane: every row some tile reads (TileSize * TilesHigh + 2).</summary>
    public static int PlaneRows(in ConvGeometry g) => TileSize * TilesHigh(g) + 2;

    /// <summary>Columns of a column-phase plane: a tile at column j reads j and j + 1 of both phases.</summary>
    public static int PlaneWidth(in ConvGeometry g) => TilesWide(g) + 1;

    /// <summary>Floats of the two column-phase planes of every channel of one image.</summary>
    public static long PlaneFloats(in ConvGeometry g) => (long)g.inChannels * TileSize * PlaneRows(g) * PlaneWidth(g);

    /// <summary>Bytes of layer scratch (the phase planes), rounded up to 64.</summary>
    public static long ScratchBytes(in ConvGeometry g) => (PlaneFloats(g) * sizeof(float) + 63) / 64 * 64;
}
