using System;
using System.Text;

namespace ModelCompiler.Tool.Data;

/// <summary>
/// Netpbm images (PGM and PPM, binary P5/P6 and plain P2/P3, at most 255 levels), which StbImageSharp does not read.
/// Returns interleaved 8-bit pixels with 1 (grey) or 3 (RGB) channels, converted to the channels asked for.
/// </summary>
internal static class PnmDecoder
{
    public static bool IsPnm(byte[] bytes) => bytes.Length > 2 && bytes[0] == 'P' && bytes[1] is (byte)'2' or (byte)'3' or (byte)'5' or (byte)'6';

    public static (byte[] Data, int Width, int Height) Decode(byte[] bytes, int channels)
    {
        char kind = (char)bytes[1];
        int pos = 2;
        int width = Number(bytes, ref pos), height = Number(bytes, ref pos), max = Number(bytes, ref pos);
        if (width <= 0 || height <= 0 || max is <= 0 or > 255) throw new InvalidOperationException($"unsupported PNM header ({width}x{height}, maxval {max})");
        int sourceChannels = kind is '3' or '6' ? 3 : 1;
        var source = new byte[width * height * sourceChannels];
        if (kind is '5' or '6')
        {
            pos++; // the single whitespace after maxval
            if (bytes.Length - pos < source.Length) throw new InvalidOperationException("truncated PNM pixel data");
            Array.Copy(bytes, pos, source, 0, source.Length);
        }
        else
            for (int i = 0; i < source.Length; i++) source[i] = (byte)Number(bytes, ref pos);
        if (max != 255)
            for (int i = 0; i < source.Length; i++) source[i] = (byte)Math.Min(255, source[i] * 255 / max);
        if (sourceChannels == channels) return (source, width, height);
        var result = new byte[width * height * channels];
        for (int p = 0; p < width * height; p++)
        {
            if (channels == 3) result[p * 3] = result[p * 3 + 1] = result[p * 3 + 2] = source[p];
            else result[p] = (byte)Math.Round(0.299 * source[p * 3] + 0.587 * source[p * 3 + 1] + 0.114 * source[p * 3 + 2]);
        }
        return (result, width, height);
    }

    /// <summary>The next decimal number, skipping whitespace and # comments.</summary>
    private static int Number(byte[] b, ref int pos)
    {
        while (pos < b.Length && (char.IsWhiteSpace((char)b[pos]) || b[pos] == '#'))
        {
            if (b[pos] == '#') while (pos < b.Length && b[pos] != '\n') pos++;
            else pos++;
        }
        int start = pos;
        while (pos < b.Length && b[pos] is >= (byte)'0' and <= (byte)'9') pos++;
        if (pos == start) throw new InvalidOperationException("malformed PNM header or data");
        return int.Parse(Encoding.ASCII.GetString(b, start, pos - start), System.Globalization.CultureInfo.InvariantCulture);
    }
}
