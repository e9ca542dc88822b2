using System.Collections.Generic;
using ModelCompiler.Graph;
using ModelCompiler.Ops;

namespace ModelCompiler.Passes.Qdq;

/// <summary>
/// One rewrite of the QDQ pass: a "DQ -> op -> Q" group of the ops it is for becomes the integer operator that
/// computes the same thing. Each lives in <c>Rewrites/</c>, matches with <see cref="QdqPatterns"/> and edits with
/// <see cref="QdqEdits"/>; a new one is added to <see cref="All"/>.
/// </summary>
internal abstract class QdqRewrite
{
    /// <summary>
    /// The rewrites in the order they are tried on a node; the first that applies and succeeds wins (Add and Mul:
    /// QLinearAdd/QLinearMul, else a table when the other operand is a constant scalar).
    /// </summary>
    public static IReadOnlyList<QdqRewrite> All { get; } = new QdqRewrite[]
    {
        new ConvRewrite(), new MatMulRewrite(), new GemmRewrite(), new BinaryRewrite(), new ConcatRewrite(), new PoolRewrite(),
        new RequantizeRewrite(), new TableRewrite(),
    };

    /// <summary>Whether the rewrite is for this node (its op type, or what its schema declares; <paramref name="schema"/> may be null).</summary>
    public abstract bool AppliesTo(Node node, OpSchema? schema);

    /// <summary>
    /// Rewrites the group around <paramref name="node"/>, or returns false having changed nothing. A group that does
    /// not have the form the rewrite needs sets <paramref name="failure"/> (what was found) and
    /// <paramref name="expected"/> (the form), which become warning MC1002 when the group looks quantized.
    /// </summary>
    public abstract bool TryRewrite(Node node, QdqEdits edit, ref string? failure, ref string? expected);
}
