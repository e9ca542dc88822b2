using System;
using ModelCompiler.Runtime;

namespace ModelCompiler.Tests.Kernels;

/// <summary>
/// References for the float kernel tests, written here from the ONNX operators' definitions and independent of the
/// runtime's own kernels (which are themselves under test): plain loops over every output element, accumulating in
/// double. The kernels accumulate in float32 in other orders, hence the tests' float tolerance.
/// </summary>
internal static class ScalarReference
{
    /// <summary>ONNX Conv (NCHW, groups, strides, dilations, zero padding given by the geometry) plus a per-channel bias.</summary>
    public static float[] Conv2D(float[] x, float[] w, float[]? bias, ConvGeometry g)
    {
        int cg = g.inChannels / g.groups, mg = g.outChannels / g.groups;
        var y = new float[g.batch * g.outChannels * g.outHeight * g.outWidth];
        for (int n = 0; n < g.batch; n++)
            for (int m = 0; m < g.outChannels; m++)
                for (int oy = 0; oy < g.outHeight; oy++)
                    for (int ox = 0; ox < g.outWidth; ox++)
                    {
                        double sum = bias is null || bias.Length == 0 ? 0 : bias[m];
                        for (int c = 0; c < cg; c++)
                            for (int ky = 0; ky < g.kernelHeight; ky++)
                                for (int kx = 0; kx < g.kernelWidth; kx++)
                                {
                                    int iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
                                    int ix = ox * g.strideWidth - g.padLeft + kx * g.dilationWidth;
                                    if (iy < 0 || iy >= g.inHeight || ix < 0 || ix >= g.inWidth) continue;
                                    int channel = m / mg * cg + c;
                                    sum += (double)x[((n * g.inChannels + channel) * g.inHeight + iy) * g.inWidth + ix]
                                         * w[((m * cg + c) * g.kernelHeight + ky) * g.kernelWidth + kx];
                                }
                        y[((n * g.outChannels + m) * g.outHeight + oy) * g.outWidth + ox] = (float)sum;
                    }
        return y;
    }

    /// <summary>ONNX Gemm without transA: y[m,n] = alpha * a[m,k] * op(b) + bias[n], op(b) = b[k,n] or (transB) b[n,k] transposed.</summary>
    public static float[] Gemm(float[] a, float[] b, float[]? bias, int m, int n, int k, bool transB, float alpha)
    {
        var y = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++) sum += (double)a[i * k + p] * (transB ? b[j * k + p] : b[p * n + j]);
                y[i * n + j] = (float)(alpha * sum + (bias is null ? 0 : bias[j]));
            }
        return y;
    }

    /// <summary>ONNX MaxPool 2-D (NCHW, batch 1): the largest input in each window; padded positions never win.</summary>
    public static float[] MaxPool(float[] x, int c, int h, int w, int oh, int ow, int kh, int kw, int sh, int sw, int padTop, int padLeft)
    {
        var y = new float[c * oh * ow];
        for (int ch = 0; ch < c; ch++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                {
                    float best = float.NegativeInfinity;
                    for (int ky = 0; ky < kh; ky++)
                        for (int kx = 0; kx < kw; kx++)
                        {
                            int iy = oy * sh - padTop + ky, ix = ox * sw - padLeft + kx;
                            if (iy >= 0 && iy < h && ix >= 0 && ix < w) best = Math.Max(best, x[(ch * h + iy) * w + ix]);
                        }
                    y[(ch * oh + oy) * ow + ox] = best;
                }
        return y;
    }
}
