using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Reduction;

/// <summary>The combining rule of a reduction.</summary>
internal enum ReduceKind { Sum, Mean, Max, Min, SumSquare, L1, L2, LogSum, LogSumExp, Prod }

/// <summary>
/// ONNX ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceSumSquare, ReduceL1, ReduceL2, ReduceLogSum,
/// ReduceLogSumExp and ReduceProd. Axes come from the 'axes' attribute before the op's axes-as-input version
/// (13 for ReduceSum, 18 for the others) and from the optional input 1 after it, which must then be a
/// constant; noop_with_empty_axes (same versions) makes a missing or empty axes list an identity instead of
/// "reduce everything". keepdims (default 1) keeps reduced axes as size 1. Empty reductions give the
/// identity of the combination: 0 (sums), 1 (Prod), NaN (Mean), -inf (LogSum, LogSumExp), -inf/+inf or the
/// type's extremes (Max/Min). ReduceMax/Min also take bool (opset 20: any/all). L2, LogSum and LogSumExp
/// take floating-point types only.
/// </summary>
internal sealed class ReduceOp : OpSchema
{
    private readonly string _opType;
    private readonly ReduceKind _kind;
    private readonly int _axesInputSince;

    public ReduceOp(string opType, ReduceKind kind, int axesInputSince)
    {
        _opType = opType;
        _kind = kind;
        _axesInputSince = axesInputSince;
    }

    public override string OpType => _opType;
    protected override bool HasFolding => true;

    /// <summary>What the node reduces: sorted distinct axes (empty when it is an identity) and the output shape.</summary>
    private sealed record Plan(bool Identity, int[] Axes, int[] OutShape);

    private Plan Analyze(OpContext c)
    {
        int[] x = c.Shape(0);
        int rank = x.Length;
        long[]? axes;
        bool noopWhenEmpty = false;
        if (c.Opset >= _axesInputSince)
        {
            noopWhenEmpty = c.Int("noop_with_empty_axes", 0) != 0;
            axes = c.Has(1) ? c.RequireConst(1, "axes").ToLongs() : null;
        }
        else
        {
            axes = c.Ints("axes");
        }
        if (axes is null || axes.Length == 0)
        {
            if (noopWhenEmpty) return new Plan(true, Array.Empty<int>(), x);
            axes = Enumerable.Range(0, rank).Select(a => (long)a).ToArray();
        }
        if (rank == 0 && axes.Length > 0) throw new ModelError($"axes [{Node.Describe(axes)}] given for a scalar, which has no axes");
        var normalized = axes.Select(a => ShapeText.Axis(a, rank, "axis")).ToArray();
        if (normalized.Distinct().Count() != normalized.Length) throw new ModelError($"axes [{Node.Describe(axes)}] name an axis twice");
        Array.Sort(normalized);
        bool keep = c.Int("keepdims", 1) != 0;
        var outShape = new List<int>();
        for (int d = 0; d < rank; d++)
        {
            if (Array.IndexOf(normalized, d) < 0) outShape.Add(x[d]);
            else if (keep) outShape.Add(1);
        }
        return new Plan(false, normalized, outShape.ToArray());
    }

    /// <summary>Whether reducing a single element gives it back unchanged.</summary>
    private bool IdentityTransform => _kind is ReduceKind.Sum or ReduceKind.Mean or ReduceKind.Max or ReduceKind.Min or ReduceKind.Prod;

    private bool FloatOnly => _kind is ReduceKind.L2 or ReduceKind.LogSum or ReduceKind.LogSumExp;

    private bool AcceptsType(DataType t) =>
        t.IsFloat() || (t.IsInteger() && !FloatOnly) || (t == DataType.Bool && _kind is ReduceKind.Max or ReduceKind.Min);

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        c.RequireType(0, AcceptsType, _kind is ReduceKind.Max or ReduceKind.Min ? "a numeric type or bool" : FloatOnly ? "a floating-point type" : "a numeric type");
        c.SetOutput(0, c.Type(0), Analyze(c).OutShape);
    }

    public override Tensor[] Fold(OpContext c)
    {
        var x = c.Const(0)!;
        var plan = Analyze(c);
        if (plan.Identity && IdentityTransform) return new[] { x.WithShape(plan.OutShape) };
        int[] shape = x.Shape;
        // Output index of every input element: the input index with reduced axes dropped.
        var keptShape = shape.Where((_, d) => Array.IndexOf(plan.Axes, d) < 0).ToArray();
        var keptStrides = ShapeText.Strides(keptShape);
        var outStride = new int[shape.Length];
        for (int d = 0, k = 0; d < shape.Length; d++) outStride[d] = Array.IndexOf(plan.Axes, d) < 0 ? keptStrides[k++] : 0;
        int outCount = (int)ShapeText.Product(plan.OutShape);
        long reduceCount = plan.Axes.Aggregate(1L, (p, a) => p * shape[a]);
        var index = new int[shape.Length];
        var outIndex = new int[(int)x.ElementCount];
        for (int i = 0; i < outIndex.Length; i++)
        {
            int o = 0;
            for (int d = 0; d < shape.Length; d++) o += index[d] * outStride[d];
            outIndex[i] = o;
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                if (++index[d] < shape[d]) break;
                index[d] = 0;
            }
        }

        if (x.Type.IsFloat())
        {
            var v = x.ToDoubles();
            var r = Enumerable.Repeat(_kind switch { ReduceKind.Max or ReduceKind.LogSumExp => double.NegativeInfinity, ReduceKind.Min => double.PositiveInfinity, ReduceKind.Prod => 1.0, _ => 0.0 }, outCount).ToArray();
            for (int i = 0; i < v.Length; i++)
            {
                ref double a = ref r[outIndex[i]];
                double e = v[i];
                a = _kind switch
                {
                    ReduceKind.Max => Math.Max(a, e),
                    ReduceKind.Min => Math.Min(a, e),
                    ReduceKind.SumSquare or ReduceKind.L2 => a + e * e,
                    ReduceKind.L1 => a + Math.Abs(e),
                    ReduceKind.LogSumExp => LogAddExp(a, e),
                    ReduceKind.Prod => a * e,
                    _ => a + e,
                };
            }
            for (int i = 0; i < r.Length; i++)
                r[i] = _kind switch
                {
                    ReduceKind.Mean => r[i] / reduceCount,
                    ReduceKind.L2 => Math.Sqrt(r[i]),
                    ReduceKind.LogSum => Math.Log(r[i]),
                    _ => r[i],
                };
            return new[] { Tensor.FromDoubles(x.Type, plan.OutShape, r) };
        }
        var l = x.ToLongs();
        var (lowest, highest) = Range(x.Type);
        var q = Enumerable.Repeat(_kind switch { ReduceKind.Max => lowest, ReduceKind.Min => highest, ReduceKind.Prod => 1L, _ => 0L }, outCount).ToArray();
        for (int i = 0; i < l.Length; i++)
        {
            ref long a = ref q[outIndex[i]];
            long e = l[i];
            a = _kind switch
            {
                ReduceKind.Max => Math.Max(a, e),
                ReduceKind.Min => Math.Min(a, e),
                ReduceKind.SumSquare => unchecked(a + e * e),
                ReduceKind.L1 => unchecked(a + Math.Abs(e)),
                ReduceKind.Prod => unchecked(a * e),
                _ => unchecked(a + e),
            };
        }
        if (_kind == ReduceKind.Mean && reduceCount > 0) for (int i = 0; i < q.Length; i++) q[i] /= reduceCount;
        return new[] { Tensor.FromLongs(x.Type, plan.OutShape, q) };
    }

    private static double LogAddExp(double a, double b)
    {
        if (double.IsNegativeInfinity(a)) return b;
        if (double.IsNegativeInfinity(b)) return a;
        double max = Math.Max(a, b), distance = Math.Abs(a - b);
        return double.IsNaN(distance) ? max + Math.Log(2) : max + Math.Log(1 + Math.Exp(-distance));
    }

    private static (long Lowest, long Highest) Range(DataType t) => t switch
    {
        DataType.Bool => (0, 1),
        DataType.UInt8 => (byte.MinValue, byte.MaxValue),
        DataType.Int8 => (sbyte.MinValue, sbyte.MaxValue),
        DataType.UInt16 => (ushort.MinValue, ushort.MaxValue),
        DataType.Int16 => (short.MinValue, short.MaxValue),
        DataType.UInt32 => (uint.MinValue, uint.MaxValue),
        DataType.Int32 => (int.MinValue, int.MaxValue),
        DataType.UInt64 => (0, long.MaxValue), // values above long.MaxValue do not fold exactly
        _ => (long.MinValue, long.MaxValue),
    };

    public override string? WhyNoKernel(OpContext c) => $" ({OpType} has no run-time implementation for {c.Type(0).OnnxName()})";

    public override Kernel? CreateKernel(OpContext c)
    {
        var type = c.Type(0);
        string? t = type.CSharpName();
        if (t is null || !AcceptsType(type)) return null;
        var plan = Analyze(c);
        int[] x = c.Shape(0);
        long reduceCount = plan.Axes.Aggregate(1L, (p, a) => p * x[a]);
        // Reducing over nothing (noop_with_empty_axes) or over size-1 axes leaves each element alone; for the ops
        // whose element transform is the identity that is a view of the input. (ReduceSumSquare then squares, ReduceL1
        // takes |x|, ReduceLogSum the log... which the kernel does with an empty axis list.)
        if (IdentityTransform && (plan.Identity || (reduceCount == 1 && ShapeText.Product(x) > 0))) return new AliasKernel(c.Node);

        // Merge runs of adjacent kept or reduced axes; size-1 axes do not matter either way.
        var shape = new List<int>();
        var axes = new List<int>();
        bool? lastReduced = null;
        for (int d = 0; d < x.Length; d++)
        {
            if (x[d] == 1) continue;
            bool reduced = Array.IndexOf(plan.Axes, d) >= 0;
            if (lastReduced == reduced) shape[shape.Count - 1] *= x[d];
            else
            {
                shape.Add(x[d]);
                if (reduced) axes.Add(shape.Count - 1);
                lastReduced = reduced;
            }
        }

        string args = $"shape: {Literals.IntSpan(shape)}, axes: {Literals.IntSpan(axes)}";
        string method = type == DataType.Bool ? _kind.ToString() : $"{_kind}<{t}>";
        string extra = type == DataType.Bool ? "" : _kind switch
        {
            ReduceKind.Max => $", lowest: {Extreme(type, t, low: true)}",
            ReduceKind.Min => $", highest: {Extreme(type, t, low: false)}",
            _ => "",
        };
        bool keep = plan.OutShape.Length == x.Length;
        string summary = $"axes [{string.Join(", ", plan.Axes)}]{(keep ? ", keepdims" : "")}";
        return new CallKernel(c.Node, w => w.Line($"global::ModelCompiler.Runtime.Reduce.{method}({w.In(0)}, {w.Out(0)}, {args}{extra});"), summary);
    }

    private static string Extreme(DataType type, string t, bool low) => type.IsFloat()
        ? (low ? $"{t}.NegativeInfinity" : $"{t}.PositiveInfinity")
        : (low ? $"{t}.MinValue" : $"{t}.MaxValue");
}

/// <summary>The reductions with a run-time kernel.</summary>
internal sealed class ReduceOps : IOpFamily
{
    public IEnumerable<OpSchema> Schemas => new[]
    {
        new ReduceOp("ReduceSum", ReduceKind.Sum, axesInputSince: 13),
        new ReduceOp("ReduceMean", ReduceKind.Mean, axesInputSince: 18),
        new ReduceOp("ReduceMax", ReduceKind.Max, axesInputSince: 18),
        new ReduceOp("ReduceMin", ReduceKind.Min, axesInputSince: 18),
        new ReduceOp("ReduceSumSquare", ReduceKind.SumSquare, axesInputSince: 18),
        new ReduceOp("ReduceL1", ReduceKind.L1, axesInputSince: 18),
        new ReduceOp("ReduceL2", ReduceKind.L2, axesInputSince: 18),
        new ReduceOp("ReduceLogSum", ReduceKind.LogSum, axesInputSince: 18),
        new ReduceOp("ReduceLogSumExp", ReduceKind.LogSumExp, axesInputSince: 18),
        new ReduceOp("ReduceProd", ReduceKind.Prod, axesInputSince: 18),
    };
}
