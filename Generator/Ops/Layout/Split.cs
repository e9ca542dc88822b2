using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Layout;

/// <summary>
/// ONNX Split along <c>axis</c>. Sizes come from the 'split' attribute (before opset 13), the optional constant
/// 'split' input (13+), or else equal parts: one per output, or <c>num_outputs</c> parts (18+) where the last
/// part may be smaller. Each output is one strided copy.
/// </summary>
internal sealed class SplitOp : CopyOp
{
    public override string OpType => "Split";

    private static int Axis(OpContext c) => ShapeText.Axis(c.Int("axis", 0), c.Rank(0));

    private static int[] Sizes(OpContext c)
    {
        if (c.Rank(0) == 0) throw new ModelError("cannot split a scalar (rank 0)");
        int dim = c.Shape(0)[Axis(c)];
        int outputs = c.OutputCount;
        var split = LayoutArgs.IntsInputOrAttribute(c, 13, 1, "split", "the split sizes");
        if (split is not null)
        {
            if (split.Length != outputs) throw new ModelError($"split [{Node.Describe(split)}] has {split.Length} entries for {outputs} outputs");
            if (split.Any(s => s < 0)) throw new ModelError($"split [{Node.Describe(split)}] has a negative size");
            if (split.Sum() != dim) throw new ModelError($"split [{Node.Describe(split)}] adds up to {split.Sum()}, but the axis has {dim} elements");
            return split.Select(s => (int)s).ToArray();
        }
        if (c.Opset >= 18 && c.Node.HasAttribute("num_outputs"))
        {
            long n = c.Int("num_outputs", 0);
            if (n != outputs) throw new ModelError($"num_outputs is {n} but the node has {outputs} outputs");
            int chunk = (int)((dim + n - 1) / n);
            var sizes = Enumerable.Repeat(chunk, outputs).ToArray();
            sizes[outputs - 1] = dim - chunk * (outputs - 1);
            if (sizes[outputs - 1] < 0) throw new ModelError($"an axis of {dim} elements cannot be split into {n} parts of {chunk}");
            return sizes;
        }
        if (dim % outputs != 0) throw new ModelError($"an axis of {dim} elements cannot be split into {outputs} equal parts");
        return Enumerable.Repeat(dim / outputs, outputs).ToArray();
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        int axis = Axis(c);
        var sizes = Sizes(c);
        for (int i = 0; i < sizes.Length; i++)
        {
            var shape = (int[])c.Shape(0).Clone();
            shape[axis] = sizes[i];
            c.SetOutput(i, c.Type(0), shape);
        }
    }

    protected override IReadOnlyList<CopyStep> Plan(OpContext c)
    {
        var x = c.Shape(0);
        int axis = Axis(c);
        int outer = (int)ShapeText.Product(x, 0, axis), inner = (int)ShapeText.Product(x, axis + 1, x.Length);
        var steps = new List<CopyStep>();
        int offset = 0;
        var sizes = Sizes(c);
        for (int i = 0; i < sizes.Length; i++)
        {
            int block = sizes[i] * inner;
            steps.Add(CopyStep.Gather(0, offset, new[] { x[axis] * inner, 1 }, i, new[] { outer, block }));
            offset += block;
        }
        return steps;
    }

    protected override string Describe(OpContext c) => $"axis {Axis(c)}, sizes {string.Join(",", Sizes(c))}";
}
