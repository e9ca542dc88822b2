using ModelCompiler.Emit;
using ModelCompiler.Graph;
using static ModelCompiler.Ops.Elementwise.ElementwiseSupport;

namespace ModelCompiler.Ops.Elementwise;

/// <summary>
/// Where (opset 9, 16): z = condition ? x : y, the bool condition and x, y (one type, any type) broadcast
/// together numpy-style.
/// </summary>
internal sealed class WhereOp : OpSchema
{
    public override string OpType => "Where";
    protected override bool HasFolding => true;

    public override bool CanFold(OpContext c) => c.AllInputsConstant && c.Type(1).BitSize() >= 8 && c.Type(1) != DataType.String;

    public override void Infer(OpContext c)
    {
        c.RequireInputs(3);
        c.RequireType(0, Bool, BoolText);
        if (c.Type(1) != c.Type(2))
            throw new ModelError($"X and Y have different types ({c.Type(1).OnnxName()} and {c.Type(2).OnnxName()})");
        var shape = ShapeText.Broadcast(ShapeText.Broadcast(c.Shape(0), c.Shape(1)), c.Shape(2));
        c.SetOutput(0, c.Type(1), shape);
    }

    public override Tensor[] Fold(OpContext c) =>
        new[] { ElementwiseFolding.Where(c.Const(0)!, c.Const(1)!, c.Const(2)!, c.Node.Output(0)!.Shape!) };

    public override Kernel? CreateKernel(OpContext c)
    {
        var t = c.Type(1);
        if (NoRuntimeType(t) is not null) return null;
        var z = c.Node.Output(0)!;
        return new CallKernel(c.Node, w => w.Line(
            $"{Runtime}Broadcast.Where<{t.CSharpName()}>({w.In(0)}, {LayerWriter.Shape(w.InShape(0))}, {w.In(1)}, {LayerWriter.Shape(w.InShape(1))}, " +
            $"{w.In(2)}, {LayerWriter.Shape(w.InShape(2))}, {w.Out(0)}, {LayerWriter.Shape(w.OutShape(0))});"),
            BroadcastSummary(c, z.Shape!));
    }

    public override string? WhyNoKernel(OpContext c) => NoRuntimeType(c.Type(1));
}
