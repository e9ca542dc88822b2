using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace ModelCompiler.Runtime;

/// <summary>
/// Sampling at computed positions: ONNX GridSample (2-D and 3-D), AffineGrid, DeformConv, Col2Im and
/// MaxUnpool. Coordinates and interpolation weights are float32, as in ONNX Runtime and ONNX's reference.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class Sampling
{
    /// <summary>GridSample's mode: 0 nearest, 1 (bi/tri)linear, 2 bicubic (2-D only).</summary>
    public const int Nearest = 0, Linear = 1, Cubic = 2;

    /// <summary>GridSample's padding_mode: 0 zeros, 1 border, 2 reflection.</summary>
    public const int Zeros = 0, Border = 1, Reflection = 2;

    /// <summary>
    /// GridSample over X [batch, channels, height, width] (depth 1) or [batch, channels, depth, height, width]:
    /// grid [batch, (outDepth,) outHeight, outWidth, 2 or 3] holds normalized (x, y[, z]) in [-1, 1]; y is
    /// [batch, channels, (outDepth,) outHeight, outWidth]. Out-of-range positions read zeros, the border, or are
    /// reflected, as <paramref name="padding"/> says.
    /// </summary>
    public static void GridSample(ReadOnlySpan<float> x, ReadOnlySpan<float> grid, Span<float> y,
        int batch, int channels, int depth, int height, int width, int outPoints, bool volumetric, int mode, int padding, bool alignCorners)
    {
        int plane = depth * height * width, components = volumetric ? 3 : 2;
        var geometry = new Geometry(depth, height, width, padding, alignCorners);
        for (int n = 0; n < batch; n++)
            for (int p = 0; p < outPoints; p++)
            {
                int g = (n * outPoints + p) * components;
                float sx = geometry.Coordinate(grid[g], width, mode);
                float sy = geometry.Coordinate(grid[g + 1], height, mode);
                float sz = volumetric ? geometry.Coordinate(grid[g + 2], depth, mode) : 0;
                for (int c = 0; c < channels; c++)
                {
                    ReadOnlySpan<float> xp = x.Slice((n * channels + c) * plane, plane);
                    y[(n * channels + c) * outPoints + p] = mode switch
                    {
                        Nearest => geometry.Pixel(xp, (int)sx, (int)sy, (int)sz),
                        Linear => volumetric ? geometry.Trilinear(xp, sx, sy, sz) : geometry.Bilinear(xp, sx, sy),
                        _ => geometry.Bicubic(xp, sx, sy),
                    };
                }
            }
    }

    /// <summary>What GridSample needs to turn normalized coordinates into pixels of one plane.</summary>
    private readonly struct Geometry
    {
        private readonly int _depth, _height, _width, _padding;
        private readonly bool _align;

        public Geometry(int depth, int height, int width, int padding, bool alignCorners)
        {
            _depth = depth;
            _height = height;
            _width = width;
            _padding = padding;
            _align = alignCorners;
        }

        private float Min(int size) => _align ? 0f : -0.5f;
        private float Max(int size) => _align ? size - 1f : size - 0.5f;

        /// <summary>
        /// The unnormalized coordinate along an axis of <paramref name="size"/>, rounded (nearest) and moved inside
        /// (border, reflection) as ONNX's reference does; for nearest and linear that gives what moving only the
        /// taps gives. Cubic keeps the position and moves only its taps, as ONNX Runtime and PyTorch do (ONNX's
        /// reference clamps it too, which differs at the border; its tests only cover zeros padding there).
        /// </summary>
        public float Coordinate(float normalized, int size, int mode)
        {
            float v = _align ? (normalized + 1) / 2f * (size - 1) : ((normalized + 1) * size - 1) / 2f;
            if (mode == Nearest) v = MathF.Round(v, MidpointRounding.ToEven);
            if (mode != Cubic && (v < Min(size) || v > Max(size)))
            {
                if (_padding == Border) v = Math.Clamp(v, 0, size - 1);
                else if (_padding == Reflection) v = Reflect(v, Min(size), Max(size));
            }
            return v;
        }

        private static float Reflect(float v, float min, float max)
        {
            float range = max - min;
            if (v < min)
            {
                float d = min - v;
                int k = (int)(d / range);
                float r = d - k * range;
                return k % 2 == 0 ? min + r : max - r;
            }
            if (v > max)
            {
                float d = v - max;
                int k = (int)(d / range);
                float r = d - k * range;
                return k % 2 == 0 ? max - r : min + r;
            }
            return v;
        }

        /// <summary>An integer position along an axis, or -1 when it reads zero padding.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private int Index(int i, int size)
        {
            if ((uint)i < (uint)size) return i;
            return _padding switch
            {
                Border => Math.Clamp(i, 0, size - 1),
                Reflection => (int)Reflect(i, Min(size), Max(size)),
                _ => -1,
            };
        }

        public float Pixel(ReadOnlySpan<float> plane, int ix, int iy, int iz)
        {
            int x = Index(ix, _width), y = Index(iy, _height), z = Index(iz, _depth);
            return x < 0 || y < 0 || z < 0 ? 0f : plane[(z * _height + y) * _width + x];
        }

        public float Bilinear(ReadOnlySpan<float> plane, float x, float y) => PlaneBilinear(plane, x, y, 0);

        public float Trilinear(ReadOnlySpan<float> volume, float x, float y, float z)
        {
            int z0 = (int)MathF.Floor(z);
            float fz = z - z0;
            return (1 - fz) * PlaneBilinear(volume, x, y, z0) + fz * PlaneBilinear(volume, x, y, z0 + 1);
        }

        private float PlaneBilinear(ReadOnlySpan<float> volume, float x, float y, int z)
        {
            int x0 = (int)MathF.Floor(x), y0 = (int)MathF.Floor(y);
            float fx = x - x0, fy = y - y0;
            float top = (1 - fx) * Pixel(volume, x0, y0, z) + fx * Pixel(volume, x0 + 1, y0, z);
            float bottom = (1 - fx) * Pixel(volume, x0, y0 + 1, z) + fx * Pixel(volume, x0 + 1, y0 + 1, z);
            return (1 - fy) * top + fy * bottom;
        }

        public float Bicubic(ReadOnlySpan<float> plane, float x, float y)
        {
            int x0 = (int)MathF.Floor(x), y0 = (int)MathF.Floor(y);
            Span<float> cx = stackalloc float[4], cy = stackalloc float[4];
            CubicCoefficients(x - x0, cx);
            CubicCoefficients(y - y0, cy);
            float sum = 0;
            for (int j = 0; j < 4; j++)
            {
                float row = 0;
                for (int i = 0; i < 4; i++) row += cx[i] * Pixel(plane, x0 - 1 + i, y0 - 1 + j, 0);
                sum += cy[j] * row;
            }
            return sum;
        }

        /// <summary>Keys' cubic convolution weights (A = -0.75) of the 4 taps around a point at fraction t.</summary>
        private static void CubicCoefficients(float t, Span<float> c)
        {
            const float A = -0.75f;
            float x = t + 1;
            c[0] = ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
            c[1] = ((A + 2) * t - (A + 3)) * t * t + 1;
            x = 1 - t;
            c[2] = ((A + 2) * x - (A + 3)) * x * x + 1;
            x = 2 - t;
            c[3] = ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
        }
    }

    /// <summary>
    /// AffineGrid: for each batch entry, theta [2, 3] (or [3, 4] when <paramref name="volumetric"/>) maps the base
    /// grid's normalized (x, y[, z], 1) to the output grid [batch, (depth,) height, width, 2 or 3]. Base coordinates:
    /// -1 + 2i / (size - 1) with <paramref name="alignCorners"/>, else -1 + (2i + 1) / size (computed in double).
    /// </summary>
    public static void AffineGrid(ReadOnlySpan<float> theta, Span<float> grid, int batch, int depth, int height, int width, bool volumetric, bool alignCorners)
    {
        int dims = volumetric ? 3 : 2, cols = dims + 1;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> t = theta.Slice(n * dims * cols, dims * cols);
            int o = n * depth * height * width * dims;
            for (int d = 0; d < depth; d++)
            {
                double z = Base(d, depth, alignCorners);
                for (int h = 0; h < height; h++)
                {
                    double yv = Base(h, height, alignCorners);
                    for (int w = 0; w < width; w++)
                    {
                        double xv = Base(w, width, alignCorners);
                        for (int r = 0; r < dims; r++, o++)
                        {
                            double v = t[r * cols] * xv + t[r * cols + 1] * yv + t[r * cols + dims];
                            if (volumetric) v += t[r * cols + 2] * z;
                            grid[o] = (float)v;
                        }
                    }
                }
            }
        }
    }

    private static double Base(int i, int size, bool alignCorners)
    {
        if (alignCorners) return size == 1 ? -1 : -1 + i * (2.0 / (size - 1));
        double step = 2.0 / size;
        return -1 + step / 2 + i * step;
    }
}
