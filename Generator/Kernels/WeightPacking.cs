using System;
using ModelCompiler.Graph;

namespace ModelCompiler.Kernels;

/// <summary>
/// Build-time weight layouts of the packed kernels (plain arrays: the generator targets netstandard2.0).
/// The constants must equal the run-time kernels' (<c>PackedConv.PanelRows</c>, <c>PackedGemm.StripWidth</c>);
/// a test checks that they do.
/// </summary>
internal static class WeightPacking
{
    /// <summary>Output channels per convolution weight panel.</summary>
    public const int PanelRows = 8;

    /// <summary>Columns per packed B strip of a matrix product.</summary>
    public const int StripWidth = 16;

    /// <summary>
    /// Convolution weights [M][K] (ONNX's [M][C/group][kh][kw], K = C/group * kh * kw) as [group][panel][K][8]:
    /// panel p of a group holds its output channels 8p..8p+7 interleaved per k, zero past the group's last one.
    /// </summary>
    public static float[] ConvPanels(float[] w, int outChannels, int groups, int kPerGroup)
    {
        int mg = outChannels / groups, panels = (mg + PanelRows - 1) / PanelRows;
        var packed = new float[(long)groups * panels * kPerGroup * PanelRows];
        for (int g = 0; g < groups; g++)
            for (int p = 0; p < panels; p++)
            {
                long panelStart = ((long)g * panels + p) * kPerGroup * PanelRows;
                for (int r = 0; r < PanelRows; r++)
                {
                    int oc = p * PanelRows + r;
                    if (oc >= mg) break;
                    long source = ((long)g * mg + oc) * kPerGroup;
                    for (int k = 0; k < kPerGroup; k++) packed[panelStart + (long)k * PanelRows + r] = w[source + k];
                }
            }
        return packed;
    }

    /// <summary>
    /// B (k x n, or n x k when <paramref name="transposed"/>) times <paramref name="scale"/> as strips of
    /// <see cref="StripWidth"/> columns, [n / 16][k][16], zero-padded to whole strips.
    /// </summary>
    public static float[] GemmStrips(float[] b, int k, int n, bool transposed, float scale)
    {
        int strips = (n + StripWidth - 1) / StripWidth;
        var packed = new float[(long)strips * k * StripWidth];
        for (int s = 0; s < strips; s++)
            for (int p = 0; p < k; p++)
            {
                long row = ((long)s * k + p) * StripWidth;
                for (int j = 0; j < StripWidth; j++)
                {
                    int col = s * StripWidth + j;
                    if (col >= n) break;
                    float v = transposed ? b[(long)col * k + p] : b[(long)p * n + col];
                    packed[row + j] = scale == 1f ? v : v * scale;
                }
            }
        return packed;
    }

    /// <summary>A per-column vector (bias) zero-padded to whole strips.</summary>
    public static float[] PadColumns(float[] values, int n)
    {
        var padded = new float[(n + StripWidth - 1) / StripWidth * StripWidth];
        Array.Copy(values, padded, n);
        return padded;
    }

    /// <summary>
    /// Packs a constant with <paramref name="pack"/>. A constant the blob keeps compactly (float16, quantized
    /// integers) stays compact: the packed tensor carries the constant's encoding plus <paramref name="layout"/>,
    /// and generated code decodes and packs it on first use, so the assembly holds neither float32 copies nor
    /// padding. (The float values are still computed here for constant folding and checks.)
    /// </summary>
    public static Tensor Pack(Tensor constant, Func<float[], float[]> pack, WeightLayout layout)
    {
        var floats = ToTensor(pack(constant.ToFloats()));
        return constant.Encoding is { Layout: null } e ? floats.WithEncoding(e.WithLayout(layout)) : floats;
    }

    /// <summary>A float32 tensor of shape [length] holding <paramref name="values"/>.</summary>
    public static Tensor ToTensor(float[] values)
    {
        var raw = new byte[(long)values.Length * 4];
        if (BitConverter.IsLittleEndian)
        {
            Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
        }
        else
        {
            for (int i = 0; i < values.Length; i++)
            {
                byte[] b = BitConverter.GetBytes(values[i]);
                Array.Reverse(b);
                Array.Copy(b, 0, raw, (long)i * 4, 4);
            }
        }
        return new Tensor(DataType.Float, new[] { values.Length }, raw);
    }
}
