using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Vision;

/// <summary>
/// ONNX RoiAlign (opset 10/16/22): X [N, C, H, W], rois [R, 4] (x1, y1, x2, y2), batch_indices [R] -> Y [R, C,
/// output_height, output_width], each bin the average (mode avg) or maximum (mode max) of bilinear samples;
/// coordinate_transformation_mode half_pixel (the opset-16 default) or output_half_pixel (opset 10's behaviour).
/// float32.
/// </summary>
internal sealed class RoiAlignOp : OpSchema
{
    public override string OpType => "RoiAlign";

    private static bool HalfPixel(OpContext c)
    {
        string mode = c.Opset >= 16 ? c.Str("coordinate_transformation_mode", "half_pixel") : "output_half_pixel";
        return mode switch
        {
            "half_pixel" => true,
            "output_half_pixel" => false,
            _ => throw new ModelError($"coordinate_transformation_mode '{mode}' is not half_pixel or output_half_pixel"),
        };
    }

    private static bool MaxMode(OpContext c) => c.Str("mode", "avg") switch
    {
        "avg" => false,
        "max" => true,
        var m => throw new ModelError($"mode '{m}' is not avg or max"),
    };

    public override void Infer(OpContext c)
    {
        c.RequireInputs(3);
        c.RequireType(0, t => t.IsFloat(), "a floating-point type");
        c.RequireType(2, t => t is DataType.Int64 or DataType.Int32, "int64 batch indices");
        int[] x = c.Shape(0), rois = c.Shape(1), indices = c.Shape(2);
        if (x.Length != 4 || rois.Length != 2 || rois[1] != 4 || indices.Length != 1 || indices[0] != rois[0])
            throw new ModelError($"expected X [N, C, H, W], rois [R, 4] and batch_indices [R], got {ShapeText.Format(x)}, {ShapeText.Format(rois)}, {ShapeText.Format(indices)}");
        HalfPixel(c);
        MaxMode(c);
        int h = (int)c.Int("output_height", 1), w = (int)c.Int("output_width", 1);
        if (h < 1 || w < 1) throw new ModelError("output_height and output_width must be positive");
        c.SetOutput(0, c.Type(0), new[] { rois[0], x[1], h, w });
    }

    public override string? WhyNoKernel(OpContext c) => $" (RoiAlign runs on float32, not {c.Type(0).OnnxName()})";

    public override Kernel? CreateKernel(OpContext c)
    {
        if (c.Type(0) != DataType.Float || c.Type(1) != DataType.Float) return null;
        int[] x = c.Shape(0);
        int h = (int)c.Int("output_height", 1), wd = (int)c.Int("output_width", 1), ratio = (int)c.Int("sampling_ratio", 0);
        float scale = c.Float("spatial_scale", 1f);
        bool max = MaxMode(c), half = HalfPixel(c);
        return new CallKernel(c.Node, w => w.Line(
            $"global::ModelCompiler.Runtime.Detection.RoiAlign<{w.T(2)}>({w.In(0)}, {w.In(1)}, {w.In(2)}, {w.Out(0)}, batch: {x[0]}, channels: {x[1]}, height: {x[2]}, width: {x[3]}, " +
            $"outHeight: {h}, outWidth: {wd}, samplingRatio: {ratio}, spatialScale: {LayerWriter.F(scale)}, maxMode: {(max ? "true" : "false")}, halfPixel: {(half ? "true" : "false")});"),
            $"{(max ? "max" : "avg")} {h}x{wd}, scale {scale.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
    }
}
