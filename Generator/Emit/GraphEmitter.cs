using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Compilation;
using ModelCompiler.Graph;
using ModelCompiler.Kernels;
using ModelCompiler.Passes;
using ModelCompiler.Planning;

namespace ModelCompiler.Emit;

/// <summary>
/// Writes the code of one graph: a method per layer, and the calls that run them in order with every tensor
/// located (a parameter for the graph's inputs and outputs, a weight span for constants, an arena slice for the
/// rest). The model's graph is written by <see cref="ModelEmitter"/> through one of these; a subgraph (an If
/// branch, a Loop or Scan body) gets its own, called by its layer's kernel through <see cref="LayerWriter.Subgraph"/>:
/// an entry method <c>(arena, inputs..., outputs...)</c> followed by its layer methods, named after the layer that
/// owns it (<c>L3_Loop_Body</c>, <c>L3_Loop_Body_L0_Add</c>...).
/// </summary>
internal sealed class GraphEmitter
{
    private readonly ModelGraph _graph;
    private readonly KernelPlan _kernels;
    private readonly MemoryPlan _plan;
    private readonly WeightTable _weights;
    private readonly IReadOnlyList<string> _outputNames;
    private readonly string _prefix;
    private readonly IReadOnlyList<string?>? _countNames;
    private readonly Dictionary<Value, string> _ioNames = new();

    /// <param name="inputNames">The parameter holding each graph input, in graph order.</param>
    /// <param name="outputNames">The parameter receiving each graph output, in graph order.</param>
    /// <param name="prefix">Prepended to layer method names ("" for the model's graph).</param>
    /// <param name="countNames">The row-count parameter of each graph output with a data-dependent number of rows
    /// (null where none); only the model's graph has them (<see cref="BoundedOutputs"/> keeps them out of subgraphs).</param>
    public GraphEmitter(CompiledGraph compiled, WeightTable weights, IReadOnlyList<string> inputNames, IReadOnlyList<string> outputNames, string prefix,
        IReadOnlyList<string?>? countNames = null)
    {
        _countNames = countNames;
        var graph = compiled.Graph;
        _graph = graph;
        _kernels = compiled.Kernels;
        _plan = compiled.Memory;
        _weights = weights;
        _outputNames = outputNames;
        _prefix = prefix;
        for (int k = 0; k < graph.Inputs.Count; k++) _ioNames[graph.Inputs[k]] = inputNames[k];
        // A value listed twice as an output (or passed straight through from an input) is written by its
        // first owner and copied to the others at the end.
        for (int k = 0; k < graph.Outputs.Count; k++)
            if (!_ioNames.ContainsKey(graph.Outputs[k]) && !graph.Outputs[k].IsConstant) _ioNames[graph.Outputs[k]] = outputNames[k];
    }

    public IReadOnlyList<Node> Layers => _graph.Nodes;

    /// <summary>Every layer's method, each followed by the methods of the subgraphs its kernel runs.</summary>
    public void EmitLayers(CodeWriter w)
    {
        for (int i = 0; i < _graph.Nodes.Count; i++)
        {
            Compilation.NodeTrace.At(_graph.Nodes[i]);
            EmitLayer(w, i, _graph.Nodes[i]);
        }
        Compilation.NodeTrace.At(null);
    }

    public void EmitCalls(CodeWriter w, int from, int to, bool profiled = false)
    {
        if (profiled) w.Line("long start = global::System.Diagnostics.Stopwatch.GetTimestamp();");
        for (int i = from; i < to; i++)
        {
            var n = _graph.Nodes[i];
            if (_kernels[n].IsAlias && !_graph.IsGraphOutput(n.Output(0)!) || _plan.IsElided(n)) continue;
            var args = LayerInputs(n).Select(v => Expr(v)).Concat(n.Outputs.Where(o => o is not null).Select(o => Expr(o!))).ToList();
            if (_plan.TryGetScratch(n, out long scratch)) args.Add($"Buf<byte>(arena, {scratch}, {_kernels[n].ScratchBytes})");
            string count = RowCount(n) is { } name ? name + " = " : "";
            w.Line($"{count}{MethodName(i, n)}({string.Join(", ", args)});");
            if (profiled) w.Line($"start = Lap(ticksPerLayer, {i}, start);");
        }
    }

    /// <summary>The count parameter that node <paramref name="n"/>'s layer method returns into, when its output 0 has a data-dependent number of rows.</summary>
    private string? RowCount(Node n)
    {
        if (_countNames is null || n.Output(0) is not { } v || !BoundedOutputs.IsBounded(v)) return null;
        int k = _graph.Outputs.IndexOf(v);
        return k >= 0 ? _countNames[k] : null;
    }

    /// <summary>Graph outputs not written by a layer: constants, graph inputs, and values listed twice.</summary>
    public void EmitFinalCopies(CodeWriter w)
    {
        for (int k = 0; k < _graph.Outputs.Count; k++)
        {
            var v = _graph.Outputs[k];
            string target = _outputNames[k];
            if (_ioNames.TryGetValue(v, out string? owner) && owner == target) continue; // written in place by its layer
            w.Line($"{Expr(v)}.CopyTo({target});");
        }
    }

    /// <summary>Distinct non-constant inputs of a layer, in input order: its method's span parameters.</summary>
    private static List<Value> LayerInputs(Node n) =>
        n.Inputs.Where(v => v is not null && !v.IsConstant).Select(v => v!).Distinct().ToList();

    private string MethodName(int index, Node n) => $"{_prefix}L{index}_{Identifiers.PascalCase(n.OpType, "Op")}";

    private string Expr(Value v)
    {
        var (root, at) = _plan.Locate(v);
        if (root.Constant is { } t) return _weights.Span(t);
        if (_ioNames.TryGetValue(root, out string? name))
            return at == 0 && v.ElementCount == root.ElementCount ? name : $"{name}.Slice({at}, {v.ElementCount})"; // a concat slice of an output
        if (_plan.TryGetOffset(root, out long offset))
            return $"Buf<{v.Type.CSharpName()}>(arena, {offset + v.Type.ByteSize(at)}, {v.ElementCount})";
        throw new InvalidOperationException($"value '{v.Name}' has no storage");
    }

    private void EmitLayer(CodeWriter w, int index, Node n)
    {
        var kernel = _kernels[n];
        bool alias = kernel.IsAlias && !_graph.IsGraphOutput(n.Output(0)!);
        var inputs = LayerInputs(n);
        var outs = n.Outputs.Where(o => o is not null).Select(o => o!).ToList();
        string ins = string.Join(", ", n.Inputs.Where(i => i is not null).Select(i => ShapeText.Format(i!.Shape)));
        string outShapes = string.Join(", ", outs.Select(o => ShapeText.Format(o.Shape)));
        string summary = kernel.Summary.Length > 0 ? " · " + kernel.Summary : "";
        string macs = kernel.Macs > 0 ? $" · {Literals.Count(kernel.Macs)} MACs" : "";
        string inPlace = _plan.IsInPlace(n) ? " · in place" : "";
        w.Line($"// {_prefix}L{index}  {n.OpType} \"{Literals.Comment(n.Name)}\"  {ins} -> {outShapes}{Literals.Comment(summary)}{macs}{inPlace}");
        if (alias)
        {
            w.Line("//     (no code: the output is the input's memory with a new shape)");
            w.Line();
            return;
        }
        if (_plan.IsElided(n))
        {
            w.Line("//     (no code: the layers producing the inputs wrote them into their slices of the output)");
            w.Line();
            return;
        }

        var parameters = new Dictionary<Value, string>();
        var signature = new List<string>();
        for (int k = 0; k < inputs.Count; k++)
        {
            string name = inputs.Count == 1 ? "x" : "x" + k.ToString(System.Globalization.CultureInfo.InvariantCulture);
            parameters[inputs[k]] = name;
            signature.Add($"global::System.ReadOnlySpan<{inputs[k].Type.CSharpName()}> {name}");
        }
        for (int k = 0; k < outs.Count; k++)
        {
            string name = outs.Count == 1 ? "y" : "y" + k.ToString(System.Globalization.CultureInfo.InvariantCulture);
            parameters[outs[k]] = name;
            signature.Add($"global::System.Span<{outs[k].Type.CSharpName()}> {name}");
        }
        bool scratch = _plan.TryGetScratch(n, out _);
        if (scratch) signature.Add("global::System.Span<byte> scratch");

        string method = MethodName(index, n);
        var subgraphs = new List<(CompiledGraph Graph, string Entry)>();
        string Subgraph(CompiledGraph g, string role)
        {
            string entry = method + "_" + role;
            subgraphs.Add((g, entry));
            return entry;
        }
        // The body first: the comment names the run-time methods it calls.
        var body = new CodeWriter { Indent = w.Indent + 1 };
        var lw = new LayerWriter(n, body, _weights, parameters, scratch ? "scratch" : null, Subgraph);
        if (kernel.IsAlias) new CopyKernel(n).Emit(lw);
        else kernel.Emit(lw);
        w.Line("//     " + Literals.Comment(LayerPlanText.Describe(kernel, body.ToString(), scratch ? kernel.ScratchBytes : 0)));
        string returns = RowCount(n) is null ? "void" : "int"; // a bounded output's layer returns its row count
        w.Open($"private static {returns} {method}({string.Join(", ", signature)})");
        w.Append(body);
        w.Close();
        w.Line();
        foreach (var (g, entry) in subgraphs) EmitSubgraph(w, g, entry);
    }

    /// <summary>A subgraph's entry method: its layers in order on its own arena (a block of the owning layer's scratch).</summary>
    private void EmitSubgraph(CodeWriter w, CompiledGraph compiled, string entry)
    {
        var (g, plan) = (compiled.Graph, compiled.Memory);
        var api = new PublicApi(g.Inputs.Select(TensorSignature.Of).ToList(), g.Outputs.Select(TensorSignature.Of).ToList());
        var emitter = new GraphEmitter(compiled, _weights, api.InputNames, api.OutputNames, entry + "_");
        string name = g.GraphName.Length > 0 ? $" '{Literals.Comment(g.GraphName)}'" : "";
        w.Line($"// {entry}: graph{name}, {g.Nodes.Count} layers, arena {Literals.Size(plan.ArenaBytes)} (in its layer's scratch)");
        w.Line($"//     inputs {string.Join(", ", g.Inputs.Select(v => Literals.Comment(v.ToString())))}; outputs {string.Join(", ", g.Outputs.Select(v => Literals.Comment(v.ToString())))}");
        w.Open($"private static void {entry}(global::System.Span<byte> arena{(api.Parameters.Length > 0 ? ", " + api.Parameters : "")})");
        emitter.EmitCalls(w, 0, g.Nodes.Count);
        emitter.EmitFinalCopies(w);
        w.Close();
        w.Line();
        emitter.EmitLayers(w);
    }
}
