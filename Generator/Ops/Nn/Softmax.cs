using System.Collections.Generic;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Nn;

/// <summary>
/// ONNX Softmax and LogSoftmax. Before opset 13 the input is coerced to 2-D at 'axis' (default 1) and each
/// row of the flattened trailing block is normalized; from opset 13 the op normalizes along the single axis
/// 'axis' (default -1). Both become one [outer, n, inner] call.
/// </summary>
internal sealed class SoftmaxOp : OpSchema
{
    private readonly bool _log;

    public SoftmaxOp(bool log) => _log = log;

    public override string OpType => _log ? "LogSoftmax" : "Softmax";

    private static (int Outer, int N, int Inner) View(OpContext c)
    {
        int[] x = c.Shape(0);
        int rank = x.Length;
        if (c.Opset < 13)
        {
            int axis = rank == 0 ? 0 : ShapeText.Axis(c.Int("axis", 1), rank);
            return ((int)ShapeText.Product(x, 0, axis), (int)ShapeText.Product(x, axis, rank), 1);
        }
        if (rank == 0) return (1, 1, 1);
        int a = ShapeText.Axis(c.Int("axis", -1), rank);
        return ((int)ShapeText.Product(x, 0, a), x[a], (int)ShapeText.Product(x, a + 1, rank));
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        c.RequireType(0, t => t.IsFloat(), "a floating-point type");
        View(c);
        c.SetOutput(0, c.Type(0), c.Shape(0));
    }

    public override string? WhyNoKernel(OpContext c) => $" ({OpType} runs on float32)";

    public override Kernel? CreateKernel(OpContext c)
    {
        if (c.Type(0) != DataType.Float) return null;
        var (outer, n, inner) = View(c);
        string method = _log ? "LogNormalize" : "Normalize";
        string summary = c.Opset < 13 ? $"rows of {n} (input coerced to {outer}x{n})" : inner == 1 ? $"over the last axis ({n})" : $"over an axis of {n}, stride {inner}";
        return new CallKernel(c.Node, w => w.Line(
            $"global::ModelCompiler.Runtime.Softmax.{method}({w.In(0)}, {w.Out(0)}, outer: {outer}, n: {n}, inner: {inner});"), summary);
    }
}

/// <summary>Softmax and LogSoftmax.</summary>
internal sealed class SoftmaxOps : IOpFamily
{
    public IEnumerable<OpSchema> Schemas => new[] { new SoftmaxOp(log: false), new SoftmaxOp(log: true) };
}
