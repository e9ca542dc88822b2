using System;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Layout;

/// <summary>
/// ONNX Shape: the input's dimensions as int64 (from opset 15 only those in [start, end), both clamped, negative
/// counting from the end). Shapes are static, so it always folds: it never runs.
/// </summary>
internal sealed class ShapeOp : OpSchema
{
    public override string OpType => "Shape";
    protected override bool HasFolding => true;
    public override bool CanFold(OpContext c) => true;

    private static long[] Dims(OpContext c)
    {
        var x = c.Shape(0);
        int rank = x.Length;
        long start = 0, end = rank;
        if (c.Opset >= 15)
        {
            start = Clamp(c.Int("start", 0), rank);
            end = c.Node.HasAttribute("end") ? Clamp(c.Int("end", rank), rank) : rank;
        }
        return x.Skip((int)start).Take((int)Math.Max(0, end - start)).Select(d => (long)d).ToArray();
    }

    private static long Clamp(long v, int rank) => Math.Max(0, Math.Min(rank, v < 0 ? v + rank : v));

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        c.SetOutput(0, DataType.Int64, new[] { Dims(c).Length });
    }

    public override Tensor[] Fold(OpContext c) => new[] { Tensor.Int64Vector(Dims(c)) };
}

/// <summary>ONNX Size: the input's element count as an int64 scalar. Always folds.</summary>
internal sealed class SizeOp : OpSchema
{
    public override string OpType => "Size";
    protected override bool HasFolding => true;
    public override bool CanFold(OpContext c) => true;

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        c.SetOutput(0, DataType.Int64, Array.Empty<int>());
    }

    public override Tensor[] Fold(OpContext c) =>
        new[] { Tensor.FromLongs(DataType.Int64, Array.Empty<int>(), new[] { ShapeText.Product(c.Shape(0)) }) };
}
