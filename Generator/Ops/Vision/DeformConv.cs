using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Ops.Nn;

namespace ModelCompiler.Ops.Vision;

/// <summary>
/// ONNX DeformConv (opset 19/22), 2-D: a convolution whose taps sample X bilinearly at their position plus a
/// per-output offset (input 2), optionally weighted by a mask (input 4), with bias (input 3), group and
/// offset_group, strides, pads, dilations. float32.
/// </summary>
internal sealed class DeformConvOp : OpSchema
{
    public override string OpType => "DeformConv";

    private static SpatialGeometry Geometry(OpContext c)
    {
        int[] x = c.Shape(0), w = c.Shape(1);
        var kernel = c.Ints("kernel_shape")?.Select(k => ShapeText.CheckedInt(k)).ToArray() ?? w.Skip(2).ToArray();
        return SpatialGeometry.Compute(c, x.Skip(2).ToArray(), kernel);
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(3);
        c.RequireType(0, t => t.IsFloat(), "a floating-point type");
        int[] x = c.Shape(0), w = c.Shape(1), offset = c.Shape(2);
        if (x.Length != 4 || w.Length != 4) throw new ModelError($"DeformConv runs 2-D: X and W must be 4-D, got {ShapeText.Format(x)} and {ShapeText.Format(w)}");
        int groups = (int)c.Int("group", 1), offsetGroups = (int)c.Int("offset_group", 1);
        if (groups < 1 || offsetGroups < 1 || x[1] != w[1] * groups || w[0] % groups != 0 || x[1] % offsetGroups != 0)
            throw new ModelError($"channels do not match: X has {x[1]}, W {ShapeText.Format(w)}, group {groups}, offset_group {offsetGroups}");
        var g = Geometry(c);
        int taps = g.Kernel[0] * g.Kernel[1];
        var expected = new[] { x[0], offsetGroups * taps * 2, g.Output[0], g.Output[1] };
        if (!ShapeText.SameShape(offset, expected)) throw new ModelError($"offset has shape {ShapeText.Format(offset)}, expected {ShapeText.Format(expected)}");
        if (c.Has(3) && (c.Rank(3) != 1 || c.Shape(3)[0] != w[0])) throw new ModelError($"B must be [{w[0]}]");
        if (c.Has(4) && !ShapeText.SameShape(c.Shape(4), new[] { x[0], offsetGroups * taps, g.Output[0], g.Output[1] }))
            throw new ModelError($"mask has shape {ShapeText.Format(c.Shape(4))}, expected [{x[0]}, {offsetGroups * taps}, {g.Output[0]}, {g.Output[1]}]");
        c.SetOutput(0, c.Type(0), new[] { x[0], w[0], g.Output[0], g.Output[1] });
    }

    public override string? WhyNoKernel(OpContext c) => $" (DeformConv runs on float32, not {c.Type(0).OnnxName()})";

    public override Kernel? CreateKernel(OpContext c)
    {
        if (c.Type(0) != DataType.Float) return null;
        int[] x = c.Shape(0), wt = c.Shape(1);
        var g = Geometry(c);
        int groups = (int)c.Int("group", 1), offsetGroups = (int)c.Int("offset_group", 1);
        long macs = (long)x[0] * wt[0] * g.Output[0] * g.Output[1] * wt[1] * g.Kernel[0] * g.Kernel[1];
        return new CallKernel(c.Node, w => w.Line(
            $"global::ModelCompiler.Runtime.Sampling.DeformConv({w.In(0)}, {w.In(1)}, {w.In(2)}, {(c.Has(3) ? w.In(3) : "default")}, {(c.Has(4) ? w.In(4) : "default")}, {w.Out(0)}, " +
            $"batch: {x[0]}, inChannels: {x[1]}, height: {x[2]}, width: {x[3]}, outChannels: {wt[0]}, outHeight: {g.Output[0]}, outWidth: {g.Output[1]}, " +
            $"kernelHeight: {g.Kernel[0]}, kernelWidth: {g.Kernel[1]}, strideH: {g.Strides[0]}, strideW: {g.Strides[1]}, padTop: {g.PadsBegin[0]}, padLeft: {g.PadsBegin[1]}, " +
            $"dilationH: {g.Dilations[0]}, dilationW: {g.Dilations[1]}, groups: {groups}, offsetGroups: {offsetGroups});"),
            g.Describe() + (groups > 1 ? $", {groups} groups" : "") + (offsetGroups > 1 ? $", {offsetGroups} offset groups" : ""), macs);
    }
}
