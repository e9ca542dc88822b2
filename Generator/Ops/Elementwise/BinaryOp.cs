using System;
using System.Collections.Generic;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using static ModelCompiler.Ops.Elementwise.ElementwiseSupport;

namespace ModelCompiler.Ops.Elementwise;

/// <summary>
/// An element-wise binary op with numpy broadcasting (Add, Sub, Mul, Div, Pow, comparisons, logic...). At run
/// time it is <c>Broadcast.Binary</c> with the op's struct from ModelCompiler.Runtime; at build time it folds
/// with <see cref="ElementwiseFolding.Binary"/>.
/// </summary>
internal sealed class BinaryOp : OpSchema
{
    private readonly string _opType;
    private readonly Func<DataType, DataType, string?> _runtimeOp;
    private readonly Func<double, double, double>? _fold;
    private readonly Func<long, long, long>? _foldInt;
    private readonly Func<ulong, ulong, ulong>? _foldUInt64;
    private readonly Func<DataType, bool> _types;
    private readonly string _typesText;
    private readonly Func<DataType, bool>? _secondTypes;
    private readonly bool _boolOutput;
    private readonly Func<OpContext, Kernel?>? _special;

    /// <param name="opType">ONNX name.</param>
    /// <param name="runtimeOp">The runtime op struct for the two input types (e.g. "Add&lt;float&gt;"), or null when none.</param>
    /// <param name="fold">Build-time math when an input is floating-point.</param>
    /// <param name="foldInt">Build-time math for integer and bool inputs (results wrap to the output width).</param>
    /// <param name="types">Element types this op accepts for input 0 (and input 1 unless <paramref name="secondTypes"/>).</param>
    /// <param name="typesText">Those types in words, for errors.</param>
    /// <param name="boolOutput">Comparisons and logic ops produce bool.</param>
    /// <param name="secondTypes">When set, input 1 may have another type, from these (Pow's exponent).</param>
    /// <param name="foldUInt64">Build-time math for uint64 inputs where it differs from the signed one.</param>
    /// <param name="special">A simpler kernel for particular nodes (Pow with the constant exponent 2), or null to use the general one.</param>
    public BinaryOp(string opType, Func<DataType, DataType, string?> runtimeOp, Func<double, double, double>? fold, Func<long, long, long>? foldInt,
        Func<DataType, bool> types, string typesText, bool boolOutput = false, Func<DataType, bool>? secondTypes = null,
        Func<ulong, ulong, ulong>? foldUInt64 = null, Func<OpContext, Kernel?>? special = null)
    {
        _opType = opType;
        _runtimeOp = runtimeOp;
        _fold = fold;
        _foldInt = foldInt;
        _foldUInt64 = foldUInt64;
        _types = types;
        _typesText = typesText;
        _secondTypes = secondTypes;
        _boolOutput = boolOutput;
        _special = special;
    }

    /// <summary>
    /// The original form: <paramref name="runtimeStruct"/> is generic in the first input's type, or in both
    /// input types when <paramref name="mixedTypes"/> (the second input may then have any numeric type).
    /// </summary>
    public BinaryOp(string opType, string runtimeStruct, Func<double, double, double>? fold, Func<long, long, long>? foldInt,
        Func<DataType, bool> types, string typesText, bool boolOutput = false, bool mixedTypes = false)
        : this(opType, mixedTypes ? (a, b) => a.CSharpName() is { } ta && b.CSharpName() is { } tb ? $"{runtimeStruct}<{ta}, {tb}>" : null : Generic(runtimeStruct),
            fold, foldInt, types, typesText, boolOutput, mixedTypes ? ElementwiseSupport.Numeric : null)
    {
    }

    /// <summary>Floating-point and integer types.</summary>
    public static bool Numeric(DataType t) => ElementwiseSupport.Numeric(t);

    /// <summary>"Name&lt;T&gt;" of a runtime struct generic in the first input's type.</summary>
    public static Func<DataType, DataType, string?> Generic(string name) => (a, _) => a.CSharpName() is { } t ? $"{name}<{t}>" : null;

    public override string OpType => _opType;

    /// <summary>Element-wise (with broadcasting): a quantized group of it with a constant scalar operand is one table.</summary>
    public override OpTraits Traits => OpTraits.ElementWiseOp;

    protected override bool HasFolding => true;

    public override bool CanFold(OpContext c) =>
        c.AllInputsConstant && ElementwiseFolding.CanBinary(c.Type(0), c.Type(1), _fold is not null, _foldInt is not null);

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(0, _types, _typesText);
        if (_secondTypes is null)
        {
            if (c.Type(0) != c.Type(1))
                throw new ModelError($"inputs have different types ({c.Type(0).OnnxName()} and {c.Type(1).OnnxName()})");
        }
        else c.RequireType(1, _secondTypes, NumericText);
        var shape = ShapeText.Broadcast(c.Shape(0), c.Shape(1));
        c.SetOutput(0, _boolOutput ? DataType.Bool : c.Type(0), shape);
    }

    public override Tensor[] Fold(OpContext c)
    {
        var y = c.Node.Output(0)!;
        return new[] { ElementwiseFolding.Binary(c.Const(0)!, c.Const(1)!, y.Type, y.Shape!, _fold, _foldInt, _foldUInt64) };
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        var y = c.Node.Output(0)!;
        if (NoRuntimeType(c.Type(0), c.Type(1), y.Type) is not null) return null;
        if (_special?.Invoke(c) is { } k) return k;
        string? op = _runtimeOp(c.Type(0), c.Type(1));
        if (op is null) return null;
        return new CallKernel(c.Node, w => w.Line(BinaryCall(op, c.Type(0), c.Type(1), y.Type,
            w.In(0), w.InShape(0), w.In(1), w.InShape(1), w.Out(0), w.OutShape(0))), BroadcastSummary(c, y.Shape!))
        {
            // Broadcast.Binary reads the input elements of y[i] before writing y[i], so an input of y's shape may be y itself.
            InPlaceInputs = new[] { 0, 1 },
        };
    }

    public override string? WhyNoKernel(OpContext c) => NoRuntimeType(c.Type(0), c.Type(1), c.Node.Output(0)!.Type);
}

/// <summary>Add, Sub, Mul, Div (opset 7, 13, 14): every numeric type; integers wrap and integer Div truncates toward zero.</summary>
internal sealed class ArithmeticOps : IOpFamily
{
    public IEnumerable<OpSchema> Schemas => new[]
    {
        new BinaryOp("Add", BinaryOp.Generic("Add"), (a, b) => a + b, (a, b) => unchecked(a + b), Numeric, NumericText),
        new BinaryOp("Sub", BinaryOp.Generic("Sub"), (a, b) => a - b, (a, b) => unchecked(a - b), Numeric, NumericText),
        new BinaryOp("Mul", BinaryOp.Generic("Mul"), (a, b) => a * b, (a, b) => unchecked(a * b), Numeric, NumericText),
        new BinaryOp("Div", BinaryOp.Generic("Div"), (a, b) => a / b, (a, b) => b == 0 ? throw DivisionByZero() : a == long.MinValue && b == -1 ? a : a / b,
            Numeric, NumericText, foldUInt64: (a, b) => b == 0 ? throw DivisionByZero() : a / b),
    };

    public static ModelError DivisionByZero() => new("integer division by zero in a constant");
}
