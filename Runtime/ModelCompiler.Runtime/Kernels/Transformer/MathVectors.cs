using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace ModelCompiler.Runtime;

/// <summary>
/// The float vector operations the transcendental kernels (GELU) need beyond <see cref="IVec{TSelf}"/>: division, reciprocal,
/// absolute value, max, clamping, lane reductions, a sign select and the power-of-two step of exp (<see cref="FastMath.Exp{TV}"/>). One
/// struct per width; the JIT specializes the generic kernels per struct and inlines every member.
/// </summary>
internal unsafe interface IMathVec<TSelf> where TSelf : unmanaged, IMathVec<TSelf>
{
    static abstract int Count { get; }
    static abstract TSelf Load(float* p);
    static abstract void Store(float* p, TSelf v);
    static abstract TSelf Splat(float v);
    static abstract TSelf Add(TSelf a, TSelf b);
    static abstract TSelf Subtract(TSelf a, TSelf b);
    static abstract TSelf Multiply(TSelf a, TSelf b);
    static abstract TSelf Divide(TSelf a, TSelf b);

    /// <summary>1 / a to about 1 ulp: the hardware estimate refined by one Newton step (a division where there is no estimate).</summary>
    static abstract TSelf Reciprocal(TSelf a);

    /// <summary>a * b + c, fused where the hardware has FMA.</summary>
    static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf c);
    static abstract TSelf Abs(TSelf a);
    static abstract TSelf Max(TSelf a, TSelf b);

    /// <summary>min(max(x, lower), upper) with the native instructions (x86: a NaN x stays NaN, as x is the second operand).</summary>
    static abstract TSelf Clamp(TSelf x, float lower, float upper);

    /// <summary>The largest lane (NaN when a lane is NaN).</summary>
    static abstract float MaxAcross(TSelf a);

    /// <summary>The sum of the lanes.</summary>
    static abstract float SumAcross(TSelf a);

    /// <summary>
    /// 2^n for t = y + 1.5 * 2^23 with n = round(y), |n| &lt;= 127: the low bits of t's representation are n, which
    /// become an exponent field (the classic magic-number rounding, so no rounding or conversion instruction is needed).
    /// </summary>
    static abstract TSelf PowerOfTwoFromShifted(TSelf t);

    /// <summary>x &gt;= 0 ? whenNonNegative : otherwise, lane by lane (NaN x takes <paramref name="otherwise"/>).</summary>
    static abstract TSelf SelectNonNegative(TSelf x, TSelf whenNonNegative, TSelf otherwise);
}

/// <summary>
/// A float kernel written once over <see cref="IMathVec{TSelf}"/> (the transformer kernels that need exp, division or lane
/// reductions), instantiated at this machine's width by <see cref="MathLevel.Run{TKernel, TArgs}"/>: the counterpart of
/// <see cref="IVectorKernel{TArgs}"/> for the wider vector interface. <typeparamref name="TArgs"/> holds one call's
/// pointers and sizes.
/// </summary>
internal interface IMathKernel<TArgs> where TArgs : struct
{
    /// <summary>Runs the call at vector type <typeparamref name="TV"/>.</summary>
    static abstract void Run<TV>(in TArgs args) where TV : unmanaged, IMathVec<TV>;
}

/// <summary>The ISA dispatch of the <see cref="IMathKernel{TArgs}"/> kernels: the width <see cref="SimdLevel"/> resolves, one direct call.</summary>
internal static class MathLevel
{
    public static void Run<TKernel, TArgs>(VectorWidth width, in TArgs args) where TKernel : IMathKernel<TArgs> where TArgs : struct
    {
        switch (SimdLevel.Resolve(width))
        {
            case VectorWidth.Bits512: TKernel.Run<MathVec512>(args); break;
            case VectorWidth.Bits256: TKernel.Run<MathVec256>(args); break;
            case VectorWidth.Bits128: TKernel.Run<MathVec128>(args); break;
            default: TKernel.Run<MathVec1>(args); break;
        }
    }
}

internal unsafe struct MathVec512 : IMathVec<MathVec512>
{
    public Vector512<float> V;
    public static int Count => 16;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec512 Load(float* p) => new() { V = Vector512.Load(p) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, MathVec512 v) => v.V.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec512 Splat(float v) => new() { V = Vector512.Create(v) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec512 Add(MathVec512 a, MathVec512 b) => new() { V = a.V + b.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec512 Subtract(MathVec512 a, MathVec512 b) => new() { V = a.V - b.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec512 Multiply(MathVec512 a, MathVec512 b) => new() { V = a.V * b.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static MathVec512 Reciprocal(MathVec512 a)
    {
        var e = Avx512F.Reciprocal14(a.V);
        return new() { V = e * (Vector512.Create(2f) - a.V * e) };
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec512 Divide(MathVec512 a, MathVec512 b) => new() { V = a.V / b.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec512 MultiplyAdd(MathVec512 a, MathVec512 b, MathVec512 c) => new() { V = Avx512F.FusedMultiplyAdd(a.V, b.V, c.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec512 Abs(MathVec512 a) => new() { V = Vector512.Abs(a.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec512 Max(MathVec512 a, MathVec512 b) => new() { V = Vector512.Max(a.V, b.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static MathVec512 Clamp(MathVec512 x, float lower, float upper) => new() { V = Vector512.MinNative(Vector512.Create(upper), Vector512.MaxNative(Vector512.Create(lower), x.V)) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxAcross(MathVec512 a) => MathVec256.MaxAcross(new() { V = Vector256.Max(a.V.GetLower(), a.V.GetUpper()) });
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float SumAcross(MathVec512 a) => Vector512.Sum(a.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static MathVec512 PowerOfTwoFromShifted(MathVec512 t) =>
        new() { V = Vector512.ShiftLeft(t.V.AsInt32() - Vector512.Create(0x4B400000 - 127), 23).AsSingle() };
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static MathVec512 SelectNonNegative(MathVec512 x, MathVec512 a, MathVec512 b) =>
        new() { V = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x.V, Vector512<float>.Zero), a.V, b.V) };
}

internal unsafe struct MathVec256 : IMathVec<MathVec256>
{
    public Vector256<float> V;
    public static int Count => 8;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec256 Load(float* p) => new() { V = Vector256.Load(p) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, MathVec256 v) => v.V.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec256 Splat(float v) => new() { V = Vector256.Create(v) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec256 Add(MathVec256 a, MathVec256 b) => new() { V = a.V + b.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec256 Subtract(MathVec256 a, MathVec256 b) => new() { V = a.V - b.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec256 Multiply(MathVec256 a, MathVec256 b) => new() { V = a.V * b.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static MathVec256 Reciprocal(MathVec256 a)
    {
        var e = Avx.Reciprocal(a.V);
        return new() { V = e * (Vector256.Create(2f) - a.V * e) };
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec256 Divide(MathVec256 a, MathVec256 b) => new() { V = a.V / b.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec256 MultiplyAdd(MathVec256 a, MathVec256 b, MathVec256 c) => new() { V = Vector256.MultiplyAddEstimate(a.V, b.V, c.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec256 Abs(MathVec256 a) => new() { V = Vector256.Abs(a.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec256 Max(MathVec256 a, MathVec256 b) => new() { V = Vector256.Max(a.V, b.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static MathVec256 Clamp(MathVec256 x, float lower, float upper) => new() { V = Vector256.MinNative(Vector256.Create(upper), Vector256.MaxNative(Vector256.Create(lower), x.V)) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxAcross(MathVec256 a) => MathVec128.MaxAcross(new() { V = Vector128.Max(a.V.GetLower(), a.V.GetUpper()) });
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float SumAcross(MathVec256 a) => Vector256.Sum(a.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static MathVec256 PowerOfTwoFromShifted(MathVec256 t) =>
        new() { V = Vector256.ShiftLeft(t.V.AsInt32() - Vector256.Create(0x4B400000 - 127), 23).AsSingle() };
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static MathVec256 SelectNonNegative(MathVec256 x, MathVec256 a, MathVec256 b) =>
        new() { V = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x.V, Vector256<float>.Zero), a.V, b.V) };
}

internal unsafe struct MathVec128 : IMathVec<MathVec128>
{
    public Vector128<float> V;
    public static int Count => 4;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec128 Load(float* p) => new() { V = Vector128.Load(p) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, MathVec128 v) => v.V.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec128 Splat(float v) => new() { V = Vector128.Create(v) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec128 Add(MathVec128 a, MathVec128 b) => new() { V = a.V + b.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec128 Subtract(MathVec128 a, MathVec128 b) => new() { V = a.V - b.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec128 Multiply(MathVec128 a, MathVec128 b) => new() { V = a.V * b.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static MathVec128 Reciprocal(MathVec128 a)
    {
        if (Sse.IsSupported)
        {
            var e = Sse.Reciprocal(a.V);
            return new() { V = e * (Vector128.Create(2f) - a.V * e) };
        }
        if (AdvSimd.IsSupported)
        {
            var e = AdvSimd.ReciprocalEstimate(a.V);
            e *= AdvSimd.ReciprocalStep(a.V, e);
            return new() { V = e * AdvSimd.ReciprocalStep(a.V, e) };
        }
        return new() { V = Vector128.Create(1f) / a.V };
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec128 Divide(MathVec128 a, MathVec128 b) => new() { V = a.V / b.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec128 MultiplyAdd(MathVec128 a, MathVec128 b, MathVec128 c) => new() { V = Vector128.MultiplyAddEstimate(a.V, b.V, c.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec128 Abs(MathVec128 a) => new() { V = Vector128.Abs(a.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec128 Max(MathVec128 a, MathVec128 b) => new() { V = Vector128.Max(a.V, b.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static MathVec128 Clamp(MathVec128 x, float lower, float upper) => new() { V = Vector128.MinNative(Vector128.Create(upper), Vector128.MaxNative(Vector128.Create(lower), x.V)) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(MathVec128 a)
    {
        var m = Vector128.Max(a.V, Vector128.Shuffle(a.V, Vector128.Create(2, 3, 0, 1)));
        return Vector128.Max(m, Vector128.Shuffle(m, Vector128.Create(1, 0, 3, 2))).ToScalar();
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float SumAcross(MathVec128 a) => Vector128.Sum(a.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static MathVec128 PowerOfTwoFromShifted(MathVec128 t) =>
        new() { V = Vector128.ShiftLeft(t.V.AsInt32() - Vector128.Create(0x4B400000 - 127), 23).AsSingle() };
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static MathVec128 SelectNonNegative(MathVec128 x, MathVec128 a, MathVec128 b) =>
        new() { V = Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(x.V, Vector128<float>.Zero), a.V, b.V) };
}

/// <summary>One float: the scalar path (and every kernel's tail).</summary>
internal unsafe struct MathVec1 : IMathVec<MathVec1>
{
    public float V;
    public static int Count => 1;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec1 Load(float* p) => new() { V = *p };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, MathVec1 v) => *p = v.V;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec1 Splat(float v) => new() { V = v };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec1 Add(MathVec1 a, MathVec1 b) => new() { V = a.V + b.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec1 Subtract(MathVec1 a, MathVec1 b) => new() { V = a.V - b.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec1 Multiply(MathVec1 a, MathVec1 b) => new() { V = a.V * b.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec1 Reciprocal(MathVec1 a) => new() { V = 1f / a.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec1 Divide(MathVec1 a, MathVec1 b) => new() { V = a.V / b.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec1 MultiplyAdd(MathVec1 a, MathVec1 b, MathVec1 c) => new() { V = a.V * b.V + c.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec1 Abs(MathVec1 a) => new() { V = System.MathF.Abs(a.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec1 Max(MathVec1 a, MathVec1 b) => new() { V = System.MathF.Max(a.V, b.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec1 Clamp(MathVec1 x, float lower, float upper) => new() { V = float.IsNaN(x.V) ? x.V : System.Math.Clamp(x.V, lower, upper) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxAcross(MathVec1 a) => a.V;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float SumAcross(MathVec1 a) => a.V;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static MathVec1 PowerOfTwoFromShifted(MathVec1 t) => new() { V = System.BitConverter.Int32BitsToSingle((System.BitConverter.SingleToInt32Bits(t.V) - (0x4B400000 - 127)) << 23) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec1 SelectNonNegative(MathVec1 x, MathVec1 a, MathVec1 b) => new() { V = x.V >= 0 ? a.V : b.V };
}

/// <summary>Float transcendental functions over <see cref="IMathVec{TSelf}"/>, evaluated the same way at every width.</summary>
internal static class FastMath
{
    /// <summary>
    /// e^x in float32 (Cephes expf: x = n ln2 + r with ln2 split in two, a degree-6 polynomial for e^r, then 2^n;
    /// about 1 ulp). x is clamped to [-88, 88.3] so that 2^n is a normal float or zero: below about -87.7 the result is
    /// 0 (so e^-inf is 0, as softmax needs for masked keys), above 88.3 it stays e^88.3 (2.2e38). The GELU kernels
    /// keep a NaN input NaN through their other uses of x.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Exp<TV>(TV x) where TV : unmanaged, IMathVec<TV>
    {
        x = TV.Clamp(x, -88f, 88.3f);
        TV shifted = TV.Add(TV.Multiply(x, TV.Splat(1.44269504f)), TV.Splat(12582912f));
        TV n = TV.Subtract(shifted, TV.Splat(12582912f));
        TV r = TV.Subtract(TV.Subtract(x, TV.Multiply(n, TV.Splat(0.693359375f))), TV.Multiply(n, TV.Splat(-2.12194440e-4f)));
        TV p = TV.Splat(1.9875691500e-4f);
        p = TV.Add(TV.Multiply(p, r), TV.Splat(1.3981999507e-3f));
        p = TV.Add(TV.Multiply(p, r), TV.Splat(8.3334519073e-3f));
        p = TV.Add(TV.Multiply(p, r), TV.Splat(4.1665795894e-2f));
        p = TV.Add(TV.Multiply(p, r), TV.Splat(1.6666665459e-1f));
        p = TV.Add(TV.Multiply(p, r), TV.Splat(5.0000001201e-1f));
        TV e = TV.Add(TV.Add(TV.Multiply(TV.Multiply(p, r), r), r), TV.Splat(1f));
        return TV.Multiply(e, TV.PowerOfTwoFromShifted(shifted));
    }
}
