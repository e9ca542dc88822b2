using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.NodeTests;

/// <summary>
/// The ONNX node tests of the index, detection and audio ops (TopK, NonMaxSuppression, CumSum, OneHot, DFT,
/// STFT, the window functions, MelWeightMatrix, CenterCropPad, NonZero, Unique, Compress...) feed the tensors that
/// decide their output shapes (k, max_output_boxes_per_class, axis, depth, dft_length, frame_step, the window
/// size, the crop shape, NonZero's and Unique's whole input, Compress's condition) as graph inputs, which
/// <see cref="OnnxNodeTests"/> skips: ModelCompiler compiles static graphs (MC0008). Here exactly the inputs that
/// MC0008 names (or the graph inputs an intermediate value it names is computed from) become initializers holding
/// the test's own data, as they are in an exported model, and the case must match ONNX's expected outputs.
/// </summary>
public sealed class IndexSignalConstantInputNodeTests
{
    /// <summary>The ops of issue 16's index, detection, audio and data-dependent items.</summary>
    public static readonly IReadOnlySet<string> Ops = new HashSet<string>(StringComparer.Ordinal)
    {
        "GatherElements", "GatherND", "ScatterElements", "Scatter", "ScatterND", "TopK", "CumSum", "CumProd", "OneHot",
        "NonMaxSuppression", "Hardmax", "LpNormalization", "LpPool", "MeanVarianceNormalization", "ReverseSequence",
        "EyeLike", "MaxUnpool", "RoiAlign", "GridSample", "AffineGrid", "Col2Im", "DeformConv", "CenterCropPad", "Det",
        "DFT", "STFT", "HannWindow", "HammingWindow", "BlackmanWindow", "MelWeightMatrix", "NonZero", "Unique", "Compress",
    };

    private static readonly Lazy<HashSet<string>> s_groups = new(() =>
        NodeTestCatalog.Cases.Values.Where(c => c.Ops.Any(Ops.Contains)).Select(c => c.Group).ToHashSet(StringComparer.Ordinal));

    /// <summary>Cases that use one of the ops, and the function-body (_expanded) variants of those cases.</summary>
    private static IEnumerable<NodeCase> Candidates() =>
        NodeTestCatalog.Cases.Values.Where(c => c.NotAttempted is null
            && (c.Ops.Any(Ops.Contains) || c.Name.EndsWith("_expanded", StringComparison.Ordinal) && s_groups.Value.Contains(c.Group)
                && NodeTestCatalog.Cases.ContainsKey(c.Name.Substring(0, c.Name.Length - "_expanded".Length))));

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Candidates()) data.Add(c.Name);
        if (data.Count == 0) data.Add("(shared test material missing)");
        return data;
    }

    private static readonly ConcurrentDictionary<string, Lazy<LayoutConstantInputNodeTests.CompiledCase>> s_cases = new();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_onnx_expected_outputs_with_constant_shape_inputs(string name)
    {
        if (!NodeTestCatalog.Cases.TryGetValue(name, out var nodeCase))
        {
            Repo.Shared("onnx-tests/node");
            Assert.Skip("no node tests found");
            return;
        }
        var c = s_cases.GetOrAdd(name, n => new Lazy<LayoutConstantInputNodeTests.CompiledCase>(() => LayoutConstantInputNodeTests.CompiledCase.Build(nodeCase))).Value;
        if (c.Skip is not null) Assert.Skip(c.Skip);
        bool excluded = Exclusions.Reasons.TryGetValue(name, out string? reason);
        if (c.Failure is not null && excluded) Assert.Skip("excluded: " + reason);
        if (c.Failure is not null) Assert.Fail($"{name} with constant {string.Join(", ", c.Constants)}: {c.Failure}");
        try
        {
            c.RunAndCompare(name);
        }
        catch (Exception e) when (excluded && e is not Xunit.Sdk.SkipException)
        {
            Assert.Skip("excluded: " + reason);
        }
        if (excluded) Assert.Fail($"{name} is listed in Exclusions ('{reason}') but passes now: remove it from the list.");
    }
}
