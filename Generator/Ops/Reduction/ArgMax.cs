using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Reduction;

/// <summary>
/// ONNX ArgMax and ArgMin (opset 1/11/12/13): the int64 index of the largest (smallest) element along 'axis'
/// (default 0), the first one on ties unless select_last_index (opset 12) asks for the last; keepdims
/// (default 1) keeps the axis as size 1.
/// </summary>
internal sealed class ArgExtremeOp : OpSchema
{
    private readonly bool _max;

    public ArgExtremeOp(bool max) => _max = max;

    public override string OpType => _max ? "ArgMax" : "ArgMin";
    protected override bool HasFolding => true;

    private static (int Outer, int N, int Inner, int[] OutShape) View(OpContext c)
    {
        int[] x = c.Shape(0);
        int rank = x.Length;
        if (rank == 0) throw new ModelError("the input must have at least one dimension");
        int axis = ShapeText.Axis(c.Int("axis", 0), rank);
        bool keep = c.Int("keepdims", 1) != 0;
        var outShape = x.Select((d, i) => i == axis ? 1 : d).Where((_, i) => keep || i != axis).ToArray();
        return ((int)ShapeText.Product(x, 0, axis), x[axis], (int)ShapeText.Product(x, axis + 1, rank), outShape);
    }

    private static bool LastIndex(OpContext c) => c.Opset >= 12 && c.Int("select_last_index", 0) != 0;

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        c.RequireType(0, t => t.IsFloat() || t.IsInteger(), "a numeric type");
        var v = View(c);
        if (v.N == 0) throw new ModelError("cannot take the arg-extreme of an empty axis");
        c.SetOutput(0, DataType.Int64, v.OutShape);
    }

    public override Tensor[] Fold(OpContext c)
    {
        var (outer, n, inner, outShape) = View(c);
        var x = c.Const(0)!.ToDoubles();
        bool last = LastIndex(c);
        var r = new long[outer * inner];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int p = o * n * inner + i;
                double best = x[p];
                long bestIndex = 0;
                for (int k = 1; k < n; k++)
                {
                    double v = x[p + k * inner];
                    if ((_max ? v > best : v < best) || (last && v == best)) { best = v; bestIndex = k; }
                }
                r[o * inner + i] = bestIndex;
            }
        return new[] { Tensor.FromLongs(DataType.Int64, outShape, r) };
    }

    public override string? WhyNoKernel(OpContext c) => $" ({OpType} has no run-time implementation for {c.Type(0).OnnxName()})";

    public override Kernel? CreateKernel(OpContext c)
    {
        string? t = c.Type(0).CSharpName();
        if (t is null) return null;
        var (outer, n, inner, _) = View(c);
        bool last = LastIndex(c);
        string method = _max ? "ArgMax" : "ArgMin";
        return new CallKernel(c.Node, w => w.Line(
            $"global::ModelCompiler.Runtime.Reduce.{method}<{t}>({w.In(0)}, {w.Out(0)}, outer: {outer}, n: {n}, inner: {inner}, selectLastIndex: {(last ? "true" : "false")});"),
            $"along an axis of {n}{(last ? ", last index on ties" : "")}");
    }
}

/// <summary>ArgMax and ArgMin.</summary>
internal sealed class ArgExtremeOps : IOpFamily
{
    public IEnumerable<OpSchema> Schemas => new[] { new ArgExtremeOp(max: true), new ArgExtremeOp(max: false) };
}
