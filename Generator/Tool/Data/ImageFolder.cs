using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using StbImageSharp;

namespace ModelCompiler.Tool.Data;

/// <summary>How images become input tensors: size, channel order, per-channel mean and standard deviation.</summary>
internal sealed record ImageOptions
{
    /// <summary>Width and height to resize to (bilinear); null takes the model input's.</summary>
    public (int Width, int Height)? Size { get; init; }

    /// <summary>Subtracted per channel after scaling pixels to [0, 1].</summary>
    public float[] Mean { get; init; } = { 0f };

    /// <summary>Divides per channel after the mean.</summary>
    public float[] Std { get; init; } = { 1f };

    /// <summary>"rgb", "bgr" or "gray".</summary>
    public string Channels { get; init; } = "rgb";

    public static (int, int)? ParseSize(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var parts = text!.Split('x', 'X', ',');
        if (parts.Length is 1 or 2 && parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0))
        {
            int w = int.Parse(parts[0], CultureInfo.InvariantCulture);
            return (w, parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : w);
        }
        throw new ToolException($"--size '{text}' is not a size; write WIDTHxHEIGHT (224x224) or one number for a square");
    }

    public static float[] ParseFloats(string? text, string option, float[] fallback)
    {
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        var values = new List<float>();
        foreach (var part in text!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!float.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) || !float.IsFinite(v))
                throw new ToolException($"{option} '{text}': '{part}' is not a number; write one value or one per channel, e.g. 0.485,0.456,0.406");
            values.Add(v);
        }
        return values.ToArray();
    }
}

/// <summary>
/// A folder of images (PNG, JPEG, BMP, TGA, GIF, PSD, HDR decoded by StbImageSharp, a managed port of stb_image
/// under MIT/Unlicense; PPM/PGM by <see cref="PnmDecoder"/>) as input tensors: sorted by
/// file name, resized bilinearly to the input's height and width, pixels scaled to [0, 1], then
/// (x - mean[c]) / std[c], laid out NCHW or NHWC as the input's shape says (a dimension of 1 or 3 beside the
/// spatial ones is the channel axis).
/// </summary>
internal static class ImageFolder
{
    private static readonly HashSet<string> s_extensions = new(StringComparer.OrdinalIgnoreCase) { ".png", ".jpg", ".jpeg", ".bmp", ".tga", ".gif", ".ppm", ".pgm", ".pnm", ".psd", ".hdr" };

    public static List<float[]> Load(string folder, ModelInput input, ImageOptions options, int maxSamples)
    {
        var (channels, height, width, channelsLast) = Layout(input);
        if (options.Size is { } size && (size.Width != width || size.Height != height))
            throw new ToolException($"--size {size.Width}x{size.Height} does not fit the model input '{input.Name}' {input.ShapeText} ({width}x{height}); pin the input with --input-shape to use another size");
        if (channels == 3 && options.Channels == "gray" || channels == 1 && options.Channels != "gray" && options.Channels != "rgb")
            throw new ToolException($"--channels {options.Channels} does not fit the model input '{input.Name}' {input.ShapeText} with {channels} channel(s)");
        float[] mean = PerChannel(options.Mean, channels, "--mean"), std = PerChannel(options.Std, channels, "--std");
        if (std.Any(s => s == 0)) throw new ToolException("--std has a zero");

        var files = Directory.EnumerateFiles(folder).Where(f => s_extensions.Contains(Path.GetExtension(f))).OrderBy(f => f, StringComparer.Ordinal).Take(maxSamples).ToList();
        if (files.Count == 0) throw new ToolException($"{folder} holds no images ({string.Join(", ", s_extensions.OrderBy(e => e))})");
        var samples = new List<float[]>(files.Count);
        foreach (var file in files)
        {
            byte[] pixels;
            int w, h;
            try
            {
                byte[] bytes = File.ReadAllBytes(file);
                if (PnmDecoder.IsPnm(bytes)) (pixels, w, h) = PnmDecoder.Decode(bytes, channels);
                else
                {
                    var image = ImageResult.FromMemory(bytes, channels == 1 ? ColorComponents.Grey : ColorComponents.RedGreenBlue);
                    (pixels, w, h) = (image.Data, image.Width, image.Height);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException or IndexOutOfRangeException or OverflowException or FormatException)
            {
                throw new ToolException($"cannot decode {Path.GetFileName(file)}: {e.Message}");
            }
            var resized = Resize(pixels, w, h, channels, width, height);
            var x = new float[input.Length];
            for (int y = 0; y < height; y++)
                for (int xx = 0; xx < width; xx++)
                    for (int c = 0; c < channels; c++)
                    {
                        int source = options.Channels == "bgr" ? channels - 1 - c : c;
                        float v = resized[(y * width + xx) * channels + source] / 255f;
                        v = (v - mean[c]) / std[c];
                        int at = channelsLast ? (y * width + xx) * channels + c : (c * height + y) * width + xx;
                        x[at] = v;
                    }
            samples.Add(x);
        }
        return samples;
    }

    private static (int Channels, int Height, int Width, bool ChannelsLast) Layout(ModelInput input)
    {
        var s = input.Shape;
        if (s.Length == 4 && s[0] == 1 && s[1] is 1 or 3) return (s[1], s[2], s[3], false);
        if (s.Length == 4 && s[0] == 1 && s[3] is 1 or 3) return (s[3], s[1], s[2], true);
        if (s.Length == 3 && s[0] is 1 or 3) return (s[0], s[1], s[2], false);
        throw new ToolException($"the model input '{input.Name}' {input.ShapeText} is not an image (expected [1, C, H, W] or [1, H, W, C] with C = 1 or 3)");
    }

    private static float[] PerChannel(float[] values, int channels, string option) =>
        values.Length == 1 ? Enumerable.Repeat(values[0], channels).ToArray()
        : values.Length == channels ? values
        : throw new ToolException($"{option} has {values.Length} values for {channels} channels; give one, or one per channel");

    /// <summary>Bilinear resize with half-pixel centers (interleaved bytes in, interleaved floats in [0, 255] out).</summary>
    private static float[] Resize(byte[] data, int w, int h, int channels, int targetW, int targetH)
    {
        var result = new float[targetW * targetH * channels];
        for (int y = 0; y < targetH; y++)
        {
            double sy = Math.Clamp((y + 0.5) * h / targetH - 0.5, 0, h - 1);
            int y0 = (int)sy, y1 = Math.Min(y0 + 1, h - 1);
            double fy = sy - y0;
            for (int x = 0; x < targetW; x++)
            {
                double sx = Math.Clamp((x + 0.5) * w / targetW - 0.5, 0, w - 1);
                int x0 = (int)sx, x1 = Math.Min(x0 + 1, w - 1);
                double fx = sx - x0;
                for (int c = 0; c < channels; c++)
                {
                    double top = data[(y0 * w + x0) * channels + c] * (1 - fx) + data[(y0 * w + x1) * channels + c] * fx;
                    double bottom = data[(y1 * w + x0) * channels + c] * (1 - fx) + data[(y1 * w + x1) * channels + c] * fx;
                    result[(y * targetW + x) * channels + c] = (float)(top * (1 - fy) + bottom * fy);
                }
            }
        }
        return result;
    }
}
