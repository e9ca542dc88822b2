using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ModelCompiler.Compilation;
using ModelCompiler.Contract;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Kernels;

namespace ModelCompiler.Ops.ControlFlow;

/// <summary>
/// ONNX Loop: inputs M (trip count, optional), cond (optional) and N loop-carried values; the body maps
/// (iteration, cond, carried...) to (cond, carried..., K scan outputs); the node's outputs are the final carried
/// values and the K scan outputs stacked over iterations. Static shapes: every carried value keeps its shape, and
/// with scan outputs the number of iterations must be known at build time (a constant M, or the output's declared
/// first dimension, checked at run time); without them M and cond may be run-time values.
/// </summary>
internal sealed class LoopOp : OpSchema
{
    public override string OpType => "Loop";

    /// <summary>Loop-carried values: the body's formal inputs after the iteration number and the condition.</summary>
    private static int Carried(ModelGraph body) => body.FormalInputCount - 2;

    public override void Infer(OpContext c)
    {
        var body = c.Node.Subgraph("body");
        int n = Carried(body);
        if (n < 0) throw new ModelError($"the body declares {body.FormalInputCount} input(s); it needs the iteration number and the condition first");
        int declared = Subgraphs.DeclaredInputCount(c.Node);
        if (declared != 2 + n) throw new ModelError($"the Loop has {declared - 2} loop-carried input(s) but its body takes {n}");
        if (c.Has(0))
        {
            c.RequireType(0, t => t == DataType.Int64, "int64");
            if (ShapeText.Product(c.Shape(0)) != 1) throw new ModelError($"the trip count M has shape {ShapeText.Format(c.Shape(0))}; it must have one element");
        }
        if (c.Has(1))
        {
            c.RequireType(1, t => t == DataType.Bool, "bool");
            if (ShapeText.Product(c.Shape(1)) != 1) throw new ModelError($"the condition has shape {ShapeText.Format(c.Shape(1))}; it must have one element");
        }
        var formal = new List<(DataType, int[])> { (DataType.Int64, ScalarShape(body.Inputs[0])), (DataType.Bool, ScalarShape(body.Inputs[1])) };
        for (int k = 0; k < n; k++) formal.Add((c.Type(2 + k), c.Shape(2 + k)));
        Subgraphs.Bind(c, body, "the body", formal);
        Subgraphs.Infer(body, "the body");

        int scans = c.OutputCount - n;
        if (scans < 0 || body.Outputs.Count != 1 + n + scans)
            throw new ModelError($"the body has {body.Outputs.Count} output(s); with {n} loop-carried value(s) and {c.OutputCount} Loop output(s) it needs {1 + c.OutputCount}");
        if (body.Outputs[0].Type != DataType.Bool || body.Outputs[0].ElementCount != 1)
            throw new ModelError($"the body's first output (the condition) is {body.Outputs[0]}; it must be one bool");
        for (int k = 0; k < n; k++)
        {
            var o = body.Outputs[1 + k];
            if (o.Type != c.Type(2 + k) || !ShapeText.SameShape(o.Shape!, c.Shape(2 + k)))
                throw new ModelError($"loop-carried value {k} enters the body as {c.Type(2 + k).OnnxName()}[{ShapeText.Format(c.Shape(2 + k))}] but leaves it as {o}; " +
                    "ModelCompiler compiles static shapes, so it must keep its type and shape");
            c.SetOutput(k, o.Type, o.Shape!);
        }
        if (scans > 0)
        {
            long iterations = StaticIterations(c, n) ?? throw new ModelError(
                $"the Loop has {scans} scan output(s), whose first dimension is the number of iterations: the trip count M (input 0) " +
                "must be a constant known at build time, or the scan output's first dimension declared; ModelCompiler compiles static shapes");
            for (int k = 0; k < scans; k++)
            {
                var o = body.Outputs[1 + n + k];
                c.SetOutput(n + k, o.Type, new[] { checked((int)iterations) }.Concat(o.Shape!).ToArray());
            }
        }
    }

    /// <summary>The body's iteration number and condition are scalars; a body may declare them as one-element vectors.</summary>
    private static int[] ScalarShape(Value v) => v.Shape is { } s && s.All(d => d == 1) ? s : Array.Empty<int>();

    /// <summary>A constant M, else the first dimension a scan output was declared with (pinned at run time).</summary>
    internal static long? StaticIterations(OpContext c, int carried)
    {
        if (c.Const(0) is { } m) return Math.Max(0, m.GetLong(0));
        for (int k = carried; k < c.OutputCount; k++)
            if (c.Node.Output(k) is { Shape: { Length: > 0 } s } && s[0] >= 0) return s[0];
        return null;
    }

    public override Kernel? CreateKernel(OpContext c) =>
        c.Compiled("body") is { } body ? new LoopKernel(c, body, Carried(body.Graph)) : null;

    public override string? WhyNoKernel(OpContext c) => Subgraphs.NoKernel;
}

/// <summary>
/// The loop as C#: the carried values alternate between two scratch buffers (the body reads one and writes the
/// other, then they swap), the scan outputs are written by the body straight into their row of the Loop's output,
/// the condition and iteration number live in one-element buffers.
/// </summary>
internal sealed class LoopKernel : Kernel
{
    private readonly CompiledGraph _compiled;
    private readonly ModelGraph _body;
    private readonly int _carried, _scans;
    private readonly long? _iterations;
    private readonly string _arena, _iteration, _conditionIn, _conditionOut;
    private readonly string[] _read, _write, _sinks;

    public LoopKernel(OpContext c, CompiledGraph body, int carried) : base(c.Node)
    {
        _compiled = body;
        _body = body.Graph;
        _carried = carried;
        _scans = c.OutputCount - carried;
        _iterations = _scans > 0 ? LoopOp.StaticIterations(c, carried) : c.Const(0) is { } m ? Math.Max(0, m.GetLong(0)) : null;
        var layout = new ScratchLayout();
        _arena = layout.Arena(body.Memory);
        _iteration = layout.Buffer(DataType.Int64, 1);
        _conditionIn = layout.Buffer(DataType.Bool, 1);
        _conditionOut = layout.Buffer(DataType.Bool, 1);
        var values = _body.Outputs.Skip(1).Take(carried).ToList();
        _read = values.Select(v => layout.Buffer(v.Type, v.ElementCount)).ToArray();
        _write = values.Select(v => layout.Buffer(v.Type, v.ElementCount)).ToArray();
        // A scan output nobody reads still needs a row to be written to.
        _sinks = Enumerable.Range(0, _scans).Select(k => c.HasOutput(carried + k) ? "" : layout.Buffer(_body.Outputs[1 + carried + k].Type, _body.Outputs[1 + carried + k].ElementCount)).ToArray();
        ScratchBytes = layout.Bytes;
        Name = "Loop (Body method)";
    }

    public override long Macs => _compiled.Kernels.TotalMacs * (_iterations ?? 1);

    public override string Summary =>
        $"body: {_body.Nodes.Count} layers, {(_iterations is { } n ? n.ToString(CultureInfo.InvariantCulture) + " iterations" : "iterations set at run time")}" +
        $", {_carried} loop-carried, {_scans} scan output(s)";

    public override void Emit(LayerWriter w)
    {
        string entry = w.Subgraph(_compiled, "Body");
        for (int k = 0; k < _carried; k++)
        {
            w.Line($"global::System.Span<{_body.Outputs[1 + k].Type.CSharpName()}> read{k} = {_read[k]}, write{k} = {_write[k]};");
            w.Line($"{w.In(2 + k)}.CopyTo(read{k});");
        }
        w.Line($"global::System.Span<long> iteration = {_iteration};");
        w.Line($"global::System.Span<bool> conditionIn = {_conditionIn}, conditionOut = {_conditionOut};");
        string trips = w.HasInput(0) ? (Node.Input(0)!.Constant is { } m ? Literals.Long(Math.Max(0, m.GetLong(0))) : $"{w.In(0)}[0]") : "long.MaxValue";
        w.Line($"long trips = {trips};");
        w.Line($"bool condition = {(w.HasInput(1) ? w.In(1) + "[0]" : "true")};");
        w.Line("long i = 0;");
        w.Open("for (; i < trips && condition; i++)");
        // With a run-time trip count, a row past the static output would be written: stop first.
        if (_scans > 0 && Node.Input(0)?.Constant is null)
            w.Line($"if (i >= {_iterations}) {KernelText.Runtime}{RuntimeApi.ScanSlices.WrongIterationCount}({Literals.String(Node.Name)}, i + 1, {_iterations});");
        w.Line("iteration[0] = i;");
        w.Line("conditionIn[0] = condition;");
        var args = new List<string> { _arena, "iteration", "conditionIn" };
        args.AddRange(Enumerable.Range(0, _carried).Select(k => $"read{k}"));
        args.AddRange(Subgraphs.CapturedInputs(_body).Select(i => w.In(i)));
        args.Add("conditionOut");
        args.AddRange(Enumerable.Range(0, _carried).Select(k => $"write{k}"));
        for (int k = 0; k < _scans; k++)
        {
            long row = _body.Outputs[1 + _carried + k].ElementCount;
            args.Add(w.HasOutput(_carried + k) ? $"{w.Out(_carried + k)}.Slice((int)i * {row}, {row})" : _sinks[k]);
        }
        w.Line($"{entry}({string.Join(", ", args)});");
        w.Line("condition = conditionOut[0];");
        for (int k = 0; k < _carried; k++)
        {
            string t = _body.Outputs[1 + k].Type.CSharpName()!;
            w.Line($"global::System.Span<{t}> swap{k} = read{k}; read{k} = write{k}; write{k} = swap{k};");
        }
        w.Close();
        if (_scans > 0) w.Line($"if (i != {_iterations}) {KernelText.Runtime}{RuntimeApi.ScanSlices.WrongIterationCount}({Literals.String(Node.Name)}, i, {_iterations});");
        for (int k = 0; k < _carried; k++)
            if (w.HasOutput(k)) w.Line($"read{k}.CopyTo({w.Out(k)});");
    }
}
