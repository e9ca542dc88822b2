using System;
using System.Collections.Generic;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops;

/// <summary>
/// The meaning of one ONNX operator: how its output types and shapes follow from its inputs and attributes
/// (<see cref="Infer"/>), optionally how to compute it at build time when its inputs are constants
/// (<see cref="Fold"/>), and its default implementation (<see cref="CreateKernel"/>). One class (or one
/// small family) per file under Ops/; they are found by reflection, so adding an op touches no list.
/// </summary>
internal abstract class OpSchema
{
    public abstract string OpType { get; }

    /// <summary>"" for the default ONNX domain.</summary>
    public virtual string Domain => "";

    /// <summary>Fills in the outputs' element types and shapes; throws <see cref="ModelError"/> for invalid nodes.</summary>
    public abstract void Infer(OpContext c);

    /// <summary>Whether <see cref="Fold"/> can compute this node now. By default: when every input is constant.</summary>
    public virtual bool CanFold(OpContext c) => HasFolding && c.AllInputsConstant;

    /// <summary>Set by ops that implement <see cref="Fold"/>.</summary>
    protected virtual bool HasFolding => false;

    /// <summary>Computes the outputs at build time (constant folding of shape subgraphs and weight arithmetic).</summary>
    public virtual Tensor[] Fold(OpContext c) => throw new NotSupportedException($"{OpType} cannot be folded");

    /// <summary>The straightforward implementation, or null when the op only exists to be folded or the types are not handled.</summary>
    public virtual Kernel? CreateKernel(OpContext c) => null;

    /// <summary>Why <see cref="CreateKernel"/> returned null, for the diagnostic.</summary>
    public virtual string? WhyNoKernel(OpContext c) => null;

    /// <summary>What the passes may do with this op (element-wise, commutes with dequantization, fusable activation...).</summary>
    public virtual OpTraits Traits => OpTraits.None;
}

/// <summary>A class that contributes several schemas (for example every unary element-wise op).</summary>
internal interface IOpFamily
{
    IEnumerable<OpSchema> Schemas { get; }
}
