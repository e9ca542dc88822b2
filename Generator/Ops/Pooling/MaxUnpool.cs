using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Pooling;

/// <summary>
/// ONNX MaxUnpool (opset 9/11/22): the inverse of MaxPool with indices: zeros, with each value of X at the position
/// its index names. The spatial shape is (in - 1) * stride - pads + kernel, or output_shape (input 2, a constant)
/// when given; indices count over the former, as ONNX's reference reads them. Any element type.
/// </summary>
internal sealed class MaxUnpoolOp : OpSchema
{
    public override string OpType => "MaxUnpool";

    private static (int[] Inferred, int[] Output) Shapes(OpContext c)
    {
        int[] x = c.Shape(0);
        int r = x.Length - 2;
        if (r < 1) throw new ModelError($"the input must be [N, C, spatial...] but has shape {ShapeText.Format(x)}");
        long[] kernel = c.Ints("kernel_shape") ?? throw new ModelError("kernel_shape is required");
        if (kernel.Length != r) throw new ModelError($"kernel_shape has {kernel.Length} values for {r} spatial dims");
        long[] strides = c.Ints("strides") ?? Enumerable.Repeat(1L, r).ToArray();
        long[] pads = c.Ints("pads") ?? new long[2 * r];
        if (strides.Length != r || pads.Length != 2 * r) throw new ModelError("strides and pads must match the spatial rank");
        var inferred = new[] { x[0], x[1] }.Concat(Enumerable.Range(0, r).Select(i =>
            ShapeText.CheckedInt((x[i + 2] - 1) * strides[i] - (pads[i] + pads[i + r]) + kernel[i]))).ToArray();
        if (!c.Has(2)) return (inferred, inferred);
        var output = c.RequireConst(2, "output_shape").ToInts();
        if (output.Length != x.Length || Enumerable.Range(0, output.Length).Any(i => output[i] < inferred[i]))
            throw new ModelError($"output_shape [{string.Join(",", output)}] must have rank {x.Length} and be at least the inferred shape {ShapeText.Format(inferred)}");
        return (inferred, output);
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(1, t => t == DataType.Int64, "int64 indices");
        if (!ShapeText.SameShape(c.Shape(0), c.Shape(1))) throw new ModelError("X and I must have the same shape");
        c.SetOutput(0, c.Type(0), Shapes(c).Output);
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        string? t = c.Type(0).CSharpName();
        if (t is null) return null;
        var (inferred, output) = Shapes(c);
        return new CallKernel(c.Node, w => w.Line(
            $"global::ModelCompiler.Runtime.Sampling.MaxUnpool<{t}, long>({w.In(0)}, {w.In(1)}, {w.Out(0)}, inferred: {LayerWriter.Shape(inferred)}, output: {LayerWriter.Shape(output)});"),
            $"into {ShapeText.Format(inferred)}");
    }
}
