using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Transformer;

/// <summary>
/// ONNX RMSNormalization (opset 23): y = x / sqrt(mean(x^2) + epsilon) * scale, the mean taken over the
/// dimensions from 'axis' on.
/// </summary>
internal sealed class RmsNormalizationOp : OpSchema
{
    public override string OpType => "RMSNormalization";

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(0, t => t.IsFloat(), "a floating-point type");
        var (axis, _, _) = NormSupport.View(c);
        if (c.Type(1) != c.Type(0)) throw new ModelError($"scale has type {c.Type(1).OnnxName()}, X has {c.Type(0).OnnxName()}");
        NormSupport.CheckTrailing(c, 1, axis, "scale");
        c.SetOutput(0, c.Type(0), c.Shape(0));
    }

    public override string? WhyNoKernel(OpContext c) =>
        c.Type(0) != DataType.Float ? " (RMSNormalization runs on float32)" : " (scale must have one value per normalized element, or be a constant that broadcasts to them)";

    public override Kernel? CreateKernel(OpContext c)
    {
        if (c.Type(0) != DataType.Float) return null;
        var (axis, rows, cols) = NormSupport.View(c);
        var scale = NormSupport.PerColumn(c, 1, axis);
        if (scale is null) return null;
        float epsilon = c.Float("epsilon", 1e-5f);
        return new CallKernel(c.Node, w =>
            w.Line($"{RuntimeText.Prefix}LayerNorm.RootMeanSquare({w.In(0)}, {scale(w)}, {w.Out(0)}, rows: {rows}, cols: {cols}, epsilon: {LayerWriter.F(epsilon)});"),
            NormSupport.Summary(axis, rows, cols, epsilon)) { InPlaceInputs = new[] { 0 } };
    }
}
