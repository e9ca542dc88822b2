using System.Collections.Generic;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Index;

/// <summary>
/// ONNX CumSum (opset 11/14) and CumProd (opset 26): running sums or products along the axis given by input 1
/// (a constant scalar, int32 or int64); exclusive leaves the current element out, reverse runs from the end.
/// Numeric types; integers wrap. Folds when the input is constant.
/// </summary>
internal sealed class CumulativeOp : OpSchema
{
    private readonly bool _product;

    public CumulativeOp(bool product) => _product = product;

    public override string OpType => _product ? "CumProd" : "CumSum";
    protected override bool HasFolding => true;

    private static (int Outer, int N, int Inner) View(OpContext c)
    {
        int[] x = c.Shape(0);
        var axisTensor = c.RequireConst(1, "the axis");
        if (axisTensor.ElementCount != 1) throw new ModelError("the axis must be a single value");
        int axis = ShapeText.Axis((long)axisTensor.Scalar(), x.Length);
        return ((int)ShapeText.Product(x, 0, axis), x[axis], (int)ShapeText.Product(x, axis + 1, x.Length));
    }

    private static bool Flag(OpContext c, string name) => c.Int(name, 0) != 0;

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(0, t => t.IsFloat() || t.IsInteger(), "a numeric type");
        c.RequireType(1, IndexArgs.IsIndexType, "an int32 or int64 axis");
        if (c.Rank(0) == 0) throw new ModelError("the input must have rank 1 or more");
        View(c);
        c.SetOutput(0, c.Type(0), c.Shape(0));
    }

    public override Tensor[] Fold(OpContext c)
    {
        var (outer, n, inner) = View(c);
        bool exclusive = Flag(c, "exclusive"), reverse = Flag(c, "reverse");
        var x = c.Const(0)!;
        bool isFloat = x.Type.IsFloat();
        var d = isFloat ? x.ToDoubles() : null;
        var l = isFloat ? null : x.ToLongs();
        var rd = new double[x.ElementCount];
        var rl = new long[x.ElementCount];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double accD = _product ? 1 : 0;
                long accL = _product ? 1 : 0;
                for (int s = 0; s < n; s++)
                {
                    int j = reverse ? n - 1 - s : s;
                    int p = (o * n + j) * inner + i;
                    if (exclusive) { rd[p] = accD; rl[p] = accL; }
                    if (isFloat)
                    {
                        accD = _product ? accD * d![p] : accD + d![p];
                        if (x.Type == DataType.Float) accD = (float)accD; // accumulate in the tensor's precision
                    }
                    else accL = unchecked(_product ? accL * l![p] : accL + l![p]);
                    if (!exclusive) { rd[p] = accD; rl[p] = accL; }
                }
            }
        return new[] { isFloat ? Tensor.FromDoubles(x.Type, x.Shape, rd) : Tensor.FromLongs(x.Type, x.Shape, rl) };
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        string? t = c.Type(0).CSharpName();
        if (t is null) return null;
        var (outer, n, inner) = View(c);
        bool exclusive = Flag(c, "exclusive"), reverse = Flag(c, "reverse");
        string summary = $"along an axis of {n}" + (exclusive ? ", exclusive" : "") + (reverse ? ", reverse" : "");
        return new CallKernel(c.Node, w => w.Line(
            $"{IndexArgs.Runtime}.{OpType}<{t}>({w.In(0)}, {w.Out(0)}, outer: {outer}, n: {n}, inner: {inner}, exclusive: {(exclusive ? "true" : "false")}, reverse: {(reverse ? "true" : "false")});"),
            summary);
    }
}

/// <summary>CumSum and CumProd.</summary>
internal sealed class CumulativeOps : IOpFamily
{
    public IEnumerable<OpSchema> Schemas => new[] { new CumulativeOp(product: false), new CumulativeOp(product: true) };
}
