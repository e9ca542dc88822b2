using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Layout;

/// <summary>
/// ONNX DepthToSpace (modes DCR, the default, and CRD from opset 11) and SpaceToDepth on NCHW tensors: each
/// is a reshape to 6-D, a transpose and a reshape back, so one strided copy.
/// </summary>
internal abstract class BlockRearrangeOp : CopyOp
{
    /// <summary>Moves data only: a DequantizeLinear before it moves behind it.</summary>
    public override OpTraits Traits => OpTraits.DataMovement;

    protected static int BlockSize(OpContext c)
    {
        if (!c.Node.HasAttribute("blocksize")) throw new ModelError("the 'blocksize' attribute is missing");
        long b = c.Int("blocksize", 0);
        return b >= 1 && b <= int.MaxValue ? (int)b : throw new ModelError($"blocksize {b} must be at least 1");
    }

    protected static int[] Nchw(OpContext c)
    {
        var x = c.Shape(0);
        return x.Length == 4 ? x : throw new ModelError($"the input must be 4-D (NCHW) but has shape {ShapeText.Format(x)}");
    }

    /// <summary>The output as a transpose of the input viewed with <paramref name="view"/> (6-D).</summary>
    protected static CopyStep Permuted(int[] view, int[] perm)
    {
        var strides = ShapeText.Strides(view);
        return CopyStep.Gather(0, 0, perm.Select(p => strides[p]).ToArray(), 0, perm.Select(p => view[p]).ToArray());
    }

    protected override string Describe(OpContext c) => $"blocksize {BlockSize(c)}";
}

internal sealed class DepthToSpaceOp : BlockRearrangeOp
{
    public override string OpType => "DepthToSpace";

    private static bool Crd(OpContext c)
    {
        string mode = c.Opset >= 11 ? c.Str("mode", "DCR") : "DCR";
        return mode switch
        {
            "DCR" => false,
            "CRD" => true,
            _ => throw new ModelError($"unknown mode '{mode}' (expected DCR or CRD)"),
        };
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        var x = Nchw(c);
        int b = BlockSize(c);
        if (x[1] % (b * b) != 0) throw new ModelError($"{x[1]} channels cannot be divided into blocks of {b}x{b}");
        Crd(c);
        c.SetOutput(0, c.Type(0), new[] { x[0], x[1] / (b * b), x[2] * b, x[3] * b });
    }

    protected override IReadOnlyList<CopyStep> Plan(OpContext c)
    {
        var x = Nchw(c);
        int b = BlockSize(c), n = x[0], ch = x[1] / (b * b), h = x[2], w = x[3];
        return new[]
        {
            Crd(c)
                ? Permuted(new[] { n, ch, b, b, h, w }, new[] { 0, 1, 4, 2, 5, 3 })
                : Permuted(new[] { n, b, b, ch, h, w }, new[] { 0, 3, 4, 1, 5, 2 }),
        };
    }

    protected override string Describe(OpContext c) => base.Describe(c) + (Crd(c) ? ", CRD" : ", DCR");
}

internal sealed class SpaceToDepthOp : BlockRearrangeOp
{
    public override string OpType => "SpaceToDepth";

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        var x = Nchw(c);
        int b = BlockSize(c);
        if (x[2] % b != 0 || x[3] % b != 0) throw new ModelError($"the spatial size {x[2]}x{x[3]} is not a multiple of blocksize {b}");
        c.SetOutput(0, c.Type(0), new[] { x[0], x[1] * b * b, x[2] / b, x[3] / b });
    }

    protected override IReadOnlyList<CopyStep> Plan(OpContext c)
    {
        var x = Nchw(c);
        int b = BlockSize(c);
        return new[] { Permuted(new[] { x[0], x[1], x[2] / b, b, x[3] / b, b }, new[] { 0, 3, 5, 1, 2, 4 }) };
    }
}
