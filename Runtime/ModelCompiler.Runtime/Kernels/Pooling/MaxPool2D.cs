using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelCompiler.Runtime;

/// <summary>
/// 2-D max pooling of float32 NCHW planes: each plane is copied into stride phases padded with -infinity, where the
/// outputs' windows start at contiguous positions, and the whole plane is computed as one run of vector maxima over
/// the window's taps (see <c>Planes</c>). Stride 1 or 2 across, any stride down, any kernel and padding, dilation
/// 1, no indices; every window must overlap the input (<see cref="Supports"/>). A window holding NaN gives NaN, as in
/// <see cref="Pool.MaxPool{T}"/>: the vector maxima below do not propagate it on x86, so a plane that holds a NaN
/// (rare; one scan to find out) is computed by <see cref="Pool.MaxPool{T}"/> instead.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[SkipLocalsInit]
public static unsafe class MaxPool2D
{
    /// <summary>True when this kernel computes the pool (<see cref="MaxPool2DShape.Fits"/>, the rule the generator applies).</summary>
    public static bool Supports(int inHeight, int inWidth, int outHeight, int outWidth, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int padTop, int padLeft) =>
        MaxPool2DShape.Fits(inHeight, inWidth, outHeight, outWidth, kernelHeight, kernelWidth, strideHeight, strideWidth, padTop, padLeft);

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
            SimdLevel.Run<Kernel, PoolArgs>(width, args, threads);
        }
    }

    internal readonly struct PoolArgs(float* x, float* y, Shape s)
    {
        public readonly float* X = x, Y = y;
        public readonly Shape S = s;
    }

    /// <summary>Planes split in contiguous ranges over the threads.</summary>
    private readonly struct Kernel : IVectorKernel<PoolArgs>
    {
        public static void Run<TV>(in PoolArgs args, int threads) where TV : unmanaged, IVec<TV> =>
            KernelThreads.ForRanges<PlaneRanges<TV>, PoolArgs>(args, args.S.Planes, threads);
    }

    private readonly struct PlaneRanges<TV> : IWorkRanges<PoolArgs> where TV : unmanaged, IVec<TV>
    {
        public static void Run(in PoolArgs args, int first, int end) => Planes<TV>(args, first, end);
    }

    /// <summary>
    /// Output planes [first, end). Each input plane is copied into stride phases padded with -infinity
    /// (<see cref="StridePhases"/>), so the whole plane is one run of vector maxima over the window's taps (in
    /// window order, the first winning ties); then each row's outWidth values are copied out. A 7x7 or 14x14 output
    /// is a few vectors instead of a partial vector per row. A plane holding NaN goes to <see cref="Pool.MaxPool{T}"/>.
    /// </summary>
    [MethodImpl(KernelCompilation.Hot)]
    private static void Planes<TV>(in PoolArgs a, int first, int end) where TV : unmanaged, IVec<TV>
    {
        ref readonly Shape s = ref a.S;
        int vc = TV.Count, taps = s.KernelHeight * s.KernelWidth;
        int* offsets = stackalloc int[taps];
        var layout = new StridePhases(s.InHeight, s.InWidth, s.OutHeight, s.OutWidth, s.KernelHeight, s.KernelWidth,
            s.StrideHeight, s.StrideWidth, s.PadTop, s.PadLeft, vc, offsets);
        float* phases = (float*)KernelScratch.Get(KernelScratch.ItemSlot, (layout.PlaneFloats + layout.RunPadded + 2L * vc + 16) * sizeof(float));
        float* maxima = phases + layout.PlaneFloats;
        layout.Fill<TV>(phases, float.NegativeInfinity);
        int inPlane = s.InHeight * s.InWidth, outPlane = s.OutHeight * s.OutWidth;
        for (int p = first; p < end; p++)
        {
            float* y = a.Y + (long)p * outPlane;
            if (System.Numerics.Tensors.TensorPrimitives.IsNaNAny(new ReadOnlySpan<float>(a.X + (long)p * inPlane, inPlane)))
            {
                var plane = new PoolGeometry(1, 1, 1, s.InHeight, s.InWidth, 1, s.OutHeight, s.OutWidth, 1, s.KernelHeight, s.KernelWidth,
                    1, s.StrideHeight, s.StrideWidth, 0, s.PadTop, s.PadLeft, 0, 0, 0, 1, 1, 1);
                Pool.MaxPool<float>(new ReadOnlySpan<float>(a.X + (long)p * inPlane, inPlane), new Span<float>(y, outPlane), default, plane, columnMajor: false);
                continue;
            }
            layout.Scatter<TV>(a.X + (long)p * inPlane, s.InHeight, phases);
            for (int i = 0; i < layout.RunPadded; i += vc)
            {
                float* q = phases + i;
                TV m = TV.Load(q + offsets[0]);
                for (int t = 1; t < taps; t++) m = TV.MaxKeepNaN(TV.Load(q + offsets[t]), m);
                TV.Store(maxima + i, m);
            }
            for (int oh = 0; oh < s.OutHeight; oh++)
                StridePhases.CopyRow<TV>(maxima + (long)oh * layout.PhaseWidth, y + (long)oh * s.OutWidth, s.OutWidth);
        }
    }
}
