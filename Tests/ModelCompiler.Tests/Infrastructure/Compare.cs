using System;
using System.Globalization;
using System.Linq;
using Xunit;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>Comparisons that explain themselves: a failure names the tensor, the worst element and both values.</summary>
public static class Compare
{
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
                if (double.IsNaN(e[i]) && double.IsNaN(a[i])) continue;
                if (double.IsInfinity(e[i]) || double.IsNaN(e[i]) || double.IsNaN(a[i]))
                {
                    if (e[i] != a[i]) { worst = i; worstExcess = double.PositiveInfinity; break; }
                    continue;
                }
                double diff = Math.Abs(e[i] - a[i]);
                double allowed = atol + rtol * Math.Abs(e[i]);
                if (diff > allowed && diff - allowed > worstExcess) { worst = i; worstExcess = diff - allowed; }
            }
            if (worst >= 0)
                Assert.Fail(string.Format(CultureInfo.InvariantCulture,
                    "{0}: element {1} is {2:R}, expected {3:R} (|diff| {4:G4} > atol {5:G3} + rtol {6:G3} * |expected|); {7} of {8} elements out of tolerance",
                    what, worst, a[worst], e[worst], Math.Abs(a[worst] - e[worst]), atol, rtol,
                    Enumerable.Range(0, e.Length).Count(i => !(double.IsNaN(e[i]) && double.IsNaN(a[i])) && !(Math.Abs(e[i] - a[i]) <= atol + rtol * Math.Abs(e[i]))), e.Length));
            return;
        }
        Exact(expected, actual, what);
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

    /// <summary>Relative L2 error ||a - e|| / ||e||.</summary>
    public static double RelativeL2(float[] expected, float[] actual)
    {
        double num = 0, den = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = actual[i] - (double)expected[i];
            num += d * d;
            den += (double)expected[i] * expected[i];
        }
        return den == 0 ? Math.Sqrt(num) : Math.Sqrt(num / den);
    }

    private static double[] ToDoubles(Array a) => a switch
    {
        float[] f => f.Select(x => (double)x).ToArray(),
        double[] d => d,
        Half[] h => h.Select(x => (double)x).ToArray(),
        _ => throw new NotSupportedException(a.GetType().Name),
    };
}
