using System;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops;

/// <summary>
/// What the passes need to know about an op, declared by its schema (<see cref="OpSchema.Traits"/>) instead of name
/// lists inside the passes: adding an op with the right traits is enough for the fusions to take it. Every trait is
/// off by default (<see cref="None"/>); a schema combines them with <c>with</c>:
/// <c>OpTraits.ElementWiseOp with { Clamp = ... }</c>.
/// </summary>
internal sealed record OpTraits
{
    /// <summary>No trait: the passes leave the op alone.</summary>
    public static readonly OpTraits None = new();

    /// <summary>
    /// Output element i is a function of input element i (other inputs broadcast, in practice constant scalars): a
    /// DequantizeLinear -> op -> QuantizeLinear group of it is one 256-entry table over the 8-bit inputs, computed with
    /// the op's own constant folding (<see cref="Passes.QdqFusion"/>).
    /// </summary>
    public bool ElementWise { get; init; }

    /// <summary>
    /// DequantizeLinear(x) -> op equals op(x) -> DequantizeLinear for a positive scale: the op only moves, copies or
    /// selects elements of its one data input (Reshape, Transpose, Slice, Pad with a value on the grid, MaxPool...),
    /// so the QDQ pass runs it on the integers.
    /// </summary>
    public bool CommutesWithDequantize { get; init; }

    /// <summary>
    /// The activation a layer before the op (<see cref="AppliesEpilogue"/>) can apply as it stores its output
    /// (<see cref="Passes.EpilogueFusion"/>): the run-time activation kind and parameters for this node, or null when
    /// this node cannot be fused (bounds known only at run time). Null: the op is never fused. The kind's scalar and
    /// vector forms are the run-time <c>ActivationKind</c>'s; they compute what the op's own kernel computes.
    /// </summary>
    public Func<Node, FusedActivation?>? FusedActivation { get; init; }

    /// <summary>
    /// The op is y = min(max(x, Min), Max) for this node (Relu: [0, +inf), Clip: its bounds; an absent bound is
    /// infinite), or null when the bounds are not constants. QuantizeLinear is monotonic, so a QDQ group ending in
    /// such an op folds it into the integer output range (<see cref="Passes.QdqFusion"/>).
    /// </summary>
    public Func<Node, (double Min, double Max)?>? Clamp { get; init; }

    /// <summary>
    /// At inference, output 0 is input 0 unchanged (Identity, Dropout): the node goes away when no other output of it
    /// is read (<see cref="Passes.Simplify"/>).
    /// </summary>
    public bool ForwardsInput { get; init; }

    /// <summary>
    /// A layer whose kernels apply a fused epilogue as they store (Conv, Gemm, MatMul): activations and a residual Add
    /// after it fold into it (<see cref="Passes.EpilogueFusion"/>, <see cref="Node.Epilogue"/>). An op that declares
    /// it must honour <see cref="Node.Epilogue"/> in every kernel it gets.
    /// </summary>
    public bool AppliesEpilogue { get; init; }

    /// <summary>An element-wise op (see <see cref="ElementWise"/>).</summary>
    public static readonly OpTraits ElementWiseOp = new() { ElementWise = true };

    /// <summary>A data-movement op (see <see cref="CommutesWithDequantize"/>).</summary>
    public static readonly OpTraits DataMovement = new() { CommutesWithDequantize = true };

    /// <summary>An element-wise activation that also fuses into a preceding layer as <paramref name="activation"/> says.</summary>
    public static OpTraits Activation(Func<Node, FusedActivation?> activation) => new() { ElementWise = true, FusedActivation = activation };
}
