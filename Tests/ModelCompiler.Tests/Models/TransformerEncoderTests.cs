using System;
using System.Linq;
using System.Text.RegularExpressions;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Models;

/// <summary>
/// The small transformer encoder of <see cref="TransformerEncoder"/>, in PyTorch's opset-13 form (LayerNorm and GELU
/// as element-wise subgraphs, attention as MatMul/Softmax) and with the opset-23 ops, against ONNX Runtime 1.31.1
/// (graph optimizations off, so it runs the graph as written): float outputs within 1e-4 relative, 1e-5 absolute.
/// Self-contained: the models are built in the test.
/// </summary>
public sealed class TransformerEncoderTests
{
    private const double Rtol = 1e-4, Atol = 1e-5;

    private static TestTensor[] Inputs(uint seed, int padding)
    {
        var (ids, mask) = TransformerEncoder.Tokens(seed, padding);
        int[] shape = { 1, TransformerEncoder.Sequence };
        return new[] { new TestTensor("input_ids", (int)Graph.DataType.Int64, shape, ids), new TestTensor("attention_mask", (int)Graph.DataType.Int64, shape, mask) };
    }

    private static void MatchesOnnxRuntime(byte[] model, string name)
    {
        var compiled = TypedModel.Compile(model, name);
        foreach (var (seed, padding) in new[] { (1u, 0), (2u, 5), (3u, 15) })
        {
            var inputs = Inputs(seed, padding);
            var ours = compiled.RunTyped(inputs.Select(t => t.Data).ToArray());
            var reference = OrtReference.RunTyped(model, inputs);
            Assert.Equal(reference.Length, ours.Length);
            for (int k = 0; k < ours.Length; k++)
                Compare.Close(reference[k].Data, ours[k].Data, Rtol, Atol, $"{name} seed {seed}, {padding} padding tokens, output {k} ('{reference[k].Name}')");
        }
    }

    [Fact]
    public void The_decomposed_encoder_matches_onnx_runtime() => MatchesOnnxRuntime(TransformerEncoder.Decomposed(), "EncoderDecomposed");

    [Fact]
    public void The_encoder_with_transformer_ops_matches_onnx_runtime() => MatchesOnnxRuntime(TransformerEncoder.Fused(), "EncoderFused");

    [Fact]
    public void Both_forms_compute_the_same_function()
    {
        var decomposed = TypedModel.Compile(TransformerEncoder.Decomposed(), "EncoderSameA");
        var fused = TypedModel.Compile(TransformerEncoder.Fused(), "EncoderSameB");
        var inputs = Inputs(7, 3).Select(t => t.Data).ToArray();
        var a = decomposed.RunTyped(inputs);
        var b = fused.RunTyped(inputs);
        for (int k = 0; k < a.Length; k++) Compare.Close(a[k].Data, b[k].Data, Rtol, Atol, $"fused against decomposed, output {k}");
    }

    [Fact]
    public void The_LayerNorm_GELU_and_attention_subgraphs_become_single_layers()
    {
        var (result, _) = InMemoryCompiler.Generate(TransformerEncoder.Decomposed(), "EncoderLayers");
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        string source = result.Source!;
        int Layers(string op) => Regex.Matches(source, $@"// L\d+  {op} ").Count;
        Assert.Equal(1 + 2 * TransformerEncoder.Layers, Layers("LayerNormalization"));
        Assert.Equal(TransformerEncoder.Layers, Layers("Gelu"));
        Assert.Equal(TransformerEncoder.Layers, Layers("Attention"));
        foreach (var op in new[] { "ReduceMean", "Pow", "Sqrt", "Erf", "Div", "Softmax", "Transpose" }) Assert.Equal(0, Layers(op));
    }
}
