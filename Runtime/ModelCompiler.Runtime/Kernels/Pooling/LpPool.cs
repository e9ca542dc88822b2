using System;
using System.ComponentModel;

namespace ModelCompiler.Runtime;

/// <summary>ONNX LpPool over NC[D][H]W tensors.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class LpPooling
{
    /// <summary>
    /// ONNX LpPool: (Σ |x|^p)^(1/p) over each window; taps in the padding count as zeros. Windows as for
    /// <see cref="Pool.AveragePool"/> (1-D, 2-D, 3-D, strides, pads, dilations). float32.
    /// </summary>
    public static void LpPool(ReadOnlySpan<float> x, Span<float> y, in PoolGeometry g, int p)
    {
        int inPlane = g.inDepth * g.inHeight * g.inWidth, outPlane = g.outDepth * g.outHeight * g.outWidth;
        int planes = g.batch * g.channels;
        float inverse = 1f / p;
        for (int plane = 0; plane < planes; plane++)
        {
            ReadOnlySpan<float> xp = x.Slice(plane * inPlane, inPlane);
            int o = plane * outPlane;
            for (int od = 0; od < g.outDepth; od++)
            {
                int d0 = od * g.strideDepth - g.padFront;
                for (int oh = 0; oh < g.outHeight; oh++)
                {
                    int h0 = oh * g.strideHeight - g.padTop;
                    for (int ow = 0; ow < g.outWidth; ow++, o++)
                    {
                        int w0 = ow * g.strideWidth - g.padLeft;
                        double sum = 0;
                        for (int kd = 0; kd < g.kernelDepth; kd++)
                        {
                            int id = d0 + kd * g.dilationDepth;
                            if ((uint)id >= (uint)g.inDepth) continue;
                            for (int kh = 0; kh < g.kernelHeight; kh++)
                            {
                                int ih = h0 + kh * g.dilationHeight;
                                if ((uint)ih >= (uint)g.inHeight) continue;
                                for (int kw = 0; kw < g.kernelWidth; kw++)
                                {
                                    int iw = w0 + kw * g.dilationWidth;
                                    if ((uint)iw >= (uint)g.inWidth) continue;
                                    double v = Math.Abs(xp[(id * g.inHeight + ih) * g.inWidth + iw]);
                                    sum += p == 1 ? v : p == 2 ? v * v : Math.Pow(v, p);
                                }
                            }
                        }
                        y[o] = (float)(p == 1 ? sum : p == 2 ? Math.Sqrt(sum) : Math.Pow(sum, inverse));
                    }
                }
            }
        }
    }
}
