using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Index;

/// <summary>
/// ONNX ScatterND (opset 11/13/16/18): output = data, then the slice each index tuple (indices' last dimension, m
/// coordinates) names is combined with the matching slice of updates (shape indices.shape[:-1] + data.shape[m:]),
/// in order: replaced, or with reduction add/mul (opset 16), max/min (opset 18). Folds (reduction none) when
/// everything is constant.
/// </summary>
internal sealed class ScatterNDOp : OpSchema
{
    public override string OpType => "ScatterND";
    protected override bool HasFolding => true;

    private GatherNDOp.Layout Plan(OpContext c) => GatherNDOp.Plan(c.Shape(0), c.Shape(1), 0, OpType, gather: false);

    public override void Infer(OpContext c)
    {
        c.RequireInputs(3);
        c.RequireType(1, IndexArgs.IsIndexType, "int64 indices");
        if (c.Type(2) != c.Type(0)) throw new ModelError($"updates ({c.Type(2).OnnxName()}) must have data's type ({c.Type(0).OnnxName()})");
        var l = Plan(c);
        if (!ShapeText.SameShape(c.Shape(2), l.OutShape))
            throw new ModelError($"updates has shape {ShapeText.Format(c.Shape(2))}, expected {ShapeText.Format(l.OutShape)} (indices.shape[:-1] + data.shape[m:])");
        if (IndexArgs.HasReduction(c)) c.RequireType(0, t => t.IsFloat() || t.IsInteger(), "a numeric type (with a reduction)");
        IndexArgs.Reduction(c, "T");
        GatherNDOp.CheckIndices(c, l, OpType);
        c.SetOutput(0, c.Type(0), c.Shape(0));
    }

    public override bool CanFold(OpContext c) => base.CanFold(c) && !IndexArgs.HasReduction(c) && c.Type(0).BitSize() >= 8;

    public override Tensor[] Fold(OpContext c)
    {
        var l = Plan(c);
        var starts = GatherNDOp.SliceStarts(l, c.Const(1)!.ToLongs());
        return new[] { ScatterElementsOp.ScatterByMap(c.Const(0)!, c.Const(2)!, starts, l.SliceSize) };
    }

    public override string? WhyNoKernel(OpContext c) => $" ({OpType} has no run-time implementation for {c.Type(0).OnnxName()})";

    public override Kernel? CreateKernel(OpContext c)
    {
        string? t = c.Type(0).CSharpName();
        if (t is null) return null;
        var l = Plan(c);
        string reduction = IndexArgs.Reduction(c, t);
        string summary = $"{l.SlicesPerBatch} slices of {l.SliceSize}" + (IndexArgs.HasReduction(c) ? $", reduction {c.Str("reduction", "none")}" : "");
        return new CallKernel(c.Node, w => w.Line(
            $"{IndexArgs.Runtime}.ScatterND<{t}, {w.T(1)}, {reduction}>({w.In(0)}, {w.In(1)}, {w.In(2)}, {w.Out(0)}, slices: {l.SlicesPerBatch}, " +
            $"indexedDims: {IndexArgs.Shape(l.IndexedDims)}, indexedStrides: {IndexArgs.Shape(l.IndexedStrides)}, sliceSize: {l.SliceSize});"),
            summary);
    }
}
