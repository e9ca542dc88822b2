using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Pooling;

/// <summary>
/// ONNX LpPool (opset 1/2/11/18): (Σ |x|^p)^(1/p) over each window, padding counted as zeros; p is a positive
/// whole number (default 2); kernel_shape, strides, pads, auto_pad, dilations and ceil_mode as for the other
/// pools. float32.
/// </summary>
internal sealed class LpPoolOp : PoolOp
{
    public override string OpType => "LpPool";

    protected override bool AcceptsType(DataType t) => t.IsFloat();
    protected override string TypesText => "a floating-point type";

    private static int P(OpContext c)
    {
        float p = c.Float("p", 2);
        if (!(p >= 1) || p != (int)p) throw new ModelError($"p must be a positive whole number, not {p}");
        return (int)p;
    }

    public override string? WhyNoKernel(OpContext c) =>
        base.WhyNoKernel(c) ?? (c.Type(0) != DataType.Float ? $" (LpPool runs on float32, not {c.Type(0).OnnxName()})" : null);

    public override Kernel? CreateKernel(OpContext c)
    {
        int[] x = c.Shape(0);
        if (x.Length - 2 > MaxSpatialRank || c.Type(0) != DataType.Float) return null;
        var g = Geometry(c);
        int p = P(c);
        return new CallKernel(c.Node, w =>
            WriteCall(w, $"global::ModelCompiler.Runtime.LpPooling.LpPool({w.In(0)}, {w.Out(0)}, ", GeometryArgument(x[0], x[1], g, "    ") + $", p: {p});"),
            $"L{p}, " + g.Describe());
    }
}
