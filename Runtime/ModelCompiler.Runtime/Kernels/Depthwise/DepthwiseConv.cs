using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelCompiler.Runtime;

/// <summary>
/// Depthwise 2-D convolution (group = input channels = output channels), 3x3 or 5x5, stride 1 or 2, any
/// padding, dilation 1: the layers of MobileNet, ShuffleNet and their detectors. Each channel's input plane is
/// copied into zero-padded stride phases, where the outputs' anchors are contiguous: the whole plane is one run of
/// vectors (no per-row blocks or partial vectors, which dominated small planes such as 5x5 and 20x20), k * k FMAs
/// per vector with the weights in registers; with AVX-512 a 3x3 kernel loads each input vector once and shifts it
/// (valignd) for the next columns. The rows then leave through the epilogue (bias is in the sums; activation and
/// residual are applied as the padding columns are dropped).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[SkipLocalsInit]
public static unsafe class DepthwiseConv
{
    /// <summary>True when this kernel computes the convolution (<see cref="DepthwiseConvShape.Fits"/>, the rule the generator applies).</summary>
    public static bool Supports(in ConvGeometry g) => DepthwiseConvShape.Fits(g);

    /// <summary>
    /// y = epilogue(depthwise(x, w) + bias [, residual]); w is [channels][k][k] as ONNX stores it. <paramref name="bias"/>
    /// and <paramref name="residual"/> may be empty; <paramref name="threads"/> &gt; 1 splits channels over threads.
    /// </summary>
    public static void Conv2D(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, ReadOnlySpan<float> residual,
        Span<float> y, in ConvGeometry g, in Epilogue epilogue, int threads = 1) =>
        Conv2D(x, w, bias, residual, y, g, epilogue, threads, VectorWidth.Auto);

    /// <summary><see cref="Conv2D(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, in ConvGeometry, in Epilogue, int)"/> at a chosen vector width (tests).</summary>
    internal static void Conv2D(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, ReadOnlySpan<float> residual,
        Span<float> y, in ConvGeometry g, in Epilogue epilogue, int threads, VectorWidth width)
    {
        if (!Supports(g)) throw new ArgumentException("DepthwiseConv handles 3x3 and 5x5 depthwise convolutions with stride 1 or 2 and no dilation.");
        long inLength = (long)g.batch * g.inChannels * g.inHeight * g.inWidth, outLength = (long)g.batch * g.outChannels * g.outHeight * g.outWidth;
        if (x.Length < inLength || y.Length < outLength || w.Length < (long)g.outChannels * g.kernelHeight * g.kernelWidth
            || (!bias.IsEmpty && bias.Length < g.outChannels) || (!residual.IsEmpty && residual.Length < outLength))
            throw new ArgumentException("A span is shorter than the geometry needs.");
        fixed (float* px = x)
        fixed (float* pw = w)
        fixed (float* pb = bias)
        fixed (float* pr = residual)
        fixed (float* py = y)
        {
            var args = new DwArgs(px, pw, bias.IsEmpty ? null : pb, residual.IsEmpty ? null : pr, py, g, epilogue);
            SimdLevel.Run<Kernel, DwArgs>(width, args, threads);
        }
    }

    internal readonly struct DwArgs
    {
        public readonly float* X, W, Bias, Residual, Y;
        public readonly ConvGeometry G;
        public readonly Epilogue E;

        public DwArgs(float* x, float* w, float* bias, float* residual, float* y, in ConvGeometry g, in Epilogue e)
        {
            X = x; W = w; Bias = bias; Residual = residual; Y = y; G = g; E = e;
        }
    }

    /// <summary>Output planes (image x channel) split in contiguous ranges over the threads.</summary>
    private readonly struct Kernel : IVectorKernel<DwArgs>
    {
        public static void Run<TV>(in DwArgs args, int threads) where TV : unmanaged, IVec<TV> =>
            KernelThreads.ForRanges<PlaneRanges<TV>, DwArgs>(args, args.G.batch * args.G.outChannels, threads);
    }

    private readonly struct PlaneRanges<TV> : IWorkRanges<DwArgs> where TV : unmanaged, IVec<TV>
    {
        public static void Run(in DwArgs args, int first, int end) => Planes<TV>(args, first, end);
    }

    /// <summary>
    /// Computes output planes [first, end) (plane = image * channels + channel). Each input plane is copied once
    /// into zero-padded stride phases (<see cref="StridePhases"/>), so a whole plane is one run of vectors whatever
    /// its width and stride (a 5x5 plane is two AVX-512 vectors, a 20-wide row needs no partial block), each vector
    /// k * k FMAs with the weights held in registers; the rows then leave through the epilogue (bias is in the
    /// sums; activation and residual are applied as the padding columns are dropped).
    /// </summary>
    [MethodImpl(KernelCompilation.Hot)]
    private static void Planes<TV>(in DwArgs a, int first, int end) where TV : unmanaged, IVec<TV>
    {
        ref readonly ConvGeometry g = ref a.G;
        int k = g.kernelHeight, s = g.strideHeight, vc = TV.Count, taps = k * k;
        int* offsets = stackalloc int[taps];
        var layout = new StridePhases(g.inHeight, g.inWidth, g.outHeight, g.outWidth, k, k, s, s, g.padTop, g.padLeft, vc, offsets);
        // The phases, then the run's sums (one vector of slack: the epilogue reads whole vectors).
        float* phases = (float*)KernelScratch.Get(KernelScratch.ItemSlot, (layout.PlaneFloats + layout.RunPadded + 2L * vc + 16) * sizeof(float));
        float* sums = phases + layout.PlaneFloats;
        int* segment = stackalloc int[3] { 0, 0, g.outWidth };
        int inPlane = g.inHeight * g.inWidth, outPlane = g.outHeight * g.outWidth;
        TV* weights = stackalloc TV[taps];
        layout.Fill<TV>(phases, 0f);
        for (int plane = first; plane < end; plane++)
        {
            int channel = plane % g.outChannels;
            float* w = a.W + (long)channel * taps;
            layout.Scatter<TV>(a.X + (long)plane * inPlane, g.inHeight, phases);
            for (int t = 0; t < taps; t++) weights[t] = TV.Splat(w[t]);
            TV bias = TV.Splat(a.Bias == null ? 0f : a.Bias[channel]);
            if (k == 3 && typeof(TV) == typeof(Vec512)) Run3x3Avx512(phases, offsets, (Vec512*)weights, ((Vec512*)&bias)->V, sums, layout.RunPadded, s);
            else if (k == 3) Run3x3<TV>(phases, offsets, weights, bias, sums, layout.RunPadded);
            else RunAny<TV>(phases, offsets, weights, taps, bias, sums, layout.RunPadded);
            float* residual = a.Residual == null ? null : a.Residual + (long)plane * outPlane;
            EpilogueOps.Rows<TV>(sums, layout.PhaseWidth, a.Y + (long)plane * outPlane, residual, g.outWidth, g.outHeight, segment, 1, a.E);
        }
    }

    /// <summary>sums[i] = bias + Σ_t w_t · p[i + offsets[t]] for the nine taps of a 3x3 kernel, i &lt; length (whole vectors).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Run3x3<TV>(float* p, int* offsets, TV* w, TV bias, float* sums, int length) where TV : unmanaged, IVec<TV>
    {
        int o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], o3 = offsets[3], o4 = offsets[4], o5 = offsets[5], o6 = offsets[6], o7 = offsets[7], o8 = offsets[8];
        TV w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6], w7 = w[7], w8 = w[8];
        for (int i = 0; i < length; i += TV.Count)
        {
            float* q = p + i;
            // Three independent chains, so the FMA latency overlaps.
            TV a0 = TV.MultiplyAdd(w0, TV.Load(q + o0), bias);
            TV a1 = TV.Multiply(w1, TV.Load(q + o1));
            TV a2 = TV.Multiply(w2, TV.Load(q + o2));
            a0 = TV.MultiplyAdd(w3, TV.Load(q + o3), a0);
            a1 = TV.MultiplyAdd(w4, TV.Load(q + o4), a1);
            a2 = TV.MultiplyAdd(w5, TV.Load(q + o5), a2);
            a0 = TV.MultiplyAdd(w6, TV.Load(q + o6), a0);
            a1 = TV.MultiplyAdd(w7, TV.Load(q + o7), a1);
            a2 = TV.MultiplyAdd(w8, TV.Load(q + o8), a2);
            TV.Store(sums + i, TV.Add(TV.Add(a0, a1), a2));
        }
    }

    /// <summary>
    /// <see cref="Run3x3{TV}"/> with AVX-512, loading each input vector once: the taps of one kernel row that sit in
    /// the same phase are the same vector shifted by one column (valignd of it and the next vector, which is also
    /// the next step's vector). Stride 1: 3 loads per 16 outputs instead of 9; stride 2: 6 (kw 0 and 2 share the
    /// even phase). Reads up to 16 floats past the last vector's furthest tap (the phase buffer's slack).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Run3x3Avx512(float* p, int* offsets, Vec512* w, Vector512<float> bias, float* sums, int length, int stride)
    {
        Vector512<float> w0 = w[0].V, w1 = w[1].V, w2 = w[2].V, w3 = w[3].V, w4 = w[4].V, w5 = w[5].V, w6 = w[6].V, w7 = w[7].V, w8 = w[8].V;
        // Row kh's first tap (kw = 0); with stride 2 its kw = 2 tap is the same phase one column on, kw = 1 the other phase.
        float* r0 = p + offsets[0], r1 = p + offsets[3], r2 = p + offsets[6];
        var a0 = Vector512.Load(r0);
        var a1 = Vector512.Load(r1);
        var a2 = Vector512.Load(r2);
        if (stride == 1)
        {
            for (int i = 0; i < length; i += 16)
            {
                var b0 = Vector512.Load(r0 + i + 16);
                var b1 = Vector512.Load(r1 + i + 16);
                var b2 = Vector512.Load(r2 + i + 16);
                var c0 = Avx512F.FusedMultiplyAdd(w0, a0, bias);
                var c1 = Avx512F.Multiply(w3, a1);
                var c2 = Avx512F.Multiply(w6, a2);
                c0 = Avx512F.FusedMultiplyAdd(w1, Shift1(b0, a0), c0);
                c1 = Avx512F.FusedMultiplyAdd(w4, Shift1(b1, a1), c1);
                c2 = Avx512F.FusedMultiplyAdd(w7, Shift1(b2, a2), c2);
                c0 = Avx512F.FusedMultiplyAdd(w2, Shift2(b0, a0), c0);
                c1 = Avx512F.FusedMultiplyAdd(w5, Shift2(b1, a1), c1);
                c2 = Avx512F.FusedMultiplyAdd(w8, Shift2(b2, a2), c2);
                *(Vector512<float>*)(sums + i) = c0 + c1 + c2;
                a0 = b0; a1 = b1; a2 = b2;
            }
            return;
        }
        float* q0 = p + offsets[1], q1 = p + offsets[4], q2 = p + offsets[7];
        for (int i = 0; i < length; i += 16)
        {
            var b0 = Vector512.Load(r0 + i + 16);
            var b1 = Vector512.Load(r1 + i + 16);
            var b2 = Vector512.Load(r2 + i + 16);
            var c0 = Avx512F.FusedMultiplyAdd(w0, a0, bias);
            var c1 = Avx512F.Multiply(w3, a1);
            var c2 = Avx512F.Multiply(w6, a2);
            c0 = Avx512F.FusedMultiplyAdd(w1, Vector512.Load(q0 + i), c0);
            c1 = Avx512F.FusedMultiplyAdd(w4, Vector512.Load(q1 + i), c1);
            c2 = Avx512F.FusedMultiplyAdd(w7, Vector512.Load(q2 + i), c2);
            c0 = Avx512F.FusedMultiplyAdd(w2, Shift1(b0, a0), c0);
            c1 = Avx512F.FusedMultiplyAdd(w5, Shift1(b1, a1), c1);
            c2 = Avx512F.FusedMultiplyAdd(w8, Shift1(b2, a2), c2);
            *(Vector512<float>*)(sums + i) = c0 + c1 + c2;
            a0 = b0; a1 = b1; a2 = b2;
        }
    }

    /// <summary>Lanes j + 1 of the pair (<paramref name="low"/>, <paramref name="high"/>): the vector one float on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Shift1(Vector512<float> high, Vector512<float> low) =>
        Avx512F.AlignRight32(high.AsUInt32(), low.AsUInt32(), 1).AsSingle();

    /// <summary>Lanes j + 2 of the pair (<paramref name="low"/>, <paramref name="high"/>): the vector two floats on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Shift2(Vector512<float> high, Vector512<float> low) =>
        Avx512F.AlignRight32(high.AsUInt32(), low.AsUInt32(), 2).AsSingle();

    /// <summary>As <see cref="Run3x3{TV}"/> for any number of taps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunAny<TV>(float* p, int* offsets, TV* w, int taps, TV bias, float* sums, int length) where TV : unmanaged, IVec<TV>
    {
        for (int i = 0; i < length; i += TV.Count)
        {
            float* q = p + i;
            TV a0 = bias, a1 = TV.Zero;
            int t = 0;
            for (; t + 1 < taps; t += 2)
            {
                a0 = TV.MultiplyAdd(w[t], TV.Load(q + offsets[t]), a0);
                a1 = TV.MultiplyAdd(w[t + 1], TV.Load(q + offsets[t + 1]), a1);
            }
            if (t < taps) a0 = TV.MultiplyAdd(w[t], TV.Load(q + offsets[t]), a0);
            TV.Store(sums + i, TV.Add(a0, a1));
        }
    }
}
