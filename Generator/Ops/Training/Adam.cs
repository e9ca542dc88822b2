using ModelCompiler.Emit;
using static ModelCompiler.Emit.LayerWriter;

namespace ModelCompiler.Ops.Training;

/// <summary>
/// ai.onnx.preview.training Adam (version 1): inputs R, T, X..., G..., V..., H...; outputs X_new..., V_new...,
/// H_new... (attributes alpha = 0.9, beta = 0.999, epsilon = 1e-6, norm_coefficient, norm_coefficient_post).
/// Run by <c>Optimizers.Adam</c>.
/// </summary>
internal sealed class AdamOp : OptimizerOp
{
    public override string OpType => "Adam";
    protected override int Groups => 4;

    private static (float Alpha, float Beta, float Epsilon, float Norm, float NormPost) Attributes(OpContext c) =>
        (c.Float("alpha", 0.9f), c.Float("beta", 0.999f), c.Float("epsilon", 1e-6f), c.Float("norm_coefficient", 0f), c.Float("norm_coefficient_post", 0f));

    protected override string Summary(OpContext c)
    {
        var a = Attributes(c);
        return $"alpha {F(a.Alpha)}, beta {F(a.Beta)}, epsilon {F(a.Epsilon)}, norm_coefficient {F(a.Norm)}, norm_coefficient_post {F(a.NormPost)}";
    }

    protected override void EmitTensor(OpContext c, LayerWriter w, int k, int n)
    {
        var a = Attributes(c);
        w.Line($"global::ModelCompiler.Runtime.Optimizers.Adam<{w.T(2 + k)}>({RateAndCount(w)}, {w.In(2 + k)}, {w.In(2 + n + k)}, {w.In(2 + 2 * n + k)}, {w.In(2 + 3 * n + k)}, " +
               $"{w.Out(k)}, {w.Out(n + k)}, {w.Out(2 * n + k)}, n: {c.In(2 + k).ElementCount}, alpha: {F(a.Alpha)}, beta: {F(a.Beta)}, " +
               $"epsilon: {F(a.Epsilon)}, normCoefficient: {F(a.Norm)}, normCoefficientPost: {F(a.NormPost)});");
    }
}
