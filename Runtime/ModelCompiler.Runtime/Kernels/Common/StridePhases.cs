using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelCompiler.Runtime;

/// <summary>
/// The padded-plane layout shared by the depthwise convolution and max pooling kernels. A padded input plane is
/// stored as sh x sw phases (rows and columns split by their remainder modulo the stride), each Wp = ceil(padded
/// width / sw) wide. Output (oh, ow) then reads window tap (kh, kw) at phase (kh mod sh, kw mod sw), position
/// (oh + kh / sh) * Wp + ow + kw / sw: the outputs' anchors oh * Wp + ow are contiguous, so a whole plane is one
/// run of vectors whatever its width and stride. The columns past outWidth are computed and dropped.
/// </summary>
internal unsafe struct StridePhases
{
    /// <summary>Width of a phase row (Wp) and floats per phase.</summary>
    public readonly int PhaseWidth;
    public readonly long PhaseSize;
    /// <summary>Anchors to compute (the last row ends at outWidth), rounded up to whole vectors.</summary>
    public readonly int RunLength, RunPadded;
    /// <summary>Floats the phases take, with room for the last vector's furthest tap (a multiple of 16).</summary>
    public readonly long PlaneFloats;
    private readonly int _strideHeight, _strideWidth, _padTop, _padLeft, _inWidth;

    /// <summary>The layout for one pooling or convolution geometry (dilation 1); <paramref name="offsets"/> receives tap
    /// (kh, kw)'s distance from its output's anchor, at kh * kernelWidth + kw.</summary>
    public StridePhases(int inHeight, int inWidth, int outHeight, int outWidth, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int padTop, int padLeft, int vectorCount, int* offsets)
    {
        int needW = (outWidth - 1) * strideWidth + kernelWidth, needH = (outHeight - 1) * strideHeight + kernelHeight;
        int paddedW = Math.Max(needW, padLeft + inWidth), paddedH = Math.Max(needH, padTop + inHeight);
        PhaseWidth = (paddedW + strideWidth - 1) / strideWidth;
        PhaseSize = (long)PhaseWidth * ((paddedH + strideHeight - 1) / strideHeight);
        RunLength = (outHeight - 1) * PhaseWidth + outWidth;
        RunPadded = (RunLength + vectorCount - 1) / vectorCount * vectorCount;
        int maxOffset = 0;
        for (int kh = 0; kh < kernelHeight; kh++)
            for (int kw = 0; kw < kernelWidth; kw++)
            {
                int o = (int)((kh % strideHeight * strideWidth + kw % strideWidth) * PhaseSize) + kh / strideHeight * PhaseWidth + kw / strideWidth;
                offsets[kh * kernelWidth + kw] = o;
                maxOffset = Math.Max(maxOffset, o);
            }
        // Whole vectors read up to one vector past the last anchor's furthest tap (plus one for a shifted load).
        PlaneFloats = (Math.Max((long)strideHeight * strideWidth * PhaseSize, (long)RunPadded + maxOffset) + 2 * vectorCount + 15) & ~15L;
        _strideHeight = strideHeight;
        _strideWidth = strideWidth;
        _padTop = padTop;
        _padLeft = padLeft;
        _inWidth = inWidth;
    }

    /// <summary>Sets every float of the phases to <paramref name="value"/> (the padding: 0, or -infinity for max pooling).</summary>
    public readonly void Fill<TV>(float* phases, float value) where TV : unmanaged, IVec<TV>
    {
        var v = TV.Splat(value);
        for (long i = 0; i < PlaneFloats; i += TV.Count) TV.Store(phases + i, v);
    }

    /// <summary>
    /// Writes input rows [0, inHeight) of <paramref name="x"/> into their phases. Only interior positions are written,
    /// the same ones for every plane, so the padding filled once stays.
    /// </summary>
    public readonly void Scatter<TV>(float* x, int inHeight, float* phases) where TV : unmanaged, IVec<TV>
    {
        for (int ih = 0; ih < inHeight; ih++)
        {
            int r = ih + _padTop;
            float* rowPhases = phases + r % _strideHeight * _strideWidth * PhaseSize + (long)(r / _strideHeight) * PhaseWidth;
            float* row = x + (long)ih * _inWidth;
            if (_strideWidth == 1) CopyRow<TV>(row, rowPhases + _padLeft, _inWidth);
            else if (_strideWidth == 2) SplitRow<TV>(row, _inWidth, _padLeft, PhaseSize, rowPhases);
            else
                for (int iw = 0; iw < _inWidth; iw++)
                {
                    int c = iw + _padLeft;
                    rowPhases[c % _strideWidth * PhaseSize + c / _strideWidth] = row[iw];
                }
        }
    }

    /// <summary>dst[i] = src[i] for i &lt; count, reading and writing only those.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopyRow<TV>(float* src, float* dst, int count) where TV : unmanaged, IVec<TV>
    {
        int vc = TV.Count, i = 0;
        for (; i <= count - vc; i += vc) TV.Store(dst + i, TV.Load(src + i));
        if (i == count) return;
        if (vc > 1) TV.StorePartial(dst + i, TV.LoadPartial(src + i, count - i), count - i);
        else dst[i] = src[i];
    }

    /// <summary>
    /// An input row at padded column <paramref name="padLeft"/> into its two column phases (stride 2): column 2t goes
    /// to phase padLeft % 2 at t + padLeft / 2, column 2t + 1 to phase (padLeft + 1) % 2 at t + (padLeft + 1) / 2.
    /// Reads and writes only the row's own elements.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SplitRow<TV>(float* src, int width, int padLeft, long phaseSize, float* phases) where TV : unmanaged, IVec<TV>
    {
        float* even = phases + padLeft % 2 * phaseSize + padLeft / 2;
        float* odd = phases + (padLeft + 1) % 2 * phaseSize + (padLeft + 1) / 2;
        int u = 0;
        if (typeof(TV) == typeof(Vec512))
        {
            var evenLanes = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            var oddLanes = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
            for (; 2 * u + 32 <= width; u += 16)
            {
                var lo = Vector512.Load(src + 2 * u);
                var hi = Vector512.Load(src + 2 * u + 16);
                *(Vector512<float>*)(even + u) = System.Runtime.Intrinsics.X86.Avx512F.PermuteVar16x32x2(lo, evenLanes, hi);
                *(Vector512<float>*)(odd + u) = System.Runtime.Intrinsics.X86.Avx512F.PermuteVar16x32x2(lo, oddLanes, hi);
            }
            int rest = width - 2 * u;
            if (rest > 0)
            {
                var lo = Vec512.LoadPartial(src + 2 * u, Math.Min(rest, 16)).V;
                var hi = rest > 16 ? Vec512.LoadPartial(src + 2 * u + 16, rest - 16).V : Vector512<float>.Zero;
                Vec512.StorePartial(even + u, new Vec512 { V = System.Runtime.Intrinsics.X86.Avx512F.PermuteVar16x32x2(lo, evenLanes, hi) }, (rest + 1) / 2);
                if (rest > 1) Vec512.StorePartial(odd + u, new Vec512 { V = System.Runtime.Intrinsics.X86.Avx512F.PermuteVar16x32x2(lo, oddLanes, hi) }, rest / 2);
            }
            return;
        }
        if (System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported && typeof(TV) == typeof(Vec128))
        {
            for (; 2 * u + 8 <= width; u += 4)
            {
                var lo = Vector128.Load(src + 2 * u);
                var hi = Vector128.Load(src + 2 * u + 4);
                System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.UnzipEven(lo, hi).Store(even + u);
                System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.UnzipOdd(lo, hi).Store(odd + u);
            }
        }
        for (; 2 * u < width; u++)
        {
            even[u] = src[2 * u];
            if (2 * u + 1 < width) odd[u] = src[2 * u + 1];
        }
    }
}
