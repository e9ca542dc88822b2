using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Compilation;
using ModelCompiler.Contract;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Kernels;

namespace ModelCompiler.Ops.ControlFlow;

/// <summary>
/// ONNX Scan: N state values and M scan inputs; each iteration the body maps (states..., one slice of every scan
/// input) to (states..., K scan output slices); the outputs are the final states and the slices stacked. From opset
/// 9 the scan axis and direction of each scan input and output are attributes; opset 8 has a batch axis 0 before
/// the scan axis 1, per-input directions and a sequence_lens input (supported when absent or equal to the full length).
/// The number of iterations is the scan axis's static length.
/// </summary>
internal sealed class ScanOp : OpSchema
{
    public override string OpType => "Scan";

    public override void Infer(OpContext c)
    {
        var s = ScanPlan.Of(c);
        var body = c.Node.Subgraph("body");
        var formal = new List<(DataType, int[])>();
        for (int j = 0; j < s.States; j++) formal.Add((c.Type(s.First + j), s.StateShape(c.Shape(s.First + j))));
        for (int m = 0; m < s.ScanInputs; m++) formal.Add((c.Type(s.First + s.States + m), s.InputSliceShape(m, c.Shape(s.First + s.States + m))));
        Subgraphs.Bind(c, body, "the body", formal);
        Subgraphs.Infer(body, "the body");
        int outputs = c.OutputCount - s.States;
        if (outputs < 0 || body.Outputs.Count != c.OutputCount)
            throw new ModelError($"the body has {body.Outputs.Count} output(s) but the Scan has {c.OutputCount}");
        for (int j = 0; j < s.States; j++)
        {
            var o = body.Outputs[j];
            if (o.Type != formal[j].Item1 || !ShapeText.SameShape(o.Shape!, formal[j].Item2))
                throw new ModelError($"state {j} enters the body as {formal[j].Item1.OnnxName()}[{ShapeText.Format(formal[j].Item2)}] but leaves it as {o}; it must keep its type and shape");
            c.SetOutput(j, o.Type, c.Shape(s.First + j));
        }
        for (int k = 0; k < outputs; k++)
        {
            var o = body.Outputs[s.States + k];
            c.SetOutput(s.States + k, o.Type, s.OutputShape(c, k, o.Shape!));
        }
    }

    public override Kernel? CreateKernel(OpContext c) =>
        c.Compiled("body") is { } body ? new ScanKernel(c, body, ScanPlan.Of(c)) : null;

    public override string? WhyNoKernel(OpContext c) => Subgraphs.NoKernel;
}

/// <summary>Where a Scan's inputs and outputs are sliced: counts, the scan length, axes and directions (both opsets).</summary>
internal sealed class ScanPlan
{
    /// <summary>Index of the first state input (1 at opset 8, after sequence_lens).</summary>
    public int First { get; private set; }
    public int States { get; private set; }
    public int ScanInputs { get; private set; }

    /// <summary>Opset 8's batch size; 1 from opset 9 (no batch axis).</summary>
    public int Batch { get; private set; } = 1;
    public int Steps { get; private set; }
    public bool BatchAxis => First == 1;
    private int[] _inputAxes = Array.Empty<int>(), _outputAxes = Array.Empty<int>();
    private bool[] _inputReverse = Array.Empty<bool>(), _outputReverse = Array.Empty<bool>();

    public static ScanPlan Of(OpContext c)
    {
        var p = new ScanPlan();
        int m = checked((int)c.Int("num_scan_inputs", -1));
        if (m < 1) throw new ModelError("num_scan_inputs must be at least 1");
        int declared = Subgraphs.DeclaredInputCount(c.Node);
        p.First = c.Opset < 9 ? 1 : 0;
        p.ScanInputs = m;
        p.States = declared - p.First - m;
        if (p.States < 0) throw new ModelError($"the Scan has {declared - p.First} input(s), fewer than num_scan_inputs ({m})");
        if (p.BatchAxis)
        {
            if (c.Has(0) && !(c.Const(0) is { } lens && lens.ToLongs().All(l => l == c.Shape(p.First + p.States)[1])))
                throw new ModelError("sequence_lens must be absent or a constant equal to the full sequence length everywhere; variable lengths are not supported");
            var directions = c.Ints("directions") ?? new long[m];
            if (directions.Length != m) throw new ModelError($"directions has {directions.Length} entries; it needs one per scan input ({m})");
            p._inputReverse = directions.Select(d => d != 0).ToArray();
            p._inputAxes = Enumerable.Repeat(1, m).ToArray();
        }
        else
        {
            var axes = c.Ints("scan_input_axes") ?? new long[m];
            var directions = c.Ints("scan_input_directions") ?? new long[m];
            if (axes.Length != m || directions.Length != m) throw new ModelError($"scan_input_axes and scan_input_directions need one entry per scan input ({m})");
            p._inputAxes = axes.Select((a, k) => ShapeText.Axis(a, c.Rank(p.First + p.States + k))).ToArray();
            p._inputReverse = directions.Select(d => d != 0).ToArray();
        }
        for (int k = 0; k < m; k++)
        {
            int[] shape = c.Shape(p.First + p.States + k);
            int steps = shape[p._inputAxes[k]];
            if (k == 0) p.Steps = steps;
            else if (steps != p.Steps) throw new ModelError($"scan input {k} has {steps} steps along its scan axis but scan input 0 has {p.Steps}");
            if (p.BatchAxis) p.Batch = shape[0];
        }
        int outputs = c.OutputCount - p.States;
        if (p.BatchAxis)
        {
            p._outputAxes = Enumerable.Repeat(1, Math.Max(0, outputs)).ToArray();
            p._outputReverse = new bool[Math.Max(0, outputs)];
        }
        else
        {
            var axes = c.Ints("scan_output_axes") ?? new long[Math.Max(0, outputs)];
            var directions = c.Ints("scan_output_directions") ?? new long[Math.Max(0, outputs)];
            if (axes.Length != outputs || directions.Length != outputs) throw new ModelError($"scan_output_axes and scan_output_directions need one entry per scan output ({outputs})");
            p._outputAxes = axes.Select(a => (int)a).ToArray(); // normalized against the output's rank in OutputShape
            p._outputReverse = directions.Select(d => d != 0).ToArray();
        }
        return p;
    }

    /// <summary>A state as the body sees it (opset 8 drops the batch axis).</summary>
    public int[] StateShape(int[] shape) => BatchAxis ? shape.Skip(1).ToArray() : shape;

    /// <summary>One iteration's slice of scan input <paramref name="m"/>: its shape without the scan (and batch) axis.</summary>
    public int[] InputSliceShape(int m, int[] shape) =>
        shape.Where((_, a) => a != _inputAxes[m] && !(BatchAxis && a == 0)).ToArray();

    public int[] OutputShape(OpContext c, int k, int[] slice)
    {
        if (BatchAxis) return new[] { Batch, Steps }.Concat(slice).ToArray();
        int axis = OutputAxis(k, slice.Length);
        var shape = slice.ToList();
        shape.Insert(axis, Steps);
        return shape.ToArray();
    }

    private int OutputAxis(int k, int sliceRank)
    {
        int a = _outputAxes[k] < 0 ? _outputAxes[k] + sliceRank + 1 : _outputAxes[k];
        if (a < 0 || a > sliceRank) throw new ModelError($"scan_output_axes[{k}] = {_outputAxes[k]} is outside a rank-{sliceRank + 1} output");
        return a;
    }

    public bool InputReverse(int m) => _inputReverse[m];
    public bool OutputReverse(int k) => _outputReverse[k];

    /// <summary>Scan input <paramref name="m"/> (per batch element) as [outer][steps][inner].</summary>
    public (int Outer, int Inner) InputView(int m, int[] shape) => View(BatchAxis ? shape.Skip(1).ToArray() : shape, BatchAxis ? 0 : _inputAxes[m]);

    /// <summary>Scan output <paramref name="k"/> (per batch element) as [outer][steps][inner].</summary>
    public (int Outer, int Inner) OutputView(int k, int[] shape) =>
        View(BatchAxis ? shape.Skip(1).ToArray() : shape, BatchAxis ? 0 : OutputAxis(k, shape.Length - 1));

    private static (int, int) View(int[] shape, int axis) => ((int)ShapeText.Product(shape, 0, axis), (int)ShapeText.Product(shape, axis + 1, shape.Length));
}

/// <summary>
/// The scan as C#: for each batch element (opset 8) and each step, the body reads the states from one buffer and
/// writes them to the other (then they swap) and takes each scan input's slice in place when it is contiguous (the
/// scan axis outermost) or gathered into a buffer otherwise; scan outputs are written in place or scattered likewise.
/// </summary>
internal sealed class ScanKernel : Kernel
{
    private readonly ScanPlan _s;
    private readonly CompiledGraph _compiled;
    private readonly ModelGraph _body;
    private readonly string _arena;
    private readonly string[] _read, _write, _gathered, _scattered;

    public ScanKernel(OpContext c, CompiledGraph body, ScanPlan s) : base(c.Node)
    {
        _s = s;
        _compiled = body;
        _body = body.Graph;
        var layout = new ScratchLayout();
        _arena = layout.Arena(body.Memory);
        var states = _body.Outputs.Take(s.States).ToList();
        _read = states.Select(v => layout.Buffer(v.Type, v.ElementCount)).ToArray();
        _write = states.Select(v => layout.Buffer(v.Type, v.ElementCount)).ToArray();
        _gathered = Enumerable.Range(0, s.ScanInputs).Select(m =>
        {
            var slice = _body.Inputs[s.States + m];
            return InPlace(s.InputView(m, c.Shape(s.First + s.States + m)).Outer) ? "" : layout.Buffer(slice.Type, slice.ElementCount);
        }).ToArray();
        _scattered = Enumerable.Range(0, c.OutputCount - s.States).Select(k =>
        {
            var slice = _body.Outputs[s.States + k];
            bool written = c.HasOutput(s.States + k) && InPlace(s.OutputView(k, c.Node.Output(s.States + k)!.Shape!).Outer);
            return written ? "" : layout.Buffer(slice.Type, slice.ElementCount);
        }).ToArray();
        ScratchBytes = layout.Bytes;
        Name = "Scan (Body method)";
    }

    private static bool InPlace(int outer) => outer == 1;

    public override long Macs => _compiled.Kernels.TotalMacs * _s.Steps * _s.Batch;
    public override string Summary => $"body: {_body.Nodes.Count} layers, {_s.Steps} steps{(_s.BatchAxis ? $" x batch {_s.Batch}" : "")}, {_s.States} state(s)";

    public override void Emit(LayerWriter w)
    {
        string entry = w.Subgraph(_compiled, "Body");
        int steps = _s.Steps, outputs = _body.Outputs.Count - _s.States;
        for (int j = 0; j < _s.States; j++)
            w.Line($"global::System.Span<{_body.Outputs[j].Type.CSharpName()}> read{j} = {_read[j]}, write{j} = {_write[j]};");
        w.Open($"for (int b = 0; b < {_s.Batch}; b++)");
        for (int j = 0; j < _s.States; j++)
        {
            long n = _body.Outputs[j].ElementCount;
            w.Line($"{w.In(_s.First + j)}.Slice(b * {n}, {n}).CopyTo(read{j});");
        }
        w.Open($"for (int t = 0; t < {steps}; t++)");
        var args = new List<string> { _arena };
        args.AddRange(Enumerable.Range(0, _s.States).Select(j => $"read{j}"));
        for (int m = 0; m < _s.ScanInputs; m++)
        {
            int input = _s.First + _s.States + m;
            var (outer, inner) = _s.InputView(m, w.InShape(input));
            string step = _s.InputReverse(m) ? $"{steps - 1} - t" : "t";
            long perBatch = (long)outer * steps * inner;
            if (_gathered[m].Length == 0) args.Add($"{w.In(input)}.Slice(b * {perBatch} + ({step}) * {inner}, {inner})");
            else
            {
                w.Line($"{KernelText.Runtime}{RuntimeApi.ScanSlices.Gather}({w.In(input)}.Slice(b * {perBatch}, {perBatch}), {_gathered[m]}, {outer}, {steps}, {inner}, {step});");
                args.Add(_gathered[m]);
            }
        }
        args.AddRange(Subgraphs.CapturedInputs(_body).Select(i => w.In(i)));
        args.AddRange(Enumerable.Range(0, _s.States).Select(j => $"write{j}"));
        var scatters = new List<string>();
        for (int k = 0; k < outputs; k++)
        {
            int output = _s.States + k;
            string step = _s.OutputReverse(k) ? $"{steps - 1} - t" : "t";
            if (!w.HasOutput(output)) { args.Add(_scattered[k]); continue; }
            var (outer, inner) = _s.OutputView(k, w.OutShape(output));
            long perBatch = (long)outer * steps * inner;
            if (_scattered[k].Length == 0) args.Add($"{w.Out(output)}.Slice(b * {perBatch} + ({step}) * {inner}, {inner})");
            else
            {
                args.Add(_scattered[k]);
                scatters.Add($"{KernelText.Runtime}{RuntimeApi.ScanSlices.Scatter}({_scattered[k]}, {w.Out(output)}.Slice(b * {perBatch}, {perBatch}), {outer}, {steps}, {inner}, {step});");
            }
        }
        w.Line($"{entry}({string.Join(", ", args)});");
        foreach (var line in scatters) w.Line(line);
        for (int j = 0; j < _s.States; j++)
        {
            string t = _body.Outputs[j].Type.CSharpName()!;
            w.Line($"global::System.Span<{t}> swap{j} = read{j}; read{j} = write{j}; write{j} = swap{j};");
        }
        w.Close();
        for (int j = 0; j < _s.States; j++)
        {
            long n = _body.Outputs[j].ElementCount;
            if (w.HasOutput(j)) w.Line($"read{j}.CopyTo({w.Out(j)}.Slice(b * {n}, {n}));");
        }
        w.Close();
    }
}
