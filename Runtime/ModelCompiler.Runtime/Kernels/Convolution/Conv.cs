using System;
using System.ComponentModel;
using System.Numerics.Tensors;

namespace ModelCompiler.Runtime;

/// <summary>Convolution kernels (NCHW and NCDHW, float32).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Conv
{
    /// <summary>
    /// Direct convolution: for every output channel, input channel and kernel tap, adds w * (shifted input
    /// row) to the output row, clipping the window at the padding so no bounds checks remain in the inner
    /// loop. Bias is optional (an empty span).
    /// </summary>
    public static void Conv2D(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, in ConvGeometry g)
    {
        int cg = g.inChannels / g.groups, mg = g.outChannels / g.groups;
        int inPlane = g.inHeight * g.inWidth, outPlane = g.outHeight * g.outWidth;
        int kSize = g.kernelHeight * g.kernelWidth;
        for (int n = 0; n < g.batch; n++)
        {
            for (int oc = 0; oc < g.outChannels; oc++)
            {
                int grp = oc / mg;
                Span<float> yPlane = y.Slice((n * g.outChannels + oc) * outPlane, outPlane);
                yPlane.Fill(bias.IsEmpty ? 0f : bias[oc]);
                for (int ic = 0; ic < cg; ic++)
                {
                    ReadOnlySpan<float> xPlane = x.Slice((n * g.inChannels + grp * cg + ic) * inPlane, inPlane);
                    ReadOnlySpan<float> wk = w.Slice((oc * cg + ic) * kSize, kSize);
                    for (int kh = 0; kh < g.kernelHeight; kh++)
                    {
                        for (int kw = 0; kw < g.kernelWidth; kw++)
                        {
                            float wv = wk[kh * g.kernelWidth + kw];
                            int colOffset = kw * g.dilationWidth - g.padLeft;
                            // Output columns whose input column ow*stride + colOffset lies inside [0, inWidth).
                            int owStart = colOffset >= 0 ? 0 : (-colOffset + g.strideWidth - 1) / g.strideWidth;
                            int last = g.inWidth - 1 - colOffset;
                            int owEnd = last < 0 ? 0 : Math.Min(g.outWidth, last / g.strideWidth + 1);
                            if (owEnd <= owStart) continue;
                            int count = owEnd - owStart;
                            for (int oh = 0; oh < g.outHeight; oh++)
                            {
                                int ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight;
                                if ((uint)ih >= (uint)g.inHeight) continue;
                                Span<float> yRow = yPlane.Slice(oh * g.outWidth + owStart, count);
                                int iw0 = owStart * g.strideWidth + colOffset;
                                ReadOnlySpan<float> xRow = xPlane.Slice(ih * g.inWidth, g.inWidth);
                                if (g.strideWidth == 1)
                                {
                                    TensorPrimitives.MultiplyAdd(xRow.Slice(iw0, count), wv, yRow, yRow);
                                }
                                else
                                {
                                    for (int j = 0, iw = iw0; j < count; j++, iw += g.strideWidth) yRow[j] += wv * xRow[iw];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Direct 3-D convolution, the same scheme as <see cref="Conv2D"/> with a depth loop: each kernel tap adds
    /// w * (shifted input row) to the output rows whose input depth and height lie inside the input.
    /// </summary>
    public static void Conv3D(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, in Conv3DGeometry g)
    {
        int cg = g.inChannels / g.groups, mg = g.outChannels / g.groups;
        int inPlane = g.inHeight * g.inWidth, inVolume = g.inDepth * inPlane;
        int outPlane = g.outHeight * g.outWidth, outVolume = g.outDepth * outPlane;
        int kSize = g.kernelDepth * g.kernelHeight * g.kernelWidth;
        for (int n = 0; n < g.batch; n++)
        {
            for (int oc = 0; oc < g.outChannels; oc++)
            {
                int grp = oc / mg;
                Span<float> yVolume = y.Slice((n * g.outChannels + oc) * outVolume, outVolume);
                yVolume.Fill(bias.IsEmpty ? 0f : bias[oc]);
                for (int ic = 0; ic < cg; ic++)
                {
                    ReadOnlySpan<float> xVolume = x.Slice((n * g.inChannels + grp * cg + ic) * inVolume, inVolume);
                    ReadOnlySpan<float> wk = w.Slice((oc * cg + ic) * kSize, kSize);
                    for (int kd = 0; kd < g.kernelDepth; kd++)
                    for (int kh = 0; kh < g.kernelHeight; kh++)
                    for (int kw = 0; kw < g.kernelWidth; kw++)
                    {
                        float wv = wk[(kd * g.kernelHeight + kh) * g.kernelWidth + kw];
                        int colOffset = kw * g.dilationWidth - g.padLeft;
                        int owStart = colOffset >= 0 ? 0 : (-colOffset + g.strideWidth - 1) / g.strideWidth;
                        int last = g.inWidth - 1 - colOffset;
                        int owEnd = last < 0 ? 0 : Math.Min(g.outWidth, last / g.strideWidth + 1);
                        if (owEnd <= owStart) continue;
                        int count = owEnd - owStart;
                        int iw0 = owStart * g.strideWidth + colOffset;
                        for (int od = 0; od < g.outDepth; od++)
                        {
                            int id = od * g.strideDepth - g.padFront + kd * g.dilationDepth;
                            if ((uint)id >= (uint)g.inDepth) continue;
                            for (int oh = 0; oh < g.outHeight; oh++)
                            {
                                int ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight;
                                if ((uint)ih >= (uint)g.inHeight) continue;
                                Span<float> yRow = yVolume.Slice(od * outPlane + oh * g.outWidth + owStart, count);
                                ReadOnlySpan<float> xRow = xVolume.Slice(id * inPlane + ih * g.inWidth, g.inWidth);
                                if (g.strideWidth == 1)
                                {
                                    TensorPrimitives.MultiplyAdd(xRow.Slice(iw0, count), wv, yRow, yRow);
                                }
                                else
                                {
                                    for (int j = 0, iw = iw0; j < count; j++, iw += g.strideWidth) yRow[j] += wv * xRow[iw];
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
