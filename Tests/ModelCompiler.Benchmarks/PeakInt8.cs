using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BenchmarkDotNet.Attributes;

namespace ModelCompiler.Benchmarks;

/// <summary>
/// This core's ceiling for 8-bit multiply-accumulates through the instructions .NET 10 exposes: independent
/// accumulator chains fed from a small L1-resident buffer (a load per operand each step, so the JIT cannot hoist a
/// loop-invariant product), nothing else in the loop.
/// <list type="bullet">
/// <item><c>vpdpbusd</c> on 256-bit vectors (<see cref="AvxVnni"/>): 32 u8 x s8 MACs per instruction. The 512-bit
/// form (AVX512-VNNI), which ONNX Runtime's MLAS kernels use, has no .NET 10 API.</item>
/// <item><c>vpmaddwd</c> + <c>vpaddd</c> on 512-bit vectors (<see cref="Avx512BW"/>): 32 int16 MACs per pair, the
/// exact alternative for 8-bit operands widened to 16 bits.</item>
/// <item>both interleaved (8 <c>vpdpbusd</c> and 4 <c>vpmaddwd</c> per step): whether the two use different
/// execution pipes, in which case mixing them would beat either alone.</item>
/// </list>
/// The report prints GMAC/s (FLOPs counted as 2 per MAC, as for the models).
/// </summary>
public class PeakInt8
{
    private const int Iterations = 1 << 20;
    private const long Vnni256x12 = (long)Iterations * 12 * 32 * 2;
    private const long Madd512x12 = (long)Iterations * 12 * 32 * 2;
    private const long Mixed8Plus4 = (long)Iterations * (8 + 4) * 32 * 2;

    private readonly byte[] _buffer = new byte[16 * 256];

    /// <summary>Whether the variant named <paramref name="method"/> has its instruction set here (else it returns at once).</summary>
    public static bool Runs(string method) =>
        (!method.Contains("Vnni", StringComparison.Ordinal) || AvxVnni.IsSupported) &&
        (!method.Contains("Avx512BW", StringComparison.Ordinal) || Avx512BW.IsSupported);

    [GlobalSetup]
    public void Fill() => new Random(1).NextBytes(_buffer);

    [Benchmark, Flops(Vnni256x12)]
    public int AvxVnni256_12Chains()
    {
        if (!AvxVnni.IsSupported) return int.MinValue; // the report leaves out variants without their instruction set (Runs)
        ref byte p = ref _buffer[0];
        Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        Vector256<int> a6 = default, a7 = default, a8 = default, a9 = default, a10 = default, a11 = default;
        for (int i = 0; i < Iterations; i++)
        {
            nuint at = (nuint)((i & 15) * 256);
            var u = Vector256.LoadUnsafe(ref p, at);
            var s = Vector256.LoadUnsafe(ref p, at + 32).AsSByte();
            a0 = AvxVnni.MultiplyWideningAndAdd(a0, u, s); a1 = AvxVnni.MultiplyWideningAndAdd(a1, u, s);
            a2 = AvxVnni.MultiplyWideningAndAdd(a2, u, s); a3 = AvxVnni.MultiplyWideningAndAdd(a3, u, s);
            a4 = AvxVnni.MultiplyWideningAndAdd(a4, u, s); a5 = AvxVnni.MultiplyWideningAndAdd(a5, u, s);
            a6 = AvxVnni.MultiplyWideningAndAdd(a6, u, s); a7 = AvxVnni.MultiplyWideningAndAdd(a7, u, s);
            a8 = AvxVnni.MultiplyWideningAndAdd(a8, u, s); a9 = AvxVnni.MultiplyWideningAndAdd(a9, u, s);
            a10 = AvxVnni.MultiplyWideningAndAdd(a10, u, s); a11 = AvxVnni.MultiplyWideningAndAdd(a11, u, s);
        }
        return Vector256.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11)));
    }

    [Benchmark, Flops(Madd512x12)]
    public int Avx512BW_MaddAdd_12Chains()
    {
        if (!Avx512BW.IsSupported) return int.MinValue;
        ref byte p = ref _buffer[0];
        Vector512<int> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        Vector512<int> a6 = default, a7 = default, a8 = default, a9 = default, a10 = default, a11 = default;
        for (int i = 0; i < Iterations; i++)
        {
            nuint at = (nuint)((i & 15) * 256);
            var x0 = Vector512.LoadUnsafe(ref p, at).AsInt16();
            var x1 = Vector512.LoadUnsafe(ref p, at + 64).AsInt16();
            var x2 = Vector512.LoadUnsafe(ref p, at + 128).AsInt16();
            var w0 = Vector512.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref p, at + 192))).AsInt16();
            var w1 = Vector512.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref p, at + 196))).AsInt16();
            var w2 = Vector512.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref p, at + 200))).AsInt16();
            var w3 = Vector512.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref p, at + 204))).AsInt16();
            a0 += Avx512BW.MultiplyAddAdjacent(x0, w0); a1 += Avx512BW.MultiplyAddAdjacent(x0, w1);
            a2 += Avx512BW.MultiplyAddAdjacent(x0, w2); a3 += Avx512BW.MultiplyAddAdjacent(x0, w3);
            a4 += Avx512BW.MultiplyAddAdjacent(x1, w0); a5 += Avx512BW.MultiplyAddAdjacent(x1, w1);
            a6 += Avx512BW.MultiplyAddAdjacent(x1, w2); a7 += Avx512BW.MultiplyAddAdjacent(x1, w3);
            a8 += Avx512BW.MultiplyAddAdjacent(x2, w0); a9 += Avx512BW.MultiplyAddAdjacent(x2, w1);
            a10 += Avx512BW.MultiplyAddAdjacent(x2, w2); a11 += Avx512BW.MultiplyAddAdjacent(x2, w3);
        }
        return Vector512.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11)));
    }

    [Benchmark, Flops(Mixed8Plus4)]
    public int AvxVnni256_8_and_Avx512BW_4_Chains()
    {
        if (!AvxVnni.IsSupported || !Avx512BW.IsSupported) return int.MinValue;
        ref byte p = ref _buffer[0];
        Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<int> z0 = default, z1 = default, z2 = default, z3 = default;
        for (int i = 0; i < Iterations; i++)
        {
            nuint at = (nuint)((i & 15) * 256);
            var u = Vector256.LoadUnsafe(ref p, at);
            var s = Vector256.LoadUnsafe(ref p, at + 32).AsSByte();
            var x = Vector512.LoadUnsafe(ref p, at + 64).AsInt16();
            var w0 = Vector512.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref p, at + 192))).AsInt16();
            var w1 = Vector512.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref p, at + 196))).AsInt16();
            a0 = AvxVnni.MultiplyWideningAndAdd(a0, u, s); a1 = AvxVnni.MultiplyWideningAndAdd(a1, u, s);
            a2 = AvxVnni.MultiplyWideningAndAdd(a2, u, s); a3 = AvxVnni.MultiplyWideningAndAdd(a3, u, s);
            z0 += Avx512BW.MultiplyAddAdjacent(x, w0); z1 += Avx512BW.MultiplyAddAdjacent(x, w1);
            a4 = AvxVnni.MultiplyWideningAndAdd(a4, u, s); a5 = AvxVnni.MultiplyWideningAndAdd(a5, u, s);
            a6 = AvxVnni.MultiplyWideningAndAdd(a6, u, s); a7 = AvxVnni.MultiplyWideningAndAdd(a7, u, s);
            z2 += Avx512BW.MultiplyAddAdjacent(w0, x); z3 += Avx512BW.MultiplyAddAdjacent(w1, x);
        }
        return Vector256.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))) + Vector512.Sum((z0 + z1) + (z2 + z3));
    }
}
