using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tests.Infrastructure;

namespace ModelCompiler.Tests.NodeTests;

/// <summary>One directory of ../shared/onnx-tests/node with its manifest line (null for cases from elsewhere that reuse <see cref="CompiledGroup"/>).</summary>
public sealed record NodeCase(string Name, string Directory, string Group, IReadOnlyList<string> Ops, NodeManifestEntry? Expected);

/// <summary>
/// The ONNX operator conformance tests as the manifest (<see cref="NodeTestManifest"/>) lists them, for the tests
/// that re-run some of them in other forms (constant inputs, folding). Cases are grouped by the op name in their
/// directory (test_conv_with_strides -> "conv") so that one Roslyn compilation serves a group. Nothing here asks the
/// compiler what it supports: which cases compile is the manifest's word.
/// </summary>
public static class NodeTestCatalog
{
    public static string NodeRoot => Path.Combine(Repo.SharedRoot, "onnx-tests", "node");

    private static readonly Lazy<Dictionary<string, NodeCase>> s_cases = new(Discover);

    /// <summary>Manifest cases whose directory is present (none without ../shared).</summary>
    public static IReadOnlyDictionary<string, NodeCase> Cases => s_cases.Value;

    private static Dictionary<string, NodeCase> Discover()
    {
        var result = new Dictionary<string, NodeCase>(StringComparer.Ordinal);
        foreach (var entry in NodeTestManifest.Entries.Values)
        {
            string dir = Path.Combine(NodeRoot, entry.Name);
            if (!File.Exists(Path.Combine(dir, "model.onnx"))) continue;
            result[entry.Name] = new NodeCase(entry.Name, dir, GroupOf(entry.Name), OpsOf(Path.Combine(dir, "model.onnx")), entry);
        }
        return result;
    }

    /// <summary>The model's op types, subgraphs' included ("Add", "com.microsoft:QLinearAdd"), from the file itself; none when it does not parse.</summary>
    private static IReadOnlyList<string> OpsOf(string path)
    {
        try
        {
            return WithSubgraphNodes(ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph.Node)
                .Select(n => (n.Domain is "" or "ai.onnx" ? "" : n.Domain + ":") + n.OpType).Distinct().OrderBy(o => o, StringComparer.Ordinal).ToList();
        }
        catch (Google.Protobuf.InvalidProtocolBufferException) { return Array.Empty<string>(); }
    }

    /// <summary>The nodes and, recursively, the nodes of their graph attributes (If branches, Loop and Scan bodies).</summary>
    private static IEnumerable<NodeProto> WithSubgraphNodes(IEnumerable<NodeProto> nodes) =>
        nodes.SelectMany(n => new[] { n }.Concat(WithSubgraphNodes(n.Attribute.Where(a => a.G is not null).SelectMany(a => a.G.Node))));

    /// <summary>"test_conv_with_strides_padding" -> "conv"; expanded variants join their op's group.</summary>
    public static string GroupOf(string testName)
    {
        string rest = testName.StartsWith("test_", StringComparison.Ordinal) ? testName.Substring(5) : testName;
        int underscore = rest.IndexOf('_');
        return underscore < 0 ? rest : rest.Substring(0, underscore);
    }
}
