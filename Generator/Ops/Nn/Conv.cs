using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Nn;

/// <summary>
/// ONNX Conv (opset 1/11): X[N,C,spatial...] * W[M,C/group,k...] + B[M]. Groups cover depthwise
/// convolution (group = C = M). 1-D, 2-D and 3-D run; 1-D is a 2-D convolution of height 1.
/// </summary>
internal sealed class ConvOp : OpSchema
{
    public override string OpType => "Conv";

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(0, t => t == DataType.Float, "float32");
        int[] x = c.Shape(0), w = c.Shape(1);
        if (x.Length < 3) throw new ModelError($"the input must be [N, C, spatial...] but has shape {ShapeText.Format(x)}");
        if (w.Length != x.Length) throw new ModelError($"the weight has rank {w.Length} but the input has rank {x.Length}");
        int group = (int)c.Int("group", 1);
        if (group <= 0 || x[1] % group != 0 || w[0] % group != 0)
            throw new ModelError($"group {group} does not divide the {x[1]} input and {w[0]} output channels");
        if (w[1] * group != x[1])
            throw new ModelError($"the weight expects {w[1] * group} input channels (group {group}) but the input has {x[1]}");
        if (c.Has(2) && ShapeText.Product(c.Shape(2)) != w[0])
            throw new ModelError($"the bias has {ShapeText.Product(c.Shape(2))} values but there are {w[0]} output channels");
        var kernel = c.Ints("kernel_shape")?.Select(k => (int)k).ToArray() ?? w.Skip(2).ToArray();
        if (!kernel.SequenceEqual(w.Skip(2))) throw new ModelError($"kernel_shape {string.Join("x", kernel)} does not match the weight {ShapeText.Format(w)}");
        var g = SpatialGeometry.Compute(c, x.Skip(2).ToArray(), kernel);
        c.SetOutput(0, DataType.Float, new[] { x[0], w[0] }.Concat(g.Output).ToArray());
    }

    public override string? WhyNoKernel(OpContext c) => c.Rank(0) > 5 ? $" ({c.Rank(0) - 2}-D convolution is not supported; 1-D, 2-D and 3-D are)" : null;

    public override Kernel? CreateKernel(OpContext c)
    {
        if (c.Rank(0) > 5) return null;
        if (c.Rank(0) == 5) return CreateKernel3D(c);
        int[] x = c.Shape(0), w = c.Shape(1), y = c.Node.Output(0)!.Shape!;
        var kernel = w.Skip(2).ToArray();
        var g = SpatialGeometry.Compute(c, x.Skip(2).ToArray(), kernel);
        bool is1D = x.Length == 3;
        int group = (int)c.Int("group", 1);
        long macs = ShapeText.Product(y) * (x[1] / group) * ShapeText.Product(kernel);
        int At(int[] a, int i, int fallback) => is1D ? (i == 0 ? fallback : a[0]) : a[i];
        string summary = (group == x[1] && group == w[0] && group > 1 ? "depthwise, " : group > 1 ? $"group {group}, " : "") + g.Describe();

        return new CallKernel(c.Node, lw =>
        {
            string bias = lw.HasInput(2) ? lw.In(2) : "default";
            lw.Line($"global::ModelCompiler.Runtime.Conv.Conv2D({lw.In(0)}, {lw.In(1)}, {bias}, {lw.Out(0)}, new global::ModelCompiler.Runtime.ConvGeometry(");
            lw.Line($"    batch: {x[0]}, inChannels: {x[1]}, inHeight: {(is1D ? 1 : x[2])}, inWidth: {x[x.Length - 1]},");
            lw.Line($"    outChannels: {w[0]}, outHeight: {(is1D ? 1 : y[2])}, outWidth: {y[y.Length - 1]}, groups: {group},");
            lw.Line($"    kernelHeight: {At(kernel, 0, 1)}, kernelWidth: {kernel[kernel.Length - 1]},");
            lw.Line($"    strideHeight: {At(g.Strides, 0, 1)}, strideWidth: {g.Strides[g.Rank - 1]},");
            lw.Line($"    padTop: {At(g.PadsBegin, 0, 0)}, padLeft: {g.PadsBegin[g.Rank - 1]},");
            lw.Line($"    dilationHeight: {At(g.Dilations, 0, 1)}, dilationWidth: {g.Dilations[g.Rank - 1]}));");
        }, summary, macs);
    }

    private static Kernel CreateKernel3D(OpContext c)
    {
        int[] x = c.Shape(0), w = c.Shape(1), y = c.Node.Output(0)!.Shape!;
        var kernel = w.Skip(2).ToArray();
        var g = SpatialGeometry.Compute(c, x.Skip(2).ToArray(), kernel);
        int group = (int)c.Int("group", 1);
        long macs = ShapeText.Product(y) * (x[1] / group) * ShapeText.Product(kernel);
        string Three(string what, int[] a) => $"{what}Depth: {a[0]}, {what}Height: {a[1]}, {what}Width: {a[2]}";
        string summary = (group == x[1] && group == w[0] && group > 1 ? "depthwise, " : group > 1 ? $"group {group}, " : "") + g.Describe();
        return new CallKernel(c.Node, lw =>
        {
            string bias = lw.HasInput(2) ? lw.In(2) : "default";
            lw.Line($"global::ModelCompiler.Runtime.Conv.Conv3D({lw.In(0)}, {lw.In(1)}, {bias}, {lw.Out(0)}, new global::ModelCompiler.Runtime.Conv3DGeometry(");
            lw.Line($"    batch: {x[0]}, inChannels: {x[1]}, {Three("in", g.Input)},");
            lw.Line($"    outChannels: {w[0]}, {Three("out", g.Output)}, groups: {group},");
            lw.Line($"    {Three("kernel", kernel)}, {Three("stride", g.Strides)},");
            lw.Line($"    padFront: {g.PadsBegin[0]}, padTop: {g.PadsBegin[1]}, padLeft: {g.PadsBegin[2]},");
            lw.Line($"    {Three("dilation", g.Dilations)}));");
        }, summary, macs);
    }
}
