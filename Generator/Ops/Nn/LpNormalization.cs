using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Nn;

/// <summary>
/// ONNX LpNormalization (opset 1/22): x divided by its L1 or L2 norm (p = 1 or 2, default 2) along 'axis'
/// (default -1); a zero norm gives zeros. float32, float64, float16.
/// </summary>
internal sealed class LpNormalizationOp : OpSchema
{
    public override string OpType => "LpNormalization";

    private static int P(OpContext c)
    {
        long p = c.Int("p", 2);
        return p is 1 or 2 ? (int)p : throw new ModelError($"p must be 1 or 2, not {p}");
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        c.RequireType(0, t => t is DataType.Float or DataType.Double or DataType.Float16, "float32, float64 or float16");
        if (c.Rank(0) == 0) throw new ModelError("the input must have rank 1 or more");
        ShapeText.Axis(c.Int("axis", -1), c.Rank(0));
        P(c);
        c.SetOutput(0, c.Type(0), c.Shape(0));
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        int[] x = c.Shape(0);
        int axis = ShapeText.Axis(c.Int("axis", -1), x.Length), p = P(c);
        long outer = ShapeText.Product(x, 0, axis), inner = ShapeText.Product(x, axis + 1, x.Length);
        return new CallKernel(c.Node, w => w.Line(
            $"global::ModelCompiler.Runtime.TensorMath.LpNormalization<{w.T(0)}>({w.In(0)}, {w.Out(0)}, outer: {outer}, n: {x[axis]}, inner: {inner}, p: {p});"),
            $"L{p} along an axis of {x[axis]}");
    }
}
