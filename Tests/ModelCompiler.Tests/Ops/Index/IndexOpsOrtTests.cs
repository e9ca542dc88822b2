using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Tests.Infrastructure;
using Xunit;
using static ModelCompiler.Tests.Ops.Index.OpCase;

namespace ModelCompiler.Tests.Ops.Index;

/// <summary>
/// The index and detection ops against ONNX Runtime on what the ONNX node tests leave out: larger shapes,
/// every scatter reduction with duplicate indices, negative and int32 indices, batch_dims, TopK with many ties
/// along inner axes, NonMaxSuppression over several batches and classes with run-time thresholds. Floats within
/// 1e-6 + 1e-4 relative, indices and integers exact.
/// </summary>
public sealed class IndexOpsOrtTests
{
    private static readonly HashSet<string> s_weights = new(StringComparer.Ordinal) { "k", "axis", "depth", "max", "iou", "score", "cond" };

    private static IEnumerable<OpCase> All()
    {
        var x345 = Floats("x", new[] { 3, 4, 5 }, 1);
        yield return Node("gather_elements_axis1_negative", "GatherElements", 13,
            new[] { x345, Longs("i", new[] { 3, 2, 5 }, Cycle(30, -4, 4)) }, new[] { DataType.Float }, null, ("axis", 1));
        yield return Node("gather_elements_axis2_int32", "GatherElements", 13,
            new[] { x345, new TestTensor("i", (int)DataType.Int32, new[] { 2, 4, 3 }, Cycle(24, -5, 5).Select(v => (int)v).ToArray()) }, new[] { DataType.Float }, null, ("axis", 2));
        foreach (string reduction in new[] { "none", "add", "mul", "max", "min" })
            yield return Node("scatter_elements_" + reduction, "ScatterElements", 18,
                new[] { Floats("x", new[] { 4, 5 }, 2), Longs("i", new[] { 4, 3 }, 0, 4, 0, -1, 1, 4, 2, 2, 3, 0, 0, 1), Floats("u", new[] { 4, 3 }, 3) },
                new[] { DataType.Float }, null, ("axis", 1), ("reduction", reduction));
        yield return Node("gathernd", "GatherND", 13,
            new[] { Floats("x", new[] { 2, 3, 4 }, 4), Longs("i", new[] { 2, 2, 2 }, 0, 1, 1, -1, 1, 2, 0, 0) }, new[] { DataType.Float });
        yield return Node("gathernd_batch_dims", "GatherND", 13,
            new[] { Floats("x", new[] { 2, 3, 4 }, 5), Longs("i", new[] { 2, 3, 1 }, 2, 0, 1, 1, 1, 0) }, new[] { DataType.Float }, null, ("batch_dims", 1));
        foreach (string reduction in new[] { "none", "add", "max" })
            yield return Node("scatternd_" + reduction, "ScatterND", 18,
                new[] { Floats("x", new[] { 4, 4, 4 }, 6), Longs("i", new[] { 3, 2 }, 0, 1, 3, 3, reduction == "none" ? 2 : 0, 1), Floats("u", new[] { 3, 4 }, 7) },
                new[] { DataType.Float }, null, ("reduction", reduction));
        // Values rounded to tenths: many ties, which go to the lower index.
        var ties = TestTensor.Floats("x", new[] { 3, 50, 2 }, OnnxModelBuilder.RandomFloats(300, 8).Select(v => MathF.Round(v * 5) / 5).ToArray());
        foreach (int largest in new[] { 1, 0 })
            yield return Node($"topk_ties_inner_largest{largest}", "TopK", 11,
                new[] { ties, Longs("k", new[] { 1 }, 7) }, new[] { DataType.Float, DataType.Int64 }, s_weights, ("axis", 1), ("largest", largest));
        yield return Node("topk_int64_last_axis", "TopK", 11,
            new[] { new TestTensor("x", (int)DataType.Int64, new[] { 4, 9 }, Cycle(36, -3, 3)), Longs("k", new[] { 1 }, 4) }, new[] { DataType.Int64, DataType.Int64 }, s_weights);
        yield return Node("cumsum_exclusive_reverse", "CumSum", 14,
            new[] { x345, Longs("axis", Array.Empty<int>(), 1) }, new[] { DataType.Float }, s_weights, ("exclusive", 1), ("reverse", 1));
        yield return Node("cumsum_int64", "CumSum", 14,
            new[] { new TestTensor("x", (int)DataType.Int64, new[] { 3, 4 }, Cycle(12, -9, 9)), Longs("axis", Array.Empty<int>(), 0) }, new[] { DataType.Int64 }, s_weights);
        yield return Node("onehot_axis1", "OneHot", 11,
            new[] { Longs("i", new[] { 2, 3 }, 0, 5, -1, 7, -7, 2), TestTensor.Floats("depth", Array.Empty<int>(), new[] { 6f }), TestTensor.Floats("values", new[] { 2 }, new[] { 0.5f, 2f }) },
            new[] { DataType.Float }, new HashSet<string> { "depth" }, ("axis", 1));
        yield return Node("reverse_sequence_time_major", "ReverseSequence", 10,
            new[] { Floats("x", new[] { 5, 3, 2 }, 9), Longs("lens", new[] { 3 }, 5, 2, 1) }, new[] { DataType.Float }, null, ("time_axis", 0), ("batch_axis", 1));
        yield return Node("compress_constant_condition", "Compress", 11,
            new[] { x345, new TestTensor("cond", (int)DataType.Bool, new[] { 4 }, new[] { true, false, true, true }) }, new[] { DataType.Float }, s_weights, ("axis", 1));
        foreach (var nms in NmsCases()) yield return nms;
    }

    /// <summary>Random boxes in [0, 1) as corners in either order, several batches and classes.</summary>
    private static IEnumerable<OpCase> NmsCases()
    {
        var boxes = TestTensor.Floats("boxes", new[] { 2, 40, 4 }, OnnxModelBuilder.RandomFloats(320, 10).Select(v => (v + 1) / 2).ToArray());
        var scores = TestTensor.Floats("scores", new[] { 2, 3, 40 }, OnnxModelBuilder.RandomFloats(240, 11).Select(v => MathF.Round((v + 1) / 2 * 20) / 20).ToArray());
        var max = Longs("max", new[] { 1 }, 5);
        var iou = TestTensor.Floats("iou", new[] { 1 }, new[] { 0.3f });
        var score = TestTensor.Floats("score", new[] { 1 }, new[] { 0.2f });
        yield return Node("nms_constant_thresholds", "NonMaxSuppression", 11, new[] { boxes, scores, max, iou, score }, new[] { DataType.Int64 }, s_weights);
        yield return Node("nms_runtime_thresholds", "NonMaxSuppression", 11, new[] { boxes, scores, max, iou, score }, new[] { DataType.Int64 }, new HashSet<string> { "max" });
        var centers = TestTensor.Floats("boxes", new[] { 2, 40, 4 }, OnnxModelBuilder.RandomFloats(320, 12).Select((v, i) => i % 4 < 2 ? v * 4 : 0.5f + Math.Abs(v)).ToArray());
        yield return Node("nms_center_point_no_score_threshold", "NonMaxSuppression", 11, new[] { centers, scores, Longs("max", new[] { 1 }, 40), iou }, new[] { DataType.Int64 }, s_weights, ("center_point_box", 1));
    }

    private static long[] Cycle(int count, long from, long to) => Enumerable.Range(0, count).Select(i => from + (i * 7 + i / 3) % (to - from)).ToArray();

    private static readonly Lazy<OpCaseGroup> s_group = new(() => OpCaseGroup.Build("IndexOrt", All()));

    public static TheoryData<string> Cases() => new(All().Select(c => c.Name));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_onnx_runtime(string name) => s_group.Value.Check(name);

    /// <summary>The cases of ops that fold, with every input a constant: the node is computed at build time (no layer left) by the op's Fold.</summary>
    private static IEnumerable<OpCase> Folded() =>
        All().Where(c => !c.Name.StartsWith("nms", StringComparison.Ordinal) && !c.Name.StartsWith("reverse", StringComparison.Ordinal)
            && !(c.Name.StartsWith("scatter", StringComparison.Ordinal) && !c.Name.EndsWith("none", StringComparison.Ordinal))).Select(c => c.AllConstant());

    private static readonly Lazy<OpCaseGroup> s_folded = new(() => OpCaseGroup.Build("IndexFolded", Folded()));

    public static TheoryData<string> FoldedCases() => new(Folded().Select(c => c.Name));

    [Theory]
    [MemberData(nameof(FoldedCases))]
    public void Folds_to_what_onnx_runtime_computes(string name)
    {
        s_folded.Value.Check(name);
        Assert.True(s_folded.Value.Layers(name) == 0, $"{name}: {s_folded.Value.Layers(name)} layer(s) left after folding");
    }
}
