using System;
using System.Collections.Generic;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using static ModelCompiler.Ops.Elementwise.ElementwiseSupport;

namespace ModelCompiler.Ops.Activations;

/// <summary>
/// An element-wise unary op whose output has the input's type and shape. The run-time call is
/// <c>{runtime}(x, y[, attributes])</c>; attributes are turned into C# literal arguments by <c>args</c>.
/// </summary>
internal sealed class UnaryOp : OpSchema
{
    private readonly string _opType;
    private readonly Func<OpContext, string> _runtimeMethod;
    private readonly Func<OpContext, double, double>? _fold;
    private readonly Func<OpContext, long, long>? _foldInt;
    private readonly Func<OpContext, string>? _args;
    private readonly Func<DataType, bool> _types;
    private readonly string _typesText;
    private readonly bool _generic;
    private readonly OpTraits _traits;

    /// <param name="opType">ONNX name.</param>
    /// <param name="runtimeMethod">Fully qualified runtime method taking (ReadOnlySpan&lt;T&gt; x, Span&lt;T&gt; y, ...).</param>
    /// <param name="fold">Build-time math for floating-point types (double), given the node for its attributes; null if not foldable.</param>
    /// <param name="args">Extra C# arguments after x and y (attributes), or null.</param>
    /// <param name="types">Element types ONNX allows (default: the floating-point types).</param>
    /// <param name="typesText">Those types in words, for errors.</param>
    /// <param name="foldInt">Build-time math for integer and bool types (results wrap to the type's width).</param>
    /// <param name="generic">The runtime method is generic in the element type (given explicitly unless float32).</param>
    /// <param name="traits">What passes may do with it: element-wise by default; activations a layer can fuse say how.</param>
    public UnaryOp(string opType, string runtimeMethod, Func<OpContext, double, double>? fold, Func<OpContext, string>? args = null,
        Func<DataType, bool>? types = null, string? typesText = null, Func<OpContext, long, long>? foldInt = null, bool generic = true, OpTraits? traits = null)
        : this(opType, _ => runtimeMethod, fold, args, types, typesText, foldInt, generic, traits)
    {
    }

    /// <summary>An op whose runtime method depends on the node (Gelu's approximation), or that checks attributes first.</summary>
    public UnaryOp(string opType, Func<OpContext, string> runtimeMethod, Func<OpContext, double, double>? fold, Func<OpContext, string>? args = null,
        Func<DataType, bool>? types = null, string? typesText = null, Func<OpContext, long, long>? foldInt = null, bool generic = true, OpTraits? traits = null)
    {
        _opType = opType;
        _traits = traits ?? OpTraits.ElementWiseOp;
        _runtimeMethod = runtimeMethod;
        _fold = fold;
        _foldInt = foldInt;
        _args = args;
        _types = types ?? Float;
        _typesText = typesText ?? FloatText;
        _generic = generic;
    }

    public override string OpType => _opType;
    public override OpTraits Traits => _traits;
    protected override bool HasFolding => _fold is not null || _foldInt is not null;

    public override bool CanFold(OpContext c) =>
        c.AllInputsConstant && Foldable(c.Type(0)) && (c.Type(0).IsFloat() ? _fold is not null : _foldInt is not null);

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        c.RequireType(0, _types, _typesText);
        _runtimeMethod(c); // validates the attributes it depends on
        c.SetOutput(0, c.Type(0), c.Shape(0));
    }

    public override Tensor[] Fold(OpContext c) =>
        new[] { Folding.Unary(c.Const(0)!, c.Type(0), _fold is null ? null : d => _fold(c, d), _foldInt is null ? null : v => _foldInt(c, v)) };

    public override Kernel? CreateKernel(OpContext c)
    {
        if (NoRuntimeType(c.Type(0)) is not null) return null;
        string extra = _args is null ? "" : ", " + _args(c);
        string generic = _generic ? TypeArgs(c.Type(0)) : "";
        string method = _runtimeMethod(c);
        // Every run-time unary method reads x[i] before writing y[i] and nothing else: safe in place.
        return new CallKernel(c.Node, w => w.Line($"{method}{generic}({w.In(0)}, {w.Out(0)}{extra});")) { InPlaceInputs = new[] { 0 } };
    }

    public override string? WhyNoKernel(OpContext c) => NoRuntimeType(c.Type(0));
}

/// <summary>
/// The activations with a run-time implementation in <c>Activations</c>: Relu (opset 6, 13, 14: also signed
/// integers), LeakyRelu (6, 16), Sigmoid and Tanh (6, 13), HardSigmoid, Elu, Selu, Softplus, Softsign (6, 22),
/// HardSwish (14, 22), ThresholdedRelu (10, 22), Celu (12), Mish (18, 22), Gelu (20), Swish (24), Shrink (9: every
/// numeric type; integer results are truncated toward zero).
/// </summary>
internal sealed class ActivationOps : IOpFamily
{
    private const string A = "global::ModelCompiler.Runtime.Activations.";

    public const float SeluAlpha = 1.67326319217681884765625f;
    public const float SeluGamma = 1.05070102214813232421875f;

    public IEnumerable<OpSchema> Schemas => new[]
    {
        new UnaryOp("Relu", A + "Relu", (_, x) => double.IsNaN(x) ? x : x > 0 ? x : 0, types: SignedNumeric, typesText: SignedText,
            foldInt: (_, x) => x > 0 ? x : 0, traits: OpTraits.Activation(_ => new FusedActivation("Relu")) with { Clamp = _ => (0, double.PositiveInfinity) }),
        new UnaryOp("LeakyRelu", A + "LeakyRelu", (c, x) => x < 0 ? Alpha(c, 0.01f) * x : x, c => LayerWriter.F(Alpha(c, 0.01f)),
            traits: OpTraits.Activation(n => new FusedActivation("LeakyRelu", n.GetFloat("alpha", 0.01f)))),
        new UnaryOp("Sigmoid", A + "Sigmoid", (_, x) => 1 / (1 + Math.Exp(-x)), traits: OpTraits.Activation(_ => new FusedActivation("Sigmoid"))),
        new UnaryOp("Tanh", A + "Tanh", (_, x) => Math.Tanh(x)),
        new UnaryOp("HardSigmoid", A + "HardSigmoid", (c, x) => HardSigmoid(x, Alpha(c, 0.2f), c.Float("beta", 0.5f)),
            c => $"{LayerWriter.F(Alpha(c, 0.2f))}, {LayerWriter.F(c.Float("beta", 0.5f))}",
            traits: OpTraits.Activation(n => new FusedActivation("HardSigmoid", n.GetFloat("alpha", 0.2f), n.GetFloat("beta", 0.5f)))),
        new UnaryOp("HardSwish", A + "HardSwish", (_, x) => x * HardSigmoid(x, 1f / 6f, 0.5f), traits: OpTraits.Activation(_ => new FusedActivation("HardSwish"))),
        new UnaryOp("Elu", A + "Elu", (c, x) => x < 0 ? Alpha(c, 1f) * (Math.Exp(x) - 1) : x, c => LayerWriter.F(Alpha(c, 1f))),
        new UnaryOp("Selu", A + "Selu", (c, x) => x > 0 ? Gamma(c) * x : Gamma(c) * (Alpha(c, SeluAlpha) * Math.Exp(x) - Alpha(c, SeluAlpha)),
            c => $"{LayerWriter.F(Alpha(c, SeluAlpha))}, {LayerWriter.F(Gamma(c))}"),
        new UnaryOp("Softplus", A + "Softplus", (_, x) => Softplus(x)),
        new UnaryOp("Softsign", A + "Softsign", (_, x) => x / (1 + Math.Abs(x))),
        new UnaryOp("ThresholdedRelu", A + "ThresholdedRelu", (c, x) => x > Alpha(c, 1f) ? x : 0, c => LayerWriter.F(Alpha(c, 1f))),
        new UnaryOp("Celu", A + "Celu", (c, x) => Math.Max(0, x) + Math.Min(0, Alpha(c, 1f) * (Math.Exp(x / Alpha(c, 1f)) - 1)), c => LayerWriter.F(Alpha(c, 1f))),
        new UnaryOp("Mish", A + "Mish", (_, x) => x * Math.Tanh(Softplus(x))),
        new UnaryOp("Swish", A + "Swish", (c, x) => x / (1 + Math.Exp(-Alpha(c, 1f) * x)), c => LayerWriter.F(Alpha(c, 1f))),
        new UnaryOp("Gelu", c => A + (GeluTanh(c) ? "GeluTanh" : "Gelu"),
            (c, x) => GeluTanh(c) ? 0.5 * x * (1 + Math.Tanh(0.79788456080286536 * (x + 0.044715 * x * x * x))) : 0.5 * x * (1 + Elementwise.ElementwiseFolding.Erf(x * 0.70710678118654752))),
        new UnaryOp("Shrink", A + "Shrink", (c, x) => x < -Lambd(c) ? x + Bias(c) : x > Lambd(c) ? x - Bias(c) : 0,
            c => $"{LayerWriter.F(Lambd(c))}, {LayerWriter.F(Bias(c))}", types: Numeric, typesText: NumericText,
            foldInt: (c, x) => x < -Lambd(c) ? (long)(x + (double)Bias(c)) : x > Lambd(c) ? (long)(x - (double)Bias(c)) : 0),
    };

    private static float Lambd(OpContext c) => c.Float("lambd", 0.5f);
    private static float Bias(OpContext c) => c.Float("bias", 0f);

    /// <summary>Gelu's 'approximate' attribute (opset 20): "none" (erf) or "tanh".</summary>
    private static bool GeluTanh(OpContext c) => c.Str("approximate", "none") switch
    {
        "none" => false,
        "tanh" => true,
        var other => throw new ModelError($"Gelu's approximate must be \"none\" or \"tanh\", not \"{other}\""),
    };

    private static double Softplus(double x) => double.IsNaN(x) ? x : Math.Max(x, 0) + Log1p(Math.Exp(-Math.Abs(x)));

    private static float Alpha(OpContext c, float fallback) => c.Float("alpha", fallback);
    private static float Gamma(OpContext c) => c.Float("gamma", SeluGamma);

    /// <summary>max(0, min(1, alpha * x + beta)), NaN staying NaN.</summary>
    public static double HardSigmoid(double x, float alpha, float beta)
    {
        double v = (double)alpha * x + beta;
        return double.IsNaN(v) ? v : Math.Max(0, Math.Min(1, v));
    }

    /// <summary>ln(1 + u), accurate for small u (the run-time kernel's formula).</summary>
    public static double Log1p(double u)
    {
        double w = 1 + u;
        return w == 1 ? u : Math.Log(w) * u / (w - 1);
    }
}
