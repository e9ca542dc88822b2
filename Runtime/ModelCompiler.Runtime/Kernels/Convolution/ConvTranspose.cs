using System;
using System.ComponentModel;
using System.Numerics.Tensors;

namespace ModelCompiler.Runtime;

/// <summary>
/// Shape and window parameters of a 1-D, 2-D or 3-D transposed convolution. Spatial dims fill from the
/// right (a 2-D one has depth 1, a 1-D one also height 1). padFront/padTop/padLeft are the begin pads the
/// ONNX op removes from the full output (they may be negative when output_shape asks for a larger output).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct ConvTransposeGeometry(
    int batch, int inChannels, int inDepth, int inHeight, int inWidth,
    int outChannels, int outDepth, int outHeight, int outWidth, int groups,
    int kernelDepth, int kernelHeight, int kernelWidth,
    int strideDepth, int strideHeight, int strideWidth,
    int padFront, int padTop, int padLeft,
    int dilationDepth, int dilationHeight, int dilationWidth);

/// <summary>Transposed convolution (NC[D][H]W, float32). The weight is [inChannels, outChannels / groups, kD, kH, kW].</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ConvTranspose
{
    /// <summary>
    /// Scatter form: every input element, times every kernel tap, adds to output position
    /// i * stride + k * dilation - pad. Rows are processed at once, clipped so the inner loop has no bounds checks.
    /// Bias is optional (an empty span).
    /// </summary>
    public static void Run(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, in ConvTransposeGeometry g)
    {
        int cg = g.inChannels / g.groups, mg = g.outChannels / g.groups;
        int inPlane = g.inDepth * g.inHeight * g.inWidth, outPlane = g.outDepth * g.outHeight * g.outWidth;
        int kSize = g.kernelDepth * g.kernelHeight * g.kernelWidth;
        for (int n = 0; n < g.batch; n++)
        {
            for (int oc = 0; oc < g.outChannels; oc++)
                y.Slice((n * g.outChannels + oc) * outPlane, outPlane).Fill(bias.IsEmpty ? 0f : bias[oc]);

            for (int ic = 0; ic < g.inChannels; ic++)
            {
                int grp = ic / cg;
                ReadOnlySpan<float> xPlane = x.Slice((n * g.inChannels + ic) * inPlane, inPlane);
                for (int m = 0; m < mg; m++)
                {
                    int oc = grp * mg + m;
                    Span<float> yPlane = y.Slice((n * g.outChannels + oc) * outPlane, outPlane);
                    ReadOnlySpan<float> wk = w.Slice((ic * mg + m) * kSize, kSize);
                    for (int kd = 0; kd < g.kernelDepth; kd++)
                    for (int kh = 0; kh < g.kernelHeight; kh++)
                    for (int kw = 0; kw < g.kernelWidth; kw++)
                    {
                        float wv = wk[(kd * g.kernelHeight + kh) * g.kernelWidth + kw];
                        int colOffset = kw * g.dilationWidth - g.padLeft;
                        // Input columns iw whose output column iw * stride + colOffset lies inside [0, outWidth).
                        int iwStart = colOffset >= 0 ? 0 : (-colOffset + g.strideWidth - 1) / g.strideWidth;
                        int last = g.outWidth - 1 - colOffset;
                        int iwEnd = last < 0 ? 0 : Math.Min(g.inWidth, last / g.strideWidth + 1);
                        if (iwEnd <= iwStart) continue;
                        int count = iwEnd - iwStart;
                        for (int id = 0; id < g.inDepth; id++)
                        {
                            int od = id * g.strideDepth + kd * g.dilationDepth - g.padFront;
                            if ((uint)od >= (uint)g.outDepth) continue;
                            for (int ih = 0; ih < g.inHeight; ih++)
                            {
                                int oh = ih * g.strideHeight + kh * g.dilationHeight - g.padTop;
                                if ((uint)oh >= (uint)g.outHeight) continue;
                                ReadOnlySpan<float> xRow = xPlane.Slice((id * g.inHeight + ih) * g.inWidth + iwStart, count);
                                int ow0 = iwStart * g.strideWidth + colOffset;
                                Span<float> yRow = yPlane.Slice((od * g.outHeight + oh) * g.outWidth, g.outWidth);
                                if (g.strideWidth == 1)
                                {
                                    Span<float> dst = yRow.Slice(ow0, count);
                                    TensorPrimitives.MultiplyAdd(xRow, wv, dst, dst);
                                }
                                else
                                {
                                    for (int j = 0, ow = ow0; j < count; j++, ow += g.strideWidth) yRow[ow] += wv * xRow[j];
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
