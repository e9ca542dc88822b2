using System;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Elementwise;

/// <summary>
/// Build-time evaluation for the element-wise ops, on top of <see cref="Folding"/>: uint64 arithmetic that
/// long cannot do, ternary Where, Cast with the run-time conversion rules, and erf.
/// </summary>
internal static class ElementwiseFolding
{
    /// <summary>
    /// <see cref="Folding.Binary"/>, except that uint64 inputs use <paramref name="u"/> when given (division,
    /// remainder and comparisons differ from the signed ones above 2^63).
    /// </summary>
    public static Tensor Binary(Tensor a, Tensor b, DataType outType, int[] outShape,
        Func<double, double, double>? f, Func<long, long, long>? g, Func<ulong, ulong, ulong>? u)
    {
        if (u is null || a.Type != DataType.UInt64 || b.Type != DataType.UInt64)
            return Folding.Binary(a, b, outType, outShape, f, g);
        var ia = Folding.BroadcastIndex(a.Shape, outShape);
        var ib = Folding.BroadcastIndex(b.Shape, outShape);
        var la = a.ToLongs(); var lb = b.ToLongs();
        var q = new long[ia.Length];
        for (int i = 0; i < q.Length; i++) q[i] = unchecked((long)u((ulong)la[ia[i]], (ulong)lb[ib[i]]));
        return Tensor.FromLongs(outType, outShape, q);
    }

    /// <summary>Whether <see cref="Binary"/> can evaluate an op on these input types.</summary>
    public static bool CanBinary(DataType a, DataType b, bool hasFloat, bool hasInt) =>
        ElementwiseSupport.Foldable(a) && ElementwiseSupport.Foldable(b) && (a.IsFloat() || b.IsFloat() ? hasFloat : hasInt);

    /// <summary>z = condition ? x : y with broadcasting, for any element type of at least one byte.</summary>
    public static Tensor Where(Tensor condition, Tensor x, Tensor y, int[] outShape)
    {
        if (x.Type.BitSize() < 8) throw new ModelError("cannot fold Where on sub-byte tensors");
        var ic = Folding.BroadcastIndex(condition.Shape, outShape);
        var ix = Folding.BroadcastIndex(x.Shape, outShape);
        var iy = Folding.BroadcastIndex(y.Shape, outShape);
        int size = x.Type.ElementSize();
        var raw = new byte[ic.Length * size];
        for (int i = 0; i < ic.Length; i++)
        {
            bool take = condition.GetLong(ic[i]) != 0;
            Buffer.BlockCopy(take ? x.Raw : y.Raw, (take ? ix[i] : iy[i]) * size, raw, i * size, size);
        }
        return new Tensor(x.Type, outShape, raw);
    }

    /// <summary>Types Cast can fold from and to: numbers (float16 and bfloat16 included), int4 and bool.</summary>
    public static bool CanCast(DataType t) => ElementwiseSupport.Foldable(t);

    /// <summary>Cast at build time, with the rules of the run-time <c>Cast</c> class (C#'s unchecked casts).</summary>
    public static Tensor Cast(Tensor x, DataType to)
    {
        long n = x.ElementCount;
        if (to.IsFloat())
        {
            var d = new double[n];
            for (long i = 0; i < n; i++)
                d[i] = x.Type == DataType.UInt64 ? (double)unchecked((ulong)x.GetLong(i)) : x.GetDouble(i);
            return Tensor.FromDoubles(to, x.Shape, d);
        }
        var l = new long[n];
        for (long i = 0; i < n; i++)
        {
            if (to == DataType.Bool) l[i] = x.Type.IsFloat() ? (x.GetDouble(i) != 0 ? 1 : 0) : (x.GetLong(i) != 0 ? 1 : 0);
            else l[i] = x.Type.IsFloat() ? FloatToInteger(x.GetDouble(i), to) : x.GetLong(i);
        }
        return Tensor.FromLongs(to, x.Shape, l);
    }

    /// <summary>
    /// C#'s unchecked floating-point to integer cast: truncation toward zero, NaN to 0; 32- and 64-bit targets
    /// saturate, 8- and 16-bit targets saturate to int32 and then wrap (the wrap happens in FromLongs).
    /// </summary>
    private static long FloatToInteger(double d, DataType to)
    {
        if (double.IsNaN(d)) return 0;
        d = Math.Truncate(d);
        switch (to)
        {
            case DataType.Int64: return d >= 9223372036854775807.0 ? long.MaxValue : d <= -9223372036854775808.0 ? long.MinValue : (long)d;
            case DataType.UInt64: return d >= 18446744073709551615.0 ? -1 : d <= 0 ? 0 : unchecked((long)(ulong)d);
            case DataType.UInt32: return d >= 4294967295.0 ? 4294967295L : d <= 0 ? 0 : (long)d;
            default: return d >= int.MaxValue ? int.MaxValue : d <= int.MinValue ? int.MinValue : (long)d;
        }
    }

    /// <summary>erf, as the run-time kernel computes it (<see cref="Contract.ScalarMath.Erf"/>, compiled into both).</summary>
    public static double Erf(double x) => Contract.ScalarMath.Erf(x);
}
