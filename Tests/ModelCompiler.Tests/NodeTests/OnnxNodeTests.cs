using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.NodeTests;

/// <summary>
/// ONNX's operator conformance tests (../shared/onnx-tests/node), every one of them, against the committed manifest
/// (<see cref="NodeTestManifest"/>, NodeTests/node-tests.manifest): each case must do exactly what its line says,
/// and the manifest must list exactly the cases in the directory. A case is compiled exactly as the generator does,
/// run on each data set and compared with the outputs that ship with the test (float: |actual - expected| &lt;=
/// 1e-6 + 1e-4 |expected|, tighter than ONNX's own rtol 1e-3, unless the line states another tolerance and why;
/// float16 1e-3 relative; integer and bool exact). A case the compiler rejects must be rejected with exactly the
/// diagnostic ids on its line. A case rejected because it feeds a shape-like tensor as a graph input must name that
/// input (or a value computed from it) and pass once the input is made a constant.
/// A regression fails, and so does an improvement, until the manifest is regenerated:
/// <c>MODELCOMPILER_UPDATE_NODE_MANIFEST=1 dotnet test Tests/ModelCompiler.Tests -c Release --filter "FullyQualifiedName~OnnxNodeTests.The_manifest_lists_every_case"</c>
/// (refused under CI), which also rewrites README's conformance paragraph.
/// </summary>
public sealed class OnnxNodeTests
{
    public const double FloatRtol = NodeManifestEntry.DefaultRtol, FloatAtol = NodeManifestEntry.DefaultAtol;

    /// <summary>One row per manifest line: the attempted set is the manifest, whatever the compiler supports.</summary>
    public static TheoryData<string> Cases() => new(NodeTestManifest.Entries.Keys);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case_does_what_the_manifest_says(string name)
    {
        var expected = NodeTestManifest.Entries[name];
        Assert.True(expected.Outcome != NodeOutcome.Fail, $"The manifest records a failure for {name} ({expected}); fix the regression, or state an exclusion, before committing it.");
        Repo.Shared(Path.Combine("onnx-tests", "node", name, "model.onnx"));
        var actual = NodeCaseRunner.Actual(name);
        if (!SameOutcome(expected, actual))
            Assert.Fail($"{name}: the manifest says '{Describe(expected)}', the compiler now gives '{actual}'. {Advice(expected, actual)}");
    }

    /// <summary>
    /// The manifest against every directory at once: lists what changed. With MODELCOMPILER_UPDATE_NODE_MANIFEST=1 (not
    /// under CI) it writes the manifest and README's conformance paragraph from what the compiler does now instead.
    /// </summary>
    [Fact]
    public void The_manifest_lists_every_case_with_what_it_does_now()
    {
        Repo.Shared(Path.Combine("onnx-tests", "node"));
        var actual = NodeCaseRunner.AllNames.Select(NodeCaseRunner.Actual).ToList();
        if (Ci.UpdateRequested(NodeTestManifest.RegenerateVariable))
        {
            File.WriteAllText(NodeTestManifest.FilePath, NodeTestManifest.Format(actual));
            NodeTestSummary.RewriteReadme(actual);
            TestContext.Current.TestOutputHelper?.WriteLine($"Wrote {NodeTestManifest.FilePath} and README's conformance paragraph: {NodeTestSummary.Paragraph(actual)}");
            return;
        }
        var committed = NodeTestManifest.Entries;
        var changes = new List<string>();
        foreach (var a in actual)
        {
            if (!committed.TryGetValue(a.Name, out var e)) changes.Add($"+ {a}   (not in the manifest)");
            else if (!SameOutcome(e, a)) changes.Add($"- {e}\n+ {a}");
        }
        changes.AddRange(committed.Keys.Except(actual.Select(a => a.Name)).Select(n => $"- {committed[n]}   (no such case)"));
        Assert.True(changes.Count == 0,
            $"{changes.Count} case(s) differ from {NodeTestManifest.FilePath}:\n{string.Join("\n", changes.Take(80))}\n" +
            $"If these are intended, regenerate and review the diff: {NodeTestManifest.RegenerateCommand}");
    }

    /// <summary>The committed file itself: canonical (sorted, one line per case, as the regenerator writes it), and every line legitimate.</summary>
    [Fact]
    public void The_manifest_is_canonical_and_every_line_is_legitimate()
    {
        string text = File.ReadAllText(NodeTestManifest.FilePath).Replace("\r\n", "\n");
        var entries = NodeTestManifest.Parse(text);
        Assert.Equal(NodeTestManifest.Format(entries.Values), text);
        Assert.True(entries.Count > 1000, $"only {entries.Count} cases in the manifest");
        var problems = new List<string>();
        foreach (var e in entries.Values)
        {
            string? problem = e.Outcome switch
            {
                NodeOutcome.Fail => "records a failure",
                NodeOutcome.Excluded when e.DiagnosticIds.Count == 0 || !e.DiagnosticIds.All(id => Regex.IsMatch(id, "^MC[0-9]{4}$")) => "needs diagnostic ids MCxxxx",
                NodeOutcome.Excluded when e.DiagnosticIds.Contains("MC9999") => "an internal compiler error is never an expected outcome",
                NodeOutcome.Excluded when string.IsNullOrWhiteSpace(e.Reason) => "needs a reason",
                NodeOutcome.ShapeInput or NodeOutcome.DerivedShapeInput when e.Inputs.Count == 0 || e.Inputs.Any(string.IsNullOrEmpty) => "must name its graph inputs",
                NodeOutcome.Pass when e.Arguments.Any(a => !Regex.IsMatch(a, @"^(rtol|atol)=[0-9.]+(e-?[0-9]+)?$")) => "takes only rtol=/atol=",
                NodeOutcome.Pass when e.Arguments.Count > 0 && string.IsNullOrWhiteSpace(e.Reason) => "a tolerance other than the default needs a reason",
                NodeOutcome.Pass when e.Rtol > 1e-2 || e.Atol > 1e-3 => "a tolerance looser than rtol 1e-2 / atol 1e-3 is not a pass",
                _ => null,
            };
            if (problem is not null) problems.Add($"{e.Name}: {problem}");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static bool SameOutcome(NodeManifestEntry expected, NodeManifestEntry actual) =>
        expected.Outcome == actual.Outcome && expected.Arguments.SequenceEqual(actual.Arguments);

    private static string Describe(NodeManifestEntry e) => e.ToString();

    private static string Advice(NodeManifestEntry expected, NodeManifestEntry actual)
    {
        if (actual.Outcome == NodeOutcome.Fail) return "This is a regression.";
        if (expected.Outcome == NodeOutcome.Excluded && actual.Compiles)
            return $"It compiles now: if that is intended, regenerate the manifest ({NodeTestManifest.RegenerateCommand}) and review the diff.";
        return $"If the change is intended, regenerate the manifest ({NodeTestManifest.RegenerateCommand}) and review the diff.";
    }
}
