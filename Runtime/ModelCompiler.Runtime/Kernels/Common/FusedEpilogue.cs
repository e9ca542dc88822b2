using System;
using System.ComponentModel;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace ModelCompiler.Runtime;

/// <summary>The element-wise activations a convolution or matrix product can apply to its output as it stores it.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public enum ActivationKind
{
    /// <summary>Identity.</summary>
    None,
    /// <summary>max(x, 0).</summary>
    Relu,
    /// <summary>min(max(x, Alpha), Beta); Relu6 is Clip(0, 6).</summary>
    Clip,
    /// <summary>x &lt; 0 ? Alpha * x : x.</summary>
    LeakyRelu,
    /// <summary>x * max(0, min(1, x / 6 + 0.5)).</summary>
    HardSwish,
    /// <summary>max(0, min(1, Alpha * x + Beta)).</summary>
    HardSigmoid,
    /// <summary>1 / (1 + exp(-x)).</summary>
    Sigmoid,
}

/// <summary>An activation with its parameters (see <see cref="ActivationKind"/>).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct Act
{
    /// <summary>An activation; <paramref name="alpha"/> and <paramref name="beta"/> as <see cref="ActivationKind"/> describes.</summary>
    public Act(ActivationKind kind, float alpha = 0, float beta = 0)
    {
        Kind = kind;
        Alpha = alpha;
        Beta = beta;
    }

    /// <summary>Which function.</summary>
    public ActivationKind Kind { get; }
    /// <summary>First parameter (Clip's min, LeakyRelu's and HardSigmoid's alpha).</summary>
    public float Alpha { get; }
    /// <summary>Second parameter (Clip's max, HardSigmoid's beta).</summary>
    public float Beta { get; }

    /// <summary>Identity.</summary>
    public static Act None => default;
    /// <summary>max(x, 0).</summary>
    public static Act Relu => new(ActivationKind.Relu);
    /// <summary>x * max(0, min(1, x / 6 + 0.5)).</summary>
    public static Act HardSwish => new(ActivationKind.HardSwish);
    /// <summary>1 / (1 + exp(-x)).</summary>
    public static Act Sigmoid => new(ActivationKind.Sigmoid);
    /// <summary>min(max(x, min), max).</summary>
    public static Act Clip(float min, float max) => new(ActivationKind.Clip, min, max);
    /// <summary>x &lt; 0 ? alpha * x : x.</summary>
    public static Act LeakyRelu(float alpha) => new(ActivationKind.LeakyRelu, alpha);
    /// <summary>max(0, min(1, alpha * x + beta)).</summary>
    public static Act HardSigmoid(float alpha, float beta) => new(ActivationKind.HardSigmoid, alpha, beta);
}

/// <summary>
/// What a fused convolution or matrix product does to each output element after the multiply-accumulate (and
/// bias): y = <see cref="AfterAdd"/>(<see cref="BeforeAdd"/>(acc) + residual), the residual only when the
/// kernel is given one. Folded from the activation and Add nodes that followed the layer in the graph.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct Epilogue
{
    /// <summary>y = afterAdd(beforeAdd(acc) + residual).</summary>
    public Epilogue(Act beforeAdd, Act afterAdd)
    {
        BeforeAdd = beforeAdd;
        AfterAdd = afterAdd;
    }

    /// <summary>y = activation(acc) [+ residual].</summary>
    public Epilogue(Act activation) : this(activation, Act.None) { }

    /// <summary>Applied to the accumulated value (with bias), before the residual is added.</summary>
    public Act BeforeAdd { get; }
    /// <summary>Applied after the residual is added.</summary>
    public Act AfterAdd { get; }

    /// <summary>Nothing after the multiply-accumulate.</summary>
    public static Epilogue None => default;

    internal bool IsIdentity => BeforeAdd.Kind == ActivationKind.None && AfterAdd.Kind == ActivationKind.None;

    /// <summary>
    /// Applies the epilogue to a whole tensor after a kernel that does not fuse it (the reference kernels):
    /// y = AfterAdd(BeforeAdd(y) + residual). <paramref name="residual"/> is empty or y's length.
    /// </summary>
    public static unsafe void Apply(Span<float> y, ReadOnlySpan<float> residual, in Epilogue e)
    {
        if (!residual.IsEmpty && residual.Length != y.Length) throw new ArgumentException("The residual must have the output's length.", nameof(residual));
        fixed (float* py = y)
        fixed (float* pr = residual)
            EpilogueOps.Segment(py, residual.IsEmpty ? null : pr, y.Length, e);
    }
}

/// <summary>
/// The vectorized epilogue over output segments, for every vector width. The activation kinds are dispatched
/// once per call to loops specialized for them (<see cref="IActivationOp"/>), and segment tails use masked
/// vector loads and stores, so a tile of short rows costs a few vector operations per row.
/// </summary>
internal static unsafe class EpilogueOps
{
    /// <summary>y[i] = AfterAdd(BeforeAdd(y[i]) + r[i]) for i &lt; count (r may be null: no residual).</summary>
    public static void Segment(float* y, float* r, nint count, in Epilogue e) =>
        SimdLevel.Run<SegmentKernel, SegmentArgs>(VectorWidth.Auto, new SegmentArgs(y, r, count, e), threads: 1);

    private readonly struct SegmentArgs(float* y, float* r, nint count, in Epilogue e)
    {
        public readonly float* Y = y, R = r;
        public readonly nint Count = count;
        public readonly Epilogue E = e;
    }

    private readonly struct SegmentKernel : IVectorKernel<SegmentArgs>
    {
        public static void Run<TV>(in SegmentArgs a, int threads) where TV : unmanaged, IVec<TV> => Copy<TV>(a.Y, a.Y, a.R, a.Count, a.E);
    }

    /// <summary>
    /// dst[i] = AfterAdd(BeforeAdd(src[i]) + r[i]) for i &lt; count, at the caller's vector width; src may be dst.
    /// r may be null (no residual).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy<TV>(float* src, float* dst, float* r, nint count, in Epilogue e) where TV : unmanaged, IVec<TV>
    {
        if (r == null && e.IsIdentity)
        {
            if (src != dst) Buffer.MemoryCopy(src, dst, count * sizeof(float), count * sizeof(float));
            return;
        }
        int* segment = stackalloc int[3] { 0, 0, checked((int)count) };
        Rows<TV>(src, 0, dst, r, 0, 1, segment, 1, e);
    }

    /// <summary>
    /// The epilogue of a block of rows: for each row and each segment (source offset, destination offset, count)
    /// in <paramref name="segments"/>, dst[row * dstStride + d + i] = AfterAdd(BeforeAdd(src[row * srcStride + s + i])
    /// + residual[same as dst]). This is how a convolution's output tile leaves scratch for the output (the
    /// segments drop the padding columns of wide rows). src may be dst; residual may be null.
    /// </summary>
    public static void Rows<TV>(float* src, nint srcStride, float* dst, float* residual, nint dstStride, int rows, int* segments, int segmentCount, in Epilogue e)
        where TV : unmanaged, IVec<TV>
    {
        Act before = e.BeforeAdd, after = e.AfterAdd;
        if (before.Kind == ActivationKind.Sigmoid || after.Kind == ActivationKind.Sigmoid)
        {
            for (int row = 0; row < rows; row++)
                for (int s = 0; s < segmentCount; s++)
                {
                    float* d = dst + row * dstStride + segments[3 * s + 1];
                    int count = segments[3 * s + 2];
                    float* from = src + row * srcStride + segments[3 * s];
                    if (from != d) Buffer.MemoryCopy(from, d, count * sizeof(float), count * sizeof(float));
                    SegmentWithSigmoid(d, residual == null ? null : residual + row * dstStride + segments[3 * s + 1], count, e);
                }
            return;
        }
        var job = new RowJob(src, srcStride, dst, residual, dstStride, rows, segments, segmentCount, before, after);
        if (after.Kind == ActivationKind.None)
        {
            switch (before.Kind)
            {
                case ActivationKind.None: RowsLoop<TV, NoActivation, NoActivation>(job); return;
                case ActivationKind.Relu: RowsLoop<TV, ReluActivation, NoActivation>(job); return;
                case ActivationKind.Clip: RowsLoop<TV, ClipActivation, NoActivation>(job); return;
                case ActivationKind.LeakyRelu: RowsLoop<TV, LeakyReluActivation, NoActivation>(job); return;
                case ActivationKind.HardSwish: RowsLoop<TV, HardSwishActivation, NoActivation>(job); return;
            }
        }
        else if (before.Kind == ActivationKind.None)
        {
            switch (after.Kind)
            {
                case ActivationKind.Relu: RowsLoop<TV, NoActivation, ReluActivation>(job); return;
                case ActivationKind.Clip: RowsLoop<TV, NoActivation, ClipActivation>(job); return;
                case ActivationKind.LeakyRelu: RowsLoop<TV, NoActivation, LeakyReluActivation>(job); return;
                case ActivationKind.HardSwish: RowsLoop<TV, NoActivation, HardSwishActivation>(job); return;
            }
        }
        RowsLoop<TV, AnyActivation, AnyActivation>(job);
    }

    private readonly struct RowJob(float* src, nint srcStride, float* dst, float* residual, nint dstStride, int rows, int* segments, int segmentCount, Act before, Act after)
    {
        public readonly float* Src = src, Dst = dst, Residual = residual;
        public readonly nint SrcStride = srcStride, DstStride = dstStride;
        public readonly int Rows = rows, SegmentCount = segmentCount;
        public readonly int* Segments = segments;
        public readonly Act Before = before, After = after;
    }

    [MethodImpl(KernelCompilation.Hot)]
    private static void RowsLoop<TV, TBefore, TAfter>(in RowJob j)
        where TV : unmanaged, IVec<TV> where TBefore : IActivationOp where TAfter : IActivationOp
    {
        Act before = j.Before, after = j.After;
        int vc = TV.Count;
        for (int row = 0; row < j.Rows; row++)
        {
            for (int s = 0; s < j.SegmentCount; s++)
            {
                float* src = j.Src + row * j.SrcStride + j.Segments[3 * s];
                nint offset = row * j.DstStride + j.Segments[3 * s + 1];
                float* dst = j.Dst + offset;
                float* r = j.Residual == null ? null : j.Residual + offset;
                int count = j.Segments[3 * s + 2], i = 0;
                if (r == null)
                {
                    for (; i <= count - vc; i += vc) TV.Store(dst + i, TAfter.Apply(TBefore.Apply(TV.Load(src + i), before), after));
                    if (i < count)
                    {
                        if (vc == 1) TV.Store(dst + i, TAfter.Apply(TBefore.Apply(TV.Load(src + i), before), after));
                        else TV.StorePartial(dst + i, TAfter.Apply(TBefore.Apply(TV.LoadPartial(src + i, count - i), before), after), count - i);
                    }
                }
                else
                {
                    for (; i <= count - vc; i += vc) TV.Store(dst + i, TAfter.Apply(TV.Add(TBefore.Apply(TV.Load(src + i), before), TV.Load(r + i)), after));
                    if (i < count)
                    {
                        if (vc == 1) TV.Store(dst + i, TAfter.Apply(TV.Add(TBefore.Apply(TV.Load(src + i), before), TV.Load(r + i)), after));
                        else TV.StorePartial(dst + i, TAfter.Apply(TV.Add(TBefore.Apply(TV.LoadPartial(src + i, count - i), before), TV.LoadPartial(r + i, count - i)), after), count - i);
                    }
                }
            }
        }
    }

    /// <summary>One activation on one vector (Sigmoid is handled span-wise by the callers).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Apply<TV>(TV x, in Act a) where TV : unmanaged, IVec<TV>
    {
        switch (a.Kind)
        {
            case ActivationKind.None: return x;
            case ActivationKind.Relu: return ReluActivation.Apply(x, a);
            case ActivationKind.Clip: return ClipActivation.Apply(x, a);
            case ActivationKind.LeakyRelu: return LeakyReluActivation.Apply(x, a);
            case ActivationKind.HardSwish: return HardSwishActivation.Apply(x, a);
            case ActivationKind.HardSigmoid: return HardSigmoid(x, a.Alpha, a.Beta);
            default: throw new NotSupportedException($"Activation {a.Kind} is applied span-wise.");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV HardSigmoid<TV>(TV x, float alpha, float beta) where TV : unmanaged, IVec<TV> =>
        TV.MaxKeepNaN(TV.Zero, TV.MinKeepNaN(TV.Splat(1f), TV.Add(TV.Multiply(x, TV.Splat(alpha)), TV.Splat(beta))));

    /// <summary>Sigmoid goes through TensorPrimitives.Sigmoid, the routine the unfused Sigmoid layer uses, so results match it.</summary>
    private static void SegmentWithSigmoid(float* y, float* r, nint count, in Epilogue e)
    {
        var span = new Span<float>(y, checked((int)count));
        ApplySpan(span, e.BeforeAdd);
        if (r != null) TensorPrimitives.Add(span, new ReadOnlySpan<float>(r, span.Length), span);
        ApplySpan(span, e.AfterAdd);
    }

    private static void ApplySpan(Span<float> y, in Act a)
    {
        if (a.Kind == ActivationKind.None) return;
        if (a.Kind == ActivationKind.Sigmoid) { TensorPrimitives.Sigmoid(y, y); return; }
        for (int i = 0; i < y.Length; i++) y[i] = Apply(new Vec1 { V = y[i] }, a).V;
    }
}

/// <summary>An activation as a type, so the epilogue loops are compiled once per activation with no branch per vector.</summary>
internal interface IActivationOp
{
    static abstract TV Apply<TV>(TV x, in Act a) where TV : unmanaged, IVec<TV>;
}

internal struct NoActivation : IActivationOp
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TV Apply<TV>(TV x, in Act a) where TV : unmanaged, IVec<TV> => x;
}

internal struct ReluActivation : IActivationOp
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TV Apply<TV>(TV x, in Act a) where TV : unmanaged, IVec<TV> => TV.MaxKeepNaN(TV.Zero, x);
}

internal struct ClipActivation : IActivationOp
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Apply<TV>(TV x, in Act a) where TV : unmanaged, IVec<TV> => TV.MinKeepNaN(TV.Splat(a.Beta), TV.MaxKeepNaN(TV.Splat(a.Alpha), x));
}

internal struct LeakyReluActivation : IActivationOp
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TV Apply<TV>(TV x, in Act a) where TV : unmanaged, IVec<TV> => TV.LeakyRelu(x, TV.Splat(a.Alpha));
}

/// <summary>The same operations as Activations.HardSwish (multiply, then add: no FMA), so fusing does not change results.</summary>
internal struct HardSwishActivation : IActivationOp
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Apply<TV>(TV x, in Act a) where TV : unmanaged, IVec<TV> => TV.Multiply(x, EpilogueOps.HardSigmoid(x, 1f / 6f, 0.5f));
}

/// <summary>Any kind but Sigmoid, chosen per vector: for the rare epilogues with an activation on both sides of the Add.</summary>
internal struct AnyActivation : IActivationOp
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TV Apply<TV>(TV x, in Act a) where TV : unmanaged, IVec<TV> => EpilogueOps.Apply(x, a);
}
