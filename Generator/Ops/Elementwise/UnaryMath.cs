using System;
using System.Collections.Generic;
using ModelCompiler.Graph;
using ModelCompiler.Ops.Activations;
using static ModelCompiler.Ops.Elementwise.ElementwiseSupport;

namespace ModelCompiler.Ops.Elementwise;

/// <summary>
/// Unary math with a run-time implementation in <c>Elementwise</c>: Exp, Log, Sqrt, Reciprocal, Floor, Ceil
/// (opset 6, 13), Erf (9, 13), Round (11, 22) on floating-point types; Neg (6, 13) on floating-point and signed
/// integers; Abs (6, 13) and Sign (9, 13) on every numeric type.
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
    };
}
