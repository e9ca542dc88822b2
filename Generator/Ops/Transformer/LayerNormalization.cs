using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Transformer;

/// <summary>
/// ONNX LayerNormalization (opset 17): every row of X from 'axis' on is normalized by its mean and biased
/// variance, y = (x - mean) / sqrt(var + epsilon) * Scale + B. The optional outputs Mean and InvStdDev have X's
/// shape with the normalized dimensions set to 1; with stash_type 1 (the default) they are float32, as the
/// statistics are computed in float32.
/// </summary>
internal sealed class LayerNormalizationOp : OpSchema
{
    public override string OpType => "LayerNormalization";

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(0, t => t.IsFloat(), "a floating-point type");
        var (axis, _, _) = NormSupport.View(c);
        for (int i = 1; i < 3; i++)
        {
            if (!c.Has(i)) continue;
            if (c.Type(i) != c.Type(0)) throw new ModelError($"input {i} ('{c.In(i).Name}') has type {c.Type(i).OnnxName()}, X has {c.Type(0).OnnxName()}");
            NormSupport.CheckTrailing(c, i, axis, i == 1 ? "Scale" : "B");
        }
        int[] x = c.Shape(0);
        c.SetOutput(0, c.Type(0), x);
        var statType = c.Int("stash_type", 1) == 1 ? DataType.Float : c.Type(0);
        int[] reduced = x.Select((d, k) => k < axis ? d : 1).ToArray();
        c.SetOutput(1, statType, reduced);
        c.SetOutput(2, statType, reduced);
    }

    public override string? WhyNoKernel(OpContext c)
    {
        if (Enumerable.Range(0, 3).Any(i => c.Has(i) && c.Type(i) != DataType.Float)) return " (LayerNormalization runs on float32)";
        return " (Scale and B must have one value per normalized element, or be constants that broadcast to them)";
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        if (Enumerable.Range(0, 3).Any(i => c.Has(i) && c.Type(i) != DataType.Float)) return null;
        var (axis, rows, cols) = NormSupport.View(c);
        var scale = NormSupport.PerColumn(c, 1, axis);
        var bias = c.Has(2) ? NormSupport.PerColumn(c, 2, axis) : _ => "default";
        if (scale is null || bias is null) return null;
        float epsilon = c.Float("epsilon", 1e-5f);
        return new CallKernel(c.Node, w =>
        {
            string mean = w.HasOutput(1) ? w.Out(1) : "default", inv = w.HasOutput(2) ? w.Out(2) : "default";
            w.Line($"{RuntimeText.Prefix}LayerNorm.Normalize({w.In(0)}, {scale(w)}, {bias(w)}, {w.Out(0)}, {mean}, {inv}, " +
                $"rows: {rows}, cols: {cols}, epsilon: {LayerWriter.F(epsilon)});");
        }, NormSupport.Summary(axis, rows, cols, epsilon)) { InPlaceInputs = new[] { 0 } };
    }
}
