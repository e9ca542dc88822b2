using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ModelCompiler.Tests.Infrastructure;

namespace ModelCompiler.Tests.NodeTests;

/// <summary>
/// README's conformance figures, computed from the manifest: the paragraph between the node-tests markers in README's
/// Tests section. <c>Docs/ReadmeTests</c> checks it; the manifest regenerator rewrites it.
/// </summary>
public static class NodeTestSummary
{
    public const string Begin = "<!-- node-tests:begin -->", End = "<!-- node-tests:end -->";

    public static string Paragraph(IEnumerable<NodeManifestEntry> manifest)
    {
        var entries = manifest.ToList();
        int Count(Func<NodeManifestEntry, bool> p) => entries.Count(p);
        bool Unsupported(NodeManifestEntry e) => e.DiagnosticIds.Contains("MC0003");
        var excluded = entries.Where(e => e.Outcome == NodeOutcome.Excluded && !Unsupported(e)).ToList();
        string byId = string.Join(", ", excluded.SelectMany(e => e.DiagnosticIds).GroupBy(id => id).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"));
        int pass = Count(e => e.Outcome == NodeOutcome.Pass), loose = Count(e => e.Outcome == NodeOutcome.Pass && e.Arguments.Count > 0);
        int shape = Count(e => e.Outcome == NodeOutcome.ShapeInput), derived = Count(e => e.Outcome == NodeOutcome.DerivedShapeInput);
        int fail = Count(e => e.Outcome == NodeOutcome.Fail);
        return $"Of the {entries.Count} cases, **{pass} pass** ({loose} with a looser tolerance stated on its line); " +
               $"{shape} feed a shape, axes, pads, scales or repeats tensor as a graph input, which a static compiler rejects by design " +
               $"(MC0008 naming that input), and {derived} compute such a tensor from a graph input (MC0008 naming the computed value): " +
               "each of these is compiled again with those inputs made constants (as they are in real models) and passes there; " +
               $"{excluded.Count} are excluded with the diagnostic the compiler must give ({byId}) and a stated reason " +
               "(mostly value kinds generated code cannot hold: strings, sequences, optionals; " +
               "also arithmetic on bfloat16, training-mode Dropout, opset-1 models); " +
               $"{Count(Unsupported)} use operators outside the table above (MC0003)" +
               (fail > 0 ? $"; **{fail} FAIL** (see the manifest's fail lines)." : ".");
    }

    public static string ReadmePath => Path.Combine(Repo.Root, "README.md");

    /// <summary>README's paragraph between the markers, or null when the markers are missing.</summary>
    public static string? ReadmeParagraph()
    {
        string readme = File.ReadAllText(ReadmePath).Replace("\r\n", "\n");
        int begin = readme.IndexOf(Begin, StringComparison.Ordinal), end = readme.IndexOf(End, StringComparison.Ordinal);
        return begin < 0 || end < begin ? null : Unwrap(readme.Substring(begin + Begin.Length, end - begin - Begin.Length));
    }

    public static void RewriteReadme(IEnumerable<NodeManifestEntry> manifest)
    {
        string readme = File.ReadAllText(ReadmePath).Replace("\r\n", "\n");
        int begin = readme.IndexOf(Begin, StringComparison.Ordinal), end = readme.IndexOf(End, StringComparison.Ordinal);
        if (begin < 0 || end < begin) throw new InvalidOperationException($"README.md has no {Begin} ... {End} markers");
        string indent = readme.Substring(readme.LastIndexOf('\n', begin) + 1, begin - readme.LastIndexOf('\n', begin) - 1);
        File.WriteAllText(ReadmePath, readme.Substring(0, begin + Begin.Length) + "\n" + Wrap(Paragraph(manifest), indent) + "\n" + indent + readme.Substring(end));
    }

    /// <summary>Markdown source wrapped at about 110 columns, indented like the markers (the list item it sits in).</summary>
    private static string Wrap(string text, string indent)
    {
        var lines = new List<string>();
        string line = "";
        foreach (string word in text.Split(' '))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > 110) { lines.Add(line); line = ""; }
            line = line.Length == 0 ? indent + word : line + " " + word;
        }
        if (line.Length > 0) lines.Add(line);
        return string.Join("\n", lines);
    }

    private static string Unwrap(string text) => string.Join(" ", text.Split(new[] { ' ', '\n' }, StringSplitOptions.RemoveEmptyEntries));
}
