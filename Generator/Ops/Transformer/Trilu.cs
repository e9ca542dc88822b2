using System;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using static ModelCompiler.Ops.Elementwise.ElementwiseSupport;

namespace ModelCompiler.Ops.Transformer;

/// <summary>
/// ONNX Trilu (opset 14): the lower (upper=0) or upper (upper=1, the default) triangle of each matrix in the last
/// two axes, shifted by the diagonal k (optional int64 scalar input, default 0), everything else zero. Any element
/// type. k may be a run-time input; a constant input folds (causal masks are usually built this way).
/// </summary>
internal sealed class TriluOp : OpSchema
{
    public override string OpType => "Trilu";
    protected override bool HasFolding => true;

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        int[] x = c.Shape(0);
        if (x.Length < 2) throw new ModelError($"the input must have at least 2 dimensions but has shape {ShapeText.Format(x)}");
        if (c.Has(1))
        {
            c.RequireType(1, t => t == DataType.Int64, "int64");
            if (c.In(1).ElementCount != 1) throw new ModelError($"k must be a scalar but has shape {ShapeText.Format(c.Shape(1))}");
        }
        c.SetOutput(0, c.Type(0), x);
    }

    private static (int Matrices, int Rows, int Cols) View(int[] x) =>
        ((int)ShapeText.Product(x, 0, x.Length - 2), x[x.Length - 2], x[x.Length - 1]);

    private static bool Upper(OpContext c) => c.Int("upper", 1) != 0;

    public override Tensor[] Fold(OpContext c)
    {
        var x = c.Const(0)!;
        int size = Folding.MovableElementSize(x.Type);
        long k = c.Has(1) ? c.Const(1)!.GetLong(0) : 0;
        var (matrices, rows, cols) = View(x.Shape);
        var raw = (byte[])x.Raw.Clone();
        bool upper = Upper(c);
        for (int m = 0; m < matrices; m++)
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++)
                    if (upper ? j < i + k : j > i + k) Array.Clear(raw, ((m * rows + i) * cols + j) * size, size);
        return new[] { new Tensor(x.Type, x.Shape, raw) };
    }

    public override string? WhyNoKernel(OpContext c) => NoRuntimeType(c.Type(0));

    public override Kernel? CreateKernel(OpContext c)
    {
        if (NoRuntimeType(c.Type(0)) is not null) return null;
        var (matrices, rows, cols) = View(c.Shape(0));
        bool upper = Upper(c);
        string? constK = !c.Has(1) ? "0L" : c.Const(1) is { } t ? Literals.Long(t.GetLong(0)) : null;
        string kText = constK is null ? "k from the input" : $"k = {constK.TrimEnd('L')}";
        return new CallKernel(c.Node, w =>
            w.Line($"{Runtime}Trilu.Run({w.In(0)}, {w.Out(0)}, matrices: {matrices}, rows: {rows}, cols: {cols}, k: {constK ?? w.In(1) + "[0]"}, upper: {(upper ? "true" : "false")});"),
            $"{(upper ? "upper" : "lower")} triangle, {kText}") { InPlaceInputs = new[] { 0 } };
    }
}
