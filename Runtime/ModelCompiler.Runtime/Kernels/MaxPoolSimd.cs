using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelCompiler.Runtime;

/// <summary>
/// 2-D max pooling of float32 NCHW planes, vectorized along the row: each output row is the column-wise
/// maximum of the input rows its windows cover (padding rows skipped), written into a scratch row padded
/// with -infinity, then the maximum of the kernel's column taps read as shifted vectors (for stride 2 from
/// the scratch row split into even and odd columns). Stride 1 or 2 across, any stride down, any kernel and
/// padding, dilation 1, no indices; every window must overlap the input (<see cref="Supports"/>). NaN never
/// replaces an earlier value of its window, as in <see cref="Pool.MaxPool{T}"/> (x86; NEON's max propagates it).
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Planes<TV>(in PoolArgs a, int first, int end) where TV : unmanaged, IVec<TV>
    {
        ref readonly Shape s = ref a.S;
        int vc = TV.Count;
        int outPadded = (s.OutWidth + vc - 1) / vc * vc;
        // Scratch row: padded columns t = ow * sw + kw for every vector-padded output; stride 2 splits it in halves.
        int length = (outPadded - 1) * s.StrideWidth + s.KernelWidth;
        int half = outPadded + (s.KernelWidth - 1) / 2 + 1;
        int rowFloats = (Math.Max(length, s.StrideWidth * half) + 2 * vc + 15) & ~15;
        float* row = (float*)KernelScratch.Get(KernelScratch.ItemSlot, (3L * rowFloats + 64) * sizeof(float));
        float* even = row + rowFloats, odd = even + rowFloats;
        var lowest = TV.Splat(float.NegativeInfinity);
        int inPlane = s.InHeight * s.InWidth, outPlane = s.OutHeight * s.OutWidth;
        int rightPad = s.PadLeft + s.InWidth;

        for (int p = first; p < end; p++)
        {
            float* x = a.X + (long)p * inPlane;
            float* y = a.Y + (long)p * outPlane;
            for (int t = 0; t < s.PadLeft; t++) row[t] = float.NegativeInfinity;
            for (int t = rightPad; t < rowFloats; t += vc) TV.Store(row + t, lowest);
            for (int oh = 0; oh < s.OutHeight; oh++)
            {
                int top = oh * s.StrideHeight - s.PadTop;
                int r0 = Math.Max(0, top), r1 = Math.Min(s.InHeight, top + s.KernelHeight);
                VerticalMax<TV>(x + (long)r0 * s.InWidth, s.InWidth, r1 - r0, row + s.PadLeft);
                float* o = y + (long)oh * s.OutWidth;
                if (s.StrideWidth == 1) HorizontalMax<TV>(row, 1, s.KernelWidth, o, s.OutWidth);
                else
                {
                    Split<TV>(row, half, even, odd);
                    HorizontalMax2<TV>(even, odd, s.KernelWidth, o, s.OutWidth);
                }
            }
        }
    }

    /// <summary>dst[i] = max over r &lt; rows of src[r * width + i], i &lt; width; the first row's value wins ties and NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void VerticalMax<TV>(float* src, int width, int rows, float* dst) where TV : unmanaged, IVec<TV>
    {
        int vc = TV.Count, i = 0;
        for (; i <= width - vc; i += vc)
        {
            TV m = TV.Load(src + i);
            for (int r = 1; r < rows; r++) m = TV.MaxKeepNaN(TV.Load(src + (long)r * width + i), m);
            TV.Store(dst + i, m);
        }
        for (; i < width; i++)
        {
            float m = src[i];
            for (int r = 1; r < rows; r++) m = Vec1.MaxKeepNaN(new Vec1 { V = src[(long)r * width + i] }, new Vec1 { V = m }).V;
            dst[i] = m;
        }
    }

    /// <summary>out[ow] = max over kw of row[ow + kw] (stride 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void HorizontalMax<TV>(float* row, int stride, int kernel, float* output, int count) where TV : unmanaged, IVec<TV>
    {
        int vc = TV.Count, ow = 0;
        for (; ow < count; ow += vc)
        {
            TV m = TV.Load(row + ow);
            for (int kw = 1; kw < kernel; kw++) m = TV.MaxKeepNaN(TV.Load(row + ow + kw), m);
            if (ow + vc <= count) TV.Store(output + ow, m);
            else StoreTail(output + ow, m, count - ow);
        }
    }

    /// <summary>out[ow] = max over kw of the padded row's column 2 * ow + kw, from its even and odd halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void HorizontalMax2<TV>(float* even, float* odd, int kernel, float* output, int count) where TV : unmanaged, IVec<TV>
    {
        int vc = TV.Count, ow = 0;
        for (; ow < count; ow += vc)
        {
            TV m = TV.Load(even + ow);
            for (int kw = 1; kw < kernel; kw++) m = TV.MaxKeepNaN(TV.Load(((kw & 1) == 0 ? even : odd) + ow + (kw >> 1)), m);
            if (ow + vc <= count) TV.Store(output + ow, m);
            else StoreTail(output + ow, m, count - ow);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTail<TV>(float* output, TV m, int count) where TV : unmanaged, IVec<TV>
    {
        if (TV.Count == 1) TV.Store(output, m);
        else TV.StorePartial(output, m, count);
    }

    /// <summary>even[u] = row[2u], odd[u] = row[2u + 1] for u &lt; count (whole vectors; the buffers have the slack).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Split<TV>(float* row, int count, float* even, float* odd) where TV : unmanaged, IVec<TV>
    {
        if (typeof(TV) == typeof(Vec512))
        {
            var evenLanes = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            var oddLanes = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
            for (int u = 0; u < count; u += 16)
            {
                var lo = Vector512.Load(row + 2 * u);
                var hi = Vector512.Load(row + 2 * u + 16);
                System.Runtime.Intrinsics.X86.Avx512F.PermuteVar16x32x2(lo, evenLanes, hi).Store(even + u);
                System.Runtime.Intrinsics.X86.Avx512F.PermuteVar16x32x2(lo, oddLanes, hi).Store(odd + u);
            }
            return;
        }
        if (System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported && typeof(TV) == typeof(Vec128))
        {
            for (int u = 0; u < count; u += 4)
            {
                var lo = Vector128.Load(row + 2 * u);
                var hi = Vector128.Load(row + 2 * u + 4);
                System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.UnzipEven(lo, hi).Store(even + u);
                System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.UnzipOdd(lo, hi).Store(odd + u);
            }
            return;
        }
        for (int u = 0; u < count; u++)
        {
            even[u] = row[2 * u];
            odd[u] = row[2 * u + 1];
        }
    }
}
