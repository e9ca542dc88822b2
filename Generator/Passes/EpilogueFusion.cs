using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Ops;

namespace ModelCompiler.Passes;

/// <summary>
/// Folds what follows a convolution or matrix product into it, so the output is written once, finished:
/// layer [+ Add(constant bias), MatMul only] [+ activation] [+ Add(residual)] [+ activation], where a layer is an op
/// whose schema declares <see cref="OpTraits.AppliesEpilogue"/> (Conv, Gemm, MatMul).
/// Activations: the ops whose schema declares a <see cref="OpTraits.FusedActivation"/> (Relu, Clip with constant
/// bounds, LeakyRelu, HardSwish, HardSigmoid, Sigmoid today). Runs after
/// BatchNorm folding (so Conv + BN + Relu becomes one layer) and before kernel selection, which sees the result
/// on <see cref="Node.Epilogue"/>. A node is absorbed only when the value between it and the layer has that node
/// as its only consumer and is not a graph output. The residual becomes input 3 of the layer (a fused MatMul
/// bias input 2), so the memory plan keeps it alive until the layer has read it.
/// </summary>
internal static class EpilogueFusion
{
    public static int Run(ModelGraph graph)
    {
        int fused = 0;
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            var node = graph.Nodes[i];
            if (!IsFusionTarget(node)) continue;
            var epilogue = new FusedEpilogue();
            var absorbed = new List<Node>();
            Value current = node.Output(0)!;

            epilogue.Steps.Add(node.OpType);
            if (node.OpType == "MatMul" && BiasAdd(graph, node, current) is { } biasAdd)
            {
                epilogue.Bias = biasAdd.Bias;
                epilogue.Steps.Add("Add(bias)");
                absorbed.Add(biasAdd.Add);
                current = biasAdd.Add.Output(0)!;
            }
            if (SoleConsumer(graph, current) is { } a1 && Activation(a1) is { } before)
            {
                epilogue.BeforeAdd = before;
                epilogue.Steps.Add(before.Text);
                absorbed.Add(a1);
                current = a1.Output(0)!;
            }
            if (SoleConsumer(graph, current) is { } add && ResidualOf(add, current) is { } residual && !LaterLayerTakes(graph, node, add, residual))
            {
                epilogue.Residual = residual;
                epilogue.Steps.Add("Add(residual)");
                absorbed.Add(add);
                current = add.Output(0)!;
                if (SoleConsumer(graph, current) is { } a2 && Activation(a2) is { } after)
                {
                    epilogue.AfterAdd = after;
                    epilogue.Steps.Add(after.Text);
                    absorbed.Add(a2);
                    current = a2.Output(0)!;
                }
            }
            if (absorbed.Count == 0) continue;

            Apply(graph, node, epilogue, absorbed, current);
            // Not moved: continue after it. Moved later: the node now at i has not been looked at yet.
            int at = graph.Nodes.IndexOf(node);
            i = at <= i ? at : i - 1;
            fused++;
        }
        return fused;
    }

    /// <summary>A float layer whose schema declares <see cref="OpTraits.AppliesEpilogue"/> (Conv, Gemm, MatMul) and has none yet.</summary>
    private static bool IsFusionTarget(Node n) =>
        OpRegistry.Find(n.Domain, n.OpType)?.Traits.AppliesEpilogue == true && n.Epilogue is null
        && n.Output(0) is { Type: DataType.Float, Shape: not null } && n.Outputs.Count == 1 && n.Input(0)?.Type == DataType.Float;

    /// <summary>The value's only consumer, when it has exactly one and is not a graph output (so nothing else needs it).</summary>
    private static Node? SoleConsumer(ModelGraph graph, Value v) =>
        v.Consumers.Count == 1 && !graph.IsGraphOutput(v) ? v.Consumers[0] : null;

    /// <summary>
    /// An activation the kernels can apply while storing, with constant parameters: what the op's schema declares
    /// (<see cref="OpTraits.FusedActivation"/>), for a float node with one output.
    /// </summary>
    private static FusedActivation? Activation(Node n)
    {
        if (n.Output(0) is not { Type: DataType.Float } || n.Outputs.Count != 1 || n.Input(0)?.Type != DataType.Float) return null;
        return OpRegistry.Find(n.Domain, n.OpType)?.Traits.FusedActivation?.Invoke(n);
    }

    /// <summary>An Add of the layer's output and another run-time tensor of exactly the same shape.</summary>
    private static Value? ResidualOf(Node add, Value current)
    {
        if (add.OpType != "Add" || add.Domain.Length != 0 || add.Inputs.Count != 2 || add.Outputs.Count != 1) return null;
        var other = add.Input(0) == current ? add.Input(1) : add.Input(1) == current ? add.Input(0) : null;
        if (other is null || other == current || other.IsConstant || other.Type != DataType.Float || other.Shape is null) return null;
        var output = add.Output(0);
        if (output is null || output.Shape is null || !other.Shape.SequenceEqual(current.Shape!) || !output.Shape.SequenceEqual(current.Shape!)) return null;
        return other;
    }

    /// <summary>
    /// True when the residual is itself the output of a later Conv/Gemm/MatMul whose only consumer is this Add:
    /// that layer takes the Add instead, so neither has to move and no input lives longer than before.
    /// </summary>
    private static bool LaterLayerTakes(ModelGraph graph, Node node, Node add, Value residual) =>
        residual.Producer is { } producer && IsFusionTarget(producer) && SoleConsumer(graph, residual) == add
        && graph.Nodes.IndexOf(producer) > graph.Nodes.IndexOf(node);

    /// <summary>MatMul(x, constant 2-D B) followed by Add(constant per-column bias): the bias becomes the layer's.</summary>
    private static (Node Add, Value Bias)? BiasAdd(ModelGraph graph, Node matMul, Value current)
    {
        var b = matMul.Input(1);
        if (b?.Constant is null || b.Shape is not { Length: 2 } || current.Shape is not { Length: >= 1 } shape) return null;
        if (SoleConsumer(graph, current) is not { OpType: "Add", Domain: "" } add || add.Inputs.Count != 2) return null;
        var other = add.Input(0) == current ? add.Input(1) : add.Input(1) == current ? add.Input(0) : null;
        int n = b.Shape[1];
        if (other?.Constant is null || other.Type != DataType.Float || other.Shape is null || other == current) return null;
        // [n], [1, n], [1, 1, n]...: one value per output column, broadcast over everything else.
        if (other.Shape.Length == 0 || other.Shape[other.Shape.Length - 1] != n || other.Shape.Take(other.Shape.Length - 1).Any(d => d != 1)) return null;
        if (other.Shape.Length > shape.Length || add.Output(0)?.Shape is not { } outShape || !outShape.SequenceEqual(shape)) return null;
        return (add, other);
    }

    private static void Apply(ModelGraph graph, Node node, FusedEpilogue epilogue, List<Node> absorbed, Value output)
    {
        while (node.Inputs.Count < 2) node.Inputs.Add(null);
        if (epilogue.Bias is not null)
        {
            while (node.Inputs.Count < 3) node.Inputs.Add(null);
            node.Inputs[2] = epilogue.Bias;
        }
        if (epilogue.Residual is not null)
        {
            while (node.Inputs.Count < 4) node.Inputs.Add(null);
            node.Inputs[3] = epilogue.Residual;
            epilogue.ResidualInput = 3;
        }
        node.Outputs[0] = output;
        node.Name = string.Join(" + ", new[] { node.Name }.Concat(absorbed.Select(n => n.Name)));
        node.Epilogue = epilogue;

        // The fused layer runs where the last absorbed node ran, when the residual is computed after the
        // layer itself (its other branch comes later in the order); everything it reads is ready by then.
        int at = graph.Nodes.IndexOf(node);
        if (epilogue.Residual?.Producer is { } producer && graph.Nodes.IndexOf(producer) > at)
        {
            int last = absorbed.Max(n => graph.Nodes.IndexOf(n));
            graph.Nodes.Insert(last + 1, node);
            graph.Nodes.RemoveAt(at);
        }
        foreach (var n in absorbed) graph.Nodes.Remove(n);
        graph.RebuildLinks();
    }
}
