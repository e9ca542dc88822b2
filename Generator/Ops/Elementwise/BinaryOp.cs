using System;
using System.Collections.Generic;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Elementwise;

/// <summary>
/// An element-wise binary op with numpy broadcasting (Add, Sub, Mul, Div, Pow, comparisons...). At run time
/// it is <c>Broadcast.Binary</c> with the op's struct from ModelCompiler.Runtime; at build time it folds
/// with <see cref="Folding.Binary"/>.
/// </summary>
internal sealed class BinaryOp : OpSchema
{
    private readonly string _opType;
    private readonly string _runtimeStruct;
    private readonly Func<double, double, double>? _fold;
    private readonly Func<long, long, long>? _foldInt;
    private readonly Func<DataType, bool> _types;
    private readonly string _typesText;
    private readonly bool _boolOutput;
    private readonly bool _mixedTypes;

    /// <param name="opType">ONNX name.</param>
    /// <param name="runtimeStruct">Runtime op struct, generic in T ("Add" becomes Add&lt;float&gt;).</param>
    /// <param name="fold">Build-time math for float types.</param>
    /// <param name="foldInt">Build-time math for integer and bool types.</param>
    /// <param name="types">Element types this op accepts.</param>
    /// <param name="typesText">Those types in words, for errors.</param>
    /// <param name="boolOutput">Comparisons and logic ops produce bool.</param>
    /// <param name="mixedTypes">The second input may have another type (Pow's exponent).</param>
    public BinaryOp(string opType, string runtimeStruct, Func<double, double, double>? fold, Func<long, long, long>? foldInt,
        Func<DataType, bool> types, string typesText, bool boolOutput = false, bool mixedTypes = false)
    {
        _opType = opType;
        _runtimeStruct = runtimeStruct;
        _fold = fold;
        _foldInt = foldInt;
        _types = types;
        _typesText = typesText;
        _boolOutput = boolOutput;
        _mixedTypes = mixedTypes;
    }

    public override string OpType => _opType;
    protected override bool HasFolding => true;

    public static bool Numeric(DataType t) => t.IsFloat() || t.IsInteger();

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        if (!_mixedTypes && c.Type(0) != c.Type(1))
            throw new ModelError($"inputs have different types ({c.Type(0).OnnxName()} and {c.Type(1).OnnxName()})");
        c.RequireType(0, _types, _typesText);
        var shape = ShapeText.Broadcast(c.Shape(0), c.Shape(1));
        c.SetOutput(0, _boolOutput ? DataType.Bool : c.Type(0), shape);
    }

    public override Tensor[] Fold(OpContext c)
    {
        var y = c.Node.Output(0)!;
        return new[] { Folding.Binary(c.Const(0)!, c.Const(1)!, y.Type, y.Shape!, _fold, _foldInt) };
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        var ta = c.Type(0).CSharpName();
        var tb = c.Type(1).CSharpName();
        var ty = c.Node.Output(0)!.Type.CSharpName();
        if (ta is null || tb is null || ty is null || !_types(c.Type(0))) return null;
        string op = _mixedTypes ? $"{_runtimeStruct}<{ta}, {tb}>" : $"{_runtimeStruct}<{ta}>";
        return new CallKernel(c.Node, w => w.Line(
            $"global::ModelCompiler.Runtime.Broadcast.Binary<{ta}, {tb}, {ty}, global::ModelCompiler.Runtime.{op}>(" +
            $"{w.In(0)}, {LayerWriter.Shape(w.InShape(0))}, {w.In(1)}, {LayerWriter.Shape(w.InShape(1))}, {w.Out(0)}, {LayerWriter.Shape(w.OutShape(0))});"),
            BroadcastSummary(c));
    }

    private static string BroadcastSummary(OpContext c) =>
        ShapeText.SameShape(c.Shape(0), c.Shape(1)) ? "" : $"broadcast {ShapeText.Format(c.Shape(0))} with {ShapeText.Format(c.Shape(1))}";
}

/// <summary>Add, Sub, Mul, Div.</summary>
internal sealed class ArithmeticOps : IOpFamily
{
    public IEnumerable<OpSchema> Schemas => new[]
    {
        new BinaryOp("Add", "Add", (a, b) => a + b, (a, b) => unchecked(a + b), BinaryOp.Numeric, "a numeric type"),
        new BinaryOp("Sub", "Sub", (a, b) => a - b, (a, b) => unchecked(a - b), BinaryOp.Numeric, "a numeric type"),
        new BinaryOp("Mul", "Mul", (a, b) => a * b, (a, b) => unchecked(a * b), BinaryOp.Numeric, "a numeric type"),
        new BinaryOp("Div", "Div", (a, b) => a / b, (a, b) => b == 0 ? throw new ModelError("integer division by zero in a constant") : a / b, BinaryOp.Numeric, "a numeric type"),
    };
}
