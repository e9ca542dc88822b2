using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelCompiler.Runtime;

/// <summary>
/// The fully connected case of <see cref="SparseRows"/> (pixels == 1): each unit is one dot product of a sparse
/// weight row (values + one-byte column gaps, <see cref="SparseRowsFormat"/>) with a row of x. Where the machine
/// gathers (AVX2 with FMA, at the 256- and 512-bit widths: .NET has no 512-bit gather) a group of 8 entries is one
/// gather: the gaps widened to int32 lanes, summed to column offsets in the register (three shift-adds), the group's
/// first column carried in a scalar from the byte sum of the gaps (psadbw), so the only serial chain between groups
/// is one integer add. Elsewhere (and for the tail of a row) four scalar sums over the entries.
/// </summary>
internal static unsafe class SparseDotRows
{
    /// <summary>Units [first, end) of <see cref="SparseRows.Args"/> (batch-major output rows), dot products at <typeparamref name="TV"/>.</summary>
    internal readonly struct Rows<TV> : IWorkRanges<SparseRows.Args> where TV : unmanaged, IVec<TV>
    {
        public static void Run(in SparseRows.Args a, int first, int end)
        {
            for (int u = first; u < end; u++)
            {
                int b = u / a.Rows, r = u - b * a.Rows;
                float* x = a.X + (long)b * a.Columns;
                int start = a.RowStarts[r], stop = a.RowStarts[r + 1];
                float sum;
                if ((typeof(TV) == typeof(Vec512) || typeof(TV) == typeof(Vec256)) && Avx2.IsSupported && Fma.IsSupported) sum = Dot256(x, a.Gaps, a.Values, start, stop);
                else sum = DotScalar(x, a.Gaps, a.Values, start, stop, 0);
                a.Y[u] = sum + (a.Bias == null ? 0 : a.Bias[r]);
            }
            EpilogueOps.Copy<TV>(a.Y + first, a.Y + first, a.Residual == null ? null : a.Residual + first, end - first, a.Epilogue);
        }
    }

    /// <summary>Sum over entries [t, stop) of values[t] * x[column], the column before entry t being <paramref name="column"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float DotScalar(float* x, byte* gaps, float* values, int t, int stop, nint column)
    {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        nint c = column;
        for (; t + 3 < stop; t += 4)
        {
            c += gaps[t];
            s0 += values[t] * x[c];
            c += gaps[t + 1];
            s1 += values[t + 1] * x[c];
            c += gaps[t + 2];
            s2 += values[t + 2] * x[c];
            c += gaps[t + 3];
            s3 += values[t + 3] * x[c];
        }
        for (; t < stop; t++)
        {
            c += gaps[t];
            s0 += values[t] * x[c];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /// <summary>AVX2: 8 entries a gather, two groups in flight.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot256(float* x, byte* gaps, float* values, int t, int stop)
    {
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        nint c = 0;
        for (; t + 16 <= stop; t += 16)
        {
            var g0 = Vector128.CreateScalar(*(ulong*)(gaps + t)).AsByte();
            var g1 = Vector128.CreateScalar(*(ulong*)(gaps + t + 8)).AsByte();
            nint c1 = c + Sum8(g0);
            acc0 = Fma.MultiplyAdd(Avx.LoadVector256(values + t), Avx2.GatherVector256(x + c, Offsets8(g0), 4), acc0);
            acc1 = Fma.MultiplyAdd(Avx.LoadVector256(values + t + 8), Avx2.GatherVector256(x + c1, Offsets8(g1), 4), acc1);
            c = c1 + Sum8(g1);
        }
        if (t + 8 <= stop)
        {
            var g = Vector128.CreateScalar(*(ulong*)(gaps + t)).AsByte();
            acc0 = Fma.MultiplyAdd(Avx.LoadVector256(values + t), Avx2.GatherVector256(x + c, Offsets8(g), 4), acc0);
            c += Sum8(g);
            t += 8;
        }
        return Vector256.Sum(acc0 + acc1) + DotScalar(x, gaps, values, t, stop, c);
    }

    /// <summary>The 8 gap bytes (low half of <paramref name="g"/>, upper half zero) as inclusive prefix sums in int32 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Offsets8(Vector128<byte> g)
    {
        var v = Avx2.ConvertToVector256Int32(g);
        // Within each 128-bit half: lane i += lane i-1, then += lane i-2; then the upper half adds the lower half's total.
        v += Avx2.ShiftLeftLogical128BitLane(v, 4);
        v += Avx2.ShiftLeftLogical128BitLane(v, 8);
        var lowTotal = Avx2.Shuffle(v, 0xFF); // lane 3 in every lane of the lower half
        v += Avx2.Permute2x128(lowTotal, lowTotal, 0x08); // upper half <- lower half, lower half <- 0
        return v;
    }

    /// <summary>Sum of the 8 gap bytes in the low half (the upper half zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint Sum8(Vector128<byte> g) => Sse2.SumAbsoluteDifferences(g, Vector128<byte>.Zero).AsInt32().ToScalar();
}
