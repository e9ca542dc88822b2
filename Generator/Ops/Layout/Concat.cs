using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Layout;

/// <summary>
/// ONNX Concat along <c>axis</c> (negative from opset 11). Each input is one strided copy into its slab of
/// the output; with constant inputs (shape vectors) it folds.
/// </summary>
internal sealed class ConcatOp : CopyOp
{
    public override string OpType => "Concat";

    private static int Axis(OpContext c)
    {
        if (!c.Node.HasAttribute("axis")) throw new ModelError("the 'axis' attribute is missing");
        return ShapeText.Axis(c.Int("axis", 0), c.Rank(0));
    }

    private static List<int> Present(OpContext c) => Enumerable.Range(0, c.InputCount).Where(c.Has).ToList();

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        var first = c.Shape(0);
        if (first.Length == 0) throw new ModelError("cannot concatenate scalars (inputs must have rank 1 or more)");
        int axis = Axis(c);
        var shape = (int[])first.Clone();
        long length = 0;
        foreach (int i in Present(c))
        {
            if (c.Type(i) != c.Type(0)) throw new ModelError($"input {i} has type {c.Type(i).OnnxName()} but input 0 has {c.Type(0).OnnxName()}");
            var s = c.Shape(i);
            if (s.Length != first.Length) throw new ModelError($"input {i} has rank {s.Length} but input 0 has rank {first.Length}");
            for (int d = 0; d < s.Length; d++)
                if (d != axis && s[d] != first[d])
                    throw new ModelError($"input {i} has shape {ShapeText.Format(s)}, which differs from input 0 ({ShapeText.Format(first)}) outside axis {axis}");
            length += s[axis];
        }
        shape[axis] = length <= int.MaxValue ? (int)length : throw new LimitExceeded($"the output would have {length} elements on axis {axis}; a dimension may be at most {int.MaxValue}");
        c.SetOutput(0, c.Type(0), shape);
    }

    protected override IReadOnlyList<CopyStep> Plan(OpContext c)
    {
        int axis = Axis(c);
        var y = c.Node.Output(0)!.Shape!;
        int outer = (int)ShapeText.Product(y, 0, axis), inner = (int)ShapeText.Product(y, axis + 1, y.Length);
        int outBlock = y[axis] * inner;
        var steps = new List<CopyStep>();
        int offset = 0;
        foreach (int i in Present(c))
        {
            int block = c.Shape(i)[axis] * inner;
            steps.Add(new CopyStep(i, 0, new[] { block, 1 }, 0, offset, new[] { outBlock, 1 }, new[] { outer, block }));
            offset += block;
        }
        return steps;
    }

    protected override string Describe(OpContext c) => $"axis {Axis(c)}";
}
