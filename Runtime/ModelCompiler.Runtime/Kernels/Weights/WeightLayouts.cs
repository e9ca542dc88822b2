using System;
using System.ComponentModel;

namespace ModelCompiler.Runtime;

/// <summary>
/// The packed weight layouts of <see cref="PackedConv"/> and <see cref="PackedGemm"/>, built at run time for
/// weights the assembly stores compactly (float16, quantized integers): the blob keeps the narrow values in
/// ONNX order, and on first use they are decoded (<see cref="DecodedWeights"/>) and rearranged here, so the
/// assembly carries neither float32 copies nor padding. The generator packs float32 weights the same way at
/// build time; a test checks that both give the same layout.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class WeightLayouts
{
    /// <summary>
    /// Convolution weights [M][K] (ONNX's [M][C/group][kh][kw], K = C/group * kh * kw) as [group][panel][K][8]:
    /// panel p of a group holds its output channels 8p..8p+7 interleaved per k, zero past the group's last one.
    /// </summary>
    public static float[] ConvPanels(float[] w, int outChannels, int groups, int kPerGroup)
    {
        const int rows = PackedConv.PanelRows;
        int mg = outChannels / groups, panels = (mg + rows - 1) / rows;
        if ((long)outChannels * kPerGroup != w.Length) throw new ArgumentException("weights do not match the convolution's sizes", nameof(w));
        var packed = new float[PackedConv.PackedLength(outChannels, groups, kPerGroup)];
        for (int g = 0; g < groups; g++)
            for (int p = 0; p < panels; p++)
            {
                long panelStart = ((long)g * panels + p) * kPerGroup * rows;
                for (int r = 0; r < rows && p * rows + r < mg; r++)
                {
                    long source = ((long)g * mg + p * rows + r) * kPerGroup;
                    for (int k = 0; k < kPerGroup; k++) packed[panelStart + (long)k * rows + r] = w[source + k];
                }
            }
        return packed;
    }

    /// <summary>
    /// B (k x n, or n x k when <paramref name="transposed"/>) as strips of <see cref="PackedGemm.StripWidth"/>
    /// columns, [n / 16][k][16], zero-padded to whole strips.
    /// </summary>
    public static float[] GemmStrips(float[] b, int k, int n, bool transposed)
    {
        const int width = PackedGemm.StripWidth;
        if ((long)k * n != b.Length) throw new ArgumentException("weights do not match the product's sizes", nameof(b));
        int strips = (n + width - 1) / width;
        var packed = new float[PackedGemm.PackedLength(k, n)];
        for (int s = 0; s < strips; s++)
            for (int p = 0; p < k; p++)
            {
                long row = ((long)s * k + p) * width;
                for (int j = 0; j < width && s * width + j < n; j++)
                {
                    int col = s * width + j;
                    packed[row + j] = transposed ? b[(long)col * k + p] : b[(long)p * n + col];
                }
            }
        return packed;
    }
}
