using System.Runtime.CompilerServices;

namespace ModelCompiler.Runtime;

/// <summary>
/// The fully connected case of <see cref="SparseRows"/> (pixels == 1): each unit is one dot product of a sparse
/// weight row (values + one-byte column gaps, <see cref="SparseRowsFormat"/>) with a row of x, in four independent
/// scalar sums (the column chain is one integer add an entry; the four sums hide the FMA latency). An AVX2 version
/// gathering 8 entries at a time (gaps prefix-summed in the register) measured no faster on the development machine
/// (AMD Zen 5, about 0.5 ns an entry either way, as was an 8-sum scalar one), so there is none: the vector width
/// only matters for the epilogue.
/// </summary>
internal static unsafe class SparseDotRows
{
    /// <summary>Units [first, end) of <see cref="SparseRows.Args"/> (batch-major output rows), the epilogue at <typeparamref name="TV"/>.</summary>
    internal readonly struct Rows<TV> : IWorkRanges<SparseRows.Args> where TV : unmanaged, IVec<TV>
    {
        public static void Run(in SparseRows.Args a, int first, int end)
        {
            for (int u = first; u < end; u++)
            {
                int b = u / a.Rows, r = u - b * a.Rows;
                float* x = a.X + (long)b * a.Columns;
                a.Y[u] = Dot(x, a.Gaps, a.Values, a.RowStarts[r], a.RowStarts[r + 1]) + (a.Bias == null ? 0 : a.Bias[r]);
            }
            EpilogueOps.Copy<TV>(a.Y + first, a.Y + first, a.Residual == null ? null : a.Residual + first, end - first, a.Epilogue);
        }
    }

    /// <summary>Sum over entries [t, stop) of values[t] * x[column], each column its gap past the previous one's (the first's past 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(float* x, byte* gaps, float* values, int t, int stop)
    {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        nint c = 0;
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
}
