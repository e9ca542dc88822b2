using System;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Layout;

/// <summary>
/// ONNX OptionalHasElement (opset 15, 18) where its input is a plain tensor or absent: ModelCompiler has no optional
/// values, so a tensor input always has its element (true) and a missing input never does (false). The answer is
/// known at build time and folds to a bool scalar.
/// </summary>
internal sealed class OptionalHasElementOp : OpSchema
{
    public override string OpType => "OptionalHasElement";

    public override void Infer(OpContext c) => c.SetOutput(0, DataType.Bool, Array.Empty<int>());

    protected override bool HasFolding => true;

    public override bool CanFold(OpContext c) => true;

    public override Tensor[] Fold(OpContext c) =>
        new[] { Tensor.FromLongs(DataType.Bool, Array.Empty<int>(), new[] { c.Has(0) ? 1L : 0L }) };
}

/// <summary>
/// ONNX OptionalGetElement (opset 15, 18) on a plain tensor: the tensor itself (ModelCompiler has no optional
/// values, so a tensor input is always present).
/// </summary>
internal sealed class OptionalGetElementOp : ViewOp
{
    public override string OpType => "OptionalGetElement";

    /// <summary>Not a reshaping op for the QDQ passes: it keeps the view kernel and folding only.</summary>
    public override OpTraits Traits => OpTraits.None;

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        c.SetOutput(0, c.Type(0), c.Shape(0));
    }
}
