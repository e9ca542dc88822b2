using System;
using System.Collections.Generic;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Index;

/// <summary>
/// ONNX ScatterElements (opset 11/13/16/18) and the deprecated Scatter (opset 9/11, the same without reduction):
/// output = data, then each update is combined into the element its index names along 'axis' (reduction none,
/// add, mul from opset 16, max, min from opset 18), in row-major order of the updates. Any element type without
/// a reduction, numeric types with one. Folds (reduction none) when everything is constant.
/// </summary>
internal sealed class ScatterElementsOp : OpSchema
{
    private readonly string _name;

    public ScatterElementsOp(string name) => _name = name;

    public override string OpType => _name;
    protected override bool HasFolding => true;

    private static int Axis(OpContext c) => ShapeText.Axis(c.Int("axis", 0), c.Rank(0));

    private bool Reduces(OpContext c) => _name == "ScatterElements" && IndexArgs.HasReduction(c);

    public override void Infer(OpContext c)
    {
        c.RequireInputs(3);
        c.RequireType(1, IndexArgs.IsIndexType, "int32 or int64 indices");
        int[] x = c.Shape(0), idx = c.Shape(1), updates = c.Shape(2);
        if (c.Type(2) != c.Type(0)) throw new ModelError($"updates ({c.Type(2).OnnxName()}) must have data's type ({c.Type(0).OnnxName()})");
        if (x.Length == 0 || idx.Length != x.Length) throw new ModelError($"data ({ShapeText.Format(x)}) and indices ({ShapeText.Format(idx)}) must have the same rank, at least 1");
        if (!ShapeText.SameShape(idx, updates)) throw new ModelError($"updates ({ShapeText.Format(updates)}) must have the indices' shape ({ShapeText.Format(idx)})");
        int axis = Axis(c);
        for (int d = 0; d < x.Length; d++)
            if (d != axis && idx[d] > x[d]) throw new ModelError($"indices dimension {d} ({idx[d]}) is larger than data's ({x[d]})");
        if (Reduces(c)) c.RequireType(0, t => t.IsFloat() || t.IsInteger(), "a numeric type (with a reduction)");
        if (_name == "ScatterElements") IndexArgs.Reduction(c, "T");
        IndexArgs.CheckConstantIndices(c, 1, _ => x[axis], OpType);
        c.SetOutput(0, c.Type(0), x);
    }

    public override bool CanFold(OpContext c) => base.CanFold(c) && !Reduces(c) && c.Type(0).BitSize() >= 8;

    public override Tensor[] Fold(OpContext c)
    {
        var data = c.Const(0)!;
        var updates = c.Const(2)!;
        var map = GatherElementsOp.Map(c.Shape(0), c.Shape(1), c.Const(1)!.ToLongs(), Axis(c));
        return new[] { ScatterByMap(data, updates, map) };
    }

    /// <summary>data with element map[i] replaced by updates[i], in order (raw bytes, any type).</summary>
    internal static Tensor ScatterByMap(Tensor data, Tensor updates, int[] map, int sliceSize = 1)
    {
        int size = Folding.MovableElementSize(data.Type);
        var raw = (byte[])data.Raw.Clone();
        for (int i = 0; i < map.Length; i++)
            Buffer.BlockCopy(updates.Raw, i * sliceSize * size, raw, map[i] * size, sliceSize * size);
        return new Tensor(data.Type, data.Shape, raw);
    }

    public override string? WhyNoKernel(OpContext c) => $" ({OpType} has no run-time implementation for {c.Type(0).OnnxName()})";

    public override Kernel? CreateKernel(OpContext c)
    {
        string? t = c.Type(0).CSharpName();
        if (t is null) return null;
        int[] x = c.Shape(0), idx = c.Shape(1);
        int axis = Axis(c);
        string reduction = _name == "ScatterElements" ? IndexArgs.Reduction(c, t) : $"global::ModelCompiler.Runtime.ScatterReplace<{t}>";
        string summary = $"axis {axis}" + (Reduces(c) ? $", reduction {c.Str("reduction", "none")}" : "");
        return new CallKernel(c.Node, w => w.Line(
            $"{IndexArgs.Runtime}.ScatterElements<{t}, {w.T(1)}, {reduction}>({w.In(0)}, {w.In(1)}, {w.In(2)}, {w.Out(0)}, " +
            $"indexShape: {IndexArgs.Shape(idx)}, dataStrides: {IndexArgs.Shape(ShapeText.Strides(x))}, axis: {axis}, axisDim: {x[axis]});"),
            summary);
    }
}

/// <summary>ScatterElements and the deprecated Scatter.</summary>
internal sealed class ScatterElementsOps : IOpFamily
{
    public IEnumerable<OpSchema> Schemas => new[] { new ScatterElementsOp("ScatterElements"), new ScatterElementsOp("Scatter") };
}
