using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Ops;
using ModelCompiler.Ops.Qdq;

namespace ModelCompiler.Passes.Qdq;

/// <summary>
/// The graph edits the QDQ rewrites share: new constants and values, the integer node put where a group was
/// (<see cref="Replace"/>), reshapes and 256-entry tables. One per pass run, over one graph.
/// </summary>
internal sealed class QdqEdits
{
    public QdqEdits(ModelGraph graph) => Graph = graph;

    public ModelGraph Graph { get; }

    /// <summary>An input as an integer operand: an activation DQ, or a per-tensor 8-bit quantized constant (added as <paramref name="name"/>).</summary>
    public Operand? OperandOf(Value? v, string name)
    {
        if (QdqPatterns.Activation(v) is { } a) return a;
        if (QdqPatterns.WeightOf(v) is { } w && w.Values.Type is DataType.UInt8 or DataType.Int8 && w.Quant.IsPerTensor && w.Quant.BlockSize == 0)
        {
            float s = w.Quant.Scale.GetFloat(0);
            long zp = w.Quant.ZeroPoint?.GetLong(0) ?? 0;
            if (!(s > 0)) return null;
            return new Operand(Constant(name, w.Values), new Grid(s, zp, w.Values.Type));
        }
        return null;
    }

    /// <summary>table[i] = Q_out(clamp(f(DQ_in(i)))) for the 256 inputs, or null when f cannot be evaluated.</summary>
    public static Tensor? Table(Grid input, Output output, Func<float[], float[]?> f)
    {
        var x = new float[256];
        for (int i = 0; i < 256; i++) x[i] = input.Dequantize(input.Min + i);
        var y = f(x);
        if (y is null) return null;
        var q = new long[256];
        for (int i = 0; i < 256; i++) q[i] = Math.Min(output.High, Math.Max(output.Low, output.Grid.Quantize(y[i])));
        return Tensor.FromLongs(output.Grid.Type, new[] { 256 }, q);
    }

    /// <summary>A QLinearLookup of <paramref name="x"/> through the table of <paramref name="f"/>, inserted before <paramref name="at"/>.</summary>
    public Value Lookup(Node at, Operand x, Output output, Func<float, float> f, string what)
    {
        var table = Table(x.Grid, output, v => v.Select(f).ToArray())!;
        var lookup = new Node(Graph.UniqueName(at.Name + "_" + what), "QLinearLookup", QLinearLookupOp.DomainName) { Opset = 1 };
        lookup.Attributes["function"] = new Graph.Attribute("function", AttributeKind.String) { S = what };
        lookup.Inputs.Add(x.Quantized);
        lookup.Inputs.Add(Constant(at.Name + "_" + what + "_table", table));
        var y = Graph.GetOrAddValue(Graph.UniqueName(at.Name + "_" + what + "d"));
        y.Type = output.Grid.Type;
        y.Shape = x.Quantized.Shape;
        y.Quant = output.Grid.Params;
        lookup.Outputs.Add(y);
        Graph.Nodes.Insert(Graph.Nodes.IndexOf(at), lookup);
        return y;
    }

    /// <summary>The integer node that takes the place of <paramref name="original"/> (its name, so diagnostics and layer comments still name it).</summary>
    public Node NewNode(Node original, string opType, string domain, int opset) =>
        new(original.Name, opType, domain) { Opset = opset };

    /// <summary>
    /// Puts <paramref name="fused"/> where <paramref name="original"/> was, writing the Q's output (through an
    /// integer Clip when the folded activation leaves a narrower range), and removes the activation and Q.
    /// With <paramref name="viewShape"/>, the fused node writes that shape and a Reshape gives the Q's shape.
    /// </summary>
    public void Replace(Node original, Node fused, Output output, int[]? viewShape = null, int[]? finalShape = null, bool clamp = true)
    {
        int index = Graph.Nodes.IndexOf(original);
        var y = output.Q.Output(0)!;
        var nodes = new List<Node> { fused };
        Value target = y;
        if (clamp && output.NeedsClamp || viewShape is not null)
            target = NewValue(original.Name + "_quantized", output.Grid, viewShape ?? y.Shape!);
        fused.Outputs.Add(target);
        if (viewShape is not null)
        {
            var shape = Constant(original.Name + "_shape", Tensor.Int64Vector(finalShape!.Select(d => (long)d).ToArray()));
            var reshape = new Node(Graph.UniqueName(original.Name + "_reshape"), "Reshape", "") { Opset = Math.Max(5, Graph.DefaultOpset) };
            var next = clamp && output.NeedsClamp ? NewValue(original.Name + "_reshaped", output.Grid, finalShape!) : y;
            reshape.Inputs.Add(target);
            reshape.Inputs.Add(shape);
            reshape.Outputs.Add(next);
            nodes.Add(reshape);
            target = next;
        }
        if (clamp && output.NeedsClamp)
        {
            var clip = new Node(Graph.UniqueName(original.Name + "_clamp"), "Clip", "") { Opset = Math.Max(13, Graph.DefaultOpset) };
            clip.Inputs.Add(target);
            clip.Inputs.Add(Constant(original.Name + "_min", Tensor.FromLongs(output.Grid.Type, Array.Empty<int>(), new[] { output.Low })));
            clip.Inputs.Add(Constant(original.Name + "_max", Tensor.FromLongs(output.Grid.Type, Array.Empty<int>(), new[] { output.High })));
            clip.Outputs.Add(y);
            nodes.Add(clip);
        }
        y.Quant = output.Grid.Params;
        Graph.Nodes.RemoveAt(index);
        Graph.Nodes.InsertRange(index, nodes);
        Graph.Nodes.Remove(output.Q);
        if (output.Activation is not null) Graph.Nodes.Remove(output.Activation);
        Graph.RebuildLinks();
        foreach (var n in nodes) Reinfer(n);
    }

    /// <summary>Shape inference again for a node the pass made or changed.</summary>
    public static void Reinfer(Node n) => OpRegistry.Find(n.Domain, n.OpType)?.Infer(new OpContext(n));

    public Value NewValue(string name, Grid grid, int[] shape)
    {
        var v = Graph.GetOrAddValue(Graph.UniqueName(name));
        v.Type = grid.Type;
        v.Shape = shape;
        v.Quant = grid.Params;
        return v;
    }

    /// <summary>A Reshape of the integers <paramref name="x"/> to <paramref name="shape"/>, inserted before <paramref name="at"/>.</summary>
    public Value Reshape(Node at, Value x, int[] shape, Grid grid)
    {
        var y = NewValue(at.Name + "_as_nchw", grid, shape);
        var reshape = new Node(Graph.UniqueName(at.Name + "_to_nchw"), "Reshape", "") { Opset = Math.Max(5, Graph.DefaultOpset) };
        reshape.Inputs.Add(x);
        reshape.Inputs.Add(Constant(at.Name + "_nchw_shape", Tensor.Int64Vector(shape.Select(d => (long)d).ToArray())));
        reshape.Outputs.Add(y);
        Graph.Nodes.Insert(Graph.Nodes.IndexOf(at), reshape);
        return y;
    }

    /// <summary>A weight's integers, scale and zero point as the three constant inputs of a QLinear op.</summary>
    public Value[] WeightInputs(Node at, Weight w)
    {
        var zp = w.Quant.ZeroPoint ?? Tensor.FromLongs(w.Values.Type, w.Quant.Scale.Shape, new long[w.Quant.Scale.ElementCount]);
        var scale = w.Quant.Scale;
        if (w.Quant.IsPerTensor) { scale = scale.WithShape(Array.Empty<int>()); zp = zp.WithShape(Array.Empty<int>()); }
        return new[] { Constant(at.Name + "_w_quantized", w.Values), Constant(at.Name + "_w_scale", scale), Constant(at.Name + "_w_zero_point", zp) };
    }

    public Value Scalar(Node at, string what, Grid g) => Constant(at.Name + "_" + what, g.ScaleTensor);
    public Value ZeroPoint(Node at, string what, Grid g) => Constant(at.Name + "_" + what, g.ZeroPointTensor);

    public Value Constant(string name, Tensor t)
    {
        var v = Graph.GetOrAddValue(Graph.UniqueName(name));
        v.Constant = t;
        v.Type = t.Type;
        v.Shape = t.Shape;
        return v;
    }
}
