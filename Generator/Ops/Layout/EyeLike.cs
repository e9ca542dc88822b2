using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Layout;

/// <summary>
/// ONNX EyeLike (opset 9/22): a 2-D tensor of the input's shape with ones on the diagonal shifted by k (default 0)
/// and zeros elsewhere, of type 'dtype' (default: the input's). It depends only on the shape, so it always folds.
/// </summary>
internal sealed class EyeLikeOp : OpSchema
{
    public override string OpType => "EyeLike";

    private static DataType OutputType(OpContext c)
    {
        var t = c.Node.HasAttribute("dtype") ? (DataType)c.Int("dtype", 0) : c.Type(0);
        if (!(t.IsFloat() || t.IsInteger() || t == DataType.Bool) || t.BitSize() < 8) throw new ModelError($"EyeLike cannot make {t.OnnxName()} tensors");
        return t;
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        if (c.Rank(0) != 2) throw new ModelError($"the input must be 2-D but has shape {ShapeText.Format(c.Shape(0))}");
        c.SetOutput(0, OutputType(c), c.Shape(0));
    }

    public override bool CanFold(OpContext c) => true;

    public override Tensor[] Fold(OpContext c)
    {
        int[] s = c.Shape(0);
        long k = c.Int("k", 0);
        var v = new long[s[0] * s[1]];
        for (int i = 0; i < s[0]; i++)
        {
            long j = i + k;
            if (j >= 0 && j < s[1]) v[i * s[1] + j] = 1;
        }
        return new[] { Tensor.FromLongs(OutputType(c), s, v) };
    }
}
