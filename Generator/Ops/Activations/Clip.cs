using ModelCompiler.Emit;
using ModelCompiler.Graph;
using static ModelCompiler.Ops.Elementwise.ElementwiseSupport;

namespace ModelCompiler.Ops.Activations;

/// <summary>
/// Clip: y = min(max(x, min), max), so every element becomes max when min &gt; max, and NaN stays NaN.
/// Opset 6: min and max are float attributes (default the lowest and highest float). Opset 11: they are
/// optional scalar inputs of x's type, constant or computed at run time (absent: the type's limits).
/// Opset 12+: integer types too.
/// </summary>
internal sealed class ClipOp : OpSchema
{
    public override string OpType => "Clip";
    protected override bool HasFolding => true;

    /// <summary>
    /// Element-wise; when the bounds are constants a layer before it applies it as it stores, and a QuantizeLinear
    /// after it folds it into its integer range.
    /// </summary>
    public override OpTraits Traits { get; } = OpTraits.Activation(FusedBounds) with { Clamp = ClampRange };

    /// <summary>The constant bounds (null where absent: the type's limits), or null when one is known only at run time.</summary>
    private static (double? Min, double? Max)? ConstantBounds(Node n)
    {
        if (n.Opset < 11)
            return (n.HasAttribute("min") ? n.GetFloat("min", 0) : (double?)null, n.HasAttribute("max") ? n.GetFloat("max", 0) : (double?)null);
        var lo = n.Input(1);
        var hi = n.Input(2);
        if ((lo is not null && lo.Constant is null) || (hi is not null && hi.Constant is null)) return null; // run-time bounds
        return (lo?.Constant?.GetDouble(0), hi?.Constant?.GetDouble(0));
    }

    private static FusedActivation? FusedBounds(Node n) =>
        ConstantBounds(n) is { } b ? new FusedActivation("Clip", b.Min is { } min ? (float)min : -float.MaxValue, b.Max is { } max ? (float)max : float.MaxValue) : null;

    private static (double Min, double Max)? ClampRange(Node n) =>
        ConstantBounds(n) is { } b ? (b.Min ?? double.NegativeInfinity, b.Max ?? double.PositiveInfinity) : null;

    public override bool CanFold(OpContext c) => c.AllInputsConstant && Foldable(c.Type(0));

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        if (c.Opset < 12) c.RequireType(0, Float, FloatText + " (integers need opset 12)");
        else c.RequireType(0, Numeric, NumericText);
        if (c.Opset >= 11)
        {
            for (int i = 1; i <= 2; i++)
            {
                if (!c.Has(i)) continue;
                string what = i == 1 ? "min" : "max";
                if (c.Type(i) != c.Type(0))
                    throw new ModelError($"{what} has type {c.Type(i).OnnxName()} but the input is {c.Type(0).OnnxName()}");
                if (ShapeText.Product(c.Shape(i)) != 1)
                    throw new ModelError($"{what} must be a scalar, but has shape {ShapeText.Format(c.Shape(i))}");
            }
        }
        c.SetOutput(0, c.Type(0), c.Shape(0));
    }

    public override Tensor[] Fold(OpContext c)
    {
        var x = c.Const(0)!;
        if (x.Type.IsFloat())
        {
            double lo = c.Opset < 11 ? (c.Node.HasAttribute("min") ? c.Float("min", 0) : -FloatMax(x.Type)) : c.Const(1)?.GetDouble(0) ?? -FloatMax(x.Type);
            double hi = c.Opset < 11 ? (c.Node.HasAttribute("max") ? c.Float("max", 0) : FloatMax(x.Type)) : c.Const(2)?.GetDouble(0) ?? FloatMax(x.Type);
            return new[] { Folding.Unary(x, x.Type, v => double.IsNaN(v) ? v : Clamp(v, lo, hi), null) };
        }
        bool unsigned64 = x.Type == DataType.UInt64;
        long loI = c.Const(1)?.GetLong(0) ?? (unsigned64 ? 0 : long.MinValue);
        long hiI = c.Const(2)?.GetLong(0) ?? (unsigned64 ? -1 : long.MaxValue);
        if (unsigned64)
        {
            ulong lo = unchecked((ulong)loI), hi = unchecked((ulong)hiI);
            return new[] { Folding.Unary(x, x.Type, null, v => unchecked((long)ClampU(unchecked((ulong)v), lo, hi))) };
        }
        return new[] { Folding.Unary(x, x.Type, null, v => v < loI ? (loI > hiI ? hiI : loI) : v > hiI ? hiI : v) };
    }

    /// <summary>The largest finite value of a floating-point type (the default bound, numeric_limits max).</summary>
    private static double FloatMax(DataType t) => t switch
    {
        DataType.Double => double.MaxValue,
        DataType.Float16 => 65504,
        DataType.BFloat16 => 3.3895313892515355e38,
        _ => float.MaxValue,
    };

    private static double Clamp(double v, double lo, double hi)
    {
        double t = v < lo ? lo : v;
        return t > hi ? hi : t;
    }

    private static ulong ClampU(ulong v, ulong lo, ulong hi)
    {
        ulong t = v < lo ? lo : v;
        return t > hi ? hi : t;
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        var t = c.Type(0);
        if (NoRuntimeType(t) is not null) return null;
        return new CallKernel(c.Node, w =>
            w.Line($"{Runtime}Activations.Clip{TypeArgs(t)}({w.In(0)}, {w.Out(0)}, {Bound(c, w, 1, t)}, {Bound(c, w, 2, t)});"),
            Summary(c)) { InPlaceInputs = new[] { 0 } }; // Max then Min, element by element: safe in place
    }

    /// <summary>The min (i = 1) or max (i = 2) argument: an attribute or constant as a literal, a run-time input's only element, or the type's limit.</summary>
    private static string Bound(OpContext c, LayerWriter w, int i, DataType t)
    {
        bool max = i == 2;
        if (c.Opset < 11)
        {
            string name = max ? "max" : "min";
            return c.Node.HasAttribute(name) ? FloatLiteral(t, c.Float(name, 0)) : Limit(t, max);
        }
        if (!c.Has(i)) return Limit(t, max);
        if (c.Const(i) is { } k) return Literal(t, k, 0);
        return $"{w.In(i)}[0]";
    }

    private static string Summary(OpContext c)
    {
        if (c.Opset < 11) return "";
        bool runtimeMin = c.Has(1) && c.Const(1) is null, runtimeMax = c.Has(2) && c.Const(2) is null;
        return runtimeMin || runtimeMax ? "bounds read at run time" : "";
    }
}
