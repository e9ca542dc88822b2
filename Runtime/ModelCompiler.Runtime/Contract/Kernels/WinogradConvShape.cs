#if MODELCOMPILER_GENERATOR
namespace ModelCompiler.Contract;
#else
namespace ModelCompiler.Runtime;
#endif

/// <summary>
/// The layers <c>WinogradConv.Conv2D</c> takes and the scratch memory it needs. Winograd F(m x m, 3 x 3), m = 2 or 4
/// (the tile size): each m x m block of outputs (a tile) comes from an (m + 2) x (m + 2) block of the padded input,
/// transformed to (m + 2)² points; each point is one matrix product over the channels. Tiles are numbered on a wide
/// grid, one column wider than the tiles (the extra column is computed and dropped, like the direct convolution's
/// wide rows), and the kernel first copies the input once, zero-padded, into planes indexed by that number (one per
/// column phase and row of the tile, <see cref="PlaneFloats"/>), so that what consecutive tiles read is contiguous,
/// across tile rows too; that copy is the layer's scratch.
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

    /// <summary>Tile columns of the wide tile grid: one more than <see cref="TilesWide"/> (the tile past the last reads the column after it).</summary>
    public static int WideColumns(in ConvGeometry g, int tileSize) => TilesWide(g, tileSize) + 1;

    /// <summary>
    /// Floats of one input plane of the kernel's layout: the wide tile grid (TilesHigh x WideColumns) with slack for the
    /// widest vector read one tile past its end.
    /// </summary>
    public static long PlaneLength(in ConvGeometry g, int tileSize) => (long)TilesHigh(g, tileSize) * WideColumns(g, tileSize) + 32;

    /// <summary>
    /// Floats of the input layout of one image: per channel, per column phase q (m of them) and per row i of the tile
    /// (m + 2), the plane P[th][j] = padded input row m th + i, column m j + q.
    /// </summary>
    public static long PlaneFloats(in ConvGeometry g, int tileSize) =>
        (long)g.inChannels * tileSize * (tileSize + 2) * PlaneLength(g, tileSize);

    /// <summary>Bytes of layer scratch (the input layout), rounded up to 64.</summary>
    public static long ScratchBytes(in ConvGeometry g, int tileSize) => (PlaneFloats(g, tileSize) * sizeof(float) + 63) / 64 * 64;
}
