using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ModelCompiler.Runtime;
using Xunit;

namespace ModelCompiler.Tests.Kernels;

/// <summary>Random data, vector widths and the float tolerance the kernel tests share.</summary>
internal static class KernelTestData
{
    /// <summary>|ours - reference| &lt;= Atol + Rtol * |reference|.</summary>
    public const double Atol = 1e-5, Rtol = 1e-4;

    /// <summary>Every vector width this machine can run, widest first (the scalar path always).</summary>
    public static IEnumerable<VectorWidth> Widths() =>
        new[] { VectorWidth.Bits512, VectorWidth.Bits256, VectorWidth.Bits128, VectorWidth.Scalar }.Where(SimdLevel.IsAvailable);

    /// <summary>Uniform floats in [-scale, scale), seeded.</summary>
    public static float[] Random(int count, int seed, float scale = 1f)
    {
        var r = new Random(seed);
        var a = new float[count];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(r.NextDouble() * 2 - 1) * scale;
        return a;
    }

    /// <summary>Fails naming the case, the worst element and both values when any element is outside the tolerance (NaN fails).</summary>
    public static void AssertClose(float[] expected, float[] actual, string what) =>
        ModelCompiler.Tests.Infrastructure.Compare.Close(expected, actual, Rtol, Atol, what);

    /// <summary>Parses "key=value key=value" case names into a dictionary (the theory rows stay readable).</summary>
    public static Dictionary<string, string> Parse(string spec) =>
        spec.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);

    public static int[] Ints(string value) => value.Split(',', 'x').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
}
