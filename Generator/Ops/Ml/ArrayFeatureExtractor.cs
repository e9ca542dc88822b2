using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using static ModelCompiler.Ops.Elementwise.ElementwiseSupport;

namespace ModelCompiler.Ops.Ml;

/// <summary>
/// ai.onnx.ml ArrayFeatureExtractor (version 1): the elements of x at the int64 indices y along x's last axis;
/// output [..., len(y)] ([1, len(y)] for a 1-D x, as ONNX Runtime). The indices may be a run-time input.
/// </summary>
internal sealed class ArrayFeatureExtractorOp : OpSchema
{
    public override string OpType => "ArrayFeatureExtractor";
    public override string Domain => BinarizerOp.MlDomain;

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(1, t => t == DataType.Int64, "int64");
        int[] x = c.Shape(0);
        if (x.Length == 0) throw new ModelError("X must have at least one dimension");
        int k = (int)c.In(1).ElementCount;
        int[] y = x.Length == 1 ? new[] { 1, k } : x.Take(x.Length - 1).Append(k).ToArray();
        c.SetOutput(0, c.Type(0), y);
    }

    public override string? WhyNoKernel(OpContext c) => NoRuntimeType(c.Type(0));

    public override Kernel? CreateKernel(OpContext c)
    {
        if (NoRuntimeType(c.Type(0)) is not null) return null;
        int[] x = c.Shape(0);
        int n = x[x.Length - 1];
        long outer = ShapeText.Product(x, 0, x.Length - 1);
        return new CallKernel(c.Node, w => w.Line(
            $"global::ModelCompiler.Runtime.MlOps.ArrayFeatureExtractor<{w.T(0)}>({w.In(0)}, {w.In(1)}, {w.Out(0)}, outer: {outer}, n: {n});"),
            $"{c.In(1).ElementCount} of {n} features from {outer} row(s)");
    }
}
