using System;
#if !MODELCOMPILER_GENERATOR
using System.ComponentModel;
#endif

#if MODELCOMPILER_GENERATOR
namespace ModelCompiler.Contract;
#else
namespace ModelCompiler.Runtime;
#endif

/// <summary>
/// The packed weight layouts of <c>PackedConv</c> (panels of <see cref="PanelRows"/> output channels) and
/// <c>PackedGemm</c> (strips of <see cref="StripWidth"/> columns). One definition for both sides: the generator
/// packs float32 weights with it at build time; generated code calls it at run time (on first use) for weights the
/// assembly stores compactly (float16, quantized integers), after decoding them (<c>DecodedWeights</c>), so the
/// assembly carries neither float32 copies nor padding; the kernels read the layout it describes.
/// </summary>
#if MODELCOMPILER_GENERATOR
internal
#else
[EditorBrowsable(EditorBrowsableState.Never)]
public
#endif
static partial class WeightLayouts
{
    /// <summary>Output channels per convolution weight panel (the AVX-512 micro-kernel's 8 rows).</summary>
    public const int PanelRows = 8;

    /// <summary>Columns per packed strip of a matrix product's B: one AVX-512 vector, two AVX ones, four NEON/SSE ones.</summary>
    public const int StripWidth = 16;

    /// <summary>Floats of the packed weights of a convolution with these sizes.</summary>
    public static long ConvPanelsLength(int outChannels, int groups, int kPerGroup)
    {
        int mg = outChannels / groups;
        return (long)groups * ((mg + PanelRows - 1) / PanelRows) * kPerGroup * PanelRows;
    }

    /// <summary>
    /// Convolution weights [M][K] (ONNX's [M][C/group][kh][kw], K = C/group * kh * kw) as [group][panel][K][8]:
    /// panel p of a group holds its output channels 8p..8p+7 interleaved per k, zero past the group's last one.
    /// </summary>
    public static float[] ConvPanels(float[] w, int outChannels, int groups, int kPerGroup)
    {
        const int rows = PanelRows;
        int mg = outChannels / groups, panels = (mg + rows - 1) / rows;
        if ((long)outChannels * kPerGroup != w.Length) throw new ArgumentException("weights do not match the convolution's sizes", nameof(w));
        var packed = new float[ConvPanelsLength(outChannels, groups, kPerGroup)];
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

    /// <summary>n rounded up to whole strips.</summary>
    public static int PaddedColumns(int n) => (n + StripWidth - 1) / StripWidth * StripWidth;

    /// <summary>Floats of a packed k x n B.</summary>
    public static long GemmStripsLength(int k, int n) => (long)PaddedColumns(n) * k;

    /// <summary>
    /// B (k x n, or n x k when <paramref name="transposed"/>) as strips of <see cref="StripWidth"/> columns,
    /// [n / 16][k][16], zero-padded to whole strips.
    /// </summary>
    public static float[] GemmStrips(float[] b, int k, int n, bool transposed) => GemmStrips(b, k, n, transposed, 1f);

    /// <summary><see cref="GemmStrips(float[], int, int, bool)"/> times <paramref name="scale"/> (Gemm's alpha, folded in at build time).</summary>
    public static float[] GemmStrips(float[] b, int k, int n, bool transposed, float scale)
    {
        const int width = StripWidth;
        if ((long)k * n != b.Length) throw new ArgumentException("weights do not match the product's sizes", nameof(b));
        int strips = (n + width - 1) / width;
        var packed = new float[GemmStripsLength(k, n)];
        for (int s = 0; s < strips; s++)
            for (int p = 0; p < k; p++)
            {
                long row = ((long)s * k + p) * width;
                for (int j = 0; j < width && s * width + j < n; j++)
                {
                    int col = s * width + j;
                    float v = transposed ? b[(long)col * k + p] : b[(long)p * n + col];
                    packed[row + j] = scale == 1f ? v : v * scale;
                }
            }
        return packed;
    }

    /// <summary>A per-column vector (a matrix product's bias) zero-padded to whole strips.</summary>
    public static float[] PadColumns(float[] values, int n)
    {
        var padded = new float[PaddedColumns(n)];
        Array.Copy(values, padded, n);
        return padded;
    }
}
