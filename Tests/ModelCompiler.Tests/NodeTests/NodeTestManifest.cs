using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using ModelCompiler.Tests.Infrastructure;

namespace ModelCompiler.Tests.NodeTests;

/// <summary>What a node test is expected to do (one manifest line).</summary>
public enum NodeOutcome
{
    /// <summary>Compiles and matches the shipped outputs (default tolerance, or the line's rtol=/atol=).</summary>
    Pass,

    /// <summary>
    /// Rejected with MC0008 because the test feeds a shape, axes, pads... tensor as a graph input, which a static
    /// compiler cannot accept; the diagnostic names those graph inputs, and with them made constants (data set 0)
    /// the case compiles and matches the shipped outputs.
    /// </summary>
    ShapeInput,

    /// <summary>
    /// As <see cref="ShapeInput"/>, but the diagnostic names a value the graph computes from those graph inputs
    /// (the expanded function bodies of window functions and CenterCropPad); the same constant re-run applies.
    /// </summary>
    DerivedShapeInput,

    /// <summary>Rejected with exactly the listed diagnostic ids (errors), for the stated reason.</summary>
    Excluded,

    /// <summary>
    /// Anything else (wrong outputs, MC9999, generated C# that does not compile, a harness error). Only the
    /// regenerator writes it, so that the manifest shows the regression; a manifest holding it fails its checks.
    /// </summary>
    Fail,
}

/// <summary>One line of the manifest.</summary>
public sealed record NodeManifestEntry(string Name, NodeOutcome Outcome, IReadOnlyList<string> Arguments, string? Reason)
{
    public const double DefaultRtol = 1e-4, DefaultAtol = 1e-6, Float16Rtol = 1e-3;

    /// <summary>For ShapeInput/DerivedShapeInput: the graph inputs made constant in the re-run.</summary>
    public IReadOnlyList<string> Inputs => Outcome is NodeOutcome.ShapeInput or NodeOutcome.DerivedShapeInput ? Arguments : Array.Empty<string>();

    /// <summary>For Excluded: the distinct error ids, sorted.</summary>
    public IReadOnlyList<string> DiagnosticIds => Outcome == NodeOutcome.Excluded ? Arguments : Array.Empty<string>();

    /// <summary>A pass line's relative tolerance override (rtol=...), or null for the default.</summary>
    public double? Rtol => Setting("rtol");

    public double? Atol => Setting("atol");

    /// <summary>Whether the compiler accepts the case (as is, or with its shape inputs made constant).</summary>
    public bool Compiles => Outcome is NodeOutcome.Pass or NodeOutcome.ShapeInput or NodeOutcome.DerivedShapeInput;

    private double? Setting(string key)
    {
        if (Outcome != NodeOutcome.Pass) return null;
        foreach (string a in Arguments)
            if (a.StartsWith(key + "=", StringComparison.Ordinal)) return double.Parse(a.Substring(key.Length + 1), CultureInfo.InvariantCulture);
        return null;
    }

    public override string ToString()
    {
        var line = new StringBuilder(Name).Append(' ').Append(NodeTestManifest.Keyword(Outcome));
        if (Arguments.Count > 0) line.Append(' ').Append(string.Join(Outcome == NodeOutcome.Pass || Outcome == NodeOutcome.Fail ? " " : ",", Arguments));
        if (Reason is { Length: > 0 }) line.Append(" -- ").Append(Reason);
        return line.ToString();
    }
}

/// <summary>
/// The committed list of every ONNX node test (<c>../shared/onnx-tests/node</c>) with its expected outcome:
/// <c>NodeTests/node-tests.manifest</c>, one sorted line per case, so that a change in what passes shows as a
/// one-line diff. <see cref="OnnxNodeTests"/> checks each case against its line and the whole list against the
/// directory, so a regression fails and so does an improvement until the manifest is regenerated (see
/// <see cref="RegenerateVariable"/>). The attempted set is this file, never something derived from the compiler.
/// </summary>
public static class NodeTestManifest
{
    /// <summary>Set to 1 to rewrite the manifest (and README's conformance paragraph) from what the compiler does now; refused under CI.</summary>
    public const string RegenerateVariable = "MODELCOMPILER_UPDATE_NODE_MANIFEST";

    public const string RegenerateCommand =
        RegenerateVariable + "=1 dotnet test Tests/ModelCompiler.Tests -c Release --filter \"FullyQualifiedName~OnnxNodeTests.The_manifest_lists_every_case\"";

    public static string FilePath => Path.Combine(Repo.Root, "Tests", "ModelCompiler.Tests", "NodeTests", "node-tests.manifest");

    private static readonly Lazy<IReadOnlyDictionary<string, NodeManifestEntry>> s_entries = new(() => Parse(File.ReadAllText(FilePath)));

    /// <summary>The committed manifest, by case name.</summary>
    public static IReadOnlyDictionary<string, NodeManifestEntry> Entries => s_entries.Value;

    public static string Header =>
        "# Every ONNX node test in ../shared/onnx-tests/node and what it is expected to do; checked by NodeTests/OnnxNodeTests.cs.\n" +
        "# Regenerate after a change in what the compiler supports (never under CI), review the diff, commit it:\n" +
        "#   " + RegenerateCommand + "\n" +
        "# Lines: <case> pass [rtol=R] [atol=A] [-- why the tolerance]\n" +
        "#        <case> shape-input <graph inputs>          MC0008 names these graph inputs; re-run with them constant, must pass\n" +
        "#        <case> derived-shape-input <graph inputs>  MC0008 names a value computed from them; same re-run\n" +
        "#        <case> excluded <error ids> -- <reason>    must fail with exactly these diagnostic ids\n" +
        "#        <case> fail <what> -- <detail>             written by the regenerator for a regression; never committed\n";

    internal static string Keyword(NodeOutcome outcome) => outcome switch
    {
        NodeOutcome.Pass => "pass",
        NodeOutcome.ShapeInput => "shape-input",
        NodeOutcome.DerivedShapeInput => "derived-shape-input",
        NodeOutcome.Excluded => "excluded",
        _ => "fail",
    };

    public static IReadOnlyDictionary<string, NodeManifestEntry> Parse(string text)
    {
        var entries = new Dictionary<string, NodeManifestEntry>(StringComparer.Ordinal);
        string? previous = null;
        int lineNumber = 0;
        foreach (string raw in text.Replace("\r\n", "\n").Split('\n'))
        {
            lineNumber++;
            if (raw.Length == 0 || raw.StartsWith('#')) continue;
            var entry = ParseLine(raw) ?? throw new FormatException($"node-tests.manifest line {lineNumber}: cannot read '{raw}'");
            if (previous is not null && string.CompareOrdinal(previous, entry.Name) >= 0)
                throw new FormatException($"node-tests.manifest line {lineNumber}: '{entry.Name}' is out of order or repeated (lines are sorted by case name)");
            entries.Add(entry.Name, entry);
            previous = entry.Name;
        }
        return entries;
    }

    private static NodeManifestEntry? ParseLine(string line)
    {
        string? reason = null;
        int dashes = line.IndexOf(" -- ", StringComparison.Ordinal);
        if (dashes >= 0) { reason = line.Substring(dashes + 4).Trim(); line = line.Substring(0, dashes); }
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 2) return null;
        NodeOutcome? outcome = words[1] switch
        {
            "pass" => NodeOutcome.Pass,
            "shape-input" => NodeOutcome.ShapeInput,
            "derived-shape-input" => NodeOutcome.DerivedShapeInput,
            "excluded" => NodeOutcome.Excluded,
            "fail" => NodeOutcome.Fail,
            _ => null,
        };
        if (outcome is null) return null;
        IReadOnlyList<string> arguments = outcome is NodeOutcome.Pass or NodeOutcome.Fail
            ? words.Skip(2).ToArray()
            : words.Length == 3 ? words[2].Split(',') : Array.Empty<string>();
        if (outcome is not (NodeOutcome.Pass or NodeOutcome.Fail) && words.Length != 3) return null;
        return new NodeManifestEntry(words[0], outcome.Value, arguments, reason);
    }

    public static string Format(IEnumerable<NodeManifestEntry> entries) =>
        Header + string.Concat(entries.OrderBy(e => e.Name, StringComparer.Ordinal).Select(e => e + "\n"));
}
