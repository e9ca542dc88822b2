using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Layout;

/// <summary>
/// ONNX Expand (opset 8+): broadcasts the input to a constant shape, numpy style in both directions (a 1 in
/// the shape keeps the input's dimension). One strided copy with stride 0 along broadcast dimensions.
/// </summary>
internal sealed class ExpandOp : CopyOp
{
    public override string OpType => "Expand";

    /// <summary>Moves data only: a DequantizeLinear before it moves behind it.</summary>
    public override OpTraits Traits => OpTraits.DataMovement;

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        var shape = c.RequireConst(1, "the target shape").ToLongs();
        if (shape.Any(d => d < 0)) throw new ModelError($"the target shape [{Node.Describe(shape)}] has a negative dimension");
        c.SetOutput(0, c.Type(0), ShapeText.Broadcast(c.Shape(0), shape.Select(ShapeText.CheckedInt).ToArray()));
    }

    protected override IReadOnlyList<CopyStep> Plan(OpContext c) => new[] { Broadcast(c.Shape(0), c.Node.Output(0)!.Shape!) };

    /// <summary>Reads input 0 (shape <paramref name="x"/>) broadcast to <paramref name="y"/>.</summary>
    public static CopyStep Broadcast(int[] x, int[] y)
    {
        var strides = ShapeText.Strides(x);
        int offset = y.Length - x.Length;
        var xs = new int[y.Length];
        for (int d = 0; d < x.Length; d++) xs[d + offset] = x[d] == 1 ? 0 : strides[d];
        return CopyStep.Gather(0, 0, xs, 0, y);
    }

    protected override string Describe(OpContext c) => $"broadcast {ShapeText.Format(c.Shape(0))}";
}
