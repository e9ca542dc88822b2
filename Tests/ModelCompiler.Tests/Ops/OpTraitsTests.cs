using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Ops;
using ModelCompiler.Runtime;
using Xunit;
using GraphAttribute = ModelCompiler.Graph.Attribute;

namespace ModelCompiler.Tests.Ops;

/// <summary>
/// The traits op schemas declare for the passes (<see cref="OpTraits"/>) are consistent with the run time and with
/// each other: every fusable activation names a run-time <see cref="ActivationKind"/> and an <see cref="Act"/> member
/// taking its parameters, computes in the fused epilogue what the op's own constant folding computes, and is
/// element-wise; the ops the QDQ pass runs on integers are the data-movement ones. The sets are pinned, so a trait
/// that appears or disappears on an op is a visible change.
/// </summary>
public sealed class OpTraitsTests
{
    private static List<string> OpsWith(Func<OpTraits, bool> trait) =>
        OpRegistry.All.Where(s => s.Domain.Length == 0 && trait(s.Traits)).Select(s => s.OpType).OrderBy(t => t, StringComparer.Ordinal).ToList();

    [Fact]
    public void Every_fusable_activation_is_a_run_time_activation_kind()
    {
        var fusable = OpRegistry.All.Where(s => s.Traits.FusedActivation is not null).ToList();
        Assert.Equal(new[] { "Clip", "HardSigmoid", "HardSwish", "LeakyRelu", "Relu", "Sigmoid" }, fusable.Select(s => s.OpType).OrderBy(t => t, StringComparer.Ordinal));
        foreach (var schema in fusable)
        {
            var activation = schema.Traits.FusedActivation!(Probe(schema.OpType, Array.Empty<float>()));
            Assert.NotNull(activation);
            Assert.True(Enum.TryParse<ActivationKind>(activation!.Kind, out _), $"{schema.OpType}: no ActivationKind.{activation.Kind}");
            // Act.Kind is a property without parameters, a factory taking exactly the parameters otherwise.
            var member = typeof(Act).GetMember(activation.Kind).Single();
            int parameters = member is System.Reflection.MethodInfo m ? m.GetParameters().Length : 0;
            Assert.Equal(activation.Parameters.Count, parameters);
            Assert.True(schema.Traits.ElementWise, $"{schema.OpType} fuses as an activation but is not element-wise");
        }
    }

    /// <summary>
    /// What a layer applies as it stores (the run-time <see cref="Epilogue"/> built from the declared kind and
    /// parameters) equals what the op computes, the op's own build-time folding being the reference (its published
    /// formula in double precision): within 1e-6 absolute + 1e-5 relative, NaN for NaN.
    /// </summary>
    [Theory]
    [InlineData("Relu")]
    [InlineData("Sigmoid")]
    [InlineData("HardSwish")]
    [InlineData("LeakyRelu", "alpha", 0.3f)]
    [InlineData("HardSigmoid", "alpha", 0.3f, "beta", 0.4f)]
    [InlineData("Clip", "min", -1.5f, "max", 2.25f)]
    [InlineData("Clip", "max", 6f)]
    public void Every_fusable_activation_computes_in_the_epilogue_what_the_op_computes(string opType, params object[] parameters)
    {
        var schema = OpRegistry.Find("", opType)!;
        var x = Enumerable.Range(-40, 81).Select(i => i * 0.2173f).Concat(new[] { 0f, -0f, 1e-30f, -1e30f, 1e30f, float.NaN }).ToArray();
        var node = Probe(opType, x, parameters);
        var activation = schema.Traits.FusedActivation!(node)!;
        var member = typeof(Act).GetMember(activation.Kind).Single();
        var act = member is System.Reflection.MethodInfo method
            ? (Act)method.Invoke(null, activation.Parameters.Cast<object>().ToArray())!
            : (Act)((System.Reflection.PropertyInfo)member).GetValue(null)!;

        var fused = (float[])x.Clone();
        Epilogue.Apply(fused, ReadOnlySpan<float>.Empty, new Epilogue(act));

        var context = new OpContext(node);
        schema.Infer(context);
        var expected = schema.Fold(context)[0].ToFloats();
        for (int i = 0; i < x.Length; i++)
        {
            if (float.IsNaN(expected[i])) { Assert.True(float.IsNaN(fused[i]), $"{opType}({x[i]}): {fused[i]}, expected NaN"); continue; }
            double error = Math.Abs(fused[i] - expected[i]);
            if (!(error <= 1e-6 + 1e-5 * Math.Abs(expected[i])))
                Assert.Fail($"{opType}({x[i]}) fused as {activation.Text}: {fused[i]}, the op computes {expected[i]}");
        }
    }

    [Fact]
    public void The_ops_that_commute_with_dequantization_move_data()
    {
        Assert.Equal(new[] { "DepthToSpace", "Expand", "Flatten", "Gather", "Identity", "MaxPool", "Pad", "Reshape", "Slice", "SpaceToDepth", "Squeeze", "Tile", "Transpose", "Unsqueeze" },
            OpsWith(t => t.CommutesWithDequantize));
    }

    [Fact]
    public void The_clamps_are_Relu_and_Clip_and_both_also_fuse_into_a_layer()
    {
        Assert.Equal(new[] { "Clip", "Relu" }, OpsWith(t => t.Clamp is not null));
        Assert.Equal(((double, double)?)(0, double.PositiveInfinity), OpRegistry.Find("", "Relu")!.Traits.Clamp!(Probe("Relu", new[] { 1f })));
        Assert.Equal(((double, double)?)(-1.5, double.PositiveInfinity), OpRegistry.Find("", "Clip")!.Traits.Clamp!(Probe("Clip", new[] { 1f }, "min", -1.5f)));
        Assert.All(OpsWith(t => t.Clamp is not null), op => Assert.NotNull(OpRegistry.Find("", op)!.Traits.FusedActivation));
    }

    [Fact]
    public void A_Clip_with_bounds_known_only_at_run_time_is_neither_a_clamp_nor_a_fused_activation()
    {
        var clip = Probe("Clip", new[] { 1f });
        clip.Inputs.Add(new Value("min") { Type = DataType.Float, Shape = Array.Empty<int>() }); // a run-time value
        var traits = OpRegistry.Find("", "Clip")!.Traits;
        Assert.Null(traits.Clamp!(clip));
        Assert.Null(traits.FusedActivation!(clip));
    }

    [Fact]
    public void Only_Identity_and_Dropout_forward_their_input_and_only_Conv_Gemm_MatMul_apply_epilogues()
    {
        Assert.Equal(new[] { "Dropout", "Identity" }, OpsWith(t => t.ForwardsInput));
        Assert.Equal(new[] { "Conv", "Gemm", "MatMul" }, OpsWith(t => t.AppliesEpilogue));
    }

    [Fact]
    public void Element_wise_ops_include_every_activation_and_arithmetic_but_no_layer_or_data_movement()
    {
        var elementWise = OpsWith(t => t.ElementWise);
        foreach (var op in new[] { "Relu", "Clip", "Sigmoid", "Tanh", "HardSwish", "Gelu", "Exp", "Atan", "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "PRelu" })
            Assert.Contains(op, elementWise);
        Assert.Empty(elementWise.Intersect(new[] { "Conv", "Gemm", "MatMul", "Concat", "Reshape", "Transpose", "MaxPool", "AveragePool", "Softmax" }));
        Assert.Empty(elementWise.Intersect(OpsWith(t => t.CommutesWithDequantize)));
    }

    /// <summary>A float node of <paramref name="opType"/> (opset 13) on the constant <paramref name="x"/>; Clip's bounds become constant inputs, other parameters attributes.</summary>
    private static Node Probe(string opType, float[] x, params object[] parameters)
    {
        var node = new Node("probe", opType, "") { Opset = 13 };
        node.Inputs.Add(new Value("x") { Type = DataType.Float, Shape = new[] { x.Length }, Constant = Tensor.FromFloats(new[] { x.Length }, x) });
        node.Outputs.Add(new Value("y"));
        for (int i = 0; i < parameters.Length; i += 2)
        {
            string name = (string)parameters[i];
            float value = (float)parameters[i + 1];
            if (opType == "Clip")
            {
                int input = name == "min" ? 1 : 2;
                while (node.Inputs.Count <= input) node.Inputs.Add(null);
                node.Inputs[input] = new Value(name) { Type = DataType.Float, Shape = Array.Empty<int>(), Constant = Tensor.FromFloats(Array.Empty<int>(), new[] { value }) };
            }
            else node.Attributes[name] = new GraphAttribute(name, AttributeKind.Float) { F = value };
        }
        return node;
    }
}
