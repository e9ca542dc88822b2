using System;
using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;

namespace ModelCompiler.Runtime;

/// <summary>
/// Shape and window of a 1-D, 2-D or 3-D pooling over NC[D][H]W tensors. Spatial dims fill from the
/// right: a 2-D pool has depth 1 (kernel 1, stride 1, pad 0, dilation 1), a 1-D pool also height 1.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct PoolGeometry(
    int batch, int channels,
    int inDepth, int inHeight, int inWidth,
    int outDepth, int outHeight, int outWidth,
    int kernelDepth, int kernelHeight, int kernelWidth,
    int strideDepth, int strideHeight, int strideWidth,
    int padFront, int padTop, int padLeft,
    int padBack, int padBottom, int padRight,
    int dilationDepth, int dilationHeight, int dilationWidth);

/// <summary>Max, average and global pooling (NC[D][H]W).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Pool
{
    /// <summary>
    /// The kernel taps [first, end) of a window starting at input position <paramref name="start"/> that
    /// fall inside [0, size): tap k reads position start + k * dilation.
    /// </summary>
    private static void Taps(int start, int kernel, int dilation, int size, out int first, out int end)
    {
        first = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
        int last = size - 1 - start; // the largest offset k * dilation that stays inside
        end = last < 0 ? 0 : Math.Min(kernel, last / dilation + 1);
        if (end < first) end = first;
    }

    /// <summary>
    /// MaxPool: the largest element of each window; padding never wins. When <paramref name="indices"/> is not
    /// empty it receives, per output, the flat index (over the whole input, N and C included) of the first
    /// maximum in window order; <paramref name="columnMajor"/> (storage_order 1) numbers the spatial
    /// position column-major, the first spatial axis varying fastest (2-D: h + w * H; 3-D: d + h * D + w * D * H).
    /// A window lying entirely in the padding yields T.MinValue.
    /// </summary>
    public static void MaxPool<T>(ReadOnlySpan<T> x, Span<T> y, Span<long> indices, in PoolGeometry g, bool columnMajor)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        int inPlane = g.inDepth * g.inHeight * g.inWidth, outPlane = g.outDepth * g.outHeight * g.outWidth;
        bool wantIndices = !indices.IsEmpty;
        int planes = g.batch * g.channels;
        for (int p = 0; p < planes; p++)
        {
            ReadOnlySpan<T> xp = x.Slice(p * inPlane, inPlane);
            int o = p * outPlane;
            for (int od = 0; od < g.outDepth; od++)
            {
                int d0 = od * g.strideDepth - g.padFront;
                Taps(d0, g.kernelDepth, g.dilationDepth, g.inDepth, out int kd0, out int kd1);
                for (int oh = 0; oh < g.outHeight; oh++)
                {
                    int h0 = oh * g.strideHeight - g.padTop;
                    Taps(h0, g.kernelHeight, g.dilationHeight, g.inHeight, out int kh0, out int kh1);
                    for (int ow = 0; ow < g.outWidth; ow++, o++)
                    {
                        int w0 = ow * g.strideWidth - g.padLeft;
                        Taps(w0, g.kernelWidth, g.dilationWidth, g.inWidth, out int kw0, out int kw1);
                        T best = T.MinValue;
                        int bestD = -1, bestH = -1, bestW = -1;
                        bool found = false;
                        for (int kd = kd0; kd < kd1; kd++)
                        {
                            int id = d0 + kd * g.dilationDepth;
                            for (int kh = kh0; kh < kh1; kh++)
                            {
                                int ih = h0 + kh * g.dilationHeight;
                                int rowBase = (id * g.inHeight + ih) * g.inWidth;
                                for (int kw = kw0; kw < kw1; kw++)
                                {
                                    int iw = w0 + kw * g.dilationWidth;
                                    T v = xp[rowBase + iw];
                                    if (!found || v > best)
                                    {
                                        best = v;
                                        bestD = id; bestH = ih; bestW = iw;
                                        found = true;
                                    }
                                }
                            }
                        }
                        y[o] = best;
                        if (wantIndices)
                        {
                            long spatial = !found ? 0
                                : columnMajor ? bestD + (long)bestH * g.inDepth + (long)bestW * g.inDepth * g.inHeight
                                : ((long)bestD * g.inHeight + bestH) * g.inWidth + bestW;
                            indices[o] = (long)p * inPlane + spatial;
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// AveragePool (float32). With <paramref name="countIncludePad"/> the divisor counts the taps inside the
    /// explicitly padded input [-padBegin, size + padEnd) (padding reads as zeros); taps beyond it, which
    /// ceil_mode's last window may have, count as in PyTorch and the ONNX reference: not at all. Otherwise only
    /// taps inside the input are counted.
    /// </summary>
    public static void AveragePool(ReadOnlySpan<float> x, Span<float> y, in PoolGeometry g, bool countIncludePad)
    {
        int inPlane = g.inDepth * g.inHeight * g.inWidth, outPlane = g.outDepth * g.outHeight * g.outWidth;
        int planes = g.batch * g.channels;
        for (int p = 0; p < planes; p++)
        {
            ReadOnlySpan<float> xp = x.Slice(p * inPlane, inPlane);
            int o = p * outPlane;
            for (int od = 0; od < g.outDepth; od++)
            {
                int d0 = od * g.strideDepth - g.padFront;
                Taps(d0, g.kernelDepth, g.dilationDepth, g.inDepth, out int kd0, out int kd1);
                int paddedD = PaddedTaps(d0 + g.padFront, g.kernelDepth, g.dilationDepth, g.padFront + g.inDepth + g.padBack);
                for (int oh = 0; oh < g.outHeight; oh++)
                {
                    int h0 = oh * g.strideHeight - g.padTop;
                    Taps(h0, g.kernelHeight, g.dilationHeight, g.inHeight, out int kh0, out int kh1);
                    int paddedH = PaddedTaps(h0 + g.padTop, g.kernelHeight, g.dilationHeight, g.padTop + g.inHeight + g.padBottom);
                    for (int ow = 0; ow < g.outWidth; ow++, o++)
                    {
                        int w0 = ow * g.strideWidth - g.padLeft;
                        Taps(w0, g.kernelWidth, g.dilationWidth, g.inWidth, out int kw0, out int kw1);
                        float sum = 0;
                        for (int kd = kd0; kd < kd1; kd++)
                        {
                            int id = d0 + kd * g.dilationDepth;
                            for (int kh = kh0; kh < kh1; kh++)
                            {
                                int ih = h0 + kh * g.dilationHeight;
                                int rowBase = (id * g.inHeight + ih) * g.inWidth + w0;
                                for (int kw = kw0; kw < kw1; kw++) sum += xp[rowBase + kw * g.dilationWidth];
                            }
                        }
                        int count = countIncludePad
                            ? paddedD * paddedH * PaddedTaps(w0 + g.padLeft, g.kernelWidth, g.dilationWidth, g.padLeft + g.inWidth + g.padRight)
                            : (kd1 - kd0) * (kh1 - kh0) * (kw1 - kw0);
                        y[o] = sum / count;
                    }
                }
            }
        }
    }

    /// <summary>How many taps of a window starting at <paramref name="start"/> lie inside [0, size).</summary>
    private static int PaddedTaps(int start, int kernel, int dilation, int size)
    {
        Taps(start, kernel, dilation, size, out int first, out int end);
        return end - first;
    }

    /// <summary>GlobalAveragePool: the mean of each of the <paramref name="planes"/> (N*C) planes of <paramref name="size"/> elements.</summary>
    public static void GlobalAveragePool(ReadOnlySpan<float> x, Span<float> y, int planes, int size)
    {
        for (int p = 0; p < planes; p++) y[p] = TensorPrimitives.Sum(x.Slice(p * size, size)) / size;
    }

    /// <summary>GlobalMaxPool: the maximum of each of the <paramref name="planes"/> (N*C) planes of <paramref name="size"/> elements.</summary>
    public static void GlobalMaxPool<T>(ReadOnlySpan<T> x, Span<T> y, int planes, int size) where T : INumber<T>
    {
        for (int p = 0; p < planes; p++) y[p] = TensorPrimitives.Max(x.Slice(p * size, size));
    }
}
