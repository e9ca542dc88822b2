using System;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Index;

/// <summary>What the index and scatter ops share: the run-time class, index types, scatter reductions.</summary>
internal static class IndexArgs
{
    public const string Runtime = "global::ModelCompiler.Runtime.Indexing";

    public static bool IsIndexType(DataType t) => t is DataType.Int32 or DataType.Int64;

    /// <summary>
    /// The scatter reduction attribute (opset 16: none/add/mul, opset 18: also max/min) as the run-time struct
    /// that applies it to <paramref name="type"/>; throws for an unknown name or one the opset does not have yet.
    /// </summary>
    public static string Reduction(OpContext c, string type)
    {
        string r = c.Opset >= 16 ? c.Str("reduction", "none") : "none";
        if (r is "max" or "min" && c.Opset < 18) throw new ModelError($"reduction '{r}' needs opset 18 (the model has {c.Opset})");
        string name = r switch
        {
            "none" => "ScatterReplace",
            "add" => "ScatterAdd",
            "mul" => "ScatterMul",
            "max" => "ScatterMax",
            "min" => "ScatterMin",
            _ => throw new ModelError($"reduction '{r}' is not one of none, add, mul, max, min"),
        };
        return $"global::ModelCompiler.Runtime.{name}<{type}>";
    }

    public static bool HasReduction(OpContext c) => c.Opset >= 16 && c.Str("reduction", "none") != "none";

    /// <summary>Every constant index in range for a dimension of <paramref name="size"/> (negative counts from the end).</summary>
    public static void CheckConstantIndices(OpContext c, int input, Func<long, int> sizeOf, string op)
    {
        if (c.Const(input) is not { } t) return;
        var values = t.ToLongs();
        for (long i = 0; i < values.Length; i++)
        {
            int size = sizeOf(i);
            if (values[i] < -size || values[i] >= size) throw new ModelError($"{op} index {values[i]} is out of range for an axis of size {size}");
        }
    }

    /// <summary>Element i of a tensor as a position in [0, size).</summary>
    public static int Wrap(long index, int size) => (int)(index < 0 ? index + size : index);

    public static string Shape(int[] s) => Emit.LayerWriter.Shape(s);

    public static int[] Strides(int[] s) => ShapeText.Strides(s);

    public static bool SameRank(int[] a, int[] b) => a.Length == b.Length;

    public static string Join(int[] s) => string.Join("x", s.Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture)));
}
