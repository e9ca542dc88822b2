using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Ops.Elementwise;
using static ModelCompiler.Ops.Elementwise.ElementwiseSupport;

namespace ModelCompiler.Ops.Activations;

/// <summary>
/// PRelu (opset 7, 9, 16): y = x &lt; 0 ? slope * x : x, with slope broadcast unidirectionally to x (numpy
/// rules, so a per-channel slope of NCHW data has shape [C,1,1]). The output has x's shape. Opset 9+ also
/// allows int32/int64/uint32/uint64.
/// </summary>
internal sealed class PReluOp : OpSchema
{
    public override string OpType => "PRelu";

    /// <summary>Element-wise (with broadcasting): a quantized group of it with a constant scalar operand is one table.</summary>
    public override OpTraits Traits => OpTraits.ElementWiseOp;

    protected override bool HasFolding => true;

    public override bool CanFold(OpContext c) => c.AllInputsConstant && Foldable(c.Type(0));

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(0, Numeric, NumericText);
        if (c.Type(0) != c.Type(1))
            throw new ModelError($"X is {c.Type(0).OnnxName()} but slope is {c.Type(1).OnnxName()}");
        int[] x = c.Shape(0), slope = c.Shape(1);
        if (slope.Length > x.Length || !ShapeText.SameShape(ShapeText.Broadcast(x, slope), x))
            throw new ModelError($"slope of shape {ShapeText.Format(slope)} cannot be broadcast to X's shape {ShapeText.Format(x)}");
        c.SetOutput(0, c.Type(0), x);
    }

    public override Tensor[] Fold(OpContext c)
    {
        var x = c.Const(0)!;
        return new[]
        {
            ElementwiseFolding.Binary(x, c.Const(1)!, x.Type, x.Shape, (v, s) => v < 0 ? v * s : v, (v, s) => v < 0 ? unchecked(v * s) : v,
                (v, _) => v),
        };
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        var t = c.Type(0);
        if (NoRuntimeType(t) is not null) return null;
        return new CallKernel(c.Node, w => w.Line(BinaryCall($"PRelu<{t.CSharpName()}>", t, t, t,
            w.In(0), w.InShape(0), w.In(1), w.InShape(1), w.Out(0), w.OutShape(0))), "slope " + ShapeText.Format(c.Shape(1)))
        {
            InPlaceInputs = new[] { 0 }, // element-wise through Broadcast.Binary
        };
    }

    public override string? WhyNoKernel(OpContext c) => NoRuntimeType(c.Type(0));
}
