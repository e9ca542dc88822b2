using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace ModelCompiler.Runtime;

/// <summary>Lane shuffles the generic vector kernels need beyond <see cref="IVec{TSelf}"/>, per vector width.</summary>
internal static unsafe class Lanes
{
    /// <summary>lo = a0 b0 a1 b1 ..., hi = the same from the upper halves of a and b (two outputs per tile, in column order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Interleave<TV>(TV a, TV b, out TV lo, out TV hi) where TV : unmanaged, IVec<TV>
    {
        if (typeof(TV) == typeof(Vec512))
        {
            Vector512<float> x = Unsafe.As<TV, Vec512>(ref a).V, y = Unsafe.As<TV, Vec512>(ref b).V;
            var l = new Vec512 { V = Avx512F.PermuteVar16x32x2(x, Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), y) };
            var h = new Vec512 { V = Avx512F.PermuteVar16x32x2(x, Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), y) };
            lo = Unsafe.As<Vec512, TV>(ref l);
            hi = Unsafe.As<Vec512, TV>(ref h);
            return;
        }
        if (typeof(TV) == typeof(Vec256))
        {
            Vector256<float> x = Unsafe.As<TV, Vec256>(ref a).V, y = Unsafe.As<TV, Vec256>(ref b).V;
            // Unpack works within 128-bit halves: (a0 b0 a1 b1 | a4 b4 a5 b5) and (a2 b2 a3 b3 | a6 b6 a7 b7).
            Vector256<float> ul = Avx.UnpackLow(x, y), uh = Avx.UnpackHigh(x, y);
            var l = new Vec256 { V = Avx.Permute2x128(ul, uh, 0x20) };
            var h = new Vec256 { V = Avx.Permute2x128(ul, uh, 0x31) };
            lo = Unsafe.As<Vec256, TV>(ref l);
            hi = Unsafe.As<Vec256, TV>(ref h);
            return;
        }
        if (typeof(TV) == typeof(Vec128) && (Sse.IsSupported || AdvSimd.Arm64.IsSupported))
        {
            Vector128<float> x = Unsafe.As<TV, Vec128>(ref a).V, y = Unsafe.As<TV, Vec128>(ref b).V;
            var l = new Vec128 { V = Sse.IsSupported ? Sse.UnpackLow(x, y) : AdvSimd.Arm64.ZipLow(x, y) };
            var h = new Vec128 { V = Sse.IsSupported ? Sse.UnpackHigh(x, y) : AdvSimd.Arm64.ZipHigh(x, y) };
            lo = Unsafe.As<Vec128, TV>(ref l);
            hi = Unsafe.As<Vec128, TV>(ref h);
            return;
        }
        InterleaveThroughMemory(a, b, out lo, out hi);
    }

    /// <summary>Stores even[0], odd[0], even[1], odd[1], ...: the first <paramref name="valid"/> (at least 1) of them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store2<TV>(float* dst, TV even, TV odd, int valid) where TV : unmanaged, IVec<TV>
    {
        int n = TV.Count;
        if (n == 1)
        {
            TV.Store(dst, even);
            if (valid > 1) TV.Store(dst + 1, odd);
            return;
        }
        Interleave(even, odd, out TV lo, out TV hi);
        StoreClipped(dst, lo, valid);
        StoreClipped(dst + n, hi, valid - n);
    }

    /// <summary>Stores a[0], b[0], c[0], d[0], a[1], ...: the first <paramref name="valid"/> (at least 1) of them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store4<TV>(float* dst, TV a, TV b, TV c, TV d, int valid) where TV : unmanaged, IVec<TV>
    {
        int n = TV.Count;
        if (n == 1)
        {
            TV.Store(dst, a);
            if (valid > 1) TV.Store(dst + 1, b);
            if (valid > 2) TV.Store(dst + 2, c);
            if (valid > 3) TV.Store(dst + 3, d);
            return;
        }
        // (a, c) and (b, d) interleaved, then those two: a0 b0 c0 d0 a1 b1 c1 d1 ...
        Interleave(a, c, out TV ac0, out TV ac1);
        Interleave(b, d, out TV bd0, out TV bd1);
        Interleave(ac0, bd0, out TV r0, out TV r1);
        Interleave(ac1, bd1, out TV r2, out TV r3);
        StoreClipped(dst, r0, valid);
        StoreClipped(dst + n, r1, valid - n);
        StoreClipped(dst + 2 * n, r2, valid - 2 * n);
        StoreClipped(dst + 3 * n, r3, valid - 3 * n);
    }

    /// <summary>The first min(valid, Count) lanes of v (none when valid &lt;= 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreClipped<TV>(float* dst, TV v, int valid) where TV : unmanaged, IVec<TV>
    {
        if (valid >= TV.Count) TV.Store(dst, v);
        else if (valid > 0) TV.StorePartial(dst, v, valid);
    }

    /// <summary>The same through a stack buffer, for widths without a shuffle here (one lane: lo = a, hi = b).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void InterleaveThroughMemory<TV>(TV a, TV b, out TV lo, out TV hi) where TV : unmanaged, IVec<TV>
    {
        int n = TV.Count;
        float* pa = stackalloc float[n], pb = stackalloc float[n], both = stackalloc float[2 * n];
        TV.Store(pa, a);
        TV.Store(pb, b);
        for (int i = 0; i < n; i++)
        {
            both[2 * i] = pa[i];
            both[2 * i + 1] = pb[i];
        }
        lo = TV.Load(both);
        hi = TV.Load(both + n);
    }
}
