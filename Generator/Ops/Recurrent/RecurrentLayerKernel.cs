using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Contract;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Kernels;

namespace ModelCompiler.Ops.Recurrent;

/// <summary>
/// An LSTM, GRU or RNN layer as one call into the runtime's recurrent kernel. With constant W, R, B and P (the
/// usual case) the weights are packed here, at build time, into the gate-padded layout the kernel streams
/// (<see cref="RecurrentLayout"/>: W and R transposed and stacked so that one row is one input or state element's
/// contribution to every gate, biases pre-summed); weights that are graph inputs are packed by the runtime on each
/// call, into the layer's scratch. The scratch (every step's input projection, the gates and states of one step)
/// comes from the memory plan.
/// </summary>
internal sealed class RecurrentLayerKernel : Kernel
{
    private readonly RecurrentOp _op;
    private readonly RecurrentAttributes _a;
    private readonly Tensor? _packed;

    public RecurrentLayerKernel(OpContext c, RecurrentOp op, RecurrentAttributes a) : base(c.Node)
    {
        _op = op;
        _a = a;
        bool constant = c.Const(RecurrentOp.W) is not null && c.Const(RecurrentOp.R) is not null
            && (!c.Has(RecurrentOp.B) || c.Const(RecurrentOp.B) is not null)
            && (op.Gates != 4 || !c.Has(RecurrentOp.P) || c.Const(RecurrentOp.P) is not null);
        int columns = op.Gates * RecurrentLayout.PaddedHidden(a.Hidden);
        if (constant)
        {
            _packed = Pack();
            var layouts = new List<WeightUse>
            {
                new(c.In(RecurrentOp.W).Name, $"transposed into the gate-padded matrix [{a.Directions}][{a.Input}+{a.Hidden}][{columns}]"),
                new(c.In(RecurrentOp.R).Name, "transposed into the same matrix, below W"),
            };
            if (c.Has(RecurrentOp.B)) layouts.Add(new WeightUse(c.In(RecurrentOp.B).Name, LinearBeforeReset ? "Wb + Rb per gate (Rbh apart), padded" : "Wb + Rb per gate, padded"));
            if (op.Gates == 4 && c.Has(RecurrentOp.P)) layouts.Add(new WeightUse(c.In(RecurrentOp.P).Name, "padded per gate"));
            Layouts = layouts;
        }
        Name = constant ? op.PackedEntry : op.UnpackedEntry;
        Variant = constant ? "gates packed at build time" : "weights are inputs: packed on each call";
        ScratchBytes = RecurrentLayout.ScratchBytes(op.Gates, a.Directions, a.Sequence, a.Batch, a.Input, a.Hidden, packedAtRunTime: !constant);
    }

    private bool LinearBeforeReset => _op.Gates == 3 && Node.GetInt("linear_before_reset", 0) != 0;
    private bool InputForget => _op.Gates == 4 && Node.GetInt("input_forget", 0) != 0;

    public override long Macs => (long)_a.Sequence * _a.Batch * _a.Directions * _op.Gates * _a.Hidden * (_a.Input + _a.Hidden);

    public override string Summary
    {
        get
        {
            var parts = new List<string> { $"hidden {_a.Hidden}", _a.Describe(_op.DefaultFunctions) };
            if (LinearBeforeReset) parts.Add("linear_before_reset");
            if (InputForget) parts.Add("input_forget");
            if (Node.Input(RecurrentOp.P) is not null) parts.Add("peepholes");
            parts.Add($"{_a.Sequence} steps x batch {_a.Batch}");
            return string.Join(", ", parts);
        }
    }

    public override void Emit(LayerWriter w)
    {
        string Optional(int i) => w.HasInput(i) ? w.In(i) : "default";
        string Output(int i) => w.HasOutput(i) ? w.Out(i) : "default";
        var args = new List<string> { w.In(RecurrentOp.X) };
        if (_packed is not null)
        {
            args.Add(w.Weight(_packed));
            if (_op.Gates == 4) args.Add(w.HasInput(RecurrentOp.P) ? "true" : "false");
        }
        else
        {
            args.AddRange(new[] { w.In(RecurrentOp.W), w.In(RecurrentOp.R), Optional(RecurrentOp.B) });
            if (_op.Gates == 4) args.Add(Optional(RecurrentOp.P));
        }
        args.Add(FullLengths() ? "default" : Optional(RecurrentOp.SequenceLens));
        args.Add(Optional(RecurrentOp.InitialH));
        if (_op.Gates == 4) args.Add(Optional(RecurrentOp.InitialC));
        args.Add(Output(0));
        args.Add(Output(1));
        if (_op.Gates == 4) args.Add(Output(2));
        args.Add(w.Scratch);
        w.Line($"{KernelText.Runtime}{Name}({string.Join(", ", args)},");
        string last = _op.Gates switch
        {
            4 => $", inputForget: {(InputForget ? "true" : "false")}",
            3 => $", linearBeforeReset: {(LinearBeforeReset ? "true" : "false")}",
            _ => "",
        };
        w.Line($"    {_a.ShapeCode},");
        w.Line($"    {_a.ActivationsCode(0, _op.DefaultFunctions)}, {_a.ActivationsCode(1, _op.DefaultFunctions)}, clip: {_a.ClipCode}{last});");
    }

    /// <summary>Constant sequence lengths that are all the full sequence mean nothing to the kernel: left out.</summary>
    private bool FullLengths() => Node.Input(RecurrentOp.SequenceLens)?.Constant is { } lens && lens.ToLongs().All(l => l == _a.Sequence);

    private unsafe Tensor Pack()
    {
        float[] w = Node.RequiredInput(RecurrentOp.W).Constant!.ToFloats(), r = Node.RequiredInput(RecurrentOp.R).Constant!.ToFloats();
        float[]? b = Node.Input(RecurrentOp.B)?.Constant!.ToFloats();
        float[]? p = _op.Gates == 4 ? Node.Input(RecurrentOp.P)?.Constant!.ToFloats() : null;
        var packed = new float[RecurrentLayout.Length(_op.Gates, _a.Directions, _a.Input, _a.Hidden)];
        fixed (float* pw = w)
        fixed (float* pr = r)
        fixed (float* pb = b)
        fixed (float* pp = p)
        fixed (float* pk = packed)
            RecurrentLayout.Pack(_op.Gates, _a.Directions, _a.Input, _a.Hidden, LinearBeforeReset, pw, pr, pb, pp, pk);
        return WeightPacking.ToTensor(packed);
    }
}
