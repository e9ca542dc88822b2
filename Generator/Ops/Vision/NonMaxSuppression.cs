using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Passes;

namespace ModelCompiler.Ops.Vision;

/// <summary>
/// ONNX NonMaxSuppression (opset 10/11): boxes [batches, boxes, 4], scores [batches, classes, boxes]; per batch
/// entry and class, greedy selection best score first, dropping boxes whose IoU with a kept one exceeds
/// iou_threshold, keeping at most max_output_boxes_per_class. The number of selected rows depends on the data:
/// max_output_boxes_per_class must be a constant, and the output [batches * classes * min(max, boxes), 3]
/// int64 is that bound; the layer returns how many rows it filled (Predict's out count parameter), the rest
/// are -1. iou_threshold and score_threshold may be constants (baked in) or run-time scalars.
/// </summary>
internal sealed class NonMaxSuppressionOp : OpSchema, IBoundedRowsOp
{
    public override string OpType => "NonMaxSuppression";

    private static int MaxPerClass(OpContext c)
    {
        if (!c.Has(2)) return 0;
        var t = c.RequireConst(2, "max_output_boxes_per_class, which bounds the output size,");
        if (t.ElementCount == 0) return 0;
        if (t.ElementCount != 1) throw new ModelError("max_output_boxes_per_class must hold one value");
        long v = t.GetLong(0);
        return v <= 0 ? 0 : (int)System.Math.Min(v, int.MaxValue);
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(0, t => t == DataType.Float, "float32 boxes");
        c.RequireType(1, t => t == DataType.Float, "float32 scores");
        int[] boxes = c.Shape(0), scores = c.Shape(1);
        if (boxes.Length != 3 || boxes[2] != 4) throw new ModelError($"boxes must be [batches, boxes, 4] but has shape {ShapeText.Format(boxes)}");
        if (scores.Length != 3 || scores[0] != boxes[0] || scores[2] != boxes[1])
            throw new ModelError($"scores must be [batches, classes, boxes] = [{boxes[0]}, C, {boxes[1]}] but has shape {ShapeText.Format(scores)}");
        for (int i = 3; i <= 4; i++)
            if (c.Has(i))
            {
                c.RequireType(i, t => t == DataType.Float, "a float32 threshold");
                if (c.In(i).ElementCount != 1) throw new ModelError($"input {i} must hold one threshold");
            }
        long center = c.Int("center_point_box", 0);
        if (center is not (0 or 1)) throw new ModelError($"center_point_box must be 0 or 1, not {center}");
        long bound = (long)boxes[0] * scores[1] * System.Math.Min(MaxPerClass(c), boxes[1]);
        c.SetOutput(0, DataType.Int64, new[] { ShapeText.CheckedInt(bound), 3 });
    }

    /// <summary>A threshold argument: the constant as a literal, a run-time scalar as its first element.</summary>
    private static string Threshold(OpContext c, LayerWriter w, int input) =>
        !c.Has(input) ? "0f" : c.Const(input) is { } t ? LayerWriter.F(t.GetFloat(0)) : $"{w.In(input)}[0]";

    public override Kernel? CreateKernel(OpContext c)
    {
        int[] boxes = c.Shape(0), scores = c.Shape(1);
        int max = MaxPerClass(c);
        bool center = c.Int("center_point_box", 0) != 0;
        bool hasScore = c.Has(4);
        return new CallKernel(c.Node, w => w.Line(
            $"return global::ModelCompiler.Runtime.Detection.NonMaxSuppression({w.In(0)}, {w.In(1)}, {w.Out(0)}, batches: {boxes[0]}, classes: {scores[1]}, boxCount: {boxes[1]}, " +
            $"maxPerClass: {max}, iouThreshold: {Threshold(c, w, 3)}, scoreThreshold: {Threshold(c, w, 4)}, hasScoreThreshold: {(hasScore ? "true" : "false")}, centerPointBox: {(center ? "true" : "false")});"),
            $"at most {max} per class{(center ? ", center-point boxes" : "")}");
    }
}
