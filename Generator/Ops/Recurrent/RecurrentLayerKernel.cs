using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Kernels;
using ModelCompiler.Contract;

namespace ModelCompiler.Ops.Recurrent;

/// <summary>
/// An LSTM, GRU or RNN layer as one call into the runtime's recurrent kernel. With constant W, R, B and P (the
/// usual case) the weights are packed here, at build time, into the gate-padded layout the kernel streams
/// (<see cref="RecurrentLayout"/>: W and R transposed and stacked so that one row is one input or state element's
/// contribution to every gate, biases pre-summed); weights that are graph inputs are packed by the runtime on each call.
/// </summary>
internal sealed class RecurrentLayerKernel : Kernel
{
    private readonly RecurrentOp _op;
    private readonly RecurrentAttributes _a;
    private readonly bool _packed;
    private Tensor? _packedWeights;

    public RecurrentLayerKernel(OpContext c, RecurrentOp op, RecurrentAttributes a) : base(c.Node)
    {
        _op = op;
        _a = a;
        _packed = c.Const(RecurrentOp.W) is not null && c.Const(RecurrentOp.R) is not null
            && (!c.Has(RecurrentOp.B) || c.Const(RecurrentOp.B) is not null)
            && (op.Gates != 4 || !c.Has(RecurrentOp.P) || c.Const(RecurrentOp.P) is not null);
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
            int rows = _a.Input + _a.Hidden, columns = _op.Gates * RecurrentLayout.PaddedHidden(_a.Hidden);
            parts.Add(_packed ? $"gates packed at build time ({rows} x {columns} per direction)" : "weights are inputs: packed on each call");
            return string.Join(", ", parts);
        }
    }

    public override void Emit(LayerWriter w)
    {
        string Optional(int i) => w.HasInput(i) ? w.In(i) : "default";
        string Output(int i) => w.HasOutput(i) ? w.Out(i) : "default";
        var args = new List<string> { w.In(RecurrentOp.X) };
        if (_packed)
        {
            _packedWeights ??= Pack();
            args.Add(w.Weight(_packedWeights));
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
        string method = _packed ? "Run" : "RunUnpacked";
        w.Line($"{KernelText.Runtime}{_op.RuntimeClass}.{method}({string.Join(", ", args)},");
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
