using System;
using ModelCompiler.Graph;
using ModelCompiler.Ops;
using ModelCompiler.Ops.Qdq;
using static ModelCompiler.Passes.Qdq.QdqPatterns;

namespace ModelCompiler.Passes.Qdq;

/// <summary>
/// DQ -> element-wise f -> Q (every op whose schema declares <see cref="OpTraits.ElementWise"/>, other inputs constant
/// scalars) becomes a 256-entry table (ai.modelcompiler QLinearLookup) computed from the 256 possible inputs with the
/// op's own constant folding, exactly as DQ, the float op and Q would compute them.
/// </summary>
internal sealed class TableRewrite : QdqRewrite

{
    /// <summary>Every op whose schema declares itself <see cref="OpTraits.ElementWise"/>.</summary>
    public override bool AppliesTo(Node node, OpSchema? schema) => schema?.Traits.ElementWise == true;

    /// <summary>DQ -> element-wise f -> Q as one table over the 256 inputs.</summary>
    public override bool TryRewrite(Node node, QdqEdits edit, ref string? failure, ref string? expected)
    {
        expected = $"DequantizeLinear(uint8/int8, per tensor) -> {node.OpType} (other inputs constant scalars) -> QuantizeLinear(per tensor)";
        if (Activation(node.Input(0)) is not { } x) { failure = "input 0 does not come from a per-tensor 8-bit DequantizeLinear"; return false; }
        for (int i = 1; i < node.Inputs.Count; i++)
            if (node.Inputs[i] is { } other && (other.Constant is not { } t || t.ElementCount != 1)) { failure = $"input {i} is not a constant scalar"; return false; }
        if (OutputOf(edit.Graph, node, ref failure) is not { } output) return false;
        var schema = OpRegistry.Find(node.Domain, node.OpType)!;
        Func<float[], float[]?> f = values =>
        {
            var probe = new Node(node.Name, node.OpType, node.Domain) { Opset = node.Opset };
            foreach (var a in node.Attributes) probe.Attributes[a.Key] = a.Value;
            var input = new Value("probe") { Type = DataType.Float, Shape = new[] { values.Length }, Constant = Tensor.FromFloats(new[] { values.Length }, values) };
            probe.Inputs.Add(input);
            for (int i = 1; i < node.Inputs.Count; i++) probe.Inputs.Add(node.Inputs[i]);
            probe.Outputs.Add(new Value("probe_out"));
            try
            {
                var ctx = new OpContext(probe);
                schema.Infer(ctx);
                if (!schema.CanFold(ctx) || probe.Outputs[0]!.Type != DataType.Float || probe.Outputs[0]!.ElementCount != values.Length) return null;
                return schema.Fold(ctx)[0].ToFloats();
            }
            catch (ModelError) { return null; }
        };
        var table = QdqEdits.Table(x.Grid, output, f);
        if (table is null) { failure = $"{node.OpType} cannot be evaluated at build time on these inputs"; return false; }
        var lookup = edit.NewNode(node, "QLinearLookup", QLinearLookupOp.DomainName, 1);
        lookup.Attributes["function"] = new Graph.Attribute("function", AttributeKind.String) { S = node.OpType };
        lookup.Inputs.Add(x.Quantized);
        lookup.Inputs.Add(edit.Constant(node.Name + "_table", table));
        edit.Replace(node, lookup, output, clamp: false);
        return true;
    }
}
