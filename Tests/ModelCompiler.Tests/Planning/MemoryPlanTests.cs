using System;
using System.Linq;
using System.Text.RegularExpressions;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Planning;

/// <summary>
/// The memory plan's in-place and concat-slice decisions on small graphs: each model runs against ONNX Runtime
/// (so a wrong alias shows up as wrong numbers), and the generated code and arena size show which decision
/// was taken.
/// </summary>
public sealed class MemoryPlanTests
{
    private const double Rtol = 1e-4, Atol = 1e-5;
    private const int Float = (int)Onnx.Proto.TensorProto.Types.DataType.Float;

    /// <summary>x[1,4,8,8] (1 KB of float32) through six element-wise layers.</summary>
    private static byte[] ElementwiseChain()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 4, 8, 8);
        b.Initializer("shift", new[] { 4, 1, 1 }, new[] { 0.5f, -0.25f, 0.125f, 0f });
        b.Initializer("scale", new[] { 1 }, new[] { 1.5f });
        var a = b.Node("Add", new[] { "x", "shift" }, "a", "add");
        var r = b.Node("Relu", new[] { a }, "r", "relu");
        var s = b.Node("Sigmoid", new[] { r }, "s", "sigmoid");
        var m = b.Node("Mul", new[] { "scale", s }, "m", "mul"); // the tensor is input 1 here
        var c = b.Node("Clip", new[] { m }, "c", "clip");
        var t = b.Node("Tanh", new[] { c }, "t", "tanh");
        b.Node("Neg", new[] { t }, "y", "neg");
        b.Output("y", Float, new[] { 1, 4, 8, 8 });
        return b.Build();
    }

    [Fact]
    public void A_chain_of_elementwise_layers_runs_in_one_buffer()
    {
        byte[] model = ElementwiseChain();
        var result = Generate(model);
        // Without in-place updates consecutive layers ping-pong between two 1 KB buffers; with them one is enough.
        Assert.Equal(4 * 8 * 8 * 4, result.ArenaBytes);
        Assert.Equal(5, InPlaceLayers(result.Source!)); // relu, sigmoid, mul, clip, tanh (add reads the graph input, neg writes the output)
        AssertMatchesOnnxRuntime(model, "Plan.Chain");
    }

    [Fact]
    public void An_input_still_read_later_is_not_overwritten()
    {
        // r feeds both the sigmoid and the final add: the sigmoid must not write over it.
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 2, 4, 4);
        var r = b.Node("Relu", new[] { "x" }, "r", "relu");
        var s = b.Node("Sigmoid", new[] { r }, "s", "sigmoid");
        var t = b.Node("Tanh", new[] { s }, "t", "tanh");
        var sum = b.Node("Add", new[] { t, r }, "sum", "residual");
        b.Node("Exp", new[] { sum }, "y", "exp");
        b.Output("y", Float, new[] { 1, 2, 4, 4 });
        byte[] model = b.Build();
        var result = Generate(model);
        Assert.DoesNotContain("in place", result.Source!.Split('\n').Single(l => l.Contains("// L1  Sigmoid")));
        Assert.Contains("// L2  Tanh \"tanh\"  1x2x4x4 -> 1x2x4x4 · in place", result.Source);
        Assert.Contains("// L3  Add \"residual\"  1x2x4x4, 1x2x4x4 -> 1x2x4x4 · in place", result.Source);
        AssertMatchesOnnxRuntime(model, "Plan.StillRead");
    }

    [Fact]
    public void A_binary_layer_may_overwrite_either_input_and_a_broadcast_input_is_never_reused()
    {
        // d = Sub(bias[1,2,1,1], h[1,2,4,4]) may only reuse h (input 1); Mul(d, d) reads one tensor twice.
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 2, 4, 4);
        b.Input("bias", 1, 2, 1, 1);
        var h = b.Node("Relu", new[] { "x" }, "h", "relu");
        var small = b.Node("Relu", new[] { "bias" }, "small", "relu_bias");
        var d = b.Node("Sub", new[] { small, h }, "d", "sub");
        var sq = b.Node("Mul", new[] { d, d }, "sq", "square");
        b.Node("Sqrt", new[] { sq }, "y", "sqrt");
        b.Output("y", Float, new[] { 1, 2, 4, 4 });
        byte[] model = b.Build();
        var result = Generate(model);
        Assert.Contains("· in place", result.Source!.Split('\n').Single(l => l.Contains("// L2  Sub")));
        Assert.Contains("· in place", result.Source.Split('\n').Single(l => l.Contains("// L3  Mul")));
        AssertMatchesOnnxRuntime(model, "Plan.Binary");
    }

    [Fact]
    public void Concat_inputs_are_written_into_their_slices_and_the_concat_emits_no_code()
    {
        // Three branches of different widths joined on the channel axis (the outermost non-1 axis), then used.
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 2, 4, 4);
        b.Initializer("w", new[] { 3, 2, 1, 1 }, OnnxModelBuilder.RandomFloats(6, 11));
        var a = b.Node("Relu", new[] { "x" }, "a", "branch_relu");
        var c = b.Node("Conv", new[] { "x", "w" }, "c", "branch_conv");
        var s = b.Node("Sigmoid", new[] { "x" }, "s", "branch_sigmoid");
        var cat = b.Node("Concat", new[] { a, c, s }, "cat", "concat", attributes: ("axis", 1));
        b.Node("Tanh", new[] { cat }, "y", "tanh");
        b.Output("y", Float, new[] { 1, 7, 4, 4 });
        byte[] model = b.Build();
        var result = Generate(model);
        Assert.Contains("(no code: the layers producing the inputs wrote them into their slices of the output)", result.Source);
        Assert.DoesNotContain("L3_Concat(", result.Source);
        // The slices start 2*16 and 5*16 floats into the concat's buffer.
        var match = Regex.Match(result.Source!, @"L0_Relu\(input, Buf<float>\(arena, (\d+), 32\)\);");
        Assert.True(match.Success, result.Source);
        long at = long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains($"L1_Conv(input, Buf<float>(arena, {at + 32 * 4}, 48)", result.Source); // then its scratch
        Assert.Contains($"L2_Sigmoid(input, Buf<float>(arena, {at + 80 * 4}, 32));", result.Source);
        AssertMatchesOnnxRuntime(model, "Plan.Concat");
    }

    [Fact]
    public void A_concat_that_is_a_graph_output_has_its_inputs_written_into_the_callers_span()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 3, 2, 2);
        var a = b.Node("Relu", new[] { "x" }, "a", "relu");
        var n = b.Node("Neg", new[] { "x" }, "n", "neg");
        b.Node("Concat", new[] { a, n }, "y", "concat", attributes: ("axis", 1));
        b.Output("y", Float, new[] { 1, 6, 2, 2 });
        byte[] model = b.Build();
        var result = Generate(model);
        Assert.Contains("L0_Relu(input, output.Slice(0, 12));", result.Source);
        Assert.Contains("L1_Neg(input, output.Slice(12, 12));", result.Source);
        Assert.Equal(0, result.ArenaBytes);
        AssertMatchesOnnxRuntime(model, "Plan.ConcatOutput");
    }

    [Fact]
    public void Nested_concats_views_and_in_place_layers_share_one_slice_chain()
    {
        // ((relu(x) -> sigmoid in place) ++ reshape(neg(x))) ++ exp(x): the inner concat lands in the outer one.
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 8);
        b.Int64Initializer("shape", 1, 8);
        var r = b.Node("Relu", new[] { "x" }, "r", "relu");
        var s = b.Node("Sigmoid", new[] { r }, "s", "sigmoid");
        var n = b.Node("Neg", new[] { "x" }, "n", "neg");
        var v = b.Node("Reshape", new[] { n, "shape" }, "v", "view");
        var inner = b.Node("Concat", new[] { s, v }, "inner", "concat_inner", attributes: ("axis", 1));
        var e = b.Node("Exp", new[] { "x" }, "e", "exp");
        var outer = b.Node("Concat", new[] { inner, e }, "outer", "concat_outer", attributes: ("axis", -1));
        b.Node("Tanh", new[] { outer }, "y", "tanh");
        b.Output("y", Float, new[] { 1, 24 });
        byte[] model = b.Build();
        var result = Generate(model);
        Assert.Equal(2, Regex.Matches(result.Source!, "slices of the output").Count);
        Assert.Equal(Align(24 * 4), result.ArenaBytes); // everything lives in the outer concat's buffer (tanh writes the output)
        AssertMatchesOnnxRuntime(model, "Plan.Nested");
    }

    [Theory]
    [InlineData("inner axis")]     // axis 2 with 3 channels in front: slices are strided, not contiguous
    [InlineData("second reader")]  // an input is also read by another layer
    [InlineData("same input twice")]
    [InlineData("graph input")]    // the caller's span cannot be moved into the concat
    public void Concats_that_cannot_use_slices_still_copy(string reason)
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 3, 2, 2);
        var a = b.Node("Relu", new[] { "x" }, "a", "relu");
        var n = b.Node("Neg", new[] { "x" }, "n", "neg");
        int axis = reason == "inner axis" ? 2 : 1;
        string second = reason switch { "same input twice" => a, "graph input" => "x", _ => n };
        var cat = b.Node("Concat", new[] { a, second }, "cat", "concat", attributes: ("axis", axis));
        string last = b.Node("Tanh", new[] { cat }, "t", "tanh");
        int[] shape = axis == 2 ? new[] { 1, 3, 4, 2 } : new[] { 1, 6, 2, 2 };
        b.Node("Exp", new[] { last }, "y", "exp");
        b.Output("y", Float, shape);
        if (reason == "second reader")
        {
            b.Node("Neg", new[] { n }, "y2", "reuse_n");
            b.Output("y2", Float, new[] { 1, 3, 2, 2 });
        }
        byte[] model = b.Build();
        var result = Generate(model);
        Assert.DoesNotContain("slices of the output", result.Source);
        Assert.Contains("_Concat(", result.Source);
        AssertMatchesOnnxRuntime(model, "Plan.NoSlice" + reason.Replace(" ", ""));
    }

    [Fact]
    public void Split_outputs_go_straight_into_a_concat_as_in_shufflenet_blocks()
    {
        // ShuffleNetV2 unit: split channels, transform one half, concat, shuffle (reshape-transpose-reshape).
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 4, 3, 3);
        b.Int64Initializer("split", 2, 2);
        b.Initializer("w", new[] { 2, 2, 1, 1 }, OnnxModelBuilder.RandomFloats(4, 12));
        b.Int64Initializer("groups", 1, 2, 2, 3, 3);
        b.Int64Initializer("flat", 1, 4, 3, 3);
        b.RawNode("Split", new[] { "x", "split" }, new[] { "left", "right" }, "split").Attribute.Add(OnnxModelBuilder.Attribute("axis", 1));
        var conv = b.Node("Conv", new[] { "right", "w" }, "conv", "branch_conv");
        var relu = b.Node("Relu", new[] { conv }, "relu", "branch_relu");
        var cat = b.Node("Concat", new[] { "left", relu }, "cat", "concat", attributes: ("axis", 1));
        var g = b.Node("Reshape", new[] { cat, "groups" }, "g", "shuffle_view");
        var tr = b.Node("Transpose", new[] { g }, "tr", "shuffle", attributes: ("perm", new[] { 0, 2, 1, 3, 4 }));
        b.Node("Reshape", new[] { tr, "flat" }, "y", "shuffle_flat");
        b.Output("y", Float, new[] { 1, 4, 3, 3 });
        byte[] model = b.Build();
        var result = Generate(model);
        Assert.Contains("slices of the output", result.Source);
        AssertMatchesOnnxRuntime(model, "Plan.Shuffle");
    }

    private static long Align(long bytes) => (bytes + 63) / 64 * 64;

    private static int InPlaceLayers(string source) => source.Split('\n').Count(l => l.TrimStart().StartsWith("// L", StringComparison.Ordinal) && l.EndsWith("· in place", StringComparison.Ordinal));

    private static Compilation.CompileResult Generate(byte[] model)
    {
        var (result, unit) = InMemoryCompiler.Generate(model, "Plan.Inspect");
        Assert.True(unit is not null, string.Join("\n", result.Diagnostics));
        return result;
    }

    private static void AssertMatchesOnnxRuntime(byte[] bytes, string ns)
    {
        var model = Runtime.CompiledModel.Compile(bytes, ns);
        var inputs = model.InputLengths.Select((n, i) => OnnxModelBuilder.RandomFloats(n, (uint)(200 + i))).ToArray();
        var ours = model.Run(inputs);
        var reference = OrtReference.Run(bytes, inputs);
        for (int k = 0; k < ours.Length; k++) Compare.Close(reference[k], ours[k], Rtol, Atol, $"{ns} output {k}");
    }
}
