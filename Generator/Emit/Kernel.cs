using System;
using ModelCompiler.Graph;

namespace ModelCompiler.Emit;

/// <summary>
/// One implementation of a node, chosen by the kernel selection pass. It writes the body of the node's
/// layer method; the emitter writes the signature, the comment and the call. Later kernels (SIMD, int8,
/// sparse...) are new subclasses picked by selection; the ops and the reader do not change.
/// </summary>
internal abstract class Kernel
{
    protected Kernel(Node node) => Node = node;

    public Node Node { get; }

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

    /// <summary>
    /// Bytes of arena the layer needs for itself while it runs (a Loop's loop-carried values and its body's
    /// tensors). The memory plan gives it a block nothing else uses during the layer; the emitter passes that block
    /// as the layer's last parameter, a <c>Span&lt;byte&gt;</c> named <see cref="LayerWriter.Scratch"/>.
    /// </summary>
    public virtual long ScratchBytes => 0;

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
