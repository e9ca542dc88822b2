using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Nn;

/// <summary>
/// ONNX Hardmax (opset 1/11/13): 1 at the first largest element along the axis, 0 elsewhere. Before opset 13 the
/// input is coerced to 2-D at 'axis' (default 1), so the whole flattened trailing block is one row; from opset 13
/// it works along the single axis 'axis' (default -1). Numeric types.
/// </summary>
internal sealed class HardmaxOp : OpSchema
{
    public override string OpType => "Hardmax";

    internal static (int Outer, int N, int Inner) View(OpContext c, int defaultAxisBefore13 = 1)
    {
        int[] x = c.Shape(0);
        int rank = x.Length;
        if (rank == 0) return (1, 1, 1);
        if (c.Opset < 13)
        {
            int axis = ShapeText.Axis(c.Int("axis", defaultAxisBefore13), rank);
            return ((int)ShapeText.Product(x, 0, axis), (int)ShapeText.Product(x, axis, rank), 1);
        }
        int a = ShapeText.Axis(c.Int("axis", -1), rank);
        return ((int)ShapeText.Product(x, 0, a), x[a], (int)ShapeText.Product(x, a + 1, rank));
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        c.RequireType(0, t => t.IsFloat() || t.IsInteger(), "a numeric type");
        View(c);
        c.SetOutput(0, c.Type(0), c.Shape(0));
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        string? t = c.Type(0).CSharpName();
        if (t is null) return null;
        var (outer, n, inner) = View(c);
        return new CallKernel(c.Node, w => w.Line(
            $"global::ModelCompiler.Runtime.TensorMath.Hardmax<{t}>({w.In(0)}, {w.Out(0)}, outer: {outer}, n: {n}, inner: {inner});"),
            $"rows of {n}");
    }
}
