using System;

namespace ModelCompiler.Runtime;

public static partial class Sampling
{
    /// <summary>
    /// ONNX DeformConv (2-D): a grouped convolution whose kernel taps read X at their regular position plus a
    /// learned offset (offset [batch, offsetGroups * kh * kw * 2, outH, outW], (dy, dx) per tap), sampled
    /// bilinearly with zeros outside, times the optional mask [batch, offsetGroups * kh * kw, outH, outW]; plus
    /// the optional bias. The sampled taps of one group are gathered into per-thread scratch (im2col), then
    /// multiplied by the weights [outChannels, inChannels / groups, kh, kw].
    /// </summary>
    public static unsafe void DeformConv(ReadOnlySpan<float> x, ReadOnlySpan<float> weights, ReadOnlySpan<float> offset, ReadOnlySpan<float> bias,
        ReadOnlySpan<float> mask, Span<float> y,
        int batch, int inChannels, int height, int width, int outChannels, int outHeight, int outWidth,
        int kernelHeight, int kernelWidth, int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW,
        int groups, int offsetGroups)
    {
        int taps = kernelHeight * kernelWidth, points = outHeight * outWidth;
        int inPerGroup = inChannels / groups, outPerGroup = outChannels / groups, inPerOffsetGroup = inChannels / offsetGroups;
        int rows = inPerGroup * taps;
        var columns = new Span<float>(KernelScratch.Get(KernelScratch.LayerSlot, (long)rows * points * sizeof(float)), rows * points);
        for (int n = 0; n < batch; n++)
            for (int g = 0; g < groups; g++)
            {
                for (int icl = 0; icl < inPerGroup; icl++)
                {
                    int ic = g * inPerGroup + icl, og = ic / inPerOffsetGroup;
                    ReadOnlySpan<float> plane = x.Slice((n * inChannels + ic) * height * width, height * width);
                    for (int t = 0; t < taps; t++)
                    {
                        int ki = t / kernelWidth, kj = t % kernelWidth;
                        int offsetChannel = (n * offsetGroups + og) * taps + t;
                        ReadOnlySpan<float> dy = offset.Slice((offsetChannel * 2) * points, points), dx = offset.Slice((offsetChannel * 2 + 1) * points, points);
                        ReadOnlySpan<float> m = mask.IsEmpty ? default : mask.Slice(offsetChannel * points, points);
                        Span<float> row = columns.Slice((icl * taps + t) * points, points);
                        for (int i = 0, p = 0; i < outHeight; i++)
                            for (int j = 0; j < outWidth; j++, p++)
                            {
                                float sy = i * strideH - padTop + ki * dilationH + dy[p];
                                float sx = j * strideW - padLeft + kj * dilationW + dx[p];
                                float v = BilinearZeros(plane, height, width, sy, sx);
                                row[p] = m.IsEmpty ? v : v * m[p];
                            }
                    }
                }
                for (int ocl = 0; ocl < outPerGroup; ocl++)
                {
                    int oc = g * outPerGroup + ocl;
                    Span<float> outPlane = y.Slice((n * outChannels + oc) * points, points);
                    outPlane.Fill(bias.IsEmpty ? 0f : bias[oc]);
                    ReadOnlySpan<float> w = weights.Slice(oc * rows, rows);
                    for (int k = 0; k < rows; k++)
                        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(columns.Slice(k * points, points), w[k], outPlane, outPlane);
                }
            }
    }

    /// <summary>Bilinear interpolation at (y, x) where pixels outside the plane read 0.</summary>
    private static float BilinearZeros(ReadOnlySpan<float> plane, int height, int width, float y, float x)
    {
        int y0 = (int)MathF.Floor(y), x0 = (int)MathF.Floor(x);
        float fy = y - y0, fx = x - x0;
        float top = (1 - fx) * At(plane, height, width, y0, x0) + fx * At(plane, height, width, y0, x0 + 1);
        float bottom = (1 - fx) * At(plane, height, width, y0 + 1, x0) + fx * At(plane, height, width, y0 + 1, x0 + 1);
        return (1 - fy) * top + fy * bottom;
    }

    private static float At(ReadOnlySpan<float> plane, int height, int width, int y, int x) =>
        (uint)y < (uint)height && (uint)x < (uint)width ? plane[y * width + x] : 0f;

    /// <summary>
    /// ONNX Col2Im: x [batch * channels, prod(block), blocks] (block positions row-major over the blocks grid
    /// <paramref name="blocksPerAxis"/>) is summed back into images y [batch * channels, image...]; taps that land
    /// in the padding are dropped. Any number of spatial axes.
    /// </summary>
    public static void Col2Im(ReadOnlySpan<float> x, Span<float> y, int planes, ReadOnlySpan<int> image, ReadOnlySpan<int> block,
        ReadOnlySpan<int> blocksPerAxis, ReadOnlySpan<int> strides, ReadOnlySpan<int> padsBegin, ReadOnlySpan<int> dilations)
    {
        int rank = image.Length;
        int imageSize = 1, kernelSize = 1, colSize = 1;
        for (int d = 0; d < rank; d++) { imageSize *= image[d]; kernelSize *= block[d]; colSize *= blocksPerAxis[d]; }
        Span<int> tap = stackalloc int[rank], col = stackalloc int[rank];
        y.Clear();
        for (int p = 0; p < planes; p++)
        {
            Span<float> target = y.Slice(p * imageSize, imageSize);
            tap.Clear();
            for (int k = 0; k < kernelSize; k++)
            {
                col.Clear();
                ReadOnlySpan<float> source = x.Slice((p * kernelSize + k) * colSize, colSize);
                for (int c = 0; c < colSize; c++)
                {
                    int at = 0;
                    bool inside = true;
                    for (int d = 0; d < rank && inside; d++)
                    {
                        int i = col[d] * strides[d] - padsBegin[d] + tap[d] * dilations[d];
                        inside = (uint)i < (uint)image[d];
                        at = at * image[d] + i;
                    }
                    if (inside) target[at] += source[c];
                    Step(col, blocksPerAxis);
                }
                Step(tap, block);
            }
        }
    }

    /// <summary>Advances a row-major position over <paramref name="dims"/> (wrapping to all zeros at the end).</summary>
    private static void Step(Span<int> position, ReadOnlySpan<int> dims)
    {
        for (int d = dims.Length - 1; d >= 0; d--)
        {
            if (++position[d] < dims[d]) return;
            position[d] = 0;
        }
    }

    /// <summary>
    /// ONNX MaxUnpool: y is zero except that x[i] goes to the position indices[i] names, a flat index over
    /// [batch, channels, <paramref name="inferred"/>...] (the spatial shape MaxPool's input had, as ONNX's reference
    /// reads it); that position lands at the same coordinates of y [batch, channels, output...], which may be larger.
    /// </summary>
    public static void MaxUnpool<T, TIndex>(ReadOnlySpan<T> x, ReadOnlySpan<TIndex> indices, Span<T> y, ReadOnlySpan<int> inferred, ReadOnlySpan<int> output)
        where TIndex : System.Numerics.IBinaryInteger<TIndex>
    {
        y.Clear();
        int rank = inferred.Length;
        long total = 1;
        for (int d = 0; d < rank; d++) total *= inferred[d];
        for (int i = 0; i < x.Length; i++)
        {
            long flat = long.CreateTruncating(indices[i]);
            if ((ulong)flat >= (ulong)total) IndexChecks.Throw(flat, (int)Math.Min(total, int.MaxValue), "MaxUnpool");
            long at = 0, rest = flat, scale = 1;
            for (int d = rank - 1; d >= 0; d--)
            {
                long coordinate = rest % inferred[d];
                rest /= inferred[d];
                at += coordinate * scale;
                scale *= output[d];
            }
            y[(int)at] = x[i];
        }
    }
}
