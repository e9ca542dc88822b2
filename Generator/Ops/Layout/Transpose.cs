using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Layout;

/// <summary>
/// ONNX Transpose: output dim i is input dim perm[i]; perm defaults to reversing the dimensions. One strided
/// copy; a permutation that only moves size-1 dimensions is a view of the input (no copy).
/// </summary>
internal sealed class TransposeOp : CopyOp
{
    public override string OpType => "Transpose";

    /// <summary>Moves data only: a DequantizeLinear before it moves behind it.</summary>
    public override OpTraits Traits => OpTraits.DataMovement;

    private static int[] Perm(OpContext c)
    {
        int rank = c.Rank(0);
        var attr = c.Ints("perm");
        if (attr is null) return Enumerable.Range(0, rank).Reverse().ToArray();
        if (attr.Length != rank) throw new ModelError($"perm [{Node.Describe(attr)}] has {attr.Length} entries but the input has rank {rank}");
        var perm = attr.Select(p => p >= 0 && p < rank ? (int)p : throw new ModelError($"perm [{Node.Describe(attr)}] is not a permutation of 0..{rank - 1}")).ToArray();
        if (perm.Distinct().Count() != rank) throw new ModelError($"perm [{Node.Describe(attr)}] is not a permutation of 0..{rank - 1}");
        return perm;
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        var x = c.Shape(0);
        c.SetOutput(0, c.Type(0), Perm(c).Select(p => x[p]).ToArray());
    }

    protected override IReadOnlyList<CopyStep> Plan(OpContext c)
    {
        var strides = ShapeText.Strides(c.Shape(0));
        var perm = Perm(c);
        return new[] { CopyStep.Gather(0, 0, perm.Select(p => strides[p]).ToArray(), 0, c.Node.Output(0)!.Shape!) };
    }

    protected override string Describe(OpContext c) => "perm " + string.Join(",", Perm(c));
}
