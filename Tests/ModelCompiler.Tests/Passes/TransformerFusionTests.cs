using System;
using System.Linq;
using System.Text.RegularExpressions;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Passes;

/// <summary>
/// The LayerNorm, GELU and attention subgraph fusions: each exporter's spelling becomes one layer whose results still match
/// ONNX Runtime running the subgraph as written (1e-4 relative, 1e-5 absolute), and a subgraph is left alone when a
/// value inside it is needed elsewhere or its axes are not the trailing ones.
/// </summary>
public sealed class TransformerFusionTests
{
    private const int Float = (int)Onnx.Proto.TensorProto.Types.DataType.Float;
    private static readonly int[] Shape = { 2, 5, 8 };

    private static string S(OnnxModelBuilder b, string name, float value) => b.Initializer(name, Array.Empty<int>(), new[] { value });

    private static int Layers(string source, string op) => Regex.Matches(source, $@"// L\d+  {op} ").Count;

    private static (string Source, int Layers) Run(OnnxModelBuilder b, string ns, string output = "y", int[]? outputShape = null, params string[] extraOutputs)
    {
        b.Output(output, Float, outputShape ?? Shape);
        foreach (var o in extraOutputs) b.Output(o, Float, Shape);
        return EpilogueFusionTests.CompileAndCompare(b.Build(), "TransformerFusion." + ns);
    }

    [Fact]
    public void PyTorch_erf_gelu_becomes_one_layer()
    {
        var b = new OnnxModelBuilder(13);
        b.Input("x", Shape);
        var d = b.Node("Div", new[] { "x", S(b, "sqrt2", 1.4142135f) }, "d", "div");
        var e = b.Node("Erf", new[] { d }, "e", "erf");
        var p = b.Node("Add", new[] { e, S(b, "one", 1f) }, "p", "add");
        var m = b.Node("Mul", new[] { "x", p }, "m", "mul");
        b.Node("Mul", new[] { m, S(b, "half", 0.5f) }, "y", "mul_half");
        var (source, layers) = Run(b, "ErfTorch");
        Assert.Equal(1, layers);
        Assert.Equal(1, Layers(source, "Gelu"));
    }

    [Fact]
    public void Erf_gelu_with_a_reciprocal_and_the_half_first_becomes_one_layer()
    {
        var b = new OnnxModelBuilder(13);
        b.Input("x", Shape);
        var d = b.Node("Mul", new[] { S(b, "inv_sqrt2", 0.70710678f), "x" }, "d", "scale");
        var e = b.Node("Erf", new[] { d }, "e", "erf");
        var p = b.Node("Add", new[] { S(b, "one", 1f), e }, "p", "add");
        var h = b.Node("Mul", new[] { S(b, "half", 0.5f), "x" }, "h", "half_x");
        b.Node("Mul", new[] { h, p }, "y", "mul");
        var (source, layers) = Run(b, "ErfHalfFirst");
        Assert.Equal(1, layers);
        Assert.Equal(1, Layers(source, "Gelu"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Tanh_gelu_becomes_one_layer(bool pow)
    {
        var b = new OnnxModelBuilder(13);
        b.Input("x", Shape);
        string cube = pow
            ? b.Node("Pow", new[] { "x", S(b, "three", 3f) }, "cube", "pow")
            : b.Node("Mul", new[] { "x", b.Node("Mul", new[] { "x", "x" }, "sq", "square") }, "cube", "cube");
        var k = b.Node("Mul", new[] { cube, S(b, "kappa", 0.044715f) }, "k", "kappa");
        var inner = b.Node("Add", new[] { "x", k }, "inner", "inner");
        var a = b.Node("Mul", new[] { S(b, "beta", 0.7978845608f), inner }, "a", "beta");
        var t = b.Node("Tanh", new[] { a }, "t", "tanh");
        var p = b.Node("Add", new[] { t, S(b, "one", 1f) }, "p", "add");
        var h = b.Node("Mul", new[] { "x", S(b, "half", 0.5f) }, "h", "half_x");
        b.Node("Mul", new[] { h, p }, "y", "mul");
        var (source, layers) = Run(b, "Tanh" + (pow ? "Pow" : "Cube"));
        Assert.Equal(1, layers);
        Assert.Contains("tanh approximation", source);
    }

    [Fact]
    public void A_gelu_whose_erf_is_also_an_output_stays_as_written()
    {
        var b = new OnnxModelBuilder(13);
        b.Input("x", Shape);
        var d = b.Node("Div", new[] { "x", S(b, "sqrt2", 1.4142135f) }, "d", "div");
        var e = b.Node("Erf", new[] { d }, "e", "erf");
        var p = b.Node("Add", new[] { e, S(b, "one", 1f) }, "p", "add");
        var m = b.Node("Mul", new[] { "x", p }, "m", "mul");
        b.Node("Mul", new[] { m, S(b, "half", 0.5f) }, "y", "mul_half");
        var (source, _) = Run(b, "ErfShared", extraOutputs: e);
        Assert.Equal(0, Layers(source, "Gelu"));
        Assert.Equal(1, Layers(source, "Erf"));
    }

    /// <summary>x [2,5,8] -> LayerNorm over the last axes as exporters write it; the square as Pow or as Mul when <paramref name="mulSquare"/>.</summary>
    private static OnnxModelBuilder LayerNorm(int opset, bool mulSquare, int[] axes, bool affine, out string output)
    {
        var b = new OnnxModelBuilder(opset);
        b.Input("x", Shape);
        (string, object)[] Axes() => opset >= 18 ? Array.Empty<(string, object)>() : new (string, object)[] { ("axes", axes) };
        string[] Reduce(string v) => opset >= 18 ? new[] { v, b.Int64Initializer("axes_" + v, axes.Select(a => (long)a).ToArray()) } : new[] { v };
        var mean = b.Node("ReduceMean", Reduce("x"), "mean", "mean", attributes: Axes());
        var d = b.Node("Sub", new[] { "x", mean }, "d", "sub");
        var sq = mulSquare ? b.Node("Mul", new[] { d, d }, "sq", "square") : b.Node("Pow", new[] { d, S(b, "two", 2f) }, "sq", "pow");
        var v = b.Node("ReduceMean", Reduce(sq), "var", "variance", attributes: Axes());
        var ve = b.Node("Add", new[] { v, S(b, "eps", 1e-5f) }, "ve", "add_eps");
        var s = b.Node("Sqrt", new[] { ve }, "s", "sqrt");
        output = b.Node("Div", new[] { d, s }, "n", "div");
        if (affine)
        {
            int cols = axes.Length == 1 ? 8 : 40;
            int[] shape = axes.Length == 1 ? new[] { 8 } : new[] { 5, 8 };
            b.Initializer("gamma", shape, OnnxModelBuilder.RandomFloats(cols, 81));
            b.Initializer("beta", shape, OnnxModelBuilder.RandomFloats(cols, 82));
            var scaled = b.Node("Mul", new[] { "gamma", output }, "scaled", "mul_gamma");
            output = b.Node("Add", new[] { scaled, "beta" }, "y", "add_beta");
        }
        return b;
    }

    [Theory]
    [InlineData(13, false, new[] { -1 }, true)]
    [InlineData(13, true, new[] { 2 }, true)]
    [InlineData(18, false, new[] { -2, -1 }, true)]
    [InlineData(18, true, new[] { -1 }, false)]
    public void Exported_layer_norms_become_one_layer(int opset, bool mulSquare, int[] axes, bool affine)
    {
        var b = LayerNorm(opset, mulSquare, axes, affine, out string output);
        var (source, layers) = Run(b, $"LayerNorm{opset}{(mulSquare ? "Mul" : "Pow")}{axes.Length}{(affine ? "Affine" : "")}", output);
        Assert.Equal(1, layers);
        Assert.Equal(1, Layers(source, "LayerNormalization"));
    }

    [Fact]
    public void A_layer_norm_over_a_middle_axis_or_with_a_shared_mean_stays_as_written()
    {
        var middle = LayerNorm(13, false, new[] { 1 }, affine: false, out string o1);
        var (source, _) = Run(middle, "LayerNormMiddleAxis", o1);
        Assert.Equal(0, Layers(source, "LayerNormalization"));

        var shared = LayerNorm(13, false, new[] { -1 }, affine: false, out string o2);
        var (source2, _) = Run(shared, "LayerNormSharedMean", o2, null, "d");
        Assert.Equal(0, Layers(source2, "LayerNormalization"));
    }

    [Fact]
    public void Four_dimensional_attention_with_a_scale_becomes_one_layer()
    {
        var b = new OnnxModelBuilder(13);
        foreach (var n in new[] { "q", "k", "v" }) b.Input(n, 1, 2, 5, 8);
        var kt = b.Node("Transpose", new[] { "k" }, "kt", "k_t", attributes: ("perm", new[] { 0, 1, 3, 2 }));
        var scores = b.Node("MatMul", new[] { "q", kt }, "scores", "qk");
        var scaled = b.Node("Mul", new[] { scores, S(b, "scale", 0.3f) }, "scaled", "scale");
        var p = b.Node("Softmax", new[] { scaled }, "p", "softmax", attributes: ("axis", -1));
        b.Node("MatMul", new[] { p, "v" }, "y", "pv");
        var (source, layers) = Run(b, "Attention4d", outputShape: new[] { 1, 2, 5, 8 });
        Assert.Equal(1, layers);
        Assert.Equal(1, Layers(source, "Attention"));
    }

    /// <summary>BERT's self-attention as exported: head reshapes and transposes, K transposed twice, scores / sqrt(d) + mask.</summary>
    private static OnnxModelBuilder BertAttention(out string output)
    {
        var b = new OnnxModelBuilder(13);
        foreach (var n in new[] { "q", "k", "v" }) b.Input(n, 2, 5, 16);
        b.Input("mask", 2, 1, 1, 5);
        b.Int64Initializer("split", 2, 5, 4, 4);
        b.Int64Initializer("merge", 2, 5, 16);
        string Heads(string x) => b.Node("Transpose", new[] { b.Node("Reshape", new[] { x, "split" }, x + "_r", x + "_reshape") }, x + "_h", x + "_transpose",
            attributes: ("perm", new[] { 0, 2, 1, 3 }));
        var kt = b.Node("Transpose", new[] { Heads("k") }, "kt", "k_t", attributes: ("perm", new[] { 0, 1, 3, 2 }));
        var scores = b.Node("MatMul", new[] { Heads("q"), kt }, "scores", "qk");
        var scaled = b.Node("Div", new[] { scores, S(b, "sqrt_d", 2f) }, "scaled", "div");
        var masked = b.Node("Add", new[] { "mask", scaled }, "masked", "add_mask");
        var p = b.Node("Softmax", new[] { masked }, "p", "softmax", attributes: ("axis", -1));
        var ctx = b.Node("MatMul", new[] { p, Heads("v") }, "ctx", "pv");
        var merged = b.Node("Transpose", new[] { ctx }, "ctx_t", "ctx_transpose", attributes: ("perm", new[] { 0, 2, 1, 3 }));
        output = b.Node("Reshape", new[] { merged, "merge" }, "y", "ctx_reshape");
        return b;
    }

    [Fact]
    public void Bert_self_attention_becomes_one_layer_on_the_three_dimensional_tensors()
    {
        var b = BertAttention(out string y);
        var (source, layers) = Run(b, "AttentionBert", y, new[] { 2, 5, 16 });
        Assert.Equal(1, layers);
        Assert.Contains("4 heads of 4, 5 queries x 5 keys, additive mask", source);
    }

    [Fact]
    public void Attention_whose_probabilities_are_also_an_output_stays_as_written()
    {
        var b = BertAttention(out string y);
        b.Output("p", Float, new[] { 2, 4, 5, 5 });
        var (source, _) = Run(b, "AttentionShared", y, new[] { 2, 5, 16 });
        Assert.Equal(0, Layers(source, "Attention"));
        Assert.Equal(1, Layers(source, "Softmax"));
    }
}
