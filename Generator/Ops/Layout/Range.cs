using System;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Layout;

/// <summary>
/// ONNX Range (opset 11): start, start + delta, ... while below limit (above it for a negative delta);
/// max(ceil((limit - start) / delta), 0) elements. The length decides the output shape, so the three scalars
/// must be constants and it folds; outputs too big to fold are a run-time loop.
/// </summary>
internal sealed class RangeOp : OpSchema
{
    public override string OpType => "Range";
    protected override bool HasFolding => true;

    private static bool IsRangeType(DataType t) =>
        t is DataType.Float or DataType.Double or DataType.Float16 or DataType.BFloat16 or DataType.Int16 or DataType.Int32 or DataType.Int64;

    private static (double Start, double Delta, int Count) Resolve(OpContext c)
    {
        c.RequireInputs(3);
        var type = c.Type(0);
        if (c.Type(1) != type || c.Type(2) != type) throw new ModelError("start, limit and delta must have the same type");
        c.RequireType(0, IsRangeType, "float, double, float16, bfloat16, int16, int32 or int64");
        var start = c.RequireConst(0, "the range start");
        var limit = c.RequireConst(1, "the range limit");
        var delta = c.RequireConst(2, "the range delta");
        long count;
        if (type.IsFloat())
        {
            double s = start.Scalar(), l = limit.Scalar(), d = delta.Scalar();
            if (d == 0) throw new ModelError("delta is 0");
            // Computed in the element type, as ONNX does: float32 inputs give a float32 quotient.
            double q = type == DataType.Double ? (l - s) / d : (float)((float)((float)l - (float)s) / (float)d);
            count = (long)Math.Max(0, Math.Ceiling(q));
            return (s, d, ShapeText.CheckedInt(count));
        }
        if (start.ElementCount != 1 || limit.ElementCount != 1 || delta.ElementCount != 1) throw new ModelError("start, limit and delta must be scalars");
        long si = start.GetLong(0), li = limit.GetLong(0), di = delta.GetLong(0);
        if (di == 0) throw new ModelError("delta is 0");
        long span = li - si;
        count = di > 0 ? (span > 0 ? (span + di - 1) / di : 0) : (span < 0 ? (-span + -di - 1) / -di : 0);
        return (si, di, ShapeText.CheckedInt(count));
    }

    public override void Infer(OpContext c)
    {
        var r = Resolve(c);
        c.SetOutput(0, c.Type(0), new[] { r.Count });
    }

    public override Tensor[] Fold(OpContext c)
    {
        var type = c.Type(0);
        var (start, delta, count) = Resolve(c);
        if (type.IsFloat())
        {
            var v = Enumerable.Range(0, count).Select(i => start + i * delta).ToArray();
            if (type != DataType.Double) v = v.Select(x => (double)(float)x).ToArray();
            return new[] { Tensor.FromDoubles(type, new[] { count }, v) };
        }
        long s = c.Const(0)!.GetLong(0), d = c.Const(2)!.GetLong(0);
        return new[] { Tensor.FromLongs(type, new[] { count }, Enumerable.Range(0, count).Select(i => s + i * d).ToArray()) };
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        var type = c.Type(0);
        if (type.CSharpName() is null) return null;
        string start = LayoutArgs.ScalarLiteral(type, c.Const(0)!), delta = LayoutArgs.ScalarLiteral(type, c.Const(2)!);
        return new CallKernel(c.Node, w => w.Line($"global::ModelCompiler.Runtime.Layout.Range<{w.OutT(0)}>({w.Out(0)}, {start}, {delta});"),
            $"start {start}, step {delta}");
    }
}
