using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Layout;

/// <summary>
/// ONNX CenterCropPad (opset 18): each axis in 'axes' (default all) is cropped or zero-padded to the size in the
/// 'shape' input (a constant), centred (an odd difference puts the extra element at the end). One strided copy
/// into a cleared output; folds when the input is constant.
/// </summary>
internal sealed class CenterCropPadOp : CopyOp
{
    public override string OpType => "CenterCropPad";

    private sealed record Crop(int[] OutShape, int[] CropStart, int[] PadStart, int[] Copied);

    private static Crop Compute(OpContext c)
    {
        int[] x = c.Shape(0);
        var target = c.RequireConst(1, "the target shape").ToInts();
        var axes = c.Ints("axes") is { } a ? LayoutArgs.Axes(a, x.Length) : Enumerable.Range(0, x.Length).ToArray();
        if (target.Length != axes.Length) throw new ModelError($"shape has {target.Length} values for {axes.Length} axes");
        var outShape = (int[])x.Clone();
        var crop = new int[x.Length];
        var pad = new int[x.Length];
        for (int i = 0; i < axes.Length; i++)
        {
            int d = axes[i], size = target[i];
            if (size < 0) throw new ModelError($"the target size {size} is negative");
            outShape[d] = size;
            if (size < x[d]) crop[d] = (x[d] - size) / 2;
            else pad[d] = (size - x[d]) / 2;
        }
        var copied = x.Select((d, i) => System.Math.Min(d, outShape[i])).ToArray();
        return new Crop(outShape, crop, pad, copied);
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(1, t => t is DataType.Int32 or DataType.Int64, "an int32 or int64 shape");
        c.SetOutput(0, c.Type(0), Compute(c).OutShape);
    }

    public override bool CanFold(OpContext c) => c.Const(0) is not null && c.Const(1) is not null && c.Type(0).BitSize() >= 8;

    protected override IReadOnlyList<CopyStep> Plan(OpContext c) => Steps(c);

    private static IReadOnlyList<CopyStep> Steps(OpContext c)
    {
        var p = Compute(c);
        int[] xs = ShapeText.Strides(c.Shape(0)), ys = ShapeText.Strides(p.OutShape);
        int xOffset = p.CropStart.Select((s, i) => s * xs[i]).Sum(), yOffset = p.PadStart.Select((s, i) => s * ys[i]).Sum();
        return new[] { new CopyStep(0, xOffset, xs, 0, yOffset, ys, p.Copied) };
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        string? t = c.Type(0).CSharpName();
        if (t is null) return null;
        var p = Compute(c);
        bool pads = !ShapeText.SameShape(p.Copied, p.OutShape);
        if (!pads) return base.CreateKernel(c);
        var step = Steps(c)[0].Collapse();
        return new CallKernel(c.Node, w =>
        {
            w.Line($"{w.Out(0)}.Clear();");
            if (!step.IsEmpty) EmitCopy(w, t, step);
        }, $"to {ShapeText.Format(p.OutShape)}, zero padded");
    }
}
