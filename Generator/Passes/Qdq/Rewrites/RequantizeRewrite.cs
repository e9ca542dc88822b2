using ModelCompiler.Graph;
using ModelCompiler.Ops;
using ModelCompiler.Ops.Qdq;
using static ModelCompiler.Passes.Qdq.QdqPatterns;

namespace ModelCompiler.Passes.Qdq;

/// <summary>A DQ -> Q pair: the same grid cancels out, another grid becomes a table.</summary>
internal sealed class RequantizeRewrite : QdqRewrite
{
    public override bool AppliesTo(Node node, OpSchema? schema) => IsDq(node);

    /// <summary>A DQ whose only consumer is a Q: the same grid cancels out, another grid is a table.</summary>
    public override bool TryRewrite(Node dq, QdqEdits edit, ref string? failure, ref string? expected)
    {
        if (dq.Input(0) is not { } x || x.IsConstant || DqGrid(dq) is not { } grid) return false;
        var o = dq.Output(0);
        if (o is null || edit.Graph.IsGraphOutput(o) || o.Consumers.Count != 1 || !IsQ(o.Consumers[0])) return false;
        var q = o.Consumers[0];
        if (QGrid(q) is not { } outGrid || q.Output(0) is not { } y) return false;
        if (grid.SameAs(outGrid))
        {
            if (!GraphEdits.Forward(edit.Graph, y, x)) return false;
            edit.Graph.Nodes.Remove(q);
            edit.Graph.RebuildLinks();
            return true;
        }
        var output = new Output(q, outGrid, null, outGrid.Min, outGrid.Max);
        var table = QdqEdits.Table(grid, output, v => v)!;
        var lookup = edit.NewNode(dq, "QLinearLookup", QLinearLookupOp.DomainName, 1);
        lookup.Name = edit.Graph.UniqueName(q.Name + "_requantize");
        lookup.Attributes["function"] = new Graph.Attribute("function", AttributeKind.String) { S = "requantize" };
        lookup.Inputs.Add(x);
        lookup.Inputs.Add(edit.Constant(q.Name + "_table", table));
        edit.Replace(dq, lookup, output, clamp: false);
        return true;
    }
}
