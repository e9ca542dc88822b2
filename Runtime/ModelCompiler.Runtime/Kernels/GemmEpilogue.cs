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

/// <summary>The vectorized epilogue over contiguous output segments, for every vector width.</summary>
internal static unsafe class EpilogueOps
{
    /// <summary>y[i] = AfterAdd(BeforeAdd(y[i]) + r[i]) for i &lt; count (r may be null: no residual).</summary>
    public static void Segment(float* y, float* r, nint count, in Epilogue e)
    {
        if (SimdLevel.Use512) Copy<Vec512>(y, y, r, count, e);
        else if (SimdLevel.Use256) Copy<Vec256>(y, y, r, count, e);
        else if (SimdLevel.Use128) Copy<Vec128>(y, y, r, count, e);
        else Copy<Vec1>(y, y, r, count, e);
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
        if (e.BeforeAdd.Kind == ActivationKind.Sigmoid || e.AfterAdd.Kind == ActivationKind.Sigmoid)
        {
            if (src != dst) Buffer.MemoryCopy(src, dst, count * sizeof(float), count * sizeof(float));
            SegmentWithSigmoid(dst, r, count, e);
            return;
        }
        CopyLoop<TV>(src, dst, r, count, e);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyLoop<TV>(float* src, float* dst, float* r, nint count, in Epilogue e) where TV : unmanaged, IVec<TV>
    {
        Act before = e.BeforeAdd, after = e.AfterAdd;
        nint i = 0;
        if (r == null)
        {
            for (; i <= count - TV.Count; i += TV.Count) TV.Store(dst + i, Apply(Apply(TV.Load(src + i), before), after));
            for (; i < count; i++) Vec1.Store(dst + i, Apply(Apply(Vec1.Load(src + i), before), after));
        }
        else
        {
            for (; i <= count - TV.Count; i += TV.Count) TV.Store(dst + i, Apply(TV.Add(Apply(TV.Load(src + i), before), TV.Load(r + i)), after));
            for (; i < count; i++) Vec1.Store(dst + i, Apply(Vec1.Add(Apply(Vec1.Load(src + i), before), Vec1.Load(r + i)), after));
        }
    }

    /// <summary>One activation on one vector (Sigmoid is handled span-wise by the caller).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Apply<TV>(TV x, in Act a) where TV : unmanaged, IVec<TV>
    {
        switch (a.Kind)
        {
            case ActivationKind.None:
                return x;
            case ActivationKind.Relu:
                return TV.MaxKeepNaN(TV.Zero, x);
            case ActivationKind.Clip:
                return TV.MinKeepNaN(TV.Splat(a.Beta), TV.MaxKeepNaN(TV.Splat(a.Alpha), x));
            case ActivationKind.LeakyRelu:
                return TV.LeakyRelu(x, TV.Splat(a.Alpha));
            case ActivationKind.HardSwish:
                // The same operations as Activations.HardSwish (multiply, then add: no FMA), so fusing does not change results.
                return TV.Multiply(x, HardSigmoid(x, 1f / 6f, 0.5f));
            case ActivationKind.HardSigmoid:
                return HardSigmoid(x, a.Alpha, a.Beta);
            default:
                throw new NotSupportedException($"Activation {a.Kind} is applied span-wise.");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV HardSigmoid<TV>(TV x, float alpha, float beta) where TV : unmanaged, IVec<TV> =>
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
        fixed (float* p = y) CopyLoop<Vec1>(p, p, null, y.Length, new Epilogue(a));
    }
}
