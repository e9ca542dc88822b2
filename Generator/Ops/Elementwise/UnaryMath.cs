using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Ops.Activations;
using static ModelCompiler.Ops.Elementwise.ElementwiseSupport;

namespace ModelCompiler.Ops.Elementwise;

/// <summary>
/// Unary math with a run-time implementation in <c>Elementwise</c>: Exp, Log, Sqrt, Reciprocal, Floor, Ceil
/// (opset 6, 13), Erf (9, 13), Round (11, 22) on floating-point types; Neg (6, 13) on floating-point and signed
/// integers; Abs (6, 13) and Sign (9, 13) on every numeric type; Sin, Cos, Tan, Asin, Acos, Atan (7, 22) and Sinh,
/// Cosh, Asinh, Acosh, Atanh (9, 22) on floating-point types; BitwiseNot (18) on integers.
/// </summary>
internal sealed class UnaryMathOps : IOpFamily
{
    private const string E = Runtime + "Elementwise.";

    public IEnumerable<OpSchema> Schemas => new[]
    {
        new UnaryOp("Exp", E + "Exp", (_, x) => Math.Exp(x)),
        new UnaryOp("Log", E + "Log", (_, x) => Math.Log(x)),
        new UnaryOp("Sqrt", E + "Sqrt", (_, x) => Math.Sqrt(x)),
        new UnaryOp("Reciprocal", E + "Reciprocal", (_, x) => 1 / x),
        new UnaryOp("Floor", E + "Floor", (_, x) => Math.Floor(x)),
        new UnaryOp("Ceil", E + "Ceil", (_, x) => Math.Ceiling(x)),
        new UnaryOp("Round", E + "Round", (_, x) => Math.Round(x, MidpointRounding.ToEven)),
        new UnaryOp("Erf", E + "Erf", (_, x) => ElementwiseFolding.Erf(x)),
        new UnaryOp("Neg", E + "Neg", (_, x) => -x, types: SignedNumeric, typesText: SignedText, foldInt: (_, x) => unchecked(-x)),
        new UnaryOp("Abs", E + "Abs", (_, x) => Math.Abs(x), types: Numeric, typesText: NumericText, foldInt: (c, x) => x < 0 && c.Type(0).IsSigned() ? unchecked(-x) : x),
        new UnaryOp("Sign", E + "Sign", (_, x) => x > 0 ? 1 : x < 0 ? -1 : x, types: Numeric, typesText: NumericText, foldInt: (c, x) => x == 0 ? 0 : x > 0 || !c.Type(0).IsSigned() ? 1 : -1),
        new UnaryOp("Sin", E + "Sin", (_, x) => Math.Sin(x)),
        new UnaryOp("Cos", E + "Cos", (_, x) => Math.Cos(x)),
        new UnaryOp("Tan", E + "Tan", (_, x) => Math.Tan(x)),
        new UnaryOp("Asin", E + "Asin", (_, x) => Math.Asin(x)),
        new UnaryOp("Acos", E + "Acos", (_, x) => Math.Acos(x)),
        new UnaryOp("Atan", E + "Atan", (_, x) => Math.Atan(x)),
        new UnaryOp("Sinh", E + "Sinh", (_, x) => Math.Sinh(x)),
        new UnaryOp("Cosh", E + "Cosh", (_, x) => Math.Cosh(x)),
        new UnaryOp("Asinh", E + "Asinh", (_, x) => double.IsInfinity(x) ? x : Math.Sign(x) * Math.Log(Math.Abs(x) + Math.Sqrt(x * x + 1))),
        new UnaryOp("Acosh", E + "Acosh", (_, x) => Math.Log(x + Math.Sqrt(x * x - 1))),
        new UnaryOp("Atanh", E + "Atanh", (_, x) => 0.5 * Math.Log((1 + x) / (1 - x))),
        new UnaryOp("BitwiseNot", E + "BitwiseNot", null, types: Integer, typesText: IntegerText, foldInt: (_, x) => ~x),
    };
}

/// <summary>IsNaN (opset 9, 13, 20) and IsInf (10, 20: detect_negative, detect_positive): a floating-point tensor in, bool out.</summary>
internal sealed class FloatTestOp : OpSchema
{
    private readonly bool _inf;

    private FloatTestOp(bool inf) => _inf = inf;

    public static IEnumerable<OpSchema> Both => new[] { new FloatTestOp(false), new FloatTestOp(true) };

    public override string OpType => _inf ? "IsInf" : "IsNaN";
    protected override bool HasFolding => true;

    public override bool CanFold(OpContext c) => c.AllInputsConstant && Foldable(c.Type(0));

    private static bool Negative(OpContext c) => c.Int("detect_negative", 1) != 0;
    private static bool Positive(OpContext c) => c.Int("detect_positive", 1) != 0;

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        c.RequireType(0, Float, FloatText);
        c.SetOutput(0, DataType.Bool, c.Shape(0));
    }

    public override Tensor[] Fold(OpContext c)
    {
        bool neg = Negative(c), pos = Positive(c);
        Func<double, bool> test = _inf ? v => (pos && double.IsPositiveInfinity(v)) || (neg && double.IsNegativeInfinity(v)) : double.IsNaN;
        var x = c.Const(0)!;
        return new[] { Tensor.FromLongs(DataType.Bool, x.Shape, x.ToDoubles().Select(v => test(v) ? 1L : 0L).ToArray()) };
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        var t = c.Type(0);
        if (NoRuntimeType(t) is not null) return null;
        string extra = _inf ? $", {(Negative(c) ? "true" : "false")}, {(Positive(c) ? "true" : "false")}" : "";
        return new CallKernel(c.Node, w => w.Line($"{Runtime}Elementwise.{OpType}{TypeArgs(t)}({w.In(0)}, {w.Out(0)}{extra});"));
    }

    public override string? WhyNoKernel(OpContext c) => NoRuntimeType(c.Type(0));
}

internal sealed class FloatTestOps : IOpFamily
{
    public IEnumerable<OpSchema> Schemas => FloatTestOp.Both;
}
