using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelCompiler.Runtime;

/// <summary>
/// How the int8 window kernels (<see cref="DepthwiseVnni"/>, <see cref="WindowPackedConv"/>) walk an output plane:
/// chunks of 16 outputs, each split in two halves of 8 whose kernel-row windows one 32-byte load of a padded
/// input plane holds, gathered by one <c>vpermb</c> per half and kernel row. For each half: the offset of its
/// first window in the padded plane and the permute pattern (byte 4j + t = offset of tap t of lane j's window);
/// for each chunk: its first output. Computed once per call from the geometry and reused for every channel.
/// </summary>
internal static partial class WindowChunks
{
    /// <summary>
    /// Copies the input plane at <paramref name="at"/> into the padded plane's interior, int8 flipped to u8 (XOR
    /// 0x80). Rows of up to 16 bytes are one 16-byte store each, not a copy call per row: the row's bytes, then
    /// the padding byte for the rest, which lands in padding or in the next rows' interior that is written after
    /// (the padded plane has room past its end). It never reads the plane, so no load waits on these stores.
    /// Reading past the row is fine while inside <paramref name="x"/>.
    /// </summary>
    public static void CopyRows(ReadOnlySpan<byte> x, int at, in ConvGeometry g, int pw, bool signedX, byte pad, Span<byte> padded)
    {
        int w = g.inWidth, ih = 0;
        ref byte dst = ref Unsafe.Add(ref MemoryMarshal.GetReference(padded), g.padTop * pw + g.padLeft);
        var flip = Vector128.Create(signedX ? (byte)0x80 : (byte)0);
        if (w <= 16)
        {
            var keep = Vector128.LessThan(Vector128.Create((byte)0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector128.Create((byte)w));
            var padding = Vector128.Create(pad);
            ref byte src = ref MemoryMarshal.GetReference(x);
            for (; ih < g.inHeight && at + ih * w + 16 <= x.Length; ih++)
            {
                var v = Vector128.LoadUnsafe(ref src, (nuint)(at + ih * w)) ^ flip;
                Vector128.ConditionalSelect(keep, v, padding).StoreUnsafe(ref Unsafe.Add(ref dst, ih * pw));
            }
        }
        for (; ih < g.inHeight; ih++)
        {
            var source = x.Slice(at + ih * w, w);
            var target = MemoryMarshal.CreateSpan(ref Unsafe.Add(ref dst, ih * pw), w);
            if (!signedX) source.CopyTo(target);
            else Flip(source, target);
        }
    }

    private static void Flip(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        int i = 0;
        var f = Vector128.Create((byte)0x80);
        for (; i <= src.Length - 16; i += 16) (Vector128.Create(src.Slice(i, 16)) ^ f).CopyTo(dst.Slice(i));
        for (; i < src.Length; i++) dst[i] = (byte)(src[i] ^ 0x80);
    }

    /// <summary>
    /// Windows read straight from the unpadded input plane, for 3-row kernels of width up to 4 on chunks across row
    /// ends or short rows: for every half chunk and kernel row, the offset of a 32-byte load in the plane
    /// (<paramref name="loadAt"/>[3 * half + row]) and a two-table permute pattern whose bytes 0-31 pick from that
    /// load and 32 from a vector of the input zero point (padding taps, and taps past the kernel width, whose
    /// weight is 0). False when some half chunk's taps of one row span 32 bytes or more. <paramref name="end"/>:
    /// the plane bytes the loads reach (a channel whose loads would run past the tensor takes the padded path).
    /// </summary>
    public static bool BuildDirect(in ConvGeometry g, Layout layout, Span<int> loadAt, Span<byte> patterns, out int end)
    {
        end = 0;
        if (layout == Layout.Rows || g.kernelHeight != 3 || g.kernelWidth > 4) return false;
        int chunks = ChunkCount(g, layout), w = g.inWidth;
        Span<int> pos = stackalloc int[Half * 4];
        for (int c = 0; c < chunks; c++)
        {
            int p = ChunkStart(g, layout, c, out _, out _);
            for (int h = 0; h < 2; h++)
                for (int r = 0; r < 3; r++)
                {
                    int first = int.MaxValue, last = -1;
                    for (int j = 0; j < Half; j++)
                    {
                        Lane(g, layout, p, h * Half + j, out int oh, out int ow);
                        int ih = oh * g.strideHeight - g.padTop + r * g.dilationHeight;
                        for (int t = 0; t < 4; t++)
                        {
                            int iw = ow * g.strideWidth - g.padLeft + t * g.dilationWidth;
                            bool inside = t < g.kernelWidth && ih >= 0 && ih < g.inHeight && iw >= 0 && iw < w;
                            int at = inside ? ih * w + iw : -1;
                            pos[4 * j + t] = at;
                            if (inside) { first = Math.Min(first, at); last = Math.Max(last, at); }
                        }
                    }
                    if (last >= 0 && last - first >= LoadBytes) return false;
                    int start = last < 0 ? 0 : first, e = 3 * (2 * c + h) + r;
                    loadAt[e] = start;
                    end = Math.Max(end, start + LoadBytes);
                    Span<byte> pattern = patterns.Slice(e * LoadBytes, LoadBytes);
                    for (int i = 0; i < pattern.Length; i++) pattern[i] = (byte)(pos[i] < 0 ? LoadBytes : pos[i] - start);
                }
        }
        return true;
    }

    /// <summary>
    /// The chunk tables. With <paramref name="halfTails"/> and <see cref="HalfTails"/>, a row's last chunk is a half
    /// chunk of the row's last 8 outputs, marked by a second input offset of -1, instead of 16 outputs overlapping the
    /// chunk before (a 40-wide row then computes 40 outputs rather than 48, a 20-wide one 24 rather than 32); only
    /// kernels that handle the mark ask for it.
    /// </summary>
    public static void BuildChunks(in ConvGeometry g, Layout layout, int pw, Span<int> inputAt, Span<int> outputAt, Span<byte> patterns, bool halfTails = false)
    {
        if (layout == Layout.Rows)
        {
            bool half = halfTails && HalfTails(g, layout);
            // Every half reads 8 consecutive outputs of one row: one pattern for all, offsets in closed form.
            Span<byte> one = stackalloc byte[LoadBytes];
            for (int j = 0; j < Half; j++)
                for (int t = 0; t < 4; t++) one[4 * j + t] = (byte)Math.Min(j * g.strideWidth + t * g.dilationWidth, LoadBytes - 1);
            var pattern = Vector256.Create<byte>(one);
            int perRow = (g.outWidth + Chunk - 1) / Chunk;
            for (int c = 0; c < outputAt.Length; c++)
            {
                int oh = c / perRow, j = c - oh * perRow;
                bool halfChunk = half && j == perRow - 1;
                int ow = halfChunk ? g.outWidth - Half : Math.Min(j * Chunk, g.outWidth - Chunk);
                outputAt[c] = oh * g.outWidth + ow;
                inputAt[2 * c] = oh * g.strideHeight * pw + ow * g.strideWidth;
                inputAt[2 * c + 1] = halfChunk ? -1 : inputAt[2 * c] + Half * g.strideWidth;
                pattern.CopyTo(patterns.Slice(2 * c * LoadBytes));
                pattern.CopyTo(patterns.Slice((2 * c + 1) * LoadBytes));
            }
            return;
        }
        for (int c = 0; c < outputAt.Length; c++)
        {
            int p = ChunkStart(g, layout, c, out _, out _);
            outputAt[c] = p;
            for (int h = 0; h < 2; h++)
            {
                Lane(g, layout, p, h * Half, out int oh0, out int ow0);
                inputAt[2 * c + h] = oh0 * g.strideHeight * pw + ow0 * g.strideWidth;
                Span<byte> pattern = patterns.Slice((2 * c + h) * LoadBytes, LoadBytes);
                for (int j = 0; j < Half; j++)
                {
                    Lane(g, layout, p, h * Half + j, out int oh, out int ow);
                    int rel = (oh - oh0) * g.strideHeight * pw + (ow - ow0) * g.strideWidth;
                    // Taps past the kernel width have weight 0; any byte inside the load does for them.
                    for (int t = 0; t < 4; t++) pattern[4 * j + t] = (byte)Math.Min(rel + t * g.dilationWidth, LoadBytes - 1);
                }
            }
        }
    }
}
