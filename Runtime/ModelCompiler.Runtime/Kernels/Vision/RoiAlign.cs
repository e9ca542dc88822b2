using System;

namespace ModelCompiler.Runtime;

public static partial class Detection
{
    /// <summary>
    /// ONNX RoiAlign: for each region (rois [count, 4] as x1, y1, x2, y2 in input coordinates times
    /// <paramref name="spatialScale"/>, on the image batchIndices[r]), an outHeight x outWidth grid of bins, each the
    /// average (or, with <paramref name="maxMode"/>, the largest weighted corner) of samplingRatio² bilinear samples
    /// (ceil(bin size) per axis when samplingRatio is 0). <paramref name="halfPixel"/> shifts by -0.5 pixel
    /// (coordinate_transformation_mode half_pixel); otherwise regions are at least 1x1. As ONNX Runtime, in float32.
    /// </summary>
    public static void RoiAlign<TIndex>(ReadOnlySpan<float> x, ReadOnlySpan<float> rois, ReadOnlySpan<TIndex> batchIndices, Span<float> y,
        int batch, int channels, int height, int width, int outHeight, int outWidth, int samplingRatio, float spatialScale, bool maxMode, bool halfPixel)
        where TIndex : System.Numerics.IBinaryInteger<TIndex>
    {
        int count = batchIndices.Length, plane = height * width;
        float offset = halfPixel ? 0.5f : 0f;
        for (int r = 0; r < count; r++)
        {
            int image = IndexChecks.Normalize(batchIndices[r], batch, "RoiAlign batch");
            float startW = rois[r * 4] * spatialScale - offset, startH = rois[r * 4 + 1] * spatialScale - offset;
            float endW = rois[r * 4 + 2] * spatialScale - offset, endH = rois[r * 4 + 3] * spatialScale - offset;
            float roiW = endW - startW, roiH = endH - startH;
            if (!halfPixel)
            {
                roiW = Math.Max(roiW, 1f);
                roiH = Math.Max(roiH, 1f);
            }
            float binH = roiH / outHeight, binW = roiW / outWidth;
            int gridH = samplingRatio > 0 ? samplingRatio : (int)MathF.Ceiling(roiH / outHeight);
            int gridW = samplingRatio > 0 ? samplingRatio : (int)MathF.Ceiling(roiW / outWidth);
            float samples = Math.Max(gridH * gridW, 1);
            for (int c = 0; c < channels; c++)
            {
                ReadOnlySpan<float> xp = x.Slice((image * channels + c) * plane, plane);
                int o = ((r * channels) + c) * outHeight * outWidth;
                for (int ph = 0; ph < outHeight; ph++)
                    for (int pw = 0; pw < outWidth; pw++, o++)
                    {
                        float acc = 0;
                        bool first = true;
                        for (int iy = 0; iy < gridH; iy++)
                        {
                            float sy = startH + ph * binH + (iy + 0.5f) * binH / gridH;
                            for (int ix = 0; ix < gridW; ix++)
                            {
                                float sx = startW + pw * binW + (ix + 0.5f) * binW / gridW;
                                float v = Sample(xp, height, width, sy, sx, maxMode);
                                if (!maxMode) acc += v;
                                else if (first || v > acc) acc = v;
                                first = false;
                            }
                        }
                        y[o] = maxMode ? acc : acc / samples;
                    }
            }
        }
    }

    /// <summary>
    /// One bilinear sample (0 outside [-1, size]); in max mode the largest of the four weighted corners, as
    /// ONNX Runtime and ONNX's reference compute it.
    /// </summary>
    private static float Sample(ReadOnlySpan<float> plane, int height, int width, float y, float x, bool maxMode)
    {
        if (y < -1f || y > height || x < -1f || x > width) return 0f;
        y = Math.Max(y, 0f);
        x = Math.Max(x, 0f);
        int y0 = (int)y, x0 = (int)x, y1, x1;
        if (y0 >= height - 1) { y1 = y0 = height - 1; y = y0; } else y1 = y0 + 1;
        if (x0 >= width - 1) { x1 = x0 = width - 1; x = x0; } else x1 = x0 + 1;
        float ly = y - y0, lx = x - x0, hy = 1f - ly, hx = 1f - lx;
        float a = hy * hx * plane[y0 * width + x0], b = hy * lx * plane[y0 * width + x1];
        float c = ly * hx * plane[y1 * width + x0], d = ly * lx * plane[y1 * width + x1];
        return maxMode ? Math.Max(Math.Max(a, b), Math.Max(c, d)) : a + b + c + d;
    }
}
