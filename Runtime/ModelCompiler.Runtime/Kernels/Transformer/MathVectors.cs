using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelCompiler.Runtime;

/// <summary>
/// The float vector operations the transcendental kernels (GELU) need beyond <see cref="IVec{TSelf}"/>: exp,
/// division, absolute value and a sign select. One struct per width; the JIT specializes the generic kernels per
/// struct and inlines every member. Exp is the runtime's vectorized Vector*.Exp.
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
    static abstract TSelf Abs(TSelf a);
    static abstract TSelf Exp(TSelf a);

    /// <summary>x &gt;= 0 ? whenNonNegative : otherwise, lane by lane (NaN x takes <paramref name="otherwise"/>).</summary>
    static abstract TSelf SelectNonNegative(TSelf x, TSelf whenNonNegative, TSelf otherwise);
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
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec512 Divide(MathVec512 a, MathVec512 b) => new() { V = a.V / b.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec512 Abs(MathVec512 a) => new() { V = Vector512.Abs(a.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec512 Exp(MathVec512 a) => new() { V = Vector512.Exp(a.V) };
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
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec256 Divide(MathVec256 a, MathVec256 b) => new() { V = a.V / b.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec256 Abs(MathVec256 a) => new() { V = Vector256.Abs(a.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec256 Exp(MathVec256 a) => new() { V = Vector256.Exp(a.V) };
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
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec128 Divide(MathVec128 a, MathVec128 b) => new() { V = a.V / b.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec128 Abs(MathVec128 a) => new() { V = Vector128.Abs(a.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec128 Exp(MathVec128 a) => new() { V = Vector128.Exp(a.V) };
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
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec1 Divide(MathVec1 a, MathVec1 b) => new() { V = a.V / b.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec1 Abs(MathVec1 a) => new() { V = System.MathF.Abs(a.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec1 Exp(MathVec1 a) => new() { V = System.MathF.Exp(a.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static MathVec1 SelectNonNegative(MathVec1 x, MathVec1 a, MathVec1 b) => new() { V = x.V >= 0 ? a.V : b.V };
}
