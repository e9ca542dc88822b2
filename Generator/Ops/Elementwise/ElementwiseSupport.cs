using System;
using System.Globalization;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Elementwise;

/// <summary>Type classes, C# literals and run-time call text shared by the element-wise ops.</summary>
internal static class ElementwiseSupport
{
    public const string Runtime = Emit.RuntimeText.Prefix;

    public static bool Float(DataType t) => t.IsFloat();
    public static bool Numeric(DataType t) => t.IsFloat() || t.IsInteger();
    public static bool SignedNumeric(DataType t) => t.IsFloat() || t.IsInteger() && t.IsSigned();
    public static bool Bool(DataType t) => t == DataType.Bool;
    public static bool NumericOrBool(DataType t) => Numeric(t) || t == DataType.Bool;
    public static bool Integer(DataType t) => t.IsInteger();
    public static bool Unsigned(DataType t) => t.IsInteger() && !t.IsSigned();

    public const string FloatText = "a floating-point type (float32, float64, float16, bfloat16)";
    public const string NumericText = "a numeric type";
    public const string SignedText = "a floating-point or signed integer type";
    public const string BoolText = "bool";
    public const string IntegerText = "an integer type";
    public const string UnsignedText = "an unsigned integer type (uint8, uint16, uint32, uint64)";

    /// <summary>Types whose values folding can read and write (numbers and bool, not string, complex or float8).</summary>
    public static bool Foldable(DataType t) => Numeric(t) || t == DataType.Bool;

    /// <summary>The sentence for WhyNoKernel when an input or output type has no C# element type.</summary>
    public static string? NoRuntimeType(params DataType[] types)
    {
        foreach (var t in types)
            if (t.CSharpName() is null)
                return $": {t.OnnxName()} tensors cannot be held at run time (generated code supports float32, float64, float16, bool and 8- to 64-bit integers)";
        return null;
    }

    /// <summary>
    /// <c>Broadcast.Binary&lt;TA, TB, TOut, op&gt;(a, aShape, b, bShape, y, yShape);</c> with the shapes as literals.
    /// </summary>
    public static string BinaryCall(string op, DataType ta, DataType tb, DataType ty, string a, int[] aShape, string b, int[] bShape, string y, int[] yShape) =>
        $"{Runtime}Broadcast.Binary<{ta.CSharpName()}, {tb.CSharpName()}, {ty.CSharpName()}, {Runtime}{op}>(" +
        $"{a}, {LayerWriter.Shape(aShape)}, {b}, {LayerWriter.Shape(bShape)}, {y}, {LayerWriter.Shape(yShape)});";

    /// <summary>The "broadcast AxB with CxD" layer comment, or "" when no input broadcasts.</summary>
    public static string BroadcastSummary(OpContext c, int[] outShape)
    {
        bool any = false;
        for (int i = 0; i < c.InputCount; i++)
            if (c.Has(i) && !ShapeText.SameShape(c.Shape(i), outShape)) any = true;
        if (!any) return "";
        var parts = new System.Collections.Generic.List<string>();
        for (int i = 0; i < c.InputCount; i++)
            if (c.Has(i)) parts.Add(ShapeText.Format(c.Shape(i)));
        return "broadcast " + string.Join(" with ", parts);
    }

    /// <summary>A C# literal of element type <paramref name="t"/> for element <paramref name="i"/> of a constant.</summary>
    public static string Literal(DataType t, Tensor value, long i) =>
        t.IsFloat() ? FloatLiteral(t, value.GetDouble(i)) : IntegerLiteral(t, value.GetLong(i));

    /// <summary>A C# literal of floating-point type <paramref name="t"/>; the largest finite values print by name.</summary>
    public static string FloatLiteral(DataType t, double v)
    {
        switch (t)
        {
            case DataType.Double:
                if (v == double.MaxValue) return "double.MaxValue";
                if (v == -double.MaxValue) return "double.MinValue";
                return Literals.Double(v);
            case DataType.Float16:
                if (v == 65504) return "global::System.Half.MaxValue";
                if (v == -65504) return "global::System.Half.MinValue";
                return $"(global::System.Half)({Literals.Float((float)v)})";
            default:
                if ((float)v == float.MaxValue) return "float.MaxValue";
                if ((float)v == float.MinValue) return "float.MinValue";
                return Literals.Float((float)v);
        }
    }

    /// <summary>A C# literal of integer (or bool) type <paramref name="t"/>; <paramref name="v"/> holds uint64 values as their bits.</summary>
    public static string IntegerLiteral(DataType t, long v)
    {
        string n = v.ToString(CultureInfo.InvariantCulture);
        string p = v < 0 ? "(" + n + ")" : n;
        return t switch
        {
            DataType.Bool => v != 0 ? "true" : "false",
            DataType.Int8 => "(sbyte)" + p,
            DataType.UInt8 => "(byte)" + p,
            DataType.Int16 => "(short)" + p,
            DataType.UInt16 => "(ushort)" + p,
            DataType.Int32 => n,
            DataType.UInt32 => n + "u",
            DataType.Int64 => Literals.Long(v),
            DataType.UInt64 => unchecked((ulong)v).ToString(CultureInfo.InvariantCulture) + "UL",
            _ => throw new ModelError($"no C# literal for {t.OnnxName()}"),
        };
    }

    /// <summary>The smallest (or largest) value of a type as C# text, e.g. "sbyte.MinValue".</summary>
    public static string Limit(DataType t, bool max)
    {
        string name = t == DataType.Float16 ? "global::System.Half" : t.CSharpName() ?? throw new ModelError($"no C# type for {t.OnnxName()}");
        return name + (max ? ".MaxValue" : ".MinValue");
    }

    /// <summary>Explicit type arguments for a generic runtime method, omitted for float32 (inferred from the spans).</summary>
    public static string TypeArgs(DataType t) => t == DataType.Float ? "" : $"<{t.CSharpName()}>";
}
