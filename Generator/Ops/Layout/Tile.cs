using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Layout;

/// <summary>
/// ONNX Tile (opset 6+): repeats the input <c>repeats[d]</c> times along each dimension (repeats a constant).
/// The output seen as [r0, d0, r1, d1, ...] is one strided copy with stride 0 along the repeat dimensions.
/// </summary>
internal sealed class TileOp : CopyOp
{
    public override string OpType => "Tile";

    /// <summary>Moves data only: a DequantizeLinear before it moves behind it.</summary>
    public override OpTraits Traits => OpTraits.DataMovement;

    private static long[] Repeats(OpContext c)
    {
        var r = c.RequireConst(1, "the repeats").ToLongs();
        if (r.Length != c.Rank(0)) throw new ModelError($"repeats [{Node.Describe(r)}] has {r.Length} entries but the input has rank {c.Rank(0)}");
        if (r.Any(v => v < 0)) throw new ModelError($"repeats [{Node.Describe(r)}] has a negative entry");
        return r;
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        var r = Repeats(c);
        c.SetOutput(0, c.Type(0), c.Shape(0).Select((d, i) => ShapeText.CheckedInt(d * r[i])).ToArray());
    }

    protected override IReadOnlyList<CopyStep> Plan(OpContext c)
    {
        var x = c.Shape(0);
        var r = Repeats(c);
        var strides = ShapeText.Strides(x);
        var dims = new int[2 * x.Length];
        var xs = new int[2 * x.Length];
        for (int d = 0; d < x.Length; d++)
        {
            dims[2 * d] = (int)r[d];
            dims[2 * d + 1] = x[d];
            xs[2 * d + 1] = strides[d];
        }
        return new[] { CopyStep.Gather(0, 0, xs, 0, dims) };
    }

    protected override string Describe(OpContext c) => $"repeats {Node.Describe(Repeats(c))}";
}
