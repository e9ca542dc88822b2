using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Vision;

/// <summary>
/// ONNX AffineGrid (opset 20): the sampling grid [N, H, W, 2] (or [N, D, H, W, 3]) that theta [N, 2, 3] (or
/// [N, 3, 4]) makes of the normalized base grid of 'size' ([N, C, H, W] or [N, C, D, H, W], a constant: it decides
/// the output shape), with align_corners. float32.
/// </summary>
internal sealed class AffineGridOp : OpSchema
{
    public override string OpType => "AffineGrid";

    private static int[] Size(OpContext c)
    {
        var size = c.RequireConst(1, "size, which decides the output shape,").ToInts();
        int[] theta = c.Shape(0);
        bool ok = size.Length is 4 or 5 && theta.Length == 3 && theta[0] == size[0]
            && theta[1] == size.Length - 2 && theta[2] == size.Length - 1;
        if (!ok) throw new ModelError($"theta ({ShapeText.Format(theta)}) and size [{string.Join(",", size)}] must be [N, 2, 3] with [N, C, H, W] or [N, 3, 4] with [N, C, D, H, W]");
        return size;
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(0, t => t.IsFloat(), "a floating-point type");
        var s = Size(c);
        c.SetOutput(0, c.Type(0), s.Length == 4 ? new[] { s[0], s[2], s[3], 2 } : new[] { s[0], s[2], s[3], s[4], 3 });
    }

    public override string? WhyNoKernel(OpContext c) => $" (AffineGrid runs on float32, not {c.Type(0).OnnxName()})";

    public override Kernel? CreateKernel(OpContext c)
    {
        if (c.Type(0) != DataType.Float) return null;
        var s = Size(c);
        bool volumetric = s.Length == 5, align = c.Int("align_corners", 0) != 0;
        int depth = volumetric ? s[2] : 1, height = s[s.Length - 2], width = s[s.Length - 1];
        return new CallKernel(c.Node, w => w.Line(
            $"global::ModelCompiler.Runtime.Sampling.AffineGrid({w.In(0)}, {w.Out(0)}, batch: {s[0]}, depth: {depth}, height: {height}, width: {width}, " +
            $"volumetric: {(volumetric ? "true" : "false")}, alignCorners: {(align ? "true" : "false")});"),
            align ? "corners aligned" : "");
    }
}
