using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Vision;

/// <summary>
/// ONNX GridSample (opset 16: 4-D, modes bilinear/nearest/bicubic; opset 20: N-D, linear/nearest/cubic): samples
/// X [N, C, (D,) H, W] at the normalized positions of grid [N, (Do,) Ho, Wo, 2 or 3], with zeros, border or
/// reflection padding and align_corners. 2-D and 3-D (trilinear, nearest) run; 3-D cubic does not. float32.
/// </summary>
internal sealed class GridSampleOp : OpSchema
{
    public override string OpType => "GridSample";

    private static int Mode(OpContext c) => c.Str("mode", c.Opset >= 20 ? "linear" : "bilinear") switch
    {
        "nearest" => 0,
        "linear" or "bilinear" => 1,
        "cubic" or "bicubic" => 2,
        var m => throw new ModelError($"mode '{m}' is not one of nearest, linear, cubic"),
    };

    private static int Padding(OpContext c) => c.Str("padding_mode", "zeros") switch
    {
        "zeros" => 0,
        "border" => 1,
        "reflection" => 2,
        var m => throw new ModelError($"padding_mode '{m}' is not one of zeros, border, reflection"),
    };

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(0, t => t.IsFloat(), "a floating-point type");
        int[] x = c.Shape(0), grid = c.Shape(1);
        int r = x.Length - 2;
        if (r < 1 || grid.Length != x.Length || grid[0] != x[0] || grid[grid.Length - 1] != r)
            throw new ModelError($"X ({ShapeText.Format(x)}) and grid ({ShapeText.Format(grid)}) must be [N, C, spatial...] and [N, spatial..., {r}]");
        if (c.Opset < 20 && r != 2) throw new ModelError("GridSample before opset 20 takes 4-D input");
        Mode(c);
        Padding(c);
        c.SetOutput(0, c.Type(0), new[] { x[0], x[1] }.Concat(grid.Skip(1).Take(r)).ToArray());
    }

    public override string? WhyNoKernel(OpContext c) =>
        c.Type(0) != DataType.Float ? $" (GridSample runs on float32, not {c.Type(0).OnnxName()})"
        : $" (GridSample runs 2-D and 3-D grids, cubic only in 2-D; this one is {c.Rank(0) - 2}-D)";

    public override Kernel? CreateKernel(OpContext c)
    {
        int[] x = c.Shape(0);
        int r = x.Length - 2, mode = Mode(c);
        if (c.Type(0) != DataType.Float || r is not (2 or 3) || (r == 3 && mode == 2)) return null;
        bool volumetric = r == 3;
        int depth = volumetric ? x[2] : 1, height = x[x.Length - 2], width = x[x.Length - 1];
        long outPoints = ShapeText.Product(c.Shape(1), 1, c.Rank(1) - 1);
        bool align = c.Int("align_corners", 0) != 0;
        string[] modes = { "nearest", "linear", "cubic" }, paddings = { "zeros", "border", "reflection" };
        return new CallKernel(c.Node, w => w.Line(
            $"global::ModelCompiler.Runtime.Sampling.GridSample({w.In(0)}, {w.In(1)}, {w.Out(0)}, batch: {x[0]}, channels: {x[1]}, depth: {depth}, height: {height}, width: {width}, " +
            $"outPoints: {outPoints}, volumetric: {(volumetric ? "true" : "false")}, mode: {mode}, padding: {Padding(c)}, alignCorners: {(align ? "true" : "false")});"),
            $"{modes[mode]}, {paddings[Padding(c)]} padding{(align ? ", corners aligned" : "")}");
    }
}
