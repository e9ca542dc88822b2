using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Compilation;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.ControlFlow;

/// <summary>
/// ONNX If: runs then_branch or else_branch by a one-element bool condition. A condition known at build time
/// folds the node into the nodes of the branch it takes (<see cref="Expand"/>), which then compile like any other;
/// otherwise both branches are compiled as methods and the layer calls one of them, which writes the If's outputs
/// directly. Static shapes: both branches must give each output the same type and shape.
/// </summary>
internal sealed class IfOp : OpSchema, IExpandingOp
{
    public override string OpType => "If";

    public IReadOnlyList<Node>? Expand(OpContext c, ModelGraph graph)
    {
        if (c.Const(0) is not { } condition) return null;
        if (condition.ElementCount != 1) throw new ModelError($"the condition has {condition.ElementCount} elements; it must have one");
        var branch = c.Node.Subgraph(condition.GetLong(0) != 0 ? "then_branch" : "else_branch");
        if (branch.Outputs.Count != c.OutputCount)
            throw new ModelError($"the branch taken has {branch.Outputs.Count} output(s) but the If has {c.OutputCount}");
        return Subgraphs.Inline(graph, c.Node, branch, Array.Empty<Value>(), c.Node.Outputs);
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        c.RequireType(0, t => t == DataType.Bool, "bool");
        if (ShapeText.Product(c.Shape(0)) != 1) throw new ModelError($"the condition has shape {ShapeText.Format(c.Shape(0))}; it must have one element");
        var then = c.Node.Subgraph("then_branch");
        var otherwise = c.Node.Subgraph("else_branch");
        foreach (var (g, what) in new[] { (then, "then_branch"), (otherwise, "else_branch") })
        {
            Subgraphs.Bind(c, g, what, Array.Empty<(DataType, int[])>());
            Subgraphs.Infer(g, what);
            if (g.Outputs.Count != c.OutputCount)
                throw new ModelError($"{what} has {g.Outputs.Count} output(s) but the If has {c.OutputCount}");
        }
        for (int k = 0; k < c.OutputCount; k++)
        {
            Value a = then.Outputs[k], b = otherwise.Outputs[k];
            if (a.Type != b.Type || !ShapeText.SameShape(a.Shape!, b.Shape!))
                throw new ModelError($"output {k} is {a.Type.OnnxName()}[{ShapeText.Format(a.Shape)}] in then_branch but {b.Type.OnnxName()}[{ShapeText.Format(b.Shape)}] in else_branch; " +
                    "ModelCompiler compiles static shapes, so both branches must agree (or the condition must be known at build time)");
            c.SetOutput(k, a.Type, a.Shape!);
        }
    }

    public override Kernel? CreateKernel(OpContext c) =>
        c.Compiled("then_branch") is { } then && c.Compiled("else_branch") is { } otherwise ? new IfKernel(c.Node, then, otherwise) : null;

    public override string? WhyNoKernel(OpContext c) => Subgraphs.NoKernel;
}

/// <summary><c>if (cond[0]) Then(...) else Else(...)</c>; the branches share one arena block (only one runs).</summary>
internal sealed class IfKernel : Kernel
{
    private readonly CompiledGraph _then, _else;
    private readonly string[] _sinks;

    public IfKernel(Node node, CompiledGraph then, CompiledGraph otherwise) : base(node)
    {
        _then = then;
        _else = otherwise;
        // Outputs nobody reads still need somewhere to go: blocks after the branches' arena.
        var layout = new ScratchLayout();
        layout.Reserve(Math.Max(then.Memory.ArenaBytes, otherwise.Memory.ArenaBytes));
        _sinks = node.Outputs.Select((o, k) => o is null ? layout.Buffer(then.Graph.Outputs[k].Type, then.Graph.Outputs[k].ElementCount) : "").ToArray();
        ScratchBytes = layout.Bytes;
        Name = "If (Then and Else methods)";
    }

    public override long Macs => Math.Max(_then.Kernels.TotalMacs, _else.Kernels.TotalMacs);
    public override string Summary => $"then: {_then.Graph.Nodes.Count} layers, else: {_else.Graph.Nodes.Count} layers";

    public override void Emit(LayerWriter w)
    {
        string Call(CompiledGraph g, string role)
        {
            string entry = w.Subgraph(g, role);
            var args = new List<string> { $"{w.Scratch}.Slice(0, {g.Memory.ArenaBytes})" };
            args.AddRange(Subgraphs.CapturedInputs(g.Graph).Select(i => w.In(i)));
            args.AddRange(Enumerable.Range(0, g.Graph.Outputs.Count).Select(k => w.HasOutput(k) ? w.Out(k) : _sinks[k]));
            return $"{entry}({string.Join(", ", args)});";
        }
        w.Line($"if ({w.In(0)}[0]) {Call(_then, "Then")}");
        w.Line($"else {Call(_else, "Else")}");
    }
}
