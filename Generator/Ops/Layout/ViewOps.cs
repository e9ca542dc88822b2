using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Layout;

/// <summary>
/// Ops whose output is their input with another shape (Flatten, Squeeze, Unsqueeze, Identity): no data moves,
/// the output is the input's memory (a copy only where the output is a caller's span), and constants fold
/// by re-labelling their shape.
/// </summary>
internal abstract class ViewOp : OpSchema
{
    /// <summary>A view moves no data at all: a DequantizeLinear before it moves behind it.</summary>
    public override OpTraits Traits => OpTraits.DataMovement;

    protected override bool HasFolding => true;

    public override bool CanFold(OpContext c) => c.Const(0) is not null;

    public override Tensor[] Fold(OpContext c) => new[] { c.Const(0)!.WithShape(c.Node.Output(0)!.Shape!) };

    public override Kernel? CreateKernel(OpContext c) => new AliasKernel(c.Node);
}

/// <summary>ONNX Flatten: [d0..d(axis-1), d(axis)..] becomes 2-D; axis defaults to 1, may be negative from opset 11, and ranges over [-r, r].</summary>
internal sealed class FlattenOp : ViewOp
{
    public override string OpType => "Flatten";

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        var x = c.Shape(0);
        long a = c.Int("axis", 1);
        if (a < 0) a += x.Length;
        if (a < 0 || a > x.Length) throw new ModelError($"axis {c.Int("axis", 1)} is out of range for rank {x.Length}");
        c.SetOutput(0, c.Type(0), new[] { (int)ShapeText.Product(x, 0, (int)a), (int)ShapeText.Product(x, (int)a, x.Length) });
    }
}

/// <summary>
/// ONNX Squeeze: removes the listed size-1 dimensions (an attribute before opset 13, an optional constant input
/// from 13; negative from 11), or every size-1 dimension when no axes are given.
/// </summary>
internal sealed class SqueezeOp : ViewOp
{
    public override string OpType => "Squeeze";

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        var x = c.Shape(0);
        var given = LayoutArgs.IntsInputOrAttribute(c, 13, 1, "axes", "the axes to squeeze");
        int[] axes;
        if (given is null) axes = Enumerable.Range(0, x.Length).Where(d => x[d] == 1).ToArray();
        else
        {
            axes = LayoutArgs.Axes(given, x.Length);
            foreach (int a in axes)
                if (x[a] != 1) throw new ModelError($"cannot squeeze axis {a}: it has size {x[a]}, not 1 (input shape {ShapeText.Format(x)})");
        }
        c.SetOutput(0, c.Type(0), x.Where((_, d) => !axes.Contains(d)).ToArray());
    }
}

/// <summary>
/// ONNX Unsqueeze: inserts size-1 dimensions at the listed positions of the output (an attribute before opset
/// 13, a constant input from 13; negative from 11, counted against the output's rank; any order).
/// </summary>
internal sealed class UnsqueezeOp : ViewOp
{
    public override string OpType => "Unsqueeze";

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        var x = c.Shape(0);
        var given = LayoutArgs.IntsInputOrAttribute(c, 13, 1, "axes", "the axes to insert")
            ?? throw new ModelError(c.Opset < 13 ? "the 'axes' attribute is missing" : "the axes input is missing");
        int rank = x.Length + given.Length;
        var axes = LayoutArgs.Axes(given, rank);
        var shape = new int[rank];
        int k = 0;
        for (int d = 0; d < rank; d++) shape[d] = axes.Contains(d) ? 1 : x[k++];
        c.SetOutput(0, c.Type(0), shape);
    }
}

/// <summary>ONNX Identity on tensors. Simplify removes most; what remains (a graph input returned as an output) is a copy.</summary>
internal sealed class IdentityOp : ViewOp
{
    public override string OpType => "Identity";

    /// <summary>Moves no data, and its output is its input: Simplify removes it.</summary>
    public override OpTraits Traits { get; } = OpTraits.DataMovement with { ForwardsInput = true };

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        c.SetOutput(0, c.Type(0), c.Shape(0));
    }
}
