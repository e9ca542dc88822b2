using System;
using System.Globalization;
using System.Linq;
using Xunit;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>
/// Comparisons that explain themselves: a failure names the tensor, the worst element and both values.
/// Every check here is written so that NaN fails it (<c>!(error &lt;= tol)</c>, never <c>error &gt; tol</c>): an
/// error measure that is NaN means a NaN or an infinity got into an output, and must not read as "small".
/// Tests compare through these helpers rather than with their own <c>&gt;</c>/<c>&lt;</c> on an error.
/// </summary>
public static class Compare
{
    /// <summary>True when <paramref name="value"/> is at most <paramref name="bound"/>; false for NaN.</summary>
    public static bool Within(double value, double bound) => value <= bound;

    /// <summary>Fails unless <paramref name="value"/> &lt;= <paramref name="bound"/>; a NaN value fails.</summary>
    public static void AtMost(double value, double bound, string what)
    {
        if (!Within(value, bound))
            Assert.Fail(string.Format(CultureInfo.InvariantCulture, "{0}: {1:G4} is not <= {2:G4}", what, value, bound));
    }

    /// <summary>
    /// Float comparison: each element within <c>atol + rtol * |expected|</c>; NaN must match NaN and
    /// infinities must match exactly.
    /// </summary>
    public static void Close(Array expected, Array actual, double rtol, double atol, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: expected {expected.Length} elements, got {actual.Length}");
        if (expected is float[] or double[] or Half[])
        {
            double[] e = ToDoubles(expected), a = ToDoubles(actual);
            int worst = -1;
            double worstExcess = 0;
            for (int i = 0; i < e.Length; i++)
            {
                if (ElementOk(e[i], a[i], rtol, atol)) continue;
                double excess = Math.Abs(e[i] - a[i]) - (atol + rtol * Math.Abs(e[i]));
                if (double.IsNaN(excess)) excess = double.PositiveInfinity;
                if (worst < 0 || !(excess <= worstExcess)) { worst = i; worstExcess = excess; }
            }
            if (worst >= 0)
                Assert.Fail(string.Format(CultureInfo.InvariantCulture,
                    "{0}: element {1} is {2:R}, expected {3:R} (|diff| {4:G4} > atol {5:G3} + rtol {6:G3} * |expected|); {7} of {8} elements out of tolerance",
                    what, worst, a[worst], e[worst], Math.Abs(a[worst] - e[worst]), atol, rtol,
                    Enumerable.Range(0, e.Length).Count(i => !ElementOk(e[i], a[i], rtol, atol)), e.Length));
            return;
        }
        Exact(expected, actual, what);
    }

    /// <summary>One element: NaN only against NaN, an infinity only against the same infinity, else within atol + rtol |e|.</summary>
    private static bool ElementOk(double e, double a, double rtol, double atol)
    {
        if (double.IsNaN(e) || double.IsNaN(a)) return double.IsNaN(e) && double.IsNaN(a);
        if (double.IsInfinity(e) || double.IsInfinity(a)) return e == a;
        return Within(Math.Abs(e - a), atol + rtol * Math.Abs(e));
    }

    /// <summary>
    /// A model output against a reference run (ONNX Runtime, the other backend): relative L2 error at most
    /// <paramref name="l2Tolerance"/>, or else every element within <c>atol + rtol * |expected|</c> (for outputs made
    /// only of values near zero, where relative L2 measures the reference's own rounding). A NaN or infinity in
    /// either output makes the relative L2 NaN, which sends the check to the element-wise comparison, where it fails
    /// unless both outputs hold the same NaN/infinity at the same place.
    /// </summary>
    public static void RelativeL2OrElementwise(float[] expected, float[] actual, double l2Tolerance, double rtol, double atol, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: expected {expected.Length} elements, got {actual.Length}");
        double error = RelativeL2(expected, actual);
        if (Within(error, l2Tolerance)) return;
        Close(expected, actual, rtol, atol, string.Format(CultureInfo.InvariantCulture, "{0} (relative L2 error {1:G3} is not <= {2:G3})", what, error, l2Tolerance));
    }

    /// <summary>Integer and bool tensors must match exactly.</summary>
    public static void Exact(Array expected, Array actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: expected {expected.Length} elements, got {actual.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            object? e = expected.GetValue(i), a = actual.GetValue(i);
            if (!Equals(e, a))
                Assert.Fail($"{what}: element {i} is {a}, expected {e} (exact comparison)");
        }
    }

    /// <summary>Relative L2 error ||a - e|| / ||e|| (NaN when either holds a NaN or an infinity).</summary>
    public static double RelativeL2(float[] expected, float[] actual)
    {
        double num = 0, den = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = actual[i] - (double)expected[i];
            num += d * d;
            den += (double)expected[i] * expected[i];
        }
        if (double.IsInfinity(num) || double.IsInfinity(den)) return double.NaN;
        return den == 0 ? Math.Sqrt(num) : Math.Sqrt(num / den);
    }

    /// <summary>
    /// Largest |actual - expected|, NaN as soon as one element differs by NaN (a NaN on one side, or opposite
    /// infinities). LINQ's Max would skip NaN and report the largest finite difference.
    /// </summary>
    public static double MaxAbsDifference(float[] expected, float[] actual)
    {
        Assert.True(expected.Length == actual.Length, $"expected {expected.Length} elements, got {actual.Length}");
        double max = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs((double)actual[i] - expected[i]);
            if (double.IsNaN(d)) return double.NaN;
            if (d > max) max = d;
        }
        return max;
    }

    private static double[] ToDoubles(Array a) => a switch
    {
        float[] f => f.Select(x => (double)x).ToArray(),
        double[] d => d,
        Half[] h => h.Select(x => (double)x).ToArray(),
        _ => throw new NotSupportedException(a.GetType().Name),
    };
}
