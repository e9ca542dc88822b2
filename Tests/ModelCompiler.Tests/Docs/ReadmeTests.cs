using System;
using System.IO;
using System.Linq;
using ModelCompiler.Tests.Infrastructure;
using ModelCompiler.Tests.NodeTests;
using Xunit;

namespace ModelCompiler.Tests.Docs;

/// <summary>README claims that code can check stay true.</summary>
public sealed class ReadmeTests
{
    private const string Begin = "<!-- supported-ops:begin -->", End = "<!-- supported-ops:end -->";

    /// <summary>
    /// The table of supported operators, generated from the op registry (one row per Ops/ folder), less the
    /// compiler's own ops (domain ai.modelcompiler), which its passes create and a model never holds.
    /// </summary>
    public static string SupportedOperatorTable()
    {
        var rows = global::ModelCompiler.Ops.OpRegistry.All
            .Where(s => s.Domain != global::ModelCompiler.Ops.Qdq.QLinearLookupOp.DomainName)
            .GroupBy(s => s.GetType().Namespace!.Split('.').Last())
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"| {g.Key} | {string.Join(", ", g.Select(s => s.Domain.Length == 0 ? s.OpType : s.Domain + ":" + s.OpType).OrderBy(n => n, StringComparer.Ordinal))} |");
        return string.Join("\n", new[] { "| family | operators |", "|---|---|" }.Concat(rows));
    }

    [Fact]
    public void The_supported_operator_table_lists_exactly_the_registered_operators()
    {
        string readme = File.ReadAllText(Path.Combine(Repo.Root, "README.md")).Replace("\r\n", "\n");
        int begin = readme.IndexOf(Begin, StringComparison.Ordinal), end = readme.IndexOf(End, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, $"README.md must contain {Begin} ... {End} around the operator table");
        string actual = readme.Substring(begin + Begin.Length, end - begin - Begin.Length).Trim();
        string expected = SupportedOperatorTable();
        Assert.True(actual == expected, "README's operator table is out of date; replace it with:\n" + expected);
    }

    /// <summary>README's conformance figures are the manifest's (NodeTests/node-tests.manifest), not numbers typed in.</summary>
    [Fact]
    public void The_conformance_figures_come_from_the_node_test_manifest()
    {
        string? actual = NodeTestSummary.ReadmeParagraph();
        Assert.True(actual is not null, $"README.md must contain {NodeTestSummary.Begin} ... {NodeTestSummary.End} around the conformance figures");
        string expected = NodeTestSummary.Paragraph(NodeTestManifest.Entries.Values);
        Assert.True(actual == expected,
            $"README's conformance figures differ from the manifest; regenerate ({NodeTestManifest.RegenerateCommand}) or replace the paragraph with:\n" + expected);
    }
}
