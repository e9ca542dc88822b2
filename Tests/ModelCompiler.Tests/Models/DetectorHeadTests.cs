using System;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Tests.Infrastructure;
using Xunit;
using DT = ModelCompiler.Onnx.Proto.TensorProto.Types.DataType;

namespace ModelCompiler.Tests.Models;

/// <summary>
/// A small single-stage detector head built here with seeded random weights, end to end against ONNX Runtime:
/// two strided convolutions -> per-anchor box regression (anchors + 0.2·tanh(deltas)) and class scores (sigmoid)
/// -> best class score per anchor (ReduceMax) -> TopK of the anchors -> Gather of their boxes and scores ->
/// NonMaxSuppression. Outputs: the selected [batch, class, box] rows (a data-dependent count, returned through
/// Predict's out parameter), the top-k scores and the kept boxes. Floats within 1e-6 + 1e-4 relative; indices
/// exact. Several images give different selection counts.
/// </summary>
public sealed class DetectorHeadTests
{
    private const int Anchors = 64, TopK = 20, Classes = 3, MaxPerClass = 5;

    internal static byte[] Model()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("image", 1, 3, 32, 32);
        string Weights(string name, params int[] shape) => b.Initializer(name, shape, OnnxModelBuilder.RandomFloats((int)ShapeText.Product(shape), (uint)name.Length * 97 + 5).Select(v => v * 0.4f).ToArray());
        string c1 = b.Node("Relu", new[] { b.Node("Conv", new[] { "image", Weights("w1", 8, 3, 3, 3), Weights("b1", 8) }, attributes: new (string, object)[] { ("strides", new[] { 2, 2 }), ("pads", new[] { 1, 1, 1, 1 }) }) });
        string c2 = b.Node("Relu", new[] { b.Node("Conv", new[] { c1, Weights("w2", 16, 8, 3, 3), Weights("b2", 16) }, attributes: new (string, object)[] { ("strides", new[] { 2, 2 }), ("pads", new[] { 1, 1, 1, 1 }) }) });

        // Boxes [1, 64, 4] as (y1, x1, y2, x2): an 8x8 grid of anchors moved by the regression.
        string deltas = b.Node("Conv", new[] { c2, Weights("wbox", 4, 16, 1, 1), Weights("bbox", 4) });
        string flat = b.Node("Transpose", new[] { b.Node("Reshape", new[] { deltas, b.Int64Initializer("box_shape", 1, 4, Anchors) }) }, attributes: ("perm", new[] { 0, 2, 1 }));
        var anchors = new float[Anchors * 4];
        for (int a = 0; a < Anchors; a++)
        {
            float cy = (a / 8 + 0.5f) / 8, cx = (a % 8 + 0.5f) / 8;
            anchors[a * 4] = cy - 0.1f; anchors[a * 4 + 1] = cx - 0.1f; anchors[a * 4 + 2] = cy + 0.1f; anchors[a * 4 + 3] = cx + 0.1f;
        }
        string boxes = b.Node("Add", new[] { b.Initializer("anchors", new[] { 1, Anchors, 4 }, anchors), b.Node("Mul", new[] { b.Node("Tanh", new[] { flat }), b.Initializer("spread", new[] { 1 }, new[] { 0.2f }) }) });

        // Scores [1, 3, 64].
        string logits = b.Node("Conv", new[] { c2, Weights("wcls", Classes, 16, 1, 1), Weights("bcls", Classes) });
        string scores = b.Node("Sigmoid", new[] { b.Node("Reshape", new[] { logits, b.Int64Initializer("cls_shape", 1, Classes, Anchors) }) });

        // The 20 anchors whose best class scores highest.
        string best = b.Node("ReduceMax", new[] { scores }, attributes: new (string, object)[] { ("axes", new[] { 1 }), ("keepdims", 0) });
        var topk = b.RawNode("TopK", new[] { best, b.Int64Initializer("k", TopK) }, new[] { "top_scores", "top_indices" }, "TopK_anchors");
        topk.Attribute.Add(OnnxModelBuilder.Attribute("axis", 1));
        string picked = b.Node("Squeeze", new[] { "top_indices", b.Int64Initializer("squeeze_axes", 0) });
        string keptBoxes = b.Node("Gather", new[] { boxes, picked }, output: "kept_boxes", attributes: ("axis", 1));
        string keptScores = b.Node("Gather", new[] { scores, picked }, attributes: ("axis", 2));
        b.Node("NonMaxSuppression", new[] { keptBoxes, keptScores, b.Int64Initializer("max_per_class", MaxPerClass), b.Initializer("iou", new[] { 1 }, new[] { 0.3f }), b.Initializer("score_min", new[] { 1 }, new[] { 0.4f }) },
            output: "selected", name: "NMS");
        b.Output("selected", (int)DT.Int64);
        b.Output("top_scores");
        b.Output("kept_boxes");
        return b.Build();
    }

    private static readonly Lazy<(System.Reflection.Assembly Assembly, Compilation.CompileResult Result)> s_compiled = new(() =>
    {
        var (result, unit) = InMemoryCompiler.Generate(Model(), "DetectorHead");
        Assert.True(unit is not null, string.Join("\n", result.Diagnostics));
        string adapter = Adapter.Source("DetectorHead", "Model", new[] { "float" }, new[] { "long", "float", "float" }, Adapter.Bounded(result)) + """
            namespace DetectorHead
            {
                public static class Probe
                {
                    // Predict's count and the bytes this thread allocated over n calls after a warm-up.
                    public static long[] CountAndAllocatedBytes(float[] image, int n)
                    {
                        var selected = new long[global::DetectorHead.Model.SelectedLength];
                        var scores = new float[global::DetectorHead.Model.TopScoresLength];
                        var boxes = new float[global::DetectorHead.Model.KeptBoxesLength];
                        int count = 0;
                        // Warm-up past the tiered JIT's promotions, whose bookkeeping may allocate (see CompiledModel.WarmUp).
                        var clock = global::System.Diagnostics.Stopwatch.StartNew();
                        for (int i = 0; i < 200 || clock.ElapsedMilliseconds < 500; i++) global::DetectorHead.Model.Predict(image, selected, scores, boxes, out count);
                        long before = global::System.GC.GetAllocatedBytesForCurrentThread();
                        for (int i = 0; i < n; i++) global::DetectorHead.Model.Predict(image, selected, scores, boxes, out count);
                        long allocated = global::System.GC.GetAllocatedBytesForCurrentThread() - before; // before the result array exists
                        return new long[] { count, allocated };
                    }
                }
            }
            """;
        var compiled = InMemoryCompiler.Compile(new[] { unit!, new InMemoryCompiler.Unit("DetectorHead.Adapter", adapter) });
        Assert.True(compiled.Assembly is not null && !compiled.Warnings.Any(), string.Join("\n", compiled.Diagnostics));
        return (compiled.Assembly!, result);
    });

    [Theory]
    [InlineData(1u)]
    [InlineData(2u)]
    [InlineData(3u)]
    [InlineData(4u)]
    public void Matches_onnx_runtime(uint seed)
    {
        var image = TestTensor.Floats("image", new[] { 1, 3, 32, 32 }, OnnxModelBuilder.RandomFloats(3 * 32 * 32, seed).Select(v => v * 2).ToArray());
        var expected = OrtReference.RunTyped(Model(), new[] { image });
        Assert.True(expected[0].Shape[0] > 0, "the reference selects no box: the test would not check NonMaxSuppression");
        var actual = expected.Select(e => Adapter.NewArray(e.CSharpType, e.Data.Length)).ToArray();
        Adapter.Run(s_compiled.Value.Assembly, "DetectorHead", new object[] { image.Data }, actual);
        Compare.Exact(expected[0].Data, actual[0], $"image {seed}: selected [batch, class, box] rows");
        Compare.Close(expected[1].Data, actual[1], 1e-4, 1e-6, $"image {seed}: top-k scores");
        Compare.Close(expected[2].Data, actual[2], 1e-4, 1e-6, $"image {seed}: kept boxes");
    }

    [Fact]
    public void The_selection_bound_and_count_reach_the_caller_and_Predict_allocates_nothing()
    {
        var (assembly, result) = s_compiled.Value;
        var selected = result.Outputs[0];
        Assert.True(selected.Bounded);
        Assert.Equal(new[] { Classes * MaxPerClass, 3 }, selected.Shape);
        var image = OnnxModelBuilder.RandomFloats(3 * 32 * 32, 1).Select(v => v * 2).ToArray();
        var probe = assembly.GetType("DetectorHead.Probe")!.GetMethod("CountAndAllocatedBytes")!;
        var r = (long[])probe.Invoke(null, new object[] { image, 100 })!;
        var reference = OrtReference.RunTyped(Model(), new[] { TestTensor.Floats("image", new[] { 1, 3, 32, 32 }, image) });
        Assert.Equal(reference[0].Shape[0], r[0]);
        Assert.Equal(0, r[1]);
    }
}
