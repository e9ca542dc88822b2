using System;

#if MODELCOMPILER_GENERATOR
namespace ModelCompiler.Contract;
#else
namespace ModelCompiler.Runtime;
#endif

static partial class WeightLayouts
{
    /// <summary>G of F(2x2, 3x3) (4x3), row-major: the kernel's values at the interpolation points 0, 1, -1 and ∞.</summary>
    private static readonly double[] s_g2 = { 1, 0, 0, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0, 0, 1 };

    /// <summary>G of F(4x4, 3x3) (6x3), row-major: points 0, 1, -1, 2, -2 and ∞.</summary>
    private static readonly double[] s_g4 =
    {
        1.0 / 4, 0, 0,
        -1.0 / 6, -1.0 / 6, -1.0 / 6,
        -1.0 / 6, 1.0 / 6, -1.0 / 6,
        1.0 / 24, 1.0 / 12, 1.0 / 6,
        1.0 / 24, -1.0 / 12, 1.0 / 6,
        0, 0, 1,
    };

    /// <summary>Floats of Winograd F(m x m, 3 x 3) weights: (m + 2)² points, each a set of conv panels over the input channels.</summary>
    public static long WinogradPanelsLength(int outChannels, int inChannels, int tileSize) =>
        (long)(tileSize + 2) * (tileSize + 2) * ConvPanelsLength(outChannels, 1, inChannels);

    /// <summary>
    /// 3x3 convolution weights [M][C][3][3] transformed for Winograd F(m x m, 3 x 3), m = <paramref name="tileSize"/>
    /// (2 or 4): U = G g Gᵀ per (output, input) channel pair, an (m + 2)² matrix whose points each weigh one matrix
    /// product. Stored as [panel][point][C][8], point (a, b) = (m + 2) a + b: per point a conv panel of
    /// <see cref="ConvPanels"/> with K = C, so each product runs on the packed convolution's micro-kernel, and the points
    /// of one 8-channel panel, which the kernel runs one after the other, in one contiguous stream. Computed in double
    /// and rounded once.
    /// </summary>
    public static float[] WinogradPanels(float[] w, int outChannels, int inChannels, int tileSize)
    {
        if ((long)outChannels * inChannels * 9 != w.Length) throw new ArgumentException("weights do not match the convolution's sizes", nameof(w));
        if (tileSize != 2 && tileSize != 4) throw new ArgumentException("Winograd tiles are 2x2 or 4x4", nameof(tileSize));
        double[] g = tileSize == 2 ? s_g2 : s_g4;
        int alpha = tileSize + 2, points = alpha * alpha;
        int panels = (outChannels + PanelRows - 1) / PanelRows;
        long panelLength = (long)inChannels * PanelRows;
        var packed = new float[(long)points * panels * panelLength];
        double[] t = new double[alpha * 3], u = new double[points];
        for (int m = 0; m < outChannels; m++)
            for (int c = 0; c < inChannels; c++)
            {
                long start = ((long)m * inChannels + c) * 9;
                // t = G k (alpha x 3), then u = t Gᵀ (alpha x alpha).
                for (int i = 0; i < alpha; i++)
                    for (int col = 0; col < 3; col++)
                        t[3 * i + col] = g[3 * i] * w[start + col] + g[3 * i + 1] * w[start + 3 + col] + g[3 * i + 2] * w[start + 6 + col];
                for (int i = 0; i < alpha; i++)
                    for (int j = 0; j < alpha; j++)
                        u[alpha * i + j] = t[3 * i] * g[3 * j] + t[3 * i + 1] * g[3 * j + 1] + t[3 * i + 2] * g[3 * j + 2];
                long at = (long)(m / PanelRows) * points * panelLength + (long)c * PanelRows + m % PanelRows;
                for (int point = 0; point < points; point++) packed[at + point * panelLength] = (float)u[point];
            }
        return packed;
    }
}
