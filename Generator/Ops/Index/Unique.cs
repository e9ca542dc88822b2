using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Index;

/// <summary>
/// ONNX Unique (opset 11): the distinct elements (or slices along 'axis'), sorted ascending (lexicographically
/// for slices) or, with sorted=0, in order of first occurrence; with the first-occurrence indices, the inverse
/// indices and the counts. How many there are depends on the values, so Unique runs at build time: its input
/// must be a constant (MC0008 otherwise).
/// </summary>
internal sealed class UniqueOp : OpSchema
{
    public override string OpType => "Unique";
    protected override bool HasFolding => true;

    private sealed record Result(int[] YShape, int[] YMap, long[] Indices, long[] Inverse, long[] Counts);

    private static Result Compute(OpContext c)
    {
        var x = c.RequireConst(0, "the input, whose values decide how many unique elements there are (a data-dependent shape),");
        int[] shape = x.Shape;
        bool hasAxis = c.Node.HasAttribute("axis");
        int axis = hasAxis ? ShapeText.Axis(c.Int("axis", 0), shape.Length) : 0;
        int outer = hasAxis ? (int)ShapeText.Product(shape, 0, axis) : 1;
        int n = hasAxis ? shape[axis] : (int)x.ElementCount;
        int inner = hasAxis ? (int)ShapeText.Product(shape, axis + 1, shape.Length) : 1;
        bool isFloat = x.Type.IsFloat();
        var d = isFloat ? x.ToDoubles() : null;
        var l = isFloat ? null : x.ToLongs();

        // Slice k holds the elements (o, k, i) for every o, i, in row-major order: its key for comparison.
        int Compare(int a, int b)
        {
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    int pa = (o * n + a) * inner + i, pb = (o * n + b) * inner + i;
                    int r = isFloat ? d![pa].CompareTo(d[pb]) : l![pa].CompareTo(l[pb]);
                    if (r != 0) return r;
                }
            return 0;
        }

        var firsts = new List<int>();
        var inverse = new long[n];
        var counts = new List<long>();
        for (int k = 0; k < n; k++)
        {
            int found = firsts.FindIndex(f => Compare(f, k) == 0);
            if (found < 0) { found = firsts.Count; firsts.Add(k); counts.Add(0); }
            inverse[k] = found;
            counts[found]++;
        }
        var order = Enumerable.Range(0, firsts.Count).ToArray();
        if (c.Int("sorted", 1) != 0) Array.Sort(order, Comparer<int>.Create((a, b) => Compare(firsts[a], firsts[b])));
        var rank = new long[order.Length];
        for (int r = 0; r < order.Length; r++) rank[order[r]] = r;

        int u = order.Length;
        var yShape = hasAxis ? shape.Select((s, i) => i == axis ? u : s).ToArray() : new[] { u };
        var yMap = new int[outer * u * inner];
        for (int o = 0, m = 0; o < outer; o++)
            for (int r = 0; r < u; r++)
                for (int i = 0; i < inner; i++) yMap[m++] = (o * n + firsts[order[r]]) * inner + i;
        return new Result(yShape, yMap, order.Select(r => (long)firsts[r]).ToArray(), inverse.Select(g => rank[g]).ToArray(), order.Select(r => counts[r]).ToArray());
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        if (c.Type(0).BitSize() < 8) throw new ModelError($"Unique does not take {c.Type(0).OnnxName()}");
        var r = Compute(c);
        c.SetOutput(0, c.Type(0), r.YShape);
        c.SetOutput(1, DataType.Int64, new[] { r.Indices.Length });
        c.SetOutput(2, DataType.Int64, new[] { r.Inverse.Length });
        c.SetOutput(3, DataType.Int64, new[] { r.Counts.Length });
    }

    public override Tensor[] Fold(OpContext c)
    {
        var r = Compute(c);
        return new[]
        {
            Folding.Gather(c.Const(0)!, r.YShape, r.YMap),
            Tensor.Int64Vector(r.Indices),
            Tensor.Int64Vector(r.Inverse),
            Tensor.Int64Vector(r.Counts),
        };
    }
}
