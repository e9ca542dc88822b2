using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Index;

/// <summary>
/// ONNX Compress (opset 9/11): keeps the slices along 'axis' (or the elements of the flattened input when axis
/// is absent) whose condition entry is true. The output size depends on the condition's values, so the
/// condition must be a constant (MC0008 otherwise); the kernel is then a gather with build-time indices, and it
/// folds when the input is constant too. Any element type.
/// </summary>
internal sealed class CompressOp : OpSchema
{
    public override string OpType => "Compress";
    protected override bool HasFolding => true;

    private sealed record View(int Outer, int AxisDim, int Inner, long[] Kept, int[] OutShape);

    private static View Plan(OpContext c)
    {
        int[] x = c.Shape(0);
        var condition = c.RequireConst(1, "the condition, whose values decide the output shape (a data-dependent shape),");
        if (condition.Rank != 1) throw new ModelError($"the condition must be 1-D but has shape {ShapeText.Format(condition.Shape)}");
        bool hasAxis = c.Node.HasAttribute("axis");
        int axis = hasAxis ? ShapeText.Axis(c.Int("axis", 0), x.Length) : 0;
        int outer = hasAxis ? (int)ShapeText.Product(x, 0, axis) : 1;
        int axisDim = hasAxis ? x[axis] : (int)ShapeText.Product(x);
        int inner = hasAxis ? (int)ShapeText.Product(x, axis + 1, x.Length) : 1;
        var flags = condition.ToLongs();
        for (int i = axisDim; i < flags.Length; i++)
            if (flags[i] != 0) throw new ModelError($"the condition selects position {i}, beyond the {axisDim} the axis has");
        var kept = Enumerable.Range(0, System.Math.Min(flags.Length, axisDim)).Where(i => flags[i] != 0).Select(i => (long)i).ToArray();
        var outShape = hasAxis ? x.Select((d, i) => i == axis ? kept.Length : d).ToArray() : new[] { kept.Length };
        return new View(outer, axisDim, inner, kept, outShape);
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(1, t => t == DataType.Bool, "a bool condition");
        c.SetOutput(0, c.Type(0), Plan(c).OutShape);
    }

    public override bool CanFold(OpContext c) => base.CanFold(c) && c.Type(0).BitSize() >= 8;

    public override Tensor[] Fold(OpContext c)
    {
        var v = Plan(c);
        var map = new int[v.Outer * v.Kept.Length * v.Inner];
        int m = 0;
        for (int o = 0; o < v.Outer; o++)
            foreach (long k in v.Kept)
                for (int i = 0; i < v.Inner; i++) map[m++] = (int)((o * v.AxisDim + k) * v.Inner + i);
        return new[] { Folding.Gather(c.Const(0)!, v.OutShape, map) };
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        string? t = c.Type(0).CSharpName();
        if (t is null) return null;
        var v = Plan(c);
        var indices = Tensor.Int64Vector(v.Kept);
        return new CallKernel(c.Node, w => w.Line(
            $"global::ModelCompiler.Runtime.Layout.Gather<{t}, long>({w.In(0)}, {w.Weight(indices)}, {w.Out(0)}, {v.Outer}, {v.AxisDim}, {v.Inner});"),
            $"keeps {v.Kept.Length} of {v.AxisDim}");
    }
}
