using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Index;

/// <summary>
/// ONNX TopK (opset 1: k attribute; 10: k input; 11: largest, sorted): the k largest (or smallest) elements
/// along 'axis' (default -1) and their int64 positions, best first; ties go to the lower position. k decides the
/// output shape, so it must be a constant. sorted=0 allows any order; the result is sorted anyway. Numeric types.
/// </summary>
internal sealed class TopKOp : OpSchema
{
    public override string OpType => "TopK";
    protected override bool HasFolding => true;

    private static int K(OpContext c)
    {
        long k = c.Opset < 10 ? c.Int("k", -1) : c.RequireConst(1, "k, which decides the output shape,").ToLongs() is { Length: 1 } v ? v[0]
            : throw new ModelError("k must hold exactly one value");
        if (k < 0) throw new ModelError($"k must be a non-negative number, not {k}");
        return ShapeText.CheckedInt(k);
    }

    private static (int Outer, int N, int Inner, int Axis) View(OpContext c)
    {
        int[] x = c.Shape(0);
        if (x.Length == 0) throw new ModelError("the input must have rank 1 or more");
        int axis = ShapeText.Axis(c.Int("axis", -1), x.Length);
        return ((int)ShapeText.Product(x, 0, axis), x[axis], (int)ShapeText.Product(x, axis + 1, x.Length), axis);
    }

    private static bool Largest(OpContext c) => c.Opset < 11 || c.Int("largest", 1) != 0;

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        c.RequireType(0, t => t.IsFloat() || t.IsInteger(), "a numeric type");
        var (_, n, _, axis) = View(c);
        int k = K(c);
        if (k > n) throw new ModelError($"k ({k}) is larger than the axis ({n})");
        var shape = c.Shape(0).Select((d, i) => i == axis ? k : d).ToArray();
        c.SetOutput(0, c.Type(0), shape);
        c.SetOutput(1, DataType.Int64, shape);
    }

    public override bool CanFold(OpContext c) => c.Const(0) is not null && (c.Opset < 10 || c.Const(1) is not null);

    public override Tensor[] Fold(OpContext c)
    {
        var (outer, n, inner, _) = View(c);
        int k = K(c);
        bool largest = Largest(c);
        var x = c.Const(0)!.ToDoubles();
        var shape = c.Node.Output(0)!.Shape!;
        var values = new double[outer * k * inner];
        var indices = new long[values.Length];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                var order = Enumerable.Range(0, n).OrderBy(j => j, Comparer<int>.Create((a, b) =>
                {
                    double va = x[(o * n + a) * inner + i], vb = x[(o * n + b) * inner + i];
                    int byValue = double.IsNaN(va) || double.IsNaN(vb) ? double.IsNaN(va).CompareTo(double.IsNaN(vb)) : va.CompareTo(vb);
                    return byValue != 0 ? (largest ? -byValue : byValue) : a.CompareTo(b);
                })).Take(k).ToList();
                for (int t = 0; t < k; t++)
                {
                    values[(o * k + t) * inner + i] = x[(o * n + order[t]) * inner + i];
                    indices[(o * k + t) * inner + i] = order[t];
                }
            }
        var valueTensor = c.Type(0).IsFloat()
            ? Tensor.FromDoubles(c.Type(0), shape, values)
            : Tensor.FromLongs(c.Type(0), shape, ReorderLongs(c.Const(0)!.ToLongs(), indices, outer, n, k, inner));
        return new[] { valueTensor, Tensor.FromLongs(DataType.Int64, shape, indices) };
    }

    // Integers are copied as longs so that 64-bit values do not pass through double.
    private static long[] ReorderLongs(long[] x, long[] indices, int outer, int n, int k, int inner)
    {
        var r = new long[indices.Length];
        for (int o = 0; o < outer; o++)
            for (int t = 0; t < k; t++)
                for (int i = 0; i < inner; i++)
                    r[(o * k + t) * inner + i] = x[(o * n + (int)indices[(o * k + t) * inner + i]) * inner + i];
        return r;
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        string? t = c.Type(0).CSharpName();
        if (t is null) return null;
        var (outer, n, inner, _) = View(c);
        int k = K(c);
        bool largest = Largest(c);
        return new CallKernel(c.Node, w =>
        {
            string values = c.HasOutput(0) ? w.Out(0) : "default";
            string indices = c.HasOutput(1) ? w.Out(1) : "default";
            w.Line($"{IndexArgs.Runtime}.TopK<{t}>({w.In(0)}, {values}, {indices}, outer: {outer}, n: {n}, inner: {inner}, k: {k}, largest: {(largest ? "true" : "false")});");
        }, $"{(largest ? "largest" : "smallest")} {k} of {n}");
    }
}
