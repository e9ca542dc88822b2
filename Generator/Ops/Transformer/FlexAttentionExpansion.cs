using System.Collections.Generic;
using ModelCompiler.Graph;
using ModelCompiler.Ops.ControlFlow;

namespace ModelCompiler.Ops.Transformer;

/// <summary>
/// FlexAttention with score_mod or prob_mod subgraphs, as ordinary nodes: scores = MatMul(Q, Transpose(K)) * scale,
/// score_mod's nodes inlined on them, Softmax over the keys, prob_mod's nodes inlined on the probabilities, and
/// Y = MatMul(probs, V). Done for float32 with as many key/value heads as query heads; other nodes stay
/// FlexAttention (and have no kernel when they have modifiers).
/// </summary>
internal static class FlexAttentionExpansion
{
    private const int Opset = 21;

    public static IReadOnlyList<Node>? Expand(OpContext c, ModelGraph graph, float scale)
    {
        var node = c.Node;
        bool score = node.HasAttribute("score_mod"), prob = node.HasAttribute("prob_mod");
        if (!score && !prob || c.Type(0) != DataType.Float || c.Rank(0) != 4 || c.Rank(1) != 4 || c.Shape(0)[1] != c.Shape(1)[1]) return null;
        foreach (string name in new[] { "score_mod", "prob_mod" })
            if (node.HasAttribute(name) && (node.Subgraph(name).FormalInputCount != 1 || node.Subgraph(name).Outputs.Count != 1))
                throw new ModelError($"{name} must take one input (the {(name == "score_mod" ? "scores" : "probabilities")}) and give one output");

        var nodes = new List<Node>();
        Value Fresh(string name) => graph.GetOrAddValue(graph.UniqueName($"{node.Name}_{name}"));
        Value Add(string op, string name, Value[] inputs, params Attribute[] attributes)
        {
            var n = new Node($"{node.Name}/{name}", op, "") { Opset = Opset };
            n.Inputs.AddRange(inputs);
            foreach (var a in attributes) n.Attributes[a.Name] = a;
            var output = Fresh(name);
            n.Outputs.Add(output);
            nodes.Add(n);
            return output;
        }

        var keysT = Add("Transpose", "keys_t", new[] { c.In(1) }, new Attribute("perm", AttributeKind.Ints) { Ints = new long[] { 0, 1, 3, 2 } });
        var raw = Add("MatMul", "raw_scores", new[] { c.In(0), keysT });
        var scaleValue = Fresh("scale");
        var scaleTensor = Tensor.FromFloats(new int[0], new[] { scale });
        scaleValue.Constant = scaleTensor;
        scaleValue.Type = DataType.Float;
        scaleValue.Shape = scaleTensor.Shape;
        var scores = Add("Mul", "scores", new[] { raw, scaleValue });
        if (score) scores = InlineModifier(graph, node, "score_mod", scores, Fresh("scores_modified"), nodes);
        var probs = Add("Softmax", "probs", new[] { scores }, new Attribute("axis", AttributeKind.Int) { I = -1 });
        if (prob) probs = InlineModifier(graph, node, "prob_mod", probs, Fresh("probs_modified"), nodes);
        var y = new Node($"{node.Name}/output", "MatMul", "") { Opset = Opset };
        y.Inputs.Add(probs);
        y.Inputs.Add(c.In(2));
        y.Outputs.Add(node.Outputs[0]);
        nodes.Add(y);
        return nodes;
    }

    private static Value InlineModifier(ModelGraph graph, Node owner, string attribute, Value input, Value output, List<Node> nodes)
    {
        nodes.AddRange(Subgraphs.Inline(graph, owner, owner.Subgraph(attribute), new[] { input }, new Value?[] { output }));
        return output;
    }
}
