using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Ops;
using ModelCompiler.Ops.Nn;

namespace ModelCompiler.Passes;

/// <summary>
/// Folds a 2-D MaxPool into the input packing of the binary convolutions that read it: they binarize the pool's
/// output, and a binarization b is non-decreasing (x &gt;= t, or Sign), so b(max of a window) = max of b(window),
/// which on packed bits is an OR (see the runtime's <c>BinaryMaxPool</c>). The convolution then reads the pool's
/// input, packs it and pools the packed words; it gets the attributes <c>pool_kernel</c>, <c>pool_strides</c>,
/// <c>pool_dilations</c>, <c>pool_pads</c> (top, left), <c>pool_input</c> (height, width) and <c>pool_name</c>.
/// Only when every reader of the pool is such a convolution (and it is no graph output), so that the float pool goes
/// away; otherwise the float MaxPool stays and the convolutions read its output as before.
/// </summary>
internal static class BinaryPoolFolding
{
    public static bool Run(ModelGraph graph)
    {
        bool changed = false;
        foreach (var pool in graph.Nodes.Where(n => n is { OpType: "MaxPool", Domain: "" }).ToList())
            if (TryFold(graph, pool)) changed = true;
        if (changed) graph.RebuildLinks();
        return changed;
    }

    private static bool TryFold(ModelGraph graph, Node pool)
    {
        if (pool.Outputs.Count(o => o is not null) != 1 || pool.Output(0) is not { Shape: { Length: 4 } y } pooled) return false;
        if (pool.Input(0) is not { Type: DataType.Float, Shape: { Length: 4 } x } input) return false;
        if (pooled.Consumers.Count == 0 || pooled.Consumers.Any(c => !IsBinaryConv(c) || c.Input(0) != pooled || c.Inputs.Skip(1).Contains(pooled))) return false;
        if (graph.IsGraphOutput(pooled)) return false;
        long[]? kernel = pool.GetInts("kernel_shape");
        if (kernel is not { Length: 2 } || kernel.Any(k => k <= 0 || k > int.MaxValue)) return false;
        SpatialGeometry g;
        try
        {
            g = SpatialGeometry.Compute(new OpContext(pool), new[] { x[2], x[3] }, kernel.Select(k => (int)k).ToArray(), pool.GetInt("ceil_mode", 0) != 0);
        }
        catch (ModelError)
        {
            return false;
        }
        if (g.Output[0] != y[2] || g.Output[1] != y[3] || x[0] != y[0] || x[1] != y[1]) return false;
        foreach (var conv in pooled.Consumers.ToList())
        {
            conv.Inputs[0] = input;
            conv.Attributes["pool_kernel"] = Ints("pool_kernel", g.Kernel[0], g.Kernel[1]);
            conv.Attributes["pool_strides"] = Ints("pool_strides", g.Strides[0], g.Strides[1]);
            conv.Attributes["pool_dilations"] = Ints("pool_dilations", g.Dilations[0], g.Dilations[1]);
            conv.Attributes["pool_pads"] = Ints("pool_pads", g.PadsBegin[0], g.PadsBegin[1]);
            conv.Attributes["pool_input"] = Ints("pool_input", x[2], x[3]);
            conv.Attributes["pool_output"] = Ints("pool_output", y[2], y[3]);
            conv.Attributes["pool_name"] = new Graph.Attribute("pool_name", AttributeKind.String) { S = pool.Name };
        }
        return true;
    }

    private static bool IsBinaryConv(Node n) => n.Domain == Ops.Qdq.QLinearLookupOp.DomainName && n.OpType == "BinaryConv" && !n.Attributes.ContainsKey("pool_kernel");

    private static Graph.Attribute Ints(string name, params long[] values) => new(name, AttributeKind.Ints) { Ints = values };
}
