using System;
using System.Collections.Generic;
using ModelCompiler.Graph;

namespace ModelCompiler.Emit;

/// <summary>
/// One implementation of a node, chosen by the kernel selection pass: the layer's part of the
/// <see cref="Kernels.KernelPlan"/>. Everything it decides (which run-time kernel and variant, the layout of the
/// weights it reads, the threads and scratch memory it uses) is fixed when it is made, so the memory plan and the
/// emitter only read it; <see cref="Emit"/> writes the body of the node's layer method (the emitter writes the
/// signature, the comment and the call). Later kernels (Winograd, sparse, binary...) are new subclasses made by a
/// kernel provider; the ops and the reader do not change.
/// </summary>
internal abstract class Kernel
{
    protected Kernel(Node node) => Node = node;

    public Node Node { get; }

    /// <summary>
    /// The run-time method the layer calls ("PackedConv.Conv2D"), for the layer comment; null where the emitter should
    /// name the methods the written body calls (the ops' straightforward kernels).
    /// </summary>
    public string? Name { get; init; }

    /// <summary>The variant chosen at build time, for the layer comment ("windowed: rows packed by byte permutes"); null when there is one.</summary>
    public string? Variant { get; init; }

    /// <summary>
    /// The weights the layer reads in a layout of the kernel's own (panels, strips, shifted int8...), by tensor name;
    /// constant inputs not listed are read as the model stores them.
    /// </summary>
    public IReadOnlyList<WeightUse> Layouts { get; init; } = Array.Empty<WeightUse>();

    /// <summary>Threads the layer is split over (the model's Threads option where the layer is big enough).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>
    /// Bytes of scratch memory the layer needs while it runs (padded copies of its input, transformed tiles...): the
    /// memory plan gives it a region of the arena that lives for this layer only, and <see cref="LayerWriter.Scratch"/>
    /// names it. 0: none.
    /// </summary>
    public long ScratchBytes { get; init; }

    /// <summary>The output reuses input 0's memory unchanged (Reshape, Flatten, Squeeze...): no code, no copy.</summary>
    public virtual bool IsAlias => false;

    /// <summary>What this layer computes beyond op and shapes, for the comment (e.g. "kernel 3x3, stride 2, pad 1").</summary>
    public virtual string Summary => "";

    /// <summary>Multiply-accumulates per call, for the header and the layer comment.</summary>
    public virtual long Macs => 0;

    /// <summary>
    /// True when output 0 may be the very same memory as input <paramref name="inputIndex"/> (same start, same
    /// length): every output element is written only after the input elements it depends on have been read,
    /// and no later element reads an input element already overwritten. Element-wise kernels opt in; the
    /// memory plan then lets the output reuse an input buffer that dies at this layer.
    /// </summary>
    public virtual bool CanRunInPlace(int inputIndex) => false;

    public abstract void Emit(LayerWriter w);
}

/// <summary>A kernel whose body is given as a delegate: enough for ops that call one runtime routine.</summary>
internal sealed class CallKernel : Kernel
{
    private readonly Action<LayerWriter> _emit;
    private readonly string _summary;
    private readonly long _macs;

    public CallKernel(Node node, Action<LayerWriter> emit, string summary = "", long macs = 0) : base(node)
    {
        _emit = emit;
        _summary = summary;
        _macs = macs;
    }

    /// <summary>Inputs that output 0 may alias exactly (see <see cref="Kernel.CanRunInPlace"/>); none unless set.</summary>
    public int[] InPlaceInputs { get; init; } = Array.Empty<int>();

    public override string Summary => _summary;
    public override long Macs => _macs;
    public override bool CanRunInPlace(int inputIndex) => Array.IndexOf(InPlaceInputs, inputIndex) >= 0;
    public override void Emit(LayerWriter w) => _emit(w);
}

/// <summary>Output 0 is input 0 viewed with another shape.</summary>
internal sealed class AliasKernel : Kernel
{
    public AliasKernel(Node node) : base(node) { }
    public override bool IsAlias => true;
    public override string Summary => "view of the input, no copy";
    public override void Emit(LayerWriter w) { }
}

/// <summary>Output 0 = input 0, element for element (an alias that must land in a caller's span).</summary>
internal sealed class CopyKernel : Kernel
{
    public CopyKernel(Node node) : base(node) { }
    public override string Summary => "copy";
    public override void Emit(LayerWriter w) => w.Line($"{w.In(0)}.CopyTo({w.Out(0)});");
}

/// <summary>A weight as a kernel reads it: the model's tensor name and the layout the kernel rearranged it into.</summary>
internal sealed record WeightUse(string Tensor, string Layout);
