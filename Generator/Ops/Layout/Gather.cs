using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Layout;

/// <summary>
/// ONNX Gather along <c>axis</c> (negative axes from opset 11; negative indices count from the end; int32 or
/// int64 indices). Output shape: data[:axis] + indices.shape + data[axis+1:]. With constant indices (the
/// Shape -> Gather pattern, or picking a few rows) it is a few strided copies and folds with constant data;
/// run-time indices use <c>Layout.Gather</c>.
/// </summary>
internal sealed class GatherOp : CopyOp
{
    public override string OpType => "Gather";

    /// <summary>Moves data only: a DequantizeLinear before it moves behind it.</summary>
    public override OpTraits Traits => OpTraits.DataMovement;

    /// <summary>Up to this many constant indices become individual copies; more use the run-time kernel.</summary>
    private const int MaxUnrolledIndices = 8;

    private static int Axis(OpContext c) => ShapeText.Axis(c.Int("axis", 0), c.Rank(0));

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(1, t => t is DataType.Int32 or DataType.Int64, "int32 or int64 indices");
        var x = c.Shape(0);
        if (x.Length == 0) throw new ModelError("the data must have rank 1 or more");
        int axis = Axis(c);
        if (c.Const(1) is { } idx)
        {
            foreach (long i in idx.ToLongs())
                if (i < -x[axis] || i >= x[axis]) throw new ModelError($"index {i} is out of range for axis {axis} of size {x[axis]}");
        }
        var shape = x.Take(axis).Concat(c.Shape(1)).Concat(x.Skip(axis + 1)).ToArray();
        c.SetOutput(0, c.Type(0), shape);
    }

    protected override IReadOnlyList<CopyStep> Plan(OpContext c)
    {
        var x = c.Shape(0);
        int axis = Axis(c);
        int outer = (int)ShapeText.Product(x, 0, axis), inner = (int)ShapeText.Product(x, axis + 1, x.Length);
        var indices = c.Const(1)!.ToLongs();
        int n = indices.Length;
        var steps = new List<CopyStep>();
        for (int k = 0; k < n; k++)
        {
            long i = indices[k] < 0 ? indices[k] + x[axis] : indices[k];
            steps.Add(new CopyStep(0, (int)i * inner, new[] { x[axis] * inner, 1 }, 0, k * inner, new[] { n * inner, 1 }, new[] { outer, inner }));
        }
        return steps;
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        if (c.Const(1) is { } idx && idx.ElementCount <= MaxUnrolledIndices) return base.CreateKernel(c);
        string? t = c.Type(0).CSharpName();
        if (t is null) return null;
        var x = c.Shape(0);
        int axis = Axis(c);
        long outer = ShapeText.Product(x, 0, axis), inner = ShapeText.Product(x, axis + 1, x.Length);
        return new CallKernel(c.Node, w => w.Line(
            $"global::ModelCompiler.Runtime.Layout.Gather<{t}, {w.T(1)}>({w.In(0)}, {w.In(1)}, {w.Out(0)}, {outer}, {x[axis]}, {inner});"),
            Describe(c));
    }

    protected override string Describe(OpContext c) => $"axis {Axis(c)}";
}
