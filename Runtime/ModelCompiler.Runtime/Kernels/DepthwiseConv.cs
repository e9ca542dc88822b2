using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelCompiler.Runtime;

/// <summary>
/// Depthwise 2-D convolution (group = input channels = output channels), 3x3 or 5x5, stride 1 or 2, any
/// padding, dilation 1: the layers of MobileNet, ShuffleNet and their detectors. Each channel is computed four
/// output rows at a time, vectorized along the row: every input row loaded feeds up to 4 / stride output rows,
/// and the 4 x (up to 4) vector accumulators keep the FMA pipes busy. Input rows are first copied into a small ring of
/// zero-padded rows (for stride 2 split into even and odd columns, so every tap is a contiguous vector load);
/// rows above and below the image read a shared zero row. Bias, activation and residual are applied to each
/// block of output rows while it is in L1.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[SkipLocalsInit]
public static unsafe class DepthwiseConv
{
    /// <summary>True when this kernel computes the convolution (the generator checks the same at build time).</summary>
    public static bool Supports(in ConvGeometry g) =>
        g.groups == g.inChannels && g.groups == g.outChannels && g.kernelHeight == g.kernelWidth && (g.kernelHeight == 3 || g.kernelHeight == 5)
        && g.strideHeight == g.strideWidth && (g.strideHeight == 1 || g.strideHeight == 2) && g.dilationHeight == 1 && g.dilationWidth == 1
        && g.padTop >= 0 && g.padLeft >= 0 && g.outHeight > 0 && g.outWidth > 0;

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
            switch (SimdLevel.Resolve(width))
            {
                case VectorWidth.Bits512: Run<Vec512>(args, threads); break;
                case VectorWidth.Bits256: Run<Vec256>(args, threads); break;
                case VectorWidth.Bits128: Run<Vec128>(args, threads); break;
                default: Run<Vec1>(args, threads); break;
            }
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

    internal static void Run<TV>(in DwArgs a, int threads) where TV : unmanaged, IVec<TV>
    {
        int planes = a.G.batch * a.G.outChannels;
        int items = threads > 1 ? Math.Min(planes, 4 * threads) : 1;
        if (items <= 1)
        {
            Planes<TV>(a, 0, planes);
            return;
        }
        var work = DwWork<TV>.ForThisThread;
        work.Args = a;
        work.Items = items;
        KernelThreads.Run(work, items, threads);
    }

    private sealed class DwWork<TV> : IKernelWork where TV : unmanaged, IVec<TV>
    {
        [ThreadStatic] private static DwWork<TV>? t_instance;
        public static DwWork<TV> ForThisThread => t_instance ??= new DwWork<TV>();

        public DwArgs Args;
        public int Items;

        public void Run(int item)
        {
            int planes = Args.G.batch * Args.G.outChannels;
            Planes<TV>(Args, (int)((long)planes * item / Items), (int)((long)planes * (item + 1) / Items));
        }
    }

    /// <summary>Computes output planes [first, end) (plane = image * channels + channel).</summary>
    /// <summary>
    /// Computes output planes [first, end). Without a residual, a lone activation is applied in registers as the
    /// blocks are stored (a loop specialized per activation); otherwise the epilogue runs over each block of rows.
    /// </summary>
    private static void Planes<TV>(in DwArgs a, int first, int end) where TV : unmanaged, IVec<TV>
    {
        if (a.Residual == null && a.E.AfterAdd.Kind == ActivationKind.None)
        {
            switch (a.E.BeforeAdd.Kind)
            {
                case ActivationKind.None: Planes<TV, NoActivation>(a, first, end, false); return;
                case ActivationKind.Relu: Planes<TV, ReluActivation>(a, first, end, false); return;
                case ActivationKind.Clip: Planes<TV, ClipActivation>(a, first, end, false); return;
                case ActivationKind.LeakyRelu: Planes<TV, LeakyReluActivation>(a, first, end, false); return;
                case ActivationKind.HardSwish: Planes<TV, HardSwishActivation>(a, first, end, false); return;
            }
        }
        Planes<TV, NoActivation>(a, first, end, true);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Planes<TV, TAct>(in DwArgs a, int first, int end, bool epiloguePass) where TV : unmanaged, IVec<TV> where TAct : IActivationOp
    {
        ref readonly ConvGeometry g = ref a.G;
        int k = g.kernelHeight, s = g.strideHeight, vc = TV.Count;
        int outWidthPadded = (g.outWidth + vc - 1) / vc * vc;
        // Padded row length; for stride 2 each half (even, odd columns) has this length.
        int rowLength = s == 1 ? outWidthPadded + k - 1 : outWidthPadded + (k - 1) / 2 + 1;
        // Whole 16-float lines, plus one vector of slack for the deinterleave's last store.
        int rowFloats = ((s * rowLength + 15) & ~15) + 16;
        int slots = (Rows - 1) * s + k; // input rows one step of Rows output rows reads
        // Ring rows, a zero row, spare output rows (rows past the last one), a tail block (partial last vectors of
        // each row), and for stride 2 the padded row before it is split (read up to two vectors past its end).
        int tempFloats = s == 2 ? 2 * rowFloats + 64 : 0;
        int spareFloats = (Rows - 1) * outWidthPadded, tailFloats = Rows * 4 * vc;
        float* scratch = (float*)KernelScratch.Get(KernelScratch.ItemSlot, ((long)(slots + 1) * rowFloats + spareFloats + tailFloats + tempFloats) * sizeof(float));
        float* zeroRow = scratch + (long)slots * rowFloats;
        float* spare = zeroRow + rowFloats;
        float* tail = spare + spareFloats;
        float* temp = tail + tailFloats;
        float** outRows = stackalloc float*[Rows];
        new Span<float>(zeroRow, rowFloats).Clear();
        int* slotRow = stackalloc int[slots];
        int* segment = stackalloc int[3] { 0, 0, g.outWidth };
        float** rows = stackalloc float*[slots];

        int inPlane = g.inHeight * g.inWidth, outPlane = g.outHeight * g.outWidth;
        for (int plane = first; plane < end; plane++)
        {
            int channel = plane % g.outChannels;
            float* x = a.X + (long)plane * inPlane;
            float* y = a.Y + (long)plane * outPlane;
            float* residual = a.Residual == null ? null : a.Residual + (long)plane * outPlane;
            float* w = a.W + (long)channel * k * k;
            float bias = a.Bias == null ? 0f : a.Bias[channel];
            for (int i = 0; i < slots; i++) slotRow[i] = -1;

            for (int oh = 0; oh < g.outHeight; oh += Rows)
            {
                int ih0 = oh * s - g.padTop;
                for (int j = 0; j < slots; j++)
                {
                    int ih = ih0 + j;
                    if ((uint)ih >= (uint)g.inHeight) { rows[j] = zeroRow; continue; }
                    int slot = ih % slots;
                    float* row = scratch + (long)slot * rowFloats;
                    if (slotRow[slot] != ih)
                    {
                        BuildRow<TV>(x + (long)ih * g.inWidth, g.inWidth, g.padLeft, s, rowLength, row, temp);
                        slotRow[slot] = ih;
                    }
                    rows[j] = row;
                }
                int real = Math.Min(Rows, g.outHeight - oh);
                for (int r = 0; r < Rows; r++) outRows[r] = r < real ? y + (long)(oh + r) * g.outWidth : spare + (r - 1) * outWidthPadded;
                if (k == 3)
                {
                    if (s == 1) RowBlock<TV, Int3, Int1, TAct>(rows, rowLength, w, bias, outRows, real, g.outWidth, tail, a.E.BeforeAdd);
                    else RowBlock<TV, Int3, Int2, TAct>(rows, rowLength, w, bias, outRows, real, g.outWidth, tail, a.E.BeforeAdd);
                }
                else
                {
                    if (s == 1) RowBlock<TV, Int5, Int1, TAct>(rows, rowLength, w, bias, outRows, real, g.outWidth, tail, a.E.BeforeAdd);
                    else RowBlock<TV, Int5, Int2, TAct>(rows, rowLength, w, bias, outRows, real, g.outWidth, tail, a.E.BeforeAdd);
                }
                if (epiloguePass && (residual != null || !a.E.IsIdentity))
                    EpilogueOps.Rows<TV>(outRows[0], g.outWidth, outRows[0], residual == null ? null : residual + (long)oh * g.outWidth, g.outWidth, real, segment, 1, a.E);
            }
        }
    }

    /// <summary>
    /// Writes input row <paramref name="src"/> zero-padded: stride 1, row[t] = src[t - padLeft] for t &lt; length;
    /// stride 2, the padded row's even columns in row[0, length) and odd ones in row[length, 2 * length), through
    /// <paramref name="temp"/> (the padded row, then split with vector permutes).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BuildRow<TV>(float* src, int width, int padLeft, int stride, int length, float* row, float* temp)
        where TV : unmanaged, IVec<TV>
    {
        if (stride == 1)
        {
            PadCopy<TV>(src, width, padLeft, length, row);
            return;
        }
        PadCopy<TV>(src, width, padLeft, 2 * length, temp);
        Deinterleave<TV>(temp, length, row, row + length);
    }

    /// <summary>
    /// dst[t] = src[t - padLeft] where that lies in [0, width), else 0, for t &lt; length. Whole vectors only where
    /// it can: the copy's last vector ends exactly at the row's last element (overlapping the one before), and
    /// the zeros after it are stored as whole vectors, up to one vector past length (the buffers have the slack).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PadCopy<TV>(float* src, int width, int padLeft, int length, float* dst) where TV : unmanaged, IVec<TV>
    {
        int vc = TV.Count;
        int first = Math.Min(padLeft, length);
        for (int t = 0; t < first; t++) dst[t] = 0;
        int count = Math.Min(width, length - first), end = first + count;
        float* from = src - padLeft;
        if (count >= vc)
        {
            int t = first;
            for (; t <= end - vc; t += vc) TV.Store(dst + t, TV.Load(from + t));
            if (t < end) TV.Store(dst + end - vc, TV.Load(from + end - vc));
        }
        else
        {
            for (int t = first; t < end; t++) dst[t] = from[t];
        }
        for (int t = end; t < length; t += vc) TV.Store(dst + t, TV.Zero);
    }

    /// <summary>
    /// even[u] = p[2u], odd[u] = p[2u + 1] for u &lt; count. The vector paths store whole vectors, up to one past
    /// count: all even values first, whose overflow lands on the start of <paramref name="odd"/> (the row's odd half),
    /// then all odd values over it. They read up to two vectors past 2 * count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Deinterleave<TV>(float* p, int count, float* even, float* odd) where TV : unmanaged, IVec<TV>
    {
        if (typeof(TV) == typeof(Vec512))
        {
            var evenLanes = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            var oddLanes = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
            for (int u = 0; u < count; u += 16)
                System.Runtime.Intrinsics.X86.Avx512F.PermuteVar16x32x2(Vector512.Load(p + 2 * u), evenLanes, Vector512.Load(p + 2 * u + 16)).Store(even + u);
            for (int u = 0; u < count; u += 16)
                System.Runtime.Intrinsics.X86.Avx512F.PermuteVar16x32x2(Vector512.Load(p + 2 * u), oddLanes, Vector512.Load(p + 2 * u + 16)).Store(odd + u);
            return;
        }
        if (System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported && typeof(TV) == typeof(Vec128))
        {
            for (int u = 0; u < count; u += 4)
                System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.UnzipEven(Vector128.Load(p + 2 * u), Vector128.Load(p + 2 * u + 4)).Store(even + u);
            for (int u = 0; u < count; u += 4)
                System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.UnzipOdd(Vector128.Load(p + 2 * u), Vector128.Load(p + 2 * u + 4)).Store(odd + u);
            return;
        }
        for (int u = 0; u < count; u++)
        {
            even[u] = p[2 * u];
            odd[u] = p[2 * u + 1];
        }
    }

    /// <summary>Output rows computed together: each input row loaded feeds up to Rows / stride of them.</summary>
    private const int Rows = 4;

    /// <summary>
    /// Rows output rows (<paramref name="outRows"/>; <paramref name="real"/> of them are y's, the rest spare), in
    /// blocks of up to four vectors along the row; a partial last vector goes through <paramref name="tail"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowBlock<TV, TK, TS, TAct>(float** rows, int half, float* w, float bias, float** outRows, int real, int outWidth, float* tail, Act act)
        where TV : unmanaged, IVec<TV> where TK : IConstInt where TS : IConstInt where TAct : IActivationOp
    {
        int vc = TV.Count, ow = 0;
        float* o0 = outRows[0], o1 = outRows[1], o2 = outRows[2], o3 = outRows[3];
        // 4 rows x 4 vectors of accumulators fill half the AVX-512 registers; with 16 registers, 4 x 2.
        if (TV.Count == 16)
        {
            for (; ow + 4 * vc <= outWidth; ow += 4 * vc) Block<TV, TK, TS, Int4, TAct>(rows, half, ow, w, bias, o0 + ow, o1 + ow, o2 + ow, o3 + ow, act);
        }
        else
        {
            for (; ow + 2 * vc <= outWidth; ow += 2 * vc) Block<TV, TK, TS, Int2, TAct>(rows, half, ow, w, bias, o0 + ow, o1 + ow, o2 + ow, o3 + ow, act);
        }
        int left = outWidth - ow;
        if (left == 0) return;
        int vectors = (left + vc - 1) / vc;
        bool exact = vectors * vc == left;
        // The tail block takes a partial last vector; whole vectors go straight to the rows.
        int step = 4 * vc;
        float* t0 = exact ? o0 + ow : tail, t1 = exact ? o1 + ow : tail + step, t2 = exact ? o2 + ow : tail + 2 * step, t3 = exact ? o3 + ow : tail + 3 * step;
        switch (vectors)
        {
            case 1: Block<TV, TK, TS, Int1, TAct>(rows, half, ow, w, bias, t0, t1, t2, t3, act); break;
            case 2: Block<TV, TK, TS, Int2, TAct>(rows, half, ow, w, bias, t0, t1, t2, t3, act); break;
            case 3: Block<TV, TK, TS, Int3, TAct>(rows, half, ow, w, bias, t0, t1, t2, t3, act); break;
            default: Block<TV, TK, TS, Int4, TAct>(rows, half, ow, w, bias, t0, t1, t2, t3, act); break;
        }
        if (!exact)
            for (int r = 0; r < real; r++) Buffer.MemoryCopy(tail + r * step, outRows[r] + ow, left * sizeof(float), left * sizeof(float));
    }

    /// <summary>
    /// Four output rows times TC vectors: input row j of the block feeds output row r through kernel row j - r * stride
    /// when that is one of the kernel's rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block<TV, TK, TS, TC, TAct>(float** rows, int half, int ow, float* w, float bias, float* y0, float* y1, float* y2, float* y3, Act act)
        where TV : unmanaged, IVec<TV> where TK : IConstInt where TS : IConstInt where TC : IConstInt where TAct : IActivationOp
    {
        int vc = TV.Count, k = TK.Value, s = TS.Value;
        TV b = TV.Splat(bias);
        TV a00 = b, a01 = b, a02 = b, a03 = b, a10 = b, a11 = b, a12 = b, a13 = b;
        TV a20 = b, a21 = b, a22 = b, a23 = b, a30 = b, a31 = b, a32 = b, a33 = b;
        for (int j = 0; j < 3 * s + k; j++)
        {
            float* row = rows[j] + ow;
            // Kernel rows of this input row for output rows 0..3 (valid when in [0, k)).
            int k0 = j, k1 = j - s, k2 = j - 2 * s, k3 = j - 3 * s;
            for (int kw = 0; kw < k; kw++)
            {
                // Stride 2: even taps read the even half at kw / 2, odd taps the odd half.
                float* p = s == 1 ? row + kw : row + ((kw & 1) == 0 ? kw >> 1 : half + (kw >> 1));
                TV x0 = TV.Load(p);
                TV x1 = TC.Value > 1 ? TV.Load(p + vc) : default;
                TV x2 = TC.Value > 2 ? TV.Load(p + 2 * vc) : default;
                TV x3 = TC.Value > 3 ? TV.Load(p + 3 * vc) : default;
                if ((uint)k0 < (uint)k)
                {
                    TV wv = TV.Splat(w[k0 * k + kw]);
                    a00 = TV.MultiplyAdd(wv, x0, a00);
                    if (TC.Value > 1) a01 = TV.MultiplyAdd(wv, x1, a01);
                    if (TC.Value > 2) a02 = TV.MultiplyAdd(wv, x2, a02);
                    if (TC.Value > 3) a03 = TV.MultiplyAdd(wv, x3, a03);
                }
                if ((uint)k1 < (uint)k)
                {
                    TV wv = TV.Splat(w[k1 * k + kw]);
                    a10 = TV.MultiplyAdd(wv, x0, a10);
                    if (TC.Value > 1) a11 = TV.MultiplyAdd(wv, x1, a11);
                    if (TC.Value > 2) a12 = TV.MultiplyAdd(wv, x2, a12);
                    if (TC.Value > 3) a13 = TV.MultiplyAdd(wv, x3, a13);
                }
                if ((uint)k2 < (uint)k)
                {
                    TV wv = TV.Splat(w[k2 * k + kw]);
                    a20 = TV.MultiplyAdd(wv, x0, a20);
                    if (TC.Value > 1) a21 = TV.MultiplyAdd(wv, x1, a21);
                    if (TC.Value > 2) a22 = TV.MultiplyAdd(wv, x2, a22);
                    if (TC.Value > 3) a23 = TV.MultiplyAdd(wv, x3, a23);
                }
                if ((uint)k3 < (uint)k)
                {
                    TV wv = TV.Splat(w[k3 * k + kw]);
                    a30 = TV.MultiplyAdd(wv, x0, a30);
                    if (TC.Value > 1) a31 = TV.MultiplyAdd(wv, x1, a31);
                    if (TC.Value > 2) a32 = TV.MultiplyAdd(wv, x2, a32);
                    if (TC.Value > 3) a33 = TV.MultiplyAdd(wv, x3, a33);
                }
            }
        }
        Store<TV, TC, TAct>(y0, vc, a00, a01, a02, a03, act);
        Store<TV, TC, TAct>(y1, vc, a10, a11, a12, a13, act);
        Store<TV, TC, TAct>(y2, vc, a20, a21, a22, a23, act);
        Store<TV, TC, TAct>(y3, vc, a30, a31, a32, a33, act);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TV, TC, TAct>(float* y, int vc, TV v0, TV v1, TV v2, TV v3, in Act act)
        where TV : unmanaged, IVec<TV> where TC : IConstInt where TAct : IActivationOp
    {
        TV.Store(y, TAct.Apply(v0, act));
        if (TC.Value > 1) TV.Store(y + vc, TAct.Apply(v1, act));
        if (TC.Value > 2) TV.Store(y + 2 * vc, TAct.Apply(v2, act));
        if (TC.Value > 3) TV.Store(y + 3 * vc, TAct.Apply(v3, act));
    }
}
