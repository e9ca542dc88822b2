#if MODELCOMPILER_GENERATOR
namespace ModelCompiler.Contract;
#else
namespace ModelCompiler.Runtime;
#endif

/// <summary>
/// The layers <c>WinogradConv.Conv2D</c> takes and the scratch memory it needs. Winograd F(m x m, 3 x 3), m = 2 or 4
/// (the tile size): each m x m block of outputs (a tile) comes from an (m + 2) x (m + 2) block of the padded input,
/// transformed to (m + 2)² points; each point is one matrix product over the channels. The kernel first copies the
/// input once, zero-padded, into m column phases (plane q holds padded column m * j + q at j), so that the columns a
/// tile reads are contiguous runs across tiles; that copy is the layer's scratch.
/// </summary>
internal static class WinogradConvShape
{
    /// <summary>True for the tile sizes the kernel has transforms for: F(2x2, 3x3) and F(4x4, 3x3).</summary>
    public static bool IsTileSize(int tileSize) => tileSize == 2 || tileSize == 4;

    /// <summary>Transformed points per tile: (m + 2)².</summary>
    public static int Points(int tileSize) => (tileSize + 2) * (tileSize + 2);

    /// <summary>Non-grouped, 3x3, stride 1, dilation 1 (any padding).</summary>
    public static bool Fits(in ConvGeometry g) =>
        g.groups == 1 && g.kernelHeight == 3 && g.kernelWidth == 3 && g.strideHeight == 1 && g.strideWidth == 1
        && g.dilationHeight == 1 && g.dilationWidth == 1 && g.padTop >= 0 && g.padLeft >= 0 && g.outHeight > 0 && g.outWidth > 0;

    /// <summary>Tile rows and columns (the output rounded up to whole tiles).</summary>
    public static int TilesHigh(in ConvGeometry g, int tileSize) => (g.outHeight + tileSize - 1) / tileSize;
    public static int TilesWide(in ConvGeometry g, int tileSize) => (g.outWidth + tileSize - 1) / tileSize;

    /// <summary>Rows of a column-phase plane: every row some tile reads (m * TilesHigh + 2).</summary>
    public static int PlaneRows(in ConvGeometry g, int tileSize) => tileSize * TilesHigh(g, tileSize) + 2;

    /// <summary>Columns of a column-phase plane: a tile at column j reads j of every phase and j + 1 of the first two.</summary>
    public static int PlaneWidth(in ConvGeometry g, int tileSize) => TilesWide(g, tileSize) + 1;

    /// <summary>Floats of the m column-phase planes of every channel of one image.</summary>
    public static long PlaneFloats(in ConvGeometry g, int tileSize) =>
        (long)g.inChannels * tileSize * PlaneRows(g, tileSize) * PlaneWidth(g, tileSize);

    /// <summary>Bytes of layer scratch (the phase planes), rounded up to 64.</summary>
    public static long ScratchBytes(in ConvGeometry g, int tileSize) => (PlaneFloats(g, tileSize) * sizeof(float) + 63) / 64 * 64;
}
