using System;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;

namespace ModelCompiler.Benchmarks;

/// <summary>
/// This core's peak float32 multiply-add rate: independent FMA chains (a = a * m + c) in vector registers,
/// enough of them to cover the FMA latency times the number of FMA pipes (4 cycles x 2 pipes on recent x64
/// cores: 8 chains; 16 leaves margin), nothing else in the loop but the counter. 2 FLOPs per lane per FMA.
/// The report takes the fastest variant as the peak.
/// </summary>
public class PeakFma
{
    private const int Iterations = 1 << 20;
    private const long Fma512x16 = (long)Iterations * 16 * 16 * 2;
    private const long Fma512x8 = (long)Iterations * 8 * 16 * 2;
    private const long Fma256x16 = (long)Iterations * 16 * 8 * 2;

    private float _m = 0.9999f, _c = 1e-4f;

    /// <summary>Whether the variant named <paramref name="method"/> has its vectors here (else it returns NaN at once).</summary>
    public static bool Runs(string method) => !method.StartsWith("Vector512", StringComparison.Ordinal) || Vector512.IsHardwareAccelerated;

    [GlobalSetup]
    public void Check()
    {
        if (!Vector256.IsHardwareAccelerated) throw new PlatformNotSupportedException("no 256-bit vectors on this CPU");
    }

    [Benchmark, Flops(Fma512x16)]
    public float Vector512_16Chains()
    {
        if (!Vector512.IsHardwareAccelerated) return float.NaN; // BDN still times it; the report leaves the variant out (Runs)
        Vector512<float> m = Vector512.Create(_m), c = Vector512.Create(_c);
        Vector512<float> a0 = Vector512.Create(1f), a1 = a0 + c, a2 = a1 + c, a3 = a2 + c, a4 = a3 + c, a5 = a4 + c, a6 = a5 + c, a7 = a6 + c;
        Vector512<float> a8 = a7 + c, a9 = a8 + c, a10 = a9 + c, a11 = a10 + c, a12 = a11 + c, a13 = a12 + c, a14 = a13 + c, a15 = a14 + c;
        for (int i = 0; i < Iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, c); a1 = Vector512.FusedMultiplyAdd(a1, m, c);
            a2 = Vector512.FusedMultiplyAdd(a2, m, c); a3 = Vector512.FusedMultiplyAdd(a3, m, c);
            a4 = Vector512.FusedMultiplyAdd(a4, m, c); a5 = Vector512.FusedMultiplyAdd(a5, m, c);
            a6 = Vector512.FusedMultiplyAdd(a6, m, c); a7 = Vector512.FusedMultiplyAdd(a7, m, c);
            a8 = Vector512.FusedMultiplyAdd(a8, m, c); a9 = Vector512.FusedMultiplyAdd(a9, m, c);
            a10 = Vector512.FusedMultiplyAdd(a10, m, c); a11 = Vector512.FusedMultiplyAdd(a11, m, c);
            a12 = Vector512.FusedMultiplyAdd(a12, m, c); a13 = Vector512.FusedMultiplyAdd(a13, m, c);
            a14 = Vector512.FusedMultiplyAdd(a14, m, c); a15 = Vector512.FusedMultiplyAdd(a15, m, c);
        }
        return Vector512.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11)) + ((a12 + a13) + (a14 + a15)));
    }

    [Benchmark, Flops(Fma512x8)]
    public float Vector512_8Chains()
    {
        if (!Vector512.IsHardwareAccelerated) return float.NaN;
        Vector512<float> m = Vector512.Create(_m), c = Vector512.Create(_c);
        Vector512<float> a0 = Vector512.Create(1f), a1 = a0 + c, a2 = a1 + c, a3 = a2 + c, a4 = a3 + c, a5 = a4 + c, a6 = a5 + c, a7 = a6 + c;
        for (int i = 0; i < Iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, c); a1 = Vector512.FusedMultiplyAdd(a1, m, c);
            a2 = Vector512.FusedMultiplyAdd(a2, m, c); a3 = Vector512.FusedMultiplyAdd(a3, m, c);
            a4 = Vector512.FusedMultiplyAdd(a4, m, c); a5 = Vector512.FusedMultiplyAdd(a5, m, c);
            a6 = Vector512.FusedMultiplyAdd(a6, m, c); a7 = Vector512.FusedMultiplyAdd(a7, m, c);
        }
        return Vector512.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)));
    }

    [Benchmark, Flops(Fma256x16)]
    public float Vector256_16Chains()
    {
        Vector256<float> m = Vector256.Create(_m), c = Vector256.Create(_c);
        Vector256<float> a0 = Vector256.Create(1f), a1 = a0 + c, a2 = a1 + c, a3 = a2 + c, a4 = a3 + c, a5 = a4 + c, a6 = a5 + c, a7 = a6 + c;
        Vector256<float> a8 = a7 + c, a9 = a8 + c, a10 = a9 + c, a11 = a10 + c, a12 = a11 + c, a13 = a12 + c, a14 = a13 + c, a15 = a14 + c;
        for (int i = 0; i < Iterations; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, c); a1 = Vector256.FusedMultiplyAdd(a1, m, c);
            a2 = Vector256.FusedMultiplyAdd(a2, m, c); a3 = Vector256.FusedMultiplyAdd(a3, m, c);
            a4 = Vector256.FusedMultiplyAdd(a4, m, c); a5 = Vector256.FusedMultiplyAdd(a5, m, c);
            a6 = Vector256.FusedMultiplyAdd(a6, m, c); a7 = Vector256.FusedMultiplyAdd(a7, m, c);
            a8 = Vector256.FusedMultiplyAdd(a8, m, c); a9 = Vector256.FusedMultiplyAdd(a9, m, c);
            a10 = Vector256.FusedMultiplyAdd(a10, m, c); a11 = Vector256.FusedMultiplyAdd(a11, m, c);
            a12 = Vector256.FusedMultiplyAdd(a12, m, c); a13 = Vector256.FusedMultiplyAdd(a13, m, c);
            a14 = Vector256.FusedMultiplyAdd(a14, m, c); a15 = Vector256.FusedMultiplyAdd(a15, m, c);
        }
        return Vector256.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11)) + ((a12 + a13) + (a14 + a15)));
    }
}
