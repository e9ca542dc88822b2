using System;

#if MODELCOMPILER_GENERATOR
namespace ModelCompiler.Contract;
#else
namespace ModelCompiler.Runtime;
#endif

static partial class WeightLayouts
{
    /// <summary>Floats of Winograd F(2x2, 3x3) weights: 16 points, each a set of conv panels over the input channels.</summary>
    public static long WinogradPanelsLength(int outChannels, int inChannels) => 16L * ConvPanelsLength(outChannels, 1, inChannels);

    /// <summary>
    /// 3x3 convolution weights [M][C][3][3] transformed for Winograd F(2x2, 3x3): U = G g Gᵀ per (output, input)
    /// channel pair, G = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]], a 4x4 matrix whose 16 points each
    /// weigh one matrix product. Stored as [point][panel][C][8]: point (a, b) = 4a + b, and per point the conv panel
    /// layout of <see cref="ConvPanels"/> with K = C, so each product runs on the packed convolution's micro-kernel.
    /// Computed in double and rounded once.
    /// </summary>
    public static float[] WinogradPanels(float[] w, int outChannels, int inChannels)
    {
        if ((long)outChannels * inChannels * 9 != w.Length) throw new ArgumentException("weights do not match the convolution's sizes", nameof(w));
        int panels = (outChannels + PanelRows - 1) / PanelRows;
        long pointLength = (long)panels * inChannels * PanelRows;
        var packed = new float[16 * pointLength];
        double[] u = new double[16], t = new double[12];
        for (int m = 0; m < outChannels; m++)
            for (int c = 0; c < inChannels; c++)
            {
                Transform(w, ((long)m * inChannels + c) * 9, t, u);
                long at = (long)(m / PanelRows) * inChannels * PanelRows + (long)c * PanelRows + m % PanelRows;
                for (int point = 0; point < 16; point++) packed[point * pointLength + at] = (float)u[point];
            }
        return packed;
    }

    /// <summary>u = G g Gᵀ for the 3x3 kernel at w[start..start + 9), row-major, into 16 doubles (t: 12 doubles of work space).</summary>
    private static void Transform(float[] w, long start, double[] t, double[] u)
    {
        // t = G g (4x3), then u = t Gᵀ (4x4). Row k of G applied to a column (x0, x1, x2):
        // x0, (x0 + x1 + x2) / 2, (x0 - x1 + x2) / 2, x2.
        for (int col = 0; col < 3; col++)
        {
            double x0 = w[start + col], x1 = w[start + 3 + col], x2 = w[start + 6 + col];
            t[col] = x0;
            t[3 + col] = (x0 + x1 + x2) / 2;
            t[6 + col] = (x0 - x1 + x2) / 2;
            t[9 + col] = x2;
        }
        for (int row = 0; row < 4; row++)
        {
            double x0 = t[3 * row], x1 = t[3 * row + 1], x2 = t[3 * row + 2];
            u[4 * row] = x0;
            u[4 * row + 1] = (x0 + x1 + x2) / 2;
            u[4 * row + 2] = (x0 - x1 + x2) / 2;
            u[4 * row + 3] = x2;
        }
    }
}
