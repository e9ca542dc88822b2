using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Index;

/// <summary>
/// ONNX GatherElements (opset 11/13): output[i] = data[i with its 'axis' coordinate replaced by indices[i]]; the
/// output has the indices' shape (same rank as data; every other dimension at most data's). Any element type;
/// int32/int64 indices, negative ones counting from the end. Folds when data and indices are constant.
/// </summary>
internal sealed class GatherElementsOp : OpSchema
{
    public override string OpType => "GatherElements";
    protected override bool HasFolding => true;

    private static int Axis(OpContext c) => ShapeText.Axis(c.Int("axis", 0), c.Rank(0));

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(1, IndexArgs.IsIndexType, "int32 or int64 indices");
        int[] x = c.Shape(0), idx = c.Shape(1);
        if (x.Length == 0 || idx.Length != x.Length) throw new ModelError($"data ({ShapeText.Format(x)}) and indices ({ShapeText.Format(idx)}) must have the same rank, at least 1");
        int axis = Axis(c);
        for (int d = 0; d < x.Length; d++)
            if (d != axis && idx[d] > x[d]) throw new ModelError($"indices dimension {d} ({idx[d]}) is larger than data's ({x[d]})");
        IndexArgs.CheckConstantIndices(c, 1, _ => x[axis], OpType);
        c.SetOutput(0, c.Type(0), idx);
    }

    /// <summary>For each output element, the flat data position it reads.</summary>
    internal static int[] Map(int[] dataShape, int[] indexShape, long[] indices, int axis)
    {
        var strides = ShapeText.Strides(dataShape);
        var map = new int[indices.Length];
        var pos = new int[indexShape.Length];
        for (int i = 0; i < map.Length; i++)
        {
            int offset = 0;
            for (int d = 0; d < pos.Length; d++)
                offset += (d == axis ? IndexArgs.Wrap(indices[i], dataShape[axis]) : pos[d]) * strides[d];
            map[i] = offset;
            for (int d = pos.Length - 1; d >= 0; d--)
            {
                if (++pos[d] < indexShape[d]) break;
                pos[d] = 0;
            }
        }
        return map;
    }

    public override bool CanFold(OpContext c) => base.CanFold(c) && c.Type(0).BitSize() >= 8;

    public override Tensor[] Fold(OpContext c) =>
        new[] { Folding.Gather(c.Const(0)!, c.Shape(1), Map(c.Shape(0), c.Shape(1), c.Const(1)!.ToLongs(), Axis(c))) };

    public override Kernel? CreateKernel(OpContext c)
    {
        string? t = c.Type(0).CSharpName();
        if (t is null) return null;
        int[] x = c.Shape(0), idx = c.Shape(1);
        int axis = Axis(c);
        return new CallKernel(c.Node, w => w.Line(
            $"{IndexArgs.Runtime}.GatherElements<{t}, {w.T(1)}>({w.In(0)}, {w.In(1)}, {w.Out(0)}, " +
            $"indexShape: {IndexArgs.Shape(idx)}, dataStrides: {IndexArgs.Shape(ShapeText.Strides(x))}, axis: {axis}, axisDim: {x[axis]});"),
            $"axis {axis}");
    }
}
