using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Index;

/// <summary>
/// ONNX OneHot (opset 9/11): a new axis of size depth (input 1, a constant: it decides the output shape) is
/// inserted at 'axis' (default -1); the element at each index's position is values[1], all others values[0]
/// (input 2, [off, on], any type). Indices of any numeric type are truncated to integers; negative ones count
/// from the end of depth; out-of-range ones match nothing.
/// </summary>
internal sealed class OneHotOp : OpSchema
{
    public override string OpType => "OneHot";
    protected override bool HasFolding => true;

    private static (int Outer, int Depth, int Inner, int[] OutShape) View(OpContext c)
    {
        int[] idx = c.Shape(0);
        var depthTensor = c.RequireConst(1, "depth, which decides the output shape,");
        if (depthTensor.ElementCount != 1) throw new ModelError("depth must be a single value");
        double depthValue = depthTensor.Scalar();
        if (!(depthValue >= 1) || depthValue > int.MaxValue) throw new ModelError($"depth must be a positive number, not {depthValue}");
        int depth = (int)depthValue;
        int axis = ShapeText.Axis(c.Int("axis", -1), idx.Length + 1);
        var outShape = idx.Take(axis).Concat(new[] { depth }).Concat(idx.Skip(axis)).ToArray();
        return ((int)ShapeText.Product(idx, 0, axis), depth, (int)ShapeText.Product(idx, axis, idx.Length), outShape);
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(3);
        c.RequireType(0, t => t.IsFloat() || t.IsInteger(), "numeric indices");
        if (c.Shape(2).Length != 1 || c.Shape(2)[0] != 2) throw new ModelError($"values must be [off, on] (shape 2) but has shape {ShapeText.Format(c.Shape(2))}");
        c.SetOutput(0, c.Type(2), View(c).OutShape);
    }

    public override bool CanFold(OpContext c) => base.CanFold(c) && c.Type(2).BitSize() >= 8;

    public override Tensor[] Fold(OpContext c)
    {
        var (outer, depth, inner, outShape) = View(c);
        var idx = c.Const(0)!.ToDoubles();
        // Element 0 (off) everywhere, element 1 (on) where an index points.
        var map = new int[outer * depth * inner];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double v = idx[o * inner + i];
                if (double.IsNaN(v)) continue;
                long d = (long)v;
                if (d < 0) d += depth;
                if (d >= 0 && d < depth) map[(o * depth + (int)d) * inner + i] = 1;
            }
        return new[] { Folding.Gather(c.Const(2)!, outShape, map) };
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        string? t = c.Type(2).CSharpName(), ti = c.Type(0).CSharpName();
        if (t is null || ti is null) return null;
        var (outer, depth, inner, _) = View(c);
        return new CallKernel(c.Node, w => w.Line(
            $"{IndexArgs.Runtime}.OneHot<{ti}, {t}>({w.In(0)}, {w.In(2)}, {w.Out(0)}, outer: {outer}, depth: {depth}, inner: {inner});"),
            $"depth {depth}");
    }
}
