using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Index;

/// <summary>
/// ONNX NonZero (opset 9/13): the positions of the non-zero elements, [rank, count] int64, in row-major order.
/// The count depends on the input's values, so ModelCompiler computes NonZero at build time: the input must be
/// a constant (or fold to one); a run-time input is MC0008 saying so.
/// </summary>
internal sealed class NonZeroOp : OpSchema
{
    public override string OpType => "NonZero";
    protected override bool HasFolding => true;

    private static long[][] Positions(OpContext c)
    {
        var x = c.RequireConst(0, "the input, whose values decide how many positions NonZero outputs (a data-dependent shape),");
        int[] shape = x.Shape;
        var strides = ShapeText.Strides(shape);
        var found = Enumerable.Range(0, (int)x.ElementCount).Where(i => x.GetDouble(i) != 0).ToList();
        return Enumerable.Range(0, shape.Length).Select(d => found.Select(i => (long)(i / strides[d] % shape[d])).ToArray()).ToArray();
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        c.RequireType(0, t => t.IsFloat() || t.IsInteger() || t == DataType.Bool, "a numeric or bool type");
        var p = Positions(c);
        int count = c.Rank(0) == 0 ? (c.Const(0)!.GetDouble(0) != 0 ? 1 : 0) : p[0].Length;
        c.SetOutput(0, DataType.Int64, new[] { c.Rank(0), count });
    }

    public override Tensor[] Fold(OpContext c)
    {
        var p = Positions(c);
        var shape = c.Node.Output(0)!.Shape!;
        return new[] { Tensor.FromLongs(DataType.Int64, shape, p.SelectMany(row => row).ToArray()) };
    }
}
