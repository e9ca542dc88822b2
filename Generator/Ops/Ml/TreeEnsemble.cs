using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Ml;

/// <summary>
/// ai.onnx.ml TreeEnsemble (opset 5): x [rows, features] (float, double or float16) through an ensemble of decision
/// trees; y [rows, n_targets] of x's type aggregates the leaves reached (average, sum, min, max). The trees are
/// attributes: <see cref="TreeTable"/> checks them and flattens them into tables in the weight blob at build time;
/// <c>MlOps.TreeEnsemble</c> walks them. post_transform must be NONE.
/// </summary>
internal sealed class TreeEnsembleOp : OpSchema
{
    /// <summary>The run time keeps one double per target on the stack (MlOps.MaxTreeTargets).</summary>
    private const int MaxTargets = 1024;

    public override string OpType => "TreeEnsemble";
    public override string Domain => BinarizerOp.MlDomain;

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        c.RequireType(0, t => t is DataType.Float or DataType.Double or DataType.Float16, "float, double or float16");
        int[] x = c.Shape(0);
        if (x.Length != 2) throw new ModelError($"X must be [rows, features] but has shape {ShapeText.Format(x)}");
        long targets = c.Int("n_targets", 0);
        if (targets <= 0 || targets > MaxTargets) throw new ModelError($"n_targets must be in [1, {MaxTargets}] but is {targets}");
        long aggregate = c.Int("aggregate_function", 1);
        if (aggregate is < 0 or > 3) throw new ModelError($"aggregate_function must be 0 (average), 1 (sum), 2 (min) or 3 (max), not {aggregate}");
        TreeTable.Build(c.Node, x[1], (int)targets);
        c.SetOutput(0, c.Type(0), new[] { x[0], (int)targets });
    }

    public override string? WhyNoKernel(OpContext c) =>
        c.Int("post_transform", 0) != 0 ? " (post_transform other than NONE is not implemented)" : null;

    public override Kernel? CreateKernel(OpContext c)
    {
        if (c.Int("post_transform", 0) != 0) return null;
        int[] x = c.Shape(0);
        int targets = (int)c.Int("n_targets", 0), aggregate = (int)c.Int("aggregate_function", 1);
        var table = TreeTable.Build(c.Node, x[1], targets);
        var tensors = new[]
        {
            Ints(table.Roots), Ints(table.Nodes), Tensor.FromDoubles(DataType.Double, new[] { table.Splits.Length }, table.Splits),
            Tensor.FromDoubles(DataType.Double, new[] { table.Members.Length }, table.Members), Ints(table.LeafTargets),
            Tensor.FromDoubles(DataType.Double, new[] { table.LeafWeights.Length }, table.LeafWeights),
        };
        string start = aggregate switch
        {
            2 => $"(double){c.Type(0).CSharpName()}.MaxValue",
            3 => $"(double){c.Type(0).CSharpName()}.MinValue",
            _ => "0",
        };
        string[] names = { "average", "sum", "min", "max" };
        return new CallKernel(c.Node, w => w.Line(
            $"global::ModelCompiler.Runtime.MlOps.TreeEnsemble<{w.T(0)}>({w.In(0)}, {w.Out(0)}, {string.Join(", ", tensors.Select(t => t.ElementCount == 0 ? "default" : w.Weight(t)))}, " +
            $"rows: {x[0]}, features: {x[1]}, targets: {targets}, aggregate: {aggregate}, start: {start});"),
            $"{table.Roots.Length} tree(s), {table.Splits.Length} nodes, {table.LeafWeights.Length} leaves, {names[aggregate]} of {targets} target(s)");
    }

    private static Tensor Ints(int[] values) =>
        Tensor.FromLongs(DataType.Int32, new[] { values.Length }, values.Select(v => (long)v).ToArray());
}
