using System;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Nn;

/// <summary>
/// ONNX ConvTranspose (opset 1/11): X[N, C, spatial...] with W[C, M/group, k...] and optional B[M] gives
/// Y[N, M, spatial'...]. Per spatial axis, without output_shape:
/// out = stride * (in - 1) + output_padding + (k - 1) * dilation + 1 - pad_begin - pad_end.
/// With output_shape (or auto_pad SAME_*, which asks for out = in * stride) the pads follow from
/// total = stride * (in - 1) + output_padding + (k - 1) * dilation + 1 - out: SAME_UPPER puts floor(total / 2)
/// first, otherwise total - floor(total / 2) goes first (floor division, so a negative total grows the end).
/// 1-D, 2-D and 3-D run.
/// </summary>
internal sealed class ConvTransposeOp : OpSchema
{
    public override string OpType => "ConvTranspose";

    private sealed record Geometry(int[] Kernel, int[] Strides, int[] Dilations, int[] PadsBegin, int[] Output);

    private static int FloorHalf(int v) => (int)Math.Floor(v / 2.0);

    private static Geometry Compute(OpContext c)
    {
        int[] x = c.Shape(0), w = c.Shape(1);
        int r = x.Length - 2;
        int[] Dims(string name, int fallback)
        {
            var v = c.Ints(name);
            if (v is null || v.Length == 0) return Enumerable.Repeat(fallback, r).ToArray();
            if (v.Length != r) throw new ModelError($"{name} has {v.Length} values, expected {r}");
            return v.Select(ShapeText.CheckedInt).ToArray();
        }
        int[] kernel = c.Ints("kernel_shape")?.Select(ShapeText.CheckedInt).ToArray() ?? w.Skip(2).ToArray();
        if (!kernel.SequenceEqual(w.Skip(2))) throw new ModelError($"kernel_shape {string.Join("x", kernel)} does not match the weight {ShapeText.Format(w)}");
        int[] strides = Dims("strides", 1), dilations = Dims("dilations", 1), outputPadding = Dims("output_padding", 0);
        if (strides.Any(s => s <= 0) || dilations.Any(d => d <= 0)) throw new ModelError("strides and dilations must be positive");
        string autoPad = c.Str("auto_pad", "NOTSET");
        if (autoPad is not ("NOTSET" or "" or "VALID" or "SAME_UPPER" or "SAME_LOWER"))
            throw new ModelError($"auto_pad '{autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");

        long[]? outputShape = c.Ints("output_shape");
        if (outputShape is { Length: 0 }) outputShape = null;
        if (outputShape is not null && outputShape.Length == r + 2) outputShape = outputShape.Skip(2).ToArray();
        if (outputShape is not null && outputShape.Length != r) throw new ModelError($"output_shape has {outputShape.Length} values, expected {r}");

        long[]? pads = c.Ints("pads");
        if (pads is { Length: 0 }) pads = null;
        if (pads is not null && pads.Length != 2 * r) throw new ModelError($"pads has {pads.Length} values, expected {2 * r}");

        var begin = new int[r];
        var output = new int[r];
        for (int i = 0; i < r; i++)
        {
            int full = strides[i] * (x[i + 2] - 1) + outputPadding[i] + (kernel[i] - 1) * dilations[i] + 1;
            int? target = outputShape is not null ? ShapeText.CheckedInt(outputShape[i])
                : autoPad is "SAME_UPPER" or "SAME_LOWER" ? x[i + 2] * strides[i] : null;
            if (target is int o)
            {
                int total = full - o;
                begin[i] = autoPad == "SAME_UPPER" ? FloorHalf(total) : total - FloorHalf(total);
                output[i] = o;
            }
            else if (autoPad == "VALID" || pads is null)
            {
                output[i] = full;
            }
            else
            {
                begin[i] = (int)pads[i];
                output[i] = full - (int)pads[i] - (int)pads[i + r];
            }
            if (output[i] <= 0) throw new ModelError($"the output would have {output[i]} elements on spatial axis {i}");
        }
        return new Geometry(kernel, strides, dilations, begin, output);
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(0, t => t == DataType.Float, "float32");
        int[] x = c.Shape(0), w = c.Shape(1);
        if (x.Length < 3) throw new ModelError($"the input must be [N, C, spatial...] but has shape {ShapeText.Format(x)}");
        if (w.Length != x.Length) throw new ModelError($"the weight has rank {w.Length} but the input has rank {x.Length}");
        int group = (int)c.Int("group", 1);
        if (group <= 0 || x[1] % group != 0) throw new ModelError($"group {group} does not divide the {x[1]} input channels");
        if (w[0] != x[1]) throw new ModelError($"the weight is for {w[0]} input channels but the input has {x[1]}");
        int m = w[1] * group;
        if (c.Has(2) && ShapeText.Product(c.Shape(2)) != m)
            throw new ModelError($"the bias has {ShapeText.Product(c.Shape(2))} values but there are {m} output channels");
        var g = Compute(c);
        c.SetOutput(0, DataType.Float, new[] { x[0], m }.Concat(g.Output).ToArray());
    }

    public override string? WhyNoKernel(OpContext c) => c.Rank(0) > 5 ? $" ({c.Rank(0) - 2}-D transposed convolution is not supported; 1-D, 2-D and 3-D are)" : null;

    public override Kernel? CreateKernel(OpContext c)
    {
        int[] x = c.Shape(0), w = c.Shape(1);
        int r = x.Length - 2;
        if (r > 3) return null;
        var g = Compute(c);
        int group = (int)c.Int("group", 1);
        int m = w[1] * group;
        int At(int[] a, int i, int fallback) => i - (3 - r) >= 0 ? a[i - (3 - r)] : fallback;
        string Three(string what, int[] a, int fallback) =>
            $"{what}Depth: {At(a, 0, fallback)}, {what}Height: {At(a, 1, fallback)}, {what}Width: {At(a, 2, fallback)}";
        int[] inSpatial = x.Skip(2).ToArray();
        long macs = ShapeText.Product(x) * w[1] * ShapeText.Product(g.Kernel);
        string K(int[] a) => string.Join("x", a);
        string summary = $"kernel {K(g.Kernel)}" + (g.Strides.Any(s => s != 1) ? $", stride {K(g.Strides)}" : "")
            + (g.PadsBegin.Any(p => p != 0) ? $", pad {K(g.PadsBegin)}" : "") + (g.Dilations.Any(d => d != 1) ? $", dilation {K(g.Dilations)}" : "")
            + (group > 1 ? $", group {group}" : "");
        return new CallKernel(c.Node, lw =>
        {
            string bias = lw.HasInput(2) ? lw.In(2) : "default";
            lw.Line($"global::ModelCompiler.Runtime.ConvTranspose.Run({lw.In(0)}, {lw.In(1)}, {bias}, {lw.Out(0)}, new global::ModelCompiler.Runtime.ConvTransposeGeometry(");
            lw.Line($"    batch: {x[0]}, inChannels: {x[1]}, {Three("in", inSpatial, 1)},");
            lw.Line($"    outChannels: {m}, {Three("out", g.Output, 1)}, groups: {group},");
            lw.Line($"    {Three("kernel", g.Kernel, 1)}, {Three("stride", g.Strides, 1)},");
            lw.Line($"    padFront: {At(g.PadsBegin, 0, 0)}, padTop: {At(g.PadsBegin, 1, 0)}, padLeft: {At(g.PadsBegin, 2, 0)},");
            lw.Line($"    {Three("dilation", g.Dilations, 1)}));");
        }, summary, macs);
    }
}
