using ModelCompiler.Graph;

namespace ModelCompiler.Passes.Transformer;

/// <summary>
/// The transformer-block subgraphs that exporters write with element-wise ops before LayerNormalization
/// (opset 17), Gelu (opset 20) and Attention (opset 23) existed, each replaced by the one op:
/// <see cref="LayerNormFusion"/>, <see cref="GeluFusion"/> and <see cref="AttentionFusion"/>. Runs after shape inference and
/// simplification (so the constants are folded and Identity nodes gone) and before epilogue fusion.
/// </summary>
internal static class TransformerFusion
{
    public static (int LayerNorms, int Gelus, int Attentions) Run(ModelGraph graph) =>
        (LayerNormFusion.Run(graph), GeluFusion.Run(graph), AttentionFusion.Run(graph));
}
