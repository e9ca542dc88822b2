using ModelCompiler.Emit;
using static ModelCompiler.Emit.LayerWriter;

namespace ModelCompiler.Ops.Training;

/// <summary>
/// ai.onnx.preview.training Adagrad (version 1): inputs R, T, X..., G..., H...; outputs X_new..., H_new...
/// (attributes decay_factor, epsilon = 1e-6, norm_coefficient). Run by <c>Optimizers.Adagrad</c>.
/// </summary>
internal sealed class AdagradOp : OptimizerOp
{
    public override string OpType => "Adagrad";
    protected override int Groups => 3;

    protected override string Summary(OpContext c) =>
        $"decay_factor {F(c.Float("decay_factor", 0f))}, epsilon {F(c.Float("epsilon", 1e-6f))}, norm_coefficient {F(c.Float("norm_coefficient", 0f))}";

    protected override void EmitTensor(OpContext c, LayerWriter w, int k, int n) =>
        w.Line($"global::ModelCompiler.Runtime.Optimizers.Adagrad<{w.T(2 + k)}>({RateAndCount(w)}, {w.In(2 + k)}, {w.In(2 + n + k)}, {w.In(2 + 2 * n + k)}, " +
               $"{w.Out(k)}, {w.Out(n + k)}, n: {c.In(2 + k).ElementCount}, decayFactor: {F(c.Float("decay_factor", 0f))}, " +
               $"epsilon: {F(c.Float("epsilon", 1e-6f))}, normCoefficient: {F(c.Float("norm_coefficient", 0f))});");
}
