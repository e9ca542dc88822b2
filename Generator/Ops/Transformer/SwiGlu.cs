using ModelCompiler.Emit;
using ModelCompiler.Graph;
using static ModelCompiler.Ops.Elementwise.ElementwiseSupport;

namespace ModelCompiler.Ops.Transformer;

/// <summary>ONNX SwiGLU (opset 28): y = a * sigmoid(alpha * a) * b for inputs of the same shape and type (no broadcasting).</summary>
internal sealed class SwiGluOp : OpSchema
{
    public override string OpType => "SwiGLU";

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(0, t => t.IsFloat(), FloatText);
        if (c.Type(1) != c.Type(0)) throw new ModelError($"A is {c.Type(0).OnnxName()} but B is {c.Type(1).OnnxName()}");
        if (!ShapeText.SameShape(c.Shape(0), c.Shape(1)))
            throw new ModelError($"A {ShapeText.Format(c.Shape(0))} and B {ShapeText.Format(c.Shape(1))} must have the same shape (SwiGLU does not broadcast)");
        c.SetOutput(0, c.Type(0), c.Shape(0));
    }

    public override string? WhyNoKernel(OpContext c) => NoRuntimeType(c.Type(0));

    public override Kernel? CreateKernel(OpContext c)
    {
        if (NoRuntimeType(c.Type(0)) is not null) return null;
        float alpha = c.Float("alpha", 1f);
        return new CallKernel(c.Node, w => w.Line($"{Runtime}SwiGlu.Run{TypeArgs(c.Type(0))}({w.In(0)}, {w.In(1)}, {w.Out(0)}, alpha: {LayerWriter.F(alpha)});"),
            $"alpha {LayerWriter.F(alpha)}") { InPlaceInputs = new[] { 0, 1 } };
    }
}
