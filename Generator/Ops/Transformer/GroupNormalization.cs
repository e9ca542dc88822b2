using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Transformer;

/// <summary>
/// ONNX GroupNormalization (opset 18, 21): X [N, C, spatial...] has its channels split into num_groups groups of
/// consecutive channels; each (n, group) is normalized by its mean and biased variance, then scaled and shifted.
/// Opset 18 gives scale and bias per group, opset 21 per channel.
/// </summary>
internal sealed class GroupNormalizationOp : OpSchema
{
    public override string OpType => "GroupNormalization";

    private static bool PerGroup(OpContext c) => c.Opset < 21;

    public override void Infer(OpContext c)
    {
        c.RequireInputs(3);
        c.RequireType(0, t => t.IsFloat(), "a floating-point type");
        int[] x = c.Shape(0);
        if (x.Length < 2) throw new ModelError($"X must be [N, C, ...] but has shape {ShapeText.Format(x)}");
        long groups = c.Int("num_groups", 0);
        if (groups <= 0) throw new ModelError("num_groups is required and must be positive");
        if (x[1] % groups != 0) throw new ModelError($"{x[1]} channels do not divide into {groups} groups");
        long want = PerGroup(c) ? groups : x[1];
        for (int i = 1; i <= 2; i++)
            if (c.In(i).ElementCount != want)
                throw new ModelError($"input {i} ('{c.In(i).Name}') has {c.In(i).ElementCount} values, expected {want} (one per {(PerGroup(c) ? "group in opset 18" : "channel from opset 21")})");
        c.SetOutput(0, c.Type(0), x);
    }

    public override string? WhyNoKernel(OpContext c) => " (GroupNormalization runs on float32)";

    public override Kernel? CreateKernel(OpContext c)
    {
        if (Enumerable.Range(0, 3).Any(i => c.Type(i) != DataType.Float)) return null;
        int[] x = c.Shape(0);
        int spatial = (int)ShapeText.Product(x, 2, x.Length);
        int groups = (int)c.Int("num_groups", 1);
        float epsilon = c.Float("epsilon", 1e-5f);
        string perGroup = PerGroup(c) ? "true" : "false";
        return new CallKernel(c.Node, w =>
            w.Line($"{RuntimeText.Prefix}GroupNorm.Normalize({w.In(0)}, {w.In(1)}, {w.In(2)}, {w.Out(0)}, batch: {x[0]}, channels: {x[1]}, spatial: {spatial}, " +
                $"groups: {groups}, perGroup: {perGroup}, epsilon: {LayerWriter.F(epsilon)});"),
            $"{groups} groups of {x[1] / groups} channels x {spatial}, epsilon {LayerWriter.F(epsilon)}") { InPlaceInputs = new[] { 0 } };
    }
}
