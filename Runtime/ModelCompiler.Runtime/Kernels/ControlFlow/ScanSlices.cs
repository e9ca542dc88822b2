using System;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace ModelCompiler.Runtime;

/// <summary>
/// What generated Loop and Scan layers need beyond calling their body: moving one iteration's slice of a tensor
/// scanned along an inner axis (a tensor viewed as [outer][steps][inner]; along the outermost axis the slice is
/// contiguous and the generated code passes it in place instead), and the error for a loop that does not run the
/// number of iterations its static output shapes were compiled for.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ScanSlices
{
    /// <summary>slice[o][i] = x[o][step][i] for a tensor x of [outer][steps][inner].</summary>
    public static void Gather<T>(ReadOnlySpan<T> x, Span<T> slice, int outer, int steps, int inner, int step) where T : unmanaged
    {
        Check(x.Length, slice.Length, outer, steps, inner, step);
        for (int o = 0; o < outer; o++) x.Slice((o * steps + step) * inner, inner).CopyTo(slice.Slice(o * inner, inner));
    }

    /// <summary>y[o][step][i] = slice[o][i] for a tensor y of [outer][steps][inner].</summary>
    public static void Scatter<T>(ReadOnlySpan<T> slice, Span<T> y, int outer, int steps, int inner, int step) where T : unmanaged
    {
        Check(y.Length, slice.Length, outer, steps, inner, step);
        for (int o = 0; o < outer; o++) slice.Slice(o * inner, inner).CopyTo(y.Slice((o * steps + step) * inner, inner));
    }

    private static void Check(int full, int slice, int outer, int steps, int inner, int step)
    {
        if ((long)outer * steps * inner != full || (long)outer * inner != slice || step < 0 || step >= steps)
            throw new ArgumentException("The tensor and slice lengths do not fit [outer][steps][inner] at this step.");
    }

    /// <summary>
    /// Throws for a Loop whose iteration count at run time differs from the one its scan outputs were compiled for
    /// (the trip count or the condition is a run-time value, but the outputs' first dimension is static).
    /// </summary>
    [DoesNotReturn]
    public static void WrongIterationCount(string layer, long ran, long compiled) =>
        throw new InvalidOperationException(string.Format(CultureInfo.InvariantCulture,
            "Loop '{0}' ran {1} iteration(s), but the model was compiled for exactly {2}: its scan outputs have that many rows. " +
            "Feed a trip count and condition that run {2} iterations.", layer, ran, compiled));
}
