using System;
using System.Collections.Generic;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Activations;

/// <summary>
/// An element-wise unary op whose output has the input's type and shape. The run-time call is
/// <c>{runtime}(x, y[, attributes])</c>; attributes are turned into C# literal arguments by <c>args</c>.
/// </summary>
internal sealed class UnaryOp : OpSchema
{
    private readonly string _opType;
    private readonly string _runtimeMethod;
    private readonly Func<OpContext, double, double>? _fold;
    private readonly Func<OpContext, string>? _args;
    private readonly Func<DataType, bool> _types;

    /// <param name="opType">ONNX name.</param>
    /// <param name="runtimeMethod">Fully qualified runtime method taking (ReadOnlySpan&lt;T&gt; x, Span&lt;T&gt; y, ...).</param>
    /// <param name="fold">Build-time math (double), given the node for its attributes; null if not foldable.</param>
    /// <param name="args">Extra C# arguments after x and y (attributes), or null.</param>
    /// <param name="types">Element types with a run-time implementation (default: float32 only).</param>
    public UnaryOp(string opType, string runtimeMethod, Func<OpContext, double, double>? fold, Func<OpContext, string>? args = null, Func<DataType, bool>? types = null)
    {
        _opType = opType;
        _runtimeMethod = runtimeMethod;
        _fold = fold;
        _args = args;
        _types = types ?? (t => t == DataType.Float);
    }

    public override string OpType => _opType;
    protected override bool HasFolding => _fold is not null;

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        c.SetOutput(0, c.Type(0), c.Shape(0));
    }

    public override Tensor[] Fold(OpContext c) =>
        new[] { Folding.Unary(c.Const(0)!, c.Type(0), d => _fold!(c, d), null) };

    public override Kernel? CreateKernel(OpContext c)
    {
        if (!_types(c.Type(0))) return null;
        string extra = _args is null ? "" : ", " + _args(c);
        string generic = c.Type(0) == DataType.Float ? "" : $"<{c.Type(0).CSharpName()}>";
        return new CallKernel(c.Node, w => w.Line($"{_runtimeMethod}{generic}({w.In(0)}, {w.Out(0)}{extra});"));
    }
}

/// <summary>Relu and the other activations with a float32 run-time implementation in <c>Activations</c>.</summary>
internal sealed class ActivationOps : IOpFamily
{
    private const string A = "global::ModelCompiler.Runtime.Activations.";

    public IEnumerable<OpSchema> Schemas => new[]
    {
        new UnaryOp("Relu", A + "Relu", (_, x) => x > 0 ? x : 0),
    };
}
