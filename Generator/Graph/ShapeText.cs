using System;
using System.Linq;

namespace ModelCompiler.Graph;

/// <summary>Small helpers for shapes: products, formatting, axis normalization.</summary>
internal static class ShapeText
{
    public static long Product(int[] shape)
    {
        long p = 1;
        foreach (int d in shape) p *= d;
        return p;
    }

    public static long Product(int[] shape, int from, int to)
    {
        long p = 1;
        for (int i = from; i < to; i++) p *= shape[i];
        return p;
    }

    /// <summary>"1x3x224x224"; a scalar is "scalar"; unknown dims print as "?".</summary>
    public static string Format(int[]? shape)
    {
        if (shape is null) return "unknown";
        if (shape.Length == 0) return "scalar";
        return string.Join("x", shape.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>Maps a possibly negative axis into [0, rank).</summary>
    public static int Axis(long axis, int rank, string what = "axis")
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= Math.Max(rank, 1) && !(rank == 0 && a == 0))
            throw new ModelError($"{what} {axis} is out of range for rank {rank}");
        return (int)a;
    }

    public static int CheckedInt(long v) =>
        v > int.MaxValue || v < int.MinValue ? throw new ModelError($"value {v} does not fit in 32 bits") : (int)v;

    public static int[] Strides(int[] shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }

    /// <summary>Numpy-style multidirectional broadcasting of two shapes.</summary>
    public static int[] Broadcast(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var r = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            int db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            if (da == db || db == 1) r[i] = da;
            else if (da == 1) r[i] = db;
            else throw new ModelError($"shapes {Format(a)} and {Format(b)} cannot be broadcast together");
        }
        return r;
    }

    public static bool SameShape(int[] a, int[] b) => a.Length == b.Length && a.SequenceEqual(b);
}
