using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Layout;

/// <summary>
/// ONNX Dropout at inference: the output is the input and the optional mask is all true (all ones before
/// opset 10, where the mask has the input's type). Opset 12 made ratio and training_mode inputs; training
/// mode with a non-zero ratio is random and is rejected. Simplify removes mask-less Dropout nodes; this covers
/// what remains.
/// </summary>
internal sealed class DropoutOp : OpSchema
{
    public override string OpType => "Dropout";

    /// <summary>At inference its output is its input: Simplify removes it when the mask is not read.</summary>
    public override OpTraits Traits { get; } = new() { ForwardsInput = true };
    protected override bool HasFolding => true;

    public override bool CanFold(OpContext c) => c.Const(0) is not null && c.Type(0).BitSize() >= 8;

    private static DataType MaskType(OpContext c) => c.Opset >= 10 ? DataType.Bool : c.Type(0);

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        if (c.Opset >= 12 && c.Has(2) && c.RequireConst(2, "training_mode").Scalar() != 0)
        {
            double ratio = c.Has(1) ? c.RequireConst(1, "the ratio of a training-mode Dropout").Scalar() : 0.5;
            if (ratio != 0)
                throw new ModelError("Dropout in training mode drops random elements; ModelCompiler compiles inference graphs (export the model in eval mode)");
        }
        c.SetOutput(0, c.Type(0), c.Shape(0));
        c.SetOutput(1, MaskType(c), c.Shape(0));
    }

    public override Tensor[] Fold(OpContext c)
    {
        var x = c.Const(0)!;
        var mask = c.HasOutput(1)
            ? Tensor.FromLongs(MaskType(c), x.Shape, Enumerable.Repeat(1L, (int)x.ElementCount).ToArray())
            : null;
        return new[] { x, mask! };
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        if (!c.HasOutput(1)) return new AliasKernel(c.Node);
        var maskType = MaskType(c);
        if (c.Type(0).CSharpName() is null || maskType.CSharpName() is null) return null;
        string one = LayoutArgs.ScalarLiteral(maskType, Tensor.ScalarOf(DataType.Int64, 1));
        return new CallKernel(c.Node, w =>
        {
            w.Line($"{w.In(0)}.CopyTo({w.Out(0)});");
            w.Line($"{w.Out(1)}.Fill({one});");
        }, "inference: output = input, mask all set");
    }
}
