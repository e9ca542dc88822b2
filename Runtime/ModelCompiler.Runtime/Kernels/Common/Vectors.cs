using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace ModelCompiler.Runtime;

/// <summary>
/// A float SIMD register as the packed GEMM, convolution and epilogue code sees it. The kernels are written
/// once, generic over this interface, and the JIT compiles one specialized copy per vector width
/// (<see cref="Vec512"/>, <see cref="Vec256"/>, <see cref="Vec128"/>, <see cref="Vec1"/>): every member is a
/// static abstract call on a struct, which it inlines to the single instruction behind it. (The runtime's own
/// <c>ISimdVector</c> plays this role inside System.Runtime.Intrinsics but is not public.)
/// </summary>
internal unsafe interface IVec<TSelf> where TSelf : unmanaged, IVec<TSelf>
{
    /// <summary>Floats per register.</summary>
    static abstract int Count { get; }
    static abstract TSelf Zero { get; }
    static abstract TSelf Load(float* p);
    static abstract void Store(float* p, TSelf v);
    static abstract TSelf Splat(float v);

    /// <summary>a * b + c, fused where the hardware has FMA (one rounding), else multiply then add.</summary>
    static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf c);
    static abstract TSelf Add(TSelf a, TSelf b);
    static abstract TSelf Subtract(TSelf a, TSelf b);
    static abstract TSelf Multiply(TSelf a, TSelf b);

    /// <summary>max(lower, x) that keeps a NaN x (the ONNX activations propagate NaN).</summary>
    static abstract TSelf MaxKeepNaN(TSelf lower, TSelf x);

    /// <summary>min(upper, x) that keeps a NaN x.</summary>
    static abstract TSelf MinKeepNaN(TSelf upper, TSelf x);

    /// <summary>x &lt; 0 ? x * alpha : x.</summary>
    static abstract TSelf LeakyRelu(TSelf x, TSelf alpha);

    /// <summary>The first <paramref name="count"/> (0 &lt; count &lt; Count) floats at p, zero above; reads nothing past them.</summary>
    static abstract TSelf LoadPartial(float* p, int count);

    /// <summary>Stores the first <paramref name="count"/> (0 &lt; count &lt; Count) lanes at p; writes nothing past them.</summary>
    static abstract void StorePartial(float* p, TSelf v, int count);
}

/// <summary>A compile-time integer, so generic kernels can unroll by it (the JIT folds <c>T.Value</c>).</summary>
internal interface IConstInt { static abstract int Value { get; } }

internal struct Int1 : IConstInt { public static int Value => 1; }
internal struct Int2 : IConstInt { public static int Value => 2; }
internal struct Int3 : IConstInt { public static int Value => 3; }
internal struct Int4 : IConstInt { public static int Value => 4; }
internal struct Int5 : IConstInt { public static int Value => 5; }
internal struct Int6 : IConstInt { public static int Value => 6; }
internal struct Int7 : IConstInt { public static int Value => 7; }
internal struct Int8 : IConstInt { public static int Value => 8; }

/// <summary>AVX-512F: 16 floats. Only used where <see cref="Avx512F.IsSupported"/>.</summary>
internal unsafe struct Vec512 : IVec<Vec512>
{
    public Vector512<float> V;

    public static int Count => 16;
    public static Vec512 Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Load(float* p) => new() { V = Vector512.Load(p) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vec512 v) => *(Vector512<float>*)p = v.V; // an unaligned vector store; VectorN.Store is not precompiled (see KernelCompilation)
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Splat(float v) => new() { V = Vector512.Create(v) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 MultiplyAdd(Vec512 a, Vec512 b, Vec512 c) => new() { V = Avx512F.FusedMultiplyAdd(a.V, b.V, c.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Add(Vec512 a, Vec512 b) => new() { V = Avx512F.Add(a.V, b.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Subtract(Vec512 a, Vec512 b) => new() { V = Avx512F.Subtract(a.V, b.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Multiply(Vec512 a, Vec512 b) => new() { V = Avx512F.Multiply(a.V, b.V) };
    // x86 max/min return the second operand when either is NaN: passing x second keeps its NaN.
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 MaxKeepNaN(Vec512 lower, Vec512 x) => new() { V = Avx512F.Max(lower.V, x.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 MinKeepNaN(Vec512 upper, Vec512 x) => new() { V = Avx512F.Min(upper.V, x.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 LeakyRelu(Vec512 x, Vec512 alpha) =>
        new() { V = Vector512.ConditionalSelect(Vector512.LessThan(x.V, Vector512<float>.Zero), Avx512F.Multiply(x.V, alpha.V), x.V) };
    // Masked loads and stores suppress faults on the lanes they leave out.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 LoadPartial(float* p, int count) => new() { V = Avx512F.MaskLoad(p, Mask(count), Vector512<float>.Zero) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StorePartial(float* p, Vec512 v, int count) => Avx512F.MaskStore(p, Mask(count), v.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Mask(int count) =>
        Vector512.LessThan(Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create(count)).AsSingle();
}

/// <summary>AVX: 8 floats; FMA where <see cref="Fma.IsSupported"/>. Only used where <see cref="Avx.IsSupported"/>.</summary>
internal unsafe struct Vec256 : IVec<Vec256>
{
    public Vector256<float> V;

    public static int Count => 8;
    public static Vec256 Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Load(float* p) => new() { V = Vector256.Load(p) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vec256 v) => *(Vector256<float>*)p = v.V; // an unaligned vector store; VectorN.Store is not precompiled (see KernelCompilation)
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Splat(float v) => new() { V = Vector256.Create(v) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 MultiplyAdd(Vec256 a, Vec256 b, Vec256 c) =>
        new() { V = Fma.IsSupported ? Fma.MultiplyAdd(a.V, b.V, c.V) : Avx.Add(Avx.Multiply(a.V, b.V), c.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Add(Vec256 a, Vec256 b) => new() { V = Avx.Add(a.V, b.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Subtract(Vec256 a, Vec256 b) => new() { V = Avx.Subtract(a.V, b.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Multiply(Vec256 a, Vec256 b) => new() { V = Avx.Multiply(a.V, b.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 MaxKeepNaN(Vec256 lower, Vec256 x) => new() { V = Avx.Max(lower.V, x.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 MinKeepNaN(Vec256 upper, Vec256 x) => new() { V = Avx.Min(upper.V, x.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 LeakyRelu(Vec256 x, Vec256 alpha) =>
        new() { V = Vector256.ConditionalSelect(Vector256.LessThan(x.V, Vector256<float>.Zero), Avx.Multiply(x.V, alpha.V), x.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 LoadPartial(float* p, int count) => new() { V = Avx.MaskLoad(p, Mask(count)) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StorePartial(float* p, Vec256 v, int count) => Avx.MaskStore(p, Mask(count), v.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Mask(int count) => Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(count)).AsSingle();
}

/// <summary>
/// 4 floats: NEON on ARM64 (FMLA), SSE on x64 (FMA where supported). The portable path: used where
/// <see cref="Vector128.IsHardwareAccelerated"/> and neither wider path applies.
/// </summary>
internal unsafe struct Vec128 : IVec<Vec128>
{
    public Vector128<float> V;

    public static int Count => 4;
    public static Vec128 Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Load(float* p) => new() { V = Vector128.Load(p) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vec128 v) => *(Vector128<float>*)p = v.V; // an unaligned vector store; VectorN.Store is not precompiled (see KernelCompilation)
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Splat(float v) => new() { V = Vector128.Create(v) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128 MultiplyAdd(Vec128 a, Vec128 b, Vec128 c)
    {
        if (AdvSimd.IsSupported) return new() { V = AdvSimd.FusedMultiplyAdd(c.V, a.V, b.V) };
        if (Fma.IsSupported) return new() { V = Fma.MultiplyAdd(a.V, b.V, c.V) };
        return new() { V = a.V * b.V + c.V };
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Add(Vec128 a, Vec128 b) => new() { V = a.V + b.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Subtract(Vec128 a, Vec128 b) => new() { V = a.V - b.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Multiply(Vec128 a, Vec128 b) => new() { V = a.V * b.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128 MaxKeepNaN(Vec128 lower, Vec128 x)
    {
        if (AdvSimd.IsSupported) return new() { V = AdvSimd.Max(lower.V, x.V) }; // FMAX propagates NaN
        if (Sse.IsSupported) return new() { V = Sse.Max(lower.V, x.V) };
        return new() { V = Vector128.ConditionalSelect(Vector128.GreaterThan(lower.V, x.V), lower.V, x.V) };
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128 MinKeepNaN(Vec128 upper, Vec128 x)
    {
        if (AdvSimd.IsSupported) return new() { V = AdvSimd.Min(upper.V, x.V) };
        if (Sse.IsSupported) return new() { V = Sse.Min(upper.V, x.V) };
        return new() { V = Vector128.ConditionalSelect(Vector128.LessThan(upper.V, x.V), upper.V, x.V) };
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128 LeakyRelu(Vec128 x, Vec128 alpha) =>
        new() { V = Vector128.ConditionalSelect(Vector128.LessThan(x.V, Vector128<float>.Zero), x.V * alpha.V, x.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128 LoadPartial(float* p, int count)
    {
        if (Avx.IsSupported) return new() { V = Avx.MaskLoad(p, Mask(count)) };
        var v = Vector128<float>.Zero;
        for (int i = 0; i < count; i++) v = v.WithElement(i, p[i]);
        return new() { V = v };
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StorePartial(float* p, Vec128 v, int count)
    {
        if (Avx.IsSupported) { Avx.MaskStore(p, Mask(count), v.V); return; }
        for (int i = 0; i < count; i++) p[i] = v.V.GetElement(i);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Mask(int count) => Vector128.LessThan(Vector128.Create(0, 1, 2, 3), Vector128.Create(count)).AsSingle();
}

/// <summary>One float: the scalar fallback where no SIMD is accelerated. Multiply then add, as plain C# does.</summary>
internal unsafe struct Vec1 : IVec<Vec1>
{
    public float V;

    public static int Count => 1;
    public static Vec1 Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 Load(float* p) => new() { V = *p };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vec1 v) => *p = v.V;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 Splat(float v) => new() { V = v };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 MultiplyAdd(Vec1 a, Vec1 b, Vec1 c) => new() { V = a.V * b.V + c.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 Add(Vec1 a, Vec1 b) => new() { V = a.V + b.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 Subtract(Vec1 a, Vec1 b) => new() { V = a.V - b.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 Multiply(Vec1 a, Vec1 b) => new() { V = a.V * b.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 MaxKeepNaN(Vec1 lower, Vec1 x) => new() { V = lower.V > x.V ? lower.V : x.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 MinKeepNaN(Vec1 upper, Vec1 x) => new() { V = upper.V < x.V ? upper.V : x.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 LeakyRelu(Vec1 x, Vec1 alpha) => new() { V = x.V < 0 ? x.V * alpha.V : x.V };
    // A one-lane vector has no partial loads (count is always 0 < count < 1): never called.
    public static Vec1 LoadPartial(float* p, int count) => default;
    public static void StorePartial(float* p, Vec1 v, int count) { }
}
