using ModelCompiler.Emit;
using ModelCompiler.Graph;
using static ModelCompiler.Emit.LayerWriter;

namespace ModelCompiler.Ops.Training;

/// <summary>
/// ai.onnx.preview.training Momentum (version 1): inputs R, T, X..., G..., V...; outputs X_new..., V_new...
/// (attributes alpha, beta, norm_coefficient, all required, and mode "standard" or "nesterov"). Run by
/// <c>Optimizers.Momentum</c>.
/// </summary>
internal sealed class MomentumOp : OptimizerOp
{
    public override string OpType => "Momentum";
    protected override int Groups => 3;

    public override void Infer(OpContext c)
    {
        foreach (string name in new[] { "alpha", "beta", "norm_coefficient" })
            if (!c.Node.HasAttribute(name)) throw new ModelError($"Momentum needs the attribute '{name}'");
        string mode = c.Str("mode", "");
        if (mode is not ("standard" or "nesterov")) throw new ModelError($"Momentum's mode must be \"standard\" or \"nesterov\", not \"{mode}\"");
        base.Infer(c);
    }

    private static bool Nesterov(OpContext c) => c.Str("mode", "") == "nesterov";

    protected override string Summary(OpContext c) =>
        $"{c.Str("mode", "")}, alpha {F(c.Float("alpha", 0f))}, beta {F(c.Float("beta", 0f))}, norm_coefficient {F(c.Float("norm_coefficient", 0f))}";

    protected override void EmitTensor(OpContext c, LayerWriter w, int k, int n) =>
        w.Line($"global::ModelCompiler.Runtime.Optimizers.Momentum<{w.T(2 + k)}>({RateAndCount(w)}, {w.In(2 + k)}, {w.In(2 + n + k)}, {w.In(2 + 2 * n + k)}, " +
               $"{w.Out(k)}, {w.Out(n + k)}, n: {c.In(2 + k).ElementCount}, alpha: {F(c.Float("alpha", 0f))}, beta: {F(c.Float("beta", 0f))}, " +
               $"normCoefficient: {F(c.Float("norm_coefficient", 0f))}, nesterov: {(Nesterov(c) ? "true" : "false")});");
}
