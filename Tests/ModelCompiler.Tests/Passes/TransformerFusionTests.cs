using System;
using System.Linq;
using System.Text.RegularExpressions;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Passes;

/// <summary>
/// The LayerNorm and GELU subgraph fusions: each exporter's spelling becomes one layer whose results still match
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
}
