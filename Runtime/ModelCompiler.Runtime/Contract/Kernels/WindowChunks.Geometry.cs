using System;

#if MODELCOMPILER_GENERATOR
namespace ModelCompiler.Contract;
#else
namespace ModelCompiler.Runtime;
#endif

/// <summary>
/// The geometry of the int8 window kernels' chunks (see the run-time half of <c>WindowChunks</c>): which layers they
/// fit, how a plane is cut, how far a half chunk's loads reach. Part of the contract: the generator asks the same
/// rules when it chooses a quantized convolution's variant.
/// </summary>
internal static partial class WindowChunks
{
    /// <summary>Outputs per chunk.</summary>
    public const int Chunk = 16;
    /// <summary>Outputs per half chunk (one 256-bit vector of int32 sums).</summary>
    public const int Half = 8;
    /// <summary>Bytes per half-chunk load and permute pattern.</summary>
    public const int LoadBytes = 32;

    /// <summary>
    /// Whether <paramref name="g"/> fits: planes of at least 16 outputs, every half chunk's windows (taps up to
    /// four columns apart per kernel row) inside one 32-byte load.
    /// </summary>
    public static bool Fits(in ConvGeometry g) => g.outHeight * g.outWidth >= Chunk && MaxChunkSpan(g, Choose(g)) < LoadBytes;

    /// <summary>Rows of the padded plane: every window inside it.</summary>
    public static int PaddedHeight(in ConvGeometry g) =>
        Math.Max((g.outHeight - 1) * g.strideHeight + (g.kernelHeight - 1) * g.dilationHeight + 1, g.padTop + g.inHeight);

    /// <summary>Bytes of one padded plane with room for the last 32-byte loads past it.</summary>
    public static int PlaneBytes(in ConvGeometry g) =>
        PaddedWidth(g) * PaddedHeight(g) + 2 * LoadBytes + 4 * ((g.kernelWidth + 3) / 4) * g.dilationWidth;

    /// <summary>How a plane is cut into chunks of 16 outputs.</summary>
    public enum Layout
    {
        /// <summary>Rows of 16 or more: chunks along each row, the last one pulled back to end with the row.</summary>
        Rows,
        /// <summary>Narrow planes: 16 consecutive outputs across row ends, when their windows fit one load.</summary>
        Flat,
        /// <summary>
        /// Narrow rows whose flat chunks would not fit (stride 2): one chunk per row, lanes past the row repeating
        /// its last output. Each 16-byte store runs past its row into outputs written later (rows and channels go
        /// in order); the tensor's last plane goes through a buffer.
        /// </summary>
        ShortRows,
    }

    public static Layout Choose(in ConvGeometry g) =>
        g.outWidth >= Chunk ? Layout.Rows : MaxChunkSpan(g, Layout.Flat) < LoadBytes ? Layout.Flat : Layout.ShortRows;

    public static int ChunkCount(in ConvGeometry g, Layout layout) => layout switch
    {
        Layout.Rows => g.outHeight * ((g.outWidth + Chunk - 1) / Chunk),
        Layout.Flat => (g.outHeight * g.outWidth + Chunk - 1) / Chunk,
        _ => g.outHeight,
    };

    /// <summary>The first output of chunk <paramref name="c"/>.</summary>
    private static int ChunkStart(in ConvGeometry g, Layout layout, int c, out int oh, out int ow)
    {
        switch (layout)
        {
            case Layout.Rows:
                int perRow = (g.outWidth + Chunk - 1) / Chunk;
                oh = c / perRow;
                ow = Math.Min((c - oh * perRow) * Chunk, g.outWidth - Chunk);
                return oh * g.outWidth + ow;
            case Layout.Flat:
                int p = Math.Min(c * Chunk, g.outHeight * g.outWidth - Chunk);
                oh = p / g.outWidth;
                ow = p - oh * g.outWidth;
                return p;
            default:
                oh = c;
                ow = 0;
                return c * g.outWidth;
        }
    }

    /// <summary>The output whose window lane <paramref name="j"/> of a chunk starting at output <paramref name="p"/> reads.</summary>
    private static void Lane(in ConvGeometry g, Layout layout, int p, int j, out int oh, out int ow)
    {
        int q = layout == Layout.ShortRows ? p + Math.Min(j, g.outWidth - 1) : p + j;
        oh = q / g.outWidth;
        ow = q - oh * g.outWidth;
    }

    /// <summary>The largest byte offset a half chunk's used taps read, relative to its first window.</summary>
    public static int MaxChunkSpan(in ConvGeometry g, Layout layout)
    {
        int pw = PaddedWidth(g), tapSpan = (Math.Min(g.kernelWidth, 4) - 1) * g.dilationWidth, max = 0;
        // Along rows every half is 8 outputs of one row: the same span everywhere.
        if (layout == Layout.Rows) return (Half - 1) * g.strideWidth + tapSpan;
        int chunks = ChunkCount(g, layout);
        for (int c = 0; c < chunks; c++)
        {
            int p = ChunkStart(g, layout, c, out _, out _);
            for (int h = 0; h < Chunk; h += Half)
            {
                // The last lane has the largest offset: rows only increase, and within a row so do columns.
                Lane(g, layout, p, h, out int oh0, out int ow0);
                Lane(g, layout, p, h + Half - 1, out int oh, out int ow);
                max = Math.Max(max, (oh - oh0) * g.strideHeight * pw + (ow - ow0) * g.strideWidth + tapSpan);
            }
        }
        return max;
    }

    public static int PaddedWidth(in ConvGeometry g) =>
        Math.Max((g.outWidth - 1) * g.strideWidth + (g.kernelWidth - 1) * g.dilationWidth + 1, g.padLeft + g.inWidth);

    /// <summary>
    /// Whether rows end in a half chunk when <see cref="BuildChunks"/> is asked for half tails: rows along which
    /// 1 to 8 outputs are left after the whole chunks (40 = 16 + 16 + 8).
    /// </summary>
    public static bool HalfTails(in ConvGeometry g, Layout layout) => layout == Layout.Rows && g.outWidth % Chunk is > 0 and <= Half;
}
