using System;
using System.Linq;
using ModelCompiler.Compilation;
using ModelCompiler.Tests.Infrastructure;
using Xunit;
using DT = ModelCompiler.Onnx.Proto.TensorProto.Types.DataType;

namespace ModelCompiler.Tests.Generator;

/// <summary>
/// Outputs whose size depends on the data. NonMaxSuppression's selected rows: the output has its static bound
/// and Predict returns the row count through an out parameter, also when Predict is split in stages and in
/// PredictProfiled; anything else than a plain graph output is MC0008. NonZero, Unique, Compress and TopK whose
/// deciding input is not a constant: MC0008 saying so. The OnnxRuntime backend, which binds static output
/// shapes, reports the bounded output's dynamic shape (MC0012) instead of binding the bound.
/// </summary>
public sealed class DataDependentOutputTests
{
    /// <summary>boxes [1, 8, 4], scores [1, 2, 8] -> (optional chain of Neg pairs on the scores) -> NonMaxSuppression(max 3).</summary>
    private static byte[] NmsModel(int negPairs = 0, bool consumeSelection = false, bool constantMax = true)
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("boxes", 1, 8, 4);
        b.Input("scores", 1, 2, 8);
        string s = "scores";
        for (int i = 0; i < 2 * negPairs; i++) s = b.Node("Neg", new[] { s });
        string max = constantMax ? b.Int64Initializer("max", 3) : b.Input("max", (int)DT.Int64, new[] { 1 });
        b.Node("NonMaxSuppression", new[] { "boxes", s, max, b.Initializer("iou", new[] { 1 }, new[] { 0.5f }) }, output: "selected", name: "nms");
        if (consumeSelection)
        {
            b.Node("Cast", new[] { "selected" }, output: "as_float", name: "cast", attributes: ("to", (int)DT.Float));
            b.Output("as_float");
        }
        b.Output("selected", (int)DT.Int64);
        return b.Build();
    }

    private static CompileResult Compile(byte[] model, string ns = "DataDependent.Test", string? profile = null) =>
        ModelCompilation.Compile(model, new ModelOptions
        {
            FileName = "model.onnx",
            ClassName = "Model",
            Namespace = ns,
            WeightsResource = $"ModelCompiler/{ns}/Model/model.onnx.weights",
            Profile = profile,
        });

    private static float[] Boxes() => OnnxModelBuilder.RandomFloats(32, 3).Select(v => (v + 1) / 2).ToArray();
    private static float[] Scores() => OnnxModelBuilder.RandomFloats(16, 4).Select(v => (v + 1) / 2).ToArray();

    [Fact]
    public void Predict_returns_the_row_count_through_an_out_parameter_in_stages_and_when_profiled()
    {
        // 210 Neg layers push NonMaxSuppression into Predict's second stage.
        byte[] model = NmsModel(negPairs: 105);
        var result = Compile(model, "DataDependent.Staged", profile: "true");
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        Assert.Contains("Span<long> output, out int outputCount)", result.Source);
        Assert.Contains("Stage1(arena, input0, input1, output, ref outputCount);", result.Source!.Replace("boxes", "input0").Replace("scores", "input1"));
        Assert.Contains("outputCount = L210_NonMaxSuppression(", result.Source);

        using var blob = new System.IO.MemoryStream();
        result.WriteWeights!(blob);
        const string probe = """
            namespace DataDependent.Staged
            {
                public static class Probe
                {
                    public static int Run(float[] boxes, float[] scores, long[] selected, bool profiled)
                    {
                        int count;
                        if (profiled) global::DataDependent.Staged.Model.PredictProfiled(boxes, scores, selected, out count, new long[global::DataDependent.Staged.Model.LayerCount]);
                        else global::DataDependent.Staged.Model.Predict(boxes, scores, selected, out count);
                        return count;
                    }
                }
            }
            """;
        var compiled = InMemoryCompiler.Compile(new[]
        {
            new InMemoryCompiler.Unit("DataDependent.Staged.Model", result.Source!, "ModelCompiler/DataDependent.Staged/Model/model.onnx.weights", blob.ToArray()),
            new InMemoryCompiler.Unit("DataDependent.Staged.Probe", probe),
        });
        Assert.True(compiled.Assembly is not null && !compiled.Warnings.Any(), string.Join("\n", compiled.Diagnostics));

        var expected = OrtReference.RunTyped(model, new[] { TestTensor.Floats("boxes", new[] { 1, 8, 4 }, Boxes()), TestTensor.Floats("scores", new[] { 1, 2, 8 }, Scores()) })[0];
        var run = compiled.Assembly!.GetType("DataDependent.Staged.Probe")!.GetMethod("Run")!;
        foreach (bool profiled in new[] { false, true })
        {
            var selected = new long[2 * 3 * 3];
            int count = (int)run.Invoke(null, new object[] { Boxes(), Scores(), selected, profiled })!;
            Assert.Equal(expected.Shape[0], count);
            Compare.Exact(expected.Data, selected.Take(count * 3).ToArray(), $"selected rows (profiled: {profiled})");
            Assert.All(selected.Skip(count * 3), v => Assert.Equal(-1, v));
        }
    }

    [Fact]
    public void A_selection_read_by_another_node_is_MC0008()
    {
        var r = Compile(NmsModel(consumeSelection: true));
        var d = Assert.Single(r.Diagnostics, d => d.Id == "MC0008");
        Assert.Contains("'nms'", d.Message);
        Assert.Contains("data-dependent number of rows (at most 6)", d.Message);
        Assert.Contains("node 'cast' (Cast) reads it", d.Message);
    }

    [Fact]
    public void A_run_time_max_output_boxes_per_class_is_MC0008()
    {
        var r = Compile(NmsModel(constantMax: false));
        var d = Assert.Single(r.Diagnostics, d => d.Id == "MC0008");
        Assert.Contains("max_output_boxes_per_class, which bounds the output size, (input 2, 'max') must be a constant known at build time", d.Message);
    }

    [Theory]
    [InlineData("NonZero", "how many positions NonZero outputs (a data-dependent shape)")]
    [InlineData("Unique", "how many unique elements there are (a data-dependent shape)")]
    [InlineData("Compress", "the condition, whose values decide the output shape (a data-dependent shape)")]
    [InlineData("TopK", "k, which decides the output shape, (input 1, 'k') must be a constant")]
    public void Data_dependent_shapes_from_run_time_values_are_MC0008(string op, string expected)
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 2, 3);
        string[] inputs = op switch
        {
            "Compress" => new[] { "x", b.Input("c", (int)DT.Bool, new[] { 2 }) },
            "TopK" => new[] { "x", b.Input("k", (int)DT.Int64, new[] { 1 }) },
            _ => new[] { "x" },
        };
        b.Node(op, inputs, output: "y", name: "n");
        b.Output("y", op == "NonZero" ? (int)DT.Int64 : (int)DT.Float);
        var r = Compile(b.Build());
        var d = Assert.Single(r.Diagnostics, d => d.Id == "MC0008");
        Assert.Contains(expected, d.Message);
    }

    [Fact]
    public void A_value_computed_from_a_graph_input_names_that_input()
    {
        // HannWindow's size comes from x through a Cast: the message names x, the input to pin or bake.
        var b = new OnnxModelBuilder(opset: 17);
        b.Input("x", (int)DT.Float, Array.Empty<int>());
        string size = b.Node("Cast", new[] { "x" }, attributes: ("to", (int)DT.Int64));
        b.Node("HannWindow", new[] { size }, output: "y", name: "window");
        b.Output("y");
        var d = Assert.Single(Compile(b.Build()).Diagnostics, d => d.Id == "MC0008");
        Assert.Contains("must be a constant known at build time, but it is computed from graph input 'x'", d.Message);
    }

    [Fact]
    public void The_onnx_runtime_backend_reports_the_dynamic_selection_shape()
    {
        var r = ModelCompilation.Compile(NmsModel(), OnnxRuntimeBackend.Options("DataDependent.Ort"));
        var d = Assert.Single(r.Diagnostics, d => d.Id == "MC0012");
        Assert.Contains("'selected'", d.Message);
    }
}
