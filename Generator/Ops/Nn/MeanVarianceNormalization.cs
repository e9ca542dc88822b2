using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Ops.Layout;

namespace ModelCompiler.Ops.Nn;

/// <summary>
/// ONNX MeanVarianceNormalization (opset 9/13): over the 'axes' (default [0, 2, 3]),
/// y = (x - mean) / (sqrt(mean(x²) - mean²) + 1e-9), as its function body defines it. float32, float64, float16.
/// </summary>
internal sealed class MeanVarianceNormalizationOp : OpSchema
{
    public override string OpType => "MeanVarianceNormalization";

    private static int[] Axes(OpContext c) => LayoutArgs.Axes(c.Ints("axes") ?? new long[] { 0, 2, 3 }, c.Rank(0));

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        c.RequireType(0, t => t is DataType.Float or DataType.Double or DataType.Float16, "float32, float64 or float16");
        Axes(c);
        c.SetOutput(0, c.Type(0), c.Shape(0));
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        int[] x = c.Shape(0), strides = ShapeText.Strides(x), axes = Axes(c);
        var kept = Enumerable.Range(0, x.Length).Where(d => !axes.Contains(d)).ToArray();
        var reduced = Enumerable.Range(0, x.Length).Where(d => axes.Contains(d)).ToArray();
        string S(int[] dims, int[] from) => LayerWriter.Shape(dims.Select(d => from[d]).ToArray());
        return new CallKernel(c.Node, w => w.Line(
            $"global::ModelCompiler.Runtime.TensorMath.MeanVarianceNormalization<{w.T(0)}>({w.In(0)}, {w.Out(0)}, keptShape: {S(kept, x)}, keptStrides: {S(kept, strides)}, " +
            $"reducedShape: {S(reduced, x)}, reducedStrides: {S(reduced, strides)});"),
            $"over axes {string.Join(",", axes)}");
    }
}
