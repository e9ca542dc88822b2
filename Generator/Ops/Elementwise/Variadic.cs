using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using static ModelCompiler.Ops.Elementwise.ElementwiseSupport;

namespace ModelCompiler.Ops.Elementwise;

/// <summary>
/// Min, Max, Sum, Mean: one or more inputs of one type, all broadcast to a common shape (opset 8+; opset 6
/// required equal shapes, a special case). At run time the first two inputs are combined into the output,
/// then every further input is combined into it in place; Mean then divides by the input count.
/// Min and Max propagate NaN, as numpy does.
/// </summary>
internal sealed class VariadicOp : OpSchema
{
    private readonly string _opType;
    private readonly string _runtimeStruct;
    private readonly Func<double, double, double> _fold;
    private readonly Func<long, long, long>? _foldInt;
    private readonly Func<ulong, ulong, ulong>? _foldUInt64;
    private readonly Func<DataType, bool> _types;
    private readonly string _typesText;
    private readonly bool _mean;

    public VariadicOp(string opType, string runtimeStruct, Func<double, double, double> fold, Func<long, long, long>? foldInt,
        Func<ulong, ulong, ulong>? foldUInt64, Func<DataType, bool> types, string typesText, bool mean = false)
    {
        _opType = opType;
        _runtimeStruct = runtimeStruct;
        _fold = fold;
        _foldInt = foldInt;
        _foldUInt64 = foldUInt64;
        _types = types;
        _typesText = typesText;
        _mean = mean;
    }

    public override string OpType => _opType;

    /// <summary>Element-wise (with broadcasting): a quantized group of it with a constant scalar operand is one table.</summary>
    public override OpTraits Traits => OpTraits.ElementWiseOp;

    protected override bool HasFolding => true;

    public override bool CanFold(OpContext c) => c.AllInputsConstant && Foldable(c.Type(Present(c)[0]));

    private static List<int> Present(OpContext c) => Enumerable.Range(0, c.InputCount).Where(c.Has).ToList();

    public override void Infer(OpContext c)
    {
        var inputs = Present(c);
        if (inputs.Count == 0) throw new ModelError($"{_opType} needs at least one input");
        c.RequireType(inputs[0], _types, _typesText);
        int[] shape = c.Shape(inputs[0]);
        foreach (int i in inputs.Skip(1))
        {
            if (c.Type(i) != c.Type(inputs[0]))
                throw new ModelError($"inputs have different types ({c.Type(inputs[0]).OnnxName()} and {c.Type(i).OnnxName()})");
            shape = ShapeText.Broadcast(shape, c.Shape(i));
        }
        c.SetOutput(0, c.Type(inputs[0]), shape);
    }

    public override Tensor[] Fold(OpContext c)
    {
        var y = c.Node.Output(0)!;
        var inputs = Present(c);
        var acc = c.Const(inputs[0])!;
        foreach (int i in inputs.Skip(1))
            acc = ElementwiseFolding.Binary(acc, c.Const(i)!, y.Type, y.Shape!, _fold, _foldInt, _foldUInt64);
        if (_mean && inputs.Count > 1)
        {
            int n = inputs.Count;
            acc = Folding.Unary(acc, y.Type, v => v / n, v => v / n);
        }
        return new[] { acc };
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        var inputs = Present(c);
        var t = c.Type(inputs[0]);
        if (NoRuntimeType(t) is not null) return null;
        string op = $"{_runtimeStruct}<{t.CSharpName()}>";
        var yShape = c.Node.Output(0)!.Shape!;
        return new CallKernel(c.Node, w =>
        {
            if (inputs.Count == 1)
            {
                w.Line($"{w.In(inputs[0])}.CopyTo({w.Out(0)});");
                return;
            }
            w.Line(BinaryCall(op, t, t, t, w.In(inputs[0]), w.InShape(inputs[0]), w.In(inputs[1]), w.InShape(inputs[1]), w.Out(0), w.OutShape(0)));
            foreach (int i in inputs.Skip(2))
                w.Line(BinaryCall(op, t, t, t, w.Out(0), w.OutShape(0), w.In(i), w.InShape(i), w.Out(0), w.OutShape(0)));
            if (_mean) w.Line($"{Runtime}Elementwise.DivideBy{TypeArgs(t)}({w.Out(0)}, {inputs.Count});");
        }, Summary(c, inputs, yShape));
    }

    private static string Summary(OpContext c, List<int> inputs, int[] yShape)
    {
        string count = $"{inputs.Count} input{(inputs.Count == 1 ? "" : "s")}";
        string broadcast = BroadcastSummary(c, yShape);
        return broadcast.Length == 0 ? count : count + ", " + broadcast;
    }

    public override string? WhyNoKernel(OpContext c) => NoRuntimeType(c.Type(Present(c)[0]));
}

/// <summary>Min, Max (opset 6, 8, 12: every numeric type; 13), Sum and Mean (6, 8, 13: floating-point types).</summary>
internal sealed class VariadicOps : IOpFamily
{
    public IEnumerable<OpSchema> Schemas => new[]
    {
        new VariadicOp("Max", "Max", (a, b) => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : Math.Max(a, b), Math.Max, Math.Max, Numeric, NumericText),
        new VariadicOp("Min", "Min", (a, b) => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : Math.Min(a, b), Math.Min, Math.Min, Numeric, NumericText),
        new VariadicOp("Sum", "Add", (a, b) => a + b, null, null, Float, FloatText),
        new VariadicOp("Mean", "Add", (a, b) => a + b, null, null, Float, FloatText, mean: true),
    };
}
