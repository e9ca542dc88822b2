using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelCompiler.Runtime;

/// <summary>
/// The element-wise half of a recurrent step, generic over the vector width like the GEMM kernels: gate
/// activations (with the optional clip) on a run of floats, and the few operations <see cref="IVec{TSelf}"/> lacks
/// (exponential, division), which map to <see cref="FastMath.Exp{TV}"/> at the same width and to <c>/</c>. The <c>typeof</c> tests are JIT-time constants: each instantiation keeps
/// exactly one branch.
/// </summary>
internal static unsafe class GateMath
{
    /// <summary>
    /// e^x in float32 by <see cref="FastMath.Exp{TV}"/> (Cephes expf, about 1 ulp; x clamped to [-88, 88.3]), the
    /// transformer kernels' exp: Vector512.Exp computes float lanes in double and made the gate activations a
    /// measurable share of a GRU step.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Exp<TV>(TV x) where TV : unmanaged, IVec<TV>
    {
        if (typeof(TV) == typeof(Vec512)) return To<MathVec512, TV>(FastMath.Exp(To<TV, MathVec512>(x)));
        if (typeof(TV) == typeof(Vec256)) return To<MathVec256, TV>(FastMath.Exp(To<TV, MathVec256>(x)));
        if (typeof(TV) == typeof(Vec128)) return To<MathVec128, TV>(FastMath.Exp(To<TV, MathVec128>(x)));
        return To<MathVec1, TV>(FastMath.Exp(To<TV, MathVec1>(x)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Divide<TV>(TV a, TV b) where TV : unmanaged, IVec<TV>
    {
        if (typeof(TV) == typeof(Vec512)) return To<Vec512, TV>(new Vec512 { V = To<TV, Vec512>(a).V / To<TV, Vec512>(b).V });
        if (typeof(TV) == typeof(Vec256)) return To<Vec256, TV>(new Vec256 { V = To<TV, Vec256>(a).V / To<TV, Vec256>(b).V });
        if (typeof(TV) == typeof(Vec128)) return To<Vec128, TV>(new Vec128 { V = To<TV, Vec128>(a).V / To<TV, Vec128>(b).V });
        return To<Vec1, TV>(new Vec1 { V = To<TV, Vec1>(a).V / To<TV, Vec1>(b).V });
    }

    /// <summary>a - b, exactly (a fused b * -1 + a rounds once, like a subtraction).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Subtract<TV>(TV a, TV b) where TV : unmanaged, IVec<TV> => TV.MultiplyAdd(b, TV.Splat(-1f), a);

    /// <summary>1 / (1 + e^-x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Sigmoid<TV>(TV x) where TV : unmanaged, IVec<TV>
    {
        TV one = TV.Splat(1f);
        return Divide(one, TV.Add(one, Exp(TV.Multiply(x, TV.Splat(-1f)))));
    }

    /// <summary>1 - 2 / (1 + e^2x): exact limits (e^2x overflowing to infinity gives 1, underflowing to 0 gives -1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Tanh<TV>(TV x) where TV : unmanaged, IVec<TV>
    {
        TV one = TV.Splat(1f);
        TV q = Divide(TV.Splat(2f), TV.Add(one, Exp(TV.Add(x, x))));
        return Subtract(one, q);
    }

    /// <summary>
    /// p[0..n) = activation(clip(p[0..n))) in place; n is a multiple of <typeparamref name="TV"/>'s width. The
    /// clip (ONNX's <c>clip</c> attribute, applied to every gate input) is skipped when <paramref name="clip"/> is infinite.
    /// </summary>
    public static void Activate<TV>(float* p, int n, in RnnActivation a, float clip) where TV : unmanaged, IVec<TV>
    {
        int vc = TV.Count;
        bool clipped = clip < float.PositiveInfinity;
        TV hi = TV.Splat(clip), lo = TV.Splat(-clip);
        TV alpha = TV.Splat(a.Alpha), beta = TV.Splat(a.Beta), zero = TV.Zero, one = TV.Splat(1f);
        switch (a.Kind)
        {
            case RnnActivationKind.Sigmoid:
            case RnnActivationKind.Tanh:
            case RnnActivationKind.Relu:
            case RnnActivationKind.Affine:
            case RnnActivationKind.LeakyRelu:
            case RnnActivationKind.ScaledTanh:
            case RnnActivationKind.HardSigmoid:
                for (int i = 0; i < n; i += vc)
                {
                    TV x = TV.Load(p + i);
                    if (clipped) x = TV.MinKeepNaN(hi, TV.MaxKeepNaN(lo, x));
                    x = a.Kind switch
                    {
                        RnnActivationKind.Sigmoid => Sigmoid(x),
                        RnnActivationKind.Tanh => Tanh(x),
                        RnnActivationKind.Relu => TV.MaxKeepNaN(zero, x),
                        RnnActivationKind.Affine => TV.MultiplyAdd(x, alpha, beta),
                        RnnActivationKind.LeakyRelu => TV.LeakyRelu(x, alpha),
                        RnnActivationKind.ScaledTanh => TV.Multiply(alpha, Tanh(TV.Multiply(beta, x))),
                        _ => TV.MinKeepNaN(one, TV.MaxKeepNaN(zero, TV.MultiplyAdd(x, alpha, beta))),
                    };
                    TV.Store(p + i, x);
                }
                break;
            default:
                // Rare in exported models: one float at a time.
                for (int i = 0; i < n; i++)
                {
                    float x = p[i];
                    if (clipped) x = Math.Min(clip, Math.Max(-clip, x));
                    p[i] = Scalar(a, x);
                }
                break;
        }
    }

    private static float Scalar(in RnnActivation a, float x) => a.Kind switch
    {
        RnnActivationKind.ThresholdedRelu => x > a.Alpha ? x : 0f,
        RnnActivationKind.Elu => x >= 0 ? x : a.Alpha * (MathF.Exp(x) - 1f),
        RnnActivationKind.Softsign => x / (1f + MathF.Abs(x)),
        _ => MathF.Max(x, 0f) + MathF.Log(1f + MathF.Exp(-MathF.Abs(x))), // Softplus, without overflow for large x
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TTo To<TFrom, TTo>(TFrom x) where TFrom : unmanaged where TTo : unmanaged => Unsafe.As<TFrom, TTo>(ref x);
}
