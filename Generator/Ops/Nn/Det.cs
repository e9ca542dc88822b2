using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Nn;

/// <summary>ONNX Det (opset 11/22): the determinant of each square matrix of [*, M, M]; output [*]. float32, float64, float16.</summary>
internal sealed class DetOp : OpSchema
{
    public override string OpType => "Det";

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        c.RequireType(0, t => t is DataType.Float or DataType.Double or DataType.Float16, "float32, float64 or float16");
        int[] x = c.Shape(0);
        if (x.Length < 2 || x[x.Length - 1] != x[x.Length - 2]) throw new ModelError($"the input must be [*, M, M] but has shape {ShapeText.Format(x)}");
        c.SetOutput(0, c.Type(0), x.Take(x.Length - 2).ToArray());
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        int[] x = c.Shape(0);
        int m = x[x.Length - 1];
        long count = ShapeText.Product(x, 0, x.Length - 2);
        return new CallKernel(c.Node, w => w.Line(
            $"global::ModelCompiler.Runtime.TensorMath.Det<{w.T(0)}>({w.In(0)}, {w.Out(0)}, count: {count}, m: {m});"),
            $"{count} matrices of {m}x{m}");
    }
}
