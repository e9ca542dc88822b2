using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelCompiler.Runtime;

/// <summary>
/// 2-D max pooling of float32 NCHW planes: each plane is copied into stride phases padded with -infinity, where the
/// outputs' windows start at contiguous positions, and the whole plane is computed as one run of vector maxima over
/// the window's taps (see <c>Planes</c>). Stride 1 or 2 across, any stride down, any kernel and padding, dilation
/// 1, no indices; every window must overlap the input (<see cref="Supports"/>). NaN never replaces an earlier value
/// of its window, as in <see cref="Pool.MaxPool{T}"/> (x86; NEON's max propagates it).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[SkipLocalsInit]
public static unsafe class MaxPool2D
{
    /// <summary>True when this kernel computes the pool (the generator checks the same at build time).</summary>
    public static bool Supports(int inHeight, int inWidth, int outHeight, int outWidth, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int padTop, int padLeft) =>
        kernelHeight > 0 && kernelWidth > 0 && strideHeight > 0 && (strideWidth == 1 || strideWidth == 2) && padTop >= 0 && padLeft >= 0
        && outHeight > 0 && outWidth > 0 && inHeight > 0 && inWidth > 0
        // The first and last windows of each axis overlap the input, and so do all between them.
        && kernelHeight > padTop && kernelWidth > padLeft
        && (long)(outHeight - 1) * strideHeight - padTop <= inHeight - 1 && (long)(outWidth - 1) * strideWidth - padLeft <= inWidth - 1;

    /// <summary>y[p, oh, ow] = max of x[p, oh * sh - padTop + kh, ow * sw - padLeft + kw] over the window taps inside x.</summary>
    public static void Run(ReadOnlySpan<float> x, Span<float> y, int planes, int inHeight, int inWidth, int outHeight, int outWidth,
        int kernelHeight, int kernelWidth, int strideHeight, int strideWidth, int padTop, int padLeft, int threads = 1) =>
        Run(x, y, new Shape(planes, inHeight, inWidth, outHeight, outWidth, kernelHeight, kernelWidth, strideHeight, strideWidth, padTop, padLeft), threads, VectorWidth.Auto);

    internal readonly record struct Shape(int Planes, int InHeight, int InWidth, int OutHeight, int OutWidth,
        int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth, int PadTop, int PadLeft);

    internal static void Run(ReadOnlySpan<float> x, Span<float> y, in Shape s, int threads, VectorWidth width)
    {
        if (!Supports(s.InHeight, s.InWidth, s.OutHeight, s.OutWidth, s.KernelHeight, s.KernelWidth, s.StrideHeight, s.StrideWidth, s.PadTop, s.PadLeft))
            throw new ArgumentException("MaxPool2D needs stride 1 or 2 across and windows that overlap the input.");
        if (x.Length < (long)s.Planes * s.InHeight * s.InWidth || y.Length < (long)s.Planes * s.OutHeight * s.OutWidth)
            throw new ArgumentException("A span is shorter than the pool's shape needs.");
        fixed (float* px = x)
        fixed (float* py = y)
        {
            var args = new PoolArgs(px, py, s);
            switch (SimdLevel.Resolve(width))
            {
                case VectorWidth.Bits512: Run<Vec512>(args, threads); break;
                case VectorWidth.Bits256: Run<Vec256>(args, threads); break;
                case VectorWidth.Bits128: Run<Vec128>(args, threads); break;
                default: Run<Vec1>(args, threads); break;
            }
        }
    }

    internal readonly struct PoolArgs(float* x, float* y, Shape s)
    {
        public readonly float* X = x, Y = y;
        public readonly Shape S = s;
    }

    private static void Run<TV>(in PoolArgs a, int threads) where TV : unmanaged, IVec<TV>
    {
        int items = threads > 1 ? Math.Min(a.S.Planes, 4 * threads) : 1;
        if (items <= 1)
        {
            Planes<TV>(a, 0, a.S.Planes);
            return;
        }
        var work = PoolWork<TV>.ForThisThread;
        work.Args = a;
        work.Items = items;
        KernelThreads.Run(work, items, threads);
    }

    private sealed class PoolWork<TV> : IKernelWork where TV : unmanaged, IVec<TV>
    {
        [ThreadStatic] private static PoolWork<TV>? t_instance;
        public static PoolWork<TV> ForThisThread => t_instance ??= new PoolWork<TV>();

        public PoolArgs Args;
        public int Items;

        public void Run(int item)
        {
            int planes = Args.S.Planes;
            Planes<TV>(Args, (int)((long)planes * item / Items), (int)((long)planes * (item + 1) / Items));
        }
    }

    /// <summary>
    /// Output planes [first, end). Each input plane is copied into stride phases padded with -infinity (rows and
    /// columns split by their remainder modulo the stride), where output (oh, ow) reads tap (kh, kw) at phase
    /// (kh mod sh, kw mod sw), position (oh + kh / sh) * Wp + ow + kw / sw: the outputs' anchors are contiguous,
    /// so the whole plane is one run of vector maxima (taps in window order, the first winning ties and NaN),
    /// then each row's outWidth values are copied out. A 7x7 or 14x14 output is a few vectors instead of a
    /// partial vector per row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Planes<TV>(in PoolArgs a, int first, int end) where TV : unmanaged, IVec<TV>
    {
        ref readonly Shape s = ref a.S;
        int vc = TV.Count, sh = s.StrideHeight, sw = s.StrideWidth, taps = s.KernelHeight * s.KernelWidth;
        int needW = (s.OutWidth - 1) * sw + s.KernelWidth, needH = (s.OutHeight - 1) * sh + s.KernelHeight;
        int paddedW = Math.Max(needW, s.PadLeft + s.InWidth), paddedH = Math.Max(needH, s.PadTop + s.InHeight);
        int phaseW = (paddedW + sw - 1) / sw, phaseH = (paddedH + sh - 1) / sh;
        long phaseSize = (long)phaseW * phaseH;
        int runLength = (s.OutHeight - 1) * phaseW + s.OutWidth;
        int runPadded = (runLength + vc - 1) / vc * vc;
        int* offsets = stackalloc int[taps];
        int maxOffset = 0;
        for (int kh = 0; kh < s.KernelHeight; kh++)
            for (int kw = 0; kw < s.KernelWidth; kw++)
            {
                int o = (int)((kh % sh * sw + kw % sw) * phaseSize) + kh / sh * phaseW + kw / sw;
                offsets[kh * s.KernelWidth + kw] = o;
                maxOffset = Math.Max(maxOffset, o);
            }
        long planeFloats = (Math.Max((long)sh * sw * phaseSize, (long)runPadded + maxOffset) + 2 * vc + 15) & ~15L;
        float* phases = (float*)KernelScratch.Get(KernelScratch.ItemSlot, (planeFloats + runPadded + 2L * vc + 16) * sizeof(float));
        float* maxima = phases + planeFloats;
        // Filled once: every plane writes the same interior positions, so the padding stays -infinity.
        var lowest = TV.Splat(float.NegativeInfinity);
        for (long i = 0; i < planeFloats; i += vc) TV.Store(phases + i, lowest);
        int inPlane = s.InHeight * s.InWidth, outPlane = s.OutHeight * s.OutWidth;
        for (int p = first; p < end; p++)
        {
            float* x = a.X + (long)p * inPlane;
            float* y = a.Y + (long)p * outPlane;
            for (int ih = 0; ih < s.InHeight; ih++)
            {
                int r = ih + s.PadTop;
                float* rowPhases = phases + r % sh * sw * phaseSize + (long)(r / sh) * phaseW;
                if (sw == 1) CopyRow<TV>(x + (long)ih * s.InWidth, rowPhases + s.PadLeft, s.InWidth);
                else SplitRow<TV>(x + (long)ih * s.InWidth, s.InWidth, s.PadLeft, phaseSize, rowPhases);
            }
            for (int i = 0; i < runPadded; i += vc)
            {
                float* q = phases + i;
                TV m = TV.Load(q + offsets[0]);
                for (int t = 1; t < taps; t++) m = TV.MaxKeepNaN(TV.Load(q + offsets[t]), m);
                TV.Store(maxima + i, m);
            }
            for (int oh = 0; oh < s.OutHeight; oh++) CopyRow<TV>(maxima + (long)oh * phaseW, y + (long)oh * s.OutWidth, s.OutWidth);
        }
    }

    /// <summary>dst[i] = src[i] for i &lt; count, reading and writing only those.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRow<TV>(float* src, float* dst, int count) where TV : unmanaged, IVec<TV>
    {
        int vc = TV.Count, i = 0;
        for (; i <= count - vc; i += vc) TV.Store(dst + i, TV.Load(src + i));
        if (i == count) return;
        if (vc > 1) TV.StorePartial(dst + i, TV.LoadPartial(src + i, count - i), count - i);
        else dst[i] = src[i];
    }

    /// <summary>
    /// An input row at padded column <paramref name="padLeft"/> into its two column phases (stride 2 across):
    /// column 2t goes to phase padLeft % 2 at t + padLeft / 2, column 2t + 1 to phase (padLeft + 1) % 2 at
    /// t + (padLeft + 1) / 2. Reads only the row's own elements.
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
                System.Runtime.Intrinsics.X86.Avx512F.PermuteVar16x32x2(lo, evenLanes, hi).Store(even + u);
                System.Runtime.Intrinsics.X86.Avx512F.PermuteVar16x32x2(lo, oddLanes, hi).Store(odd + u);
            }
            int rest = width - 2 * u;
            if (rest > 0)
            {
                // The tail with masked loads and stores: reads and writes only the row's own elements.
                var lo = Vec512.LoadPartial(src + 2 * u, Math.Min(rest, 16)).V;
                var hi = rest > 16 ? Vec512.LoadPartial(src + 2 * u + 16, rest - 16).V : Vector512<float>.Zero;
                Vec512.StorePartial(even + u, new Vec512 { V = System.Runtime.Intrinsics.X86.Avx512F.PermuteVar16x32x2(lo, evenLanes, hi) }, (rest + 1) / 2);
                if (rest > 1) Vec512.StorePartial(odd + u, new Vec512 { V = System.Runtime.Intrinsics.X86.Avx512F.PermuteVar16x32x2(lo, oddLanes, hi) }, rest / 2);
            }
            return;
        }
        else if (System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported && typeof(TV) == typeof(Vec128))
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
