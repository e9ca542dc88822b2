using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ModelCompiler.Ops;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tests.Infrastructure;

namespace ModelCompiler.Tests.NodeTests;

/// <summary>One directory of ../shared/onnx-tests/node.</summary>
public sealed record NodeCase(string Name, string Directory, string Group, IReadOnlyList<string> Ops, string? NotAttempted);

/// <summary>
/// The ONNX operator conformance tests: which ones ModelCompiler attempts (every node's op is supported and
/// inputs/outputs are plain tensors) and, for those, a per-group compiled assembly. Cases are grouped by
/// the op name in their directory (test_conv_with_strides -> "conv") so that a filtered run compiles only
/// what it needs while a full run needs one Roslyn compilation per op.
/// </summary>
public static class NodeTestCatalog
{
    public static string NodeRoot => Path.Combine(Repo.SharedRoot, "onnx-tests", "node");

    private static readonly Lazy<Dictionary<string, NodeCase>> s_cases = new(Discover);
    private static readonly ConcurrentDictionary<string, Lazy<CompiledGroup>> s_groups = new();

    public static IReadOnlyDictionary<string, NodeCase> Cases => s_cases.Value;

    public static CompiledGroup Group(string group) =>
        s_groups.GetOrAdd(group, g => new Lazy<CompiledGroup>(() => CompiledGroup.Build(Cases.Values.Where(c => c.Group == g && c.NotAttempted is null).ToList()))).Value;

    private static Dictionary<string, NodeCase> Discover()
    {
        var result = new Dictionary<string, NodeCase>(StringComparer.Ordinal);
        if (!System.IO.Directory.Exists(NodeRoot)) return result;
        foreach (string dir in System.IO.Directory.GetDirectories(NodeRoot).OrderBy(d => d, StringComparer.Ordinal))
        {
            string name = Path.GetFileName(dir);
            string modelPath = Path.Combine(dir, "model.onnx");
            if (!File.Exists(modelPath)) continue;
            string group = GroupOf(name);
            ModelProto model;
            try { model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(modelPath)); }
            catch (Exception e) { result[name] = new NodeCase(name, dir, group, Array.Empty<string>(), "unreadable: " + e.Message); continue; }
            var nodes = WithSubgraphNodes(model.Graph.Node).ToList();
            var ops = nodes.Select(n => (n.Domain is "" or "ai.onnx" ? "" : n.Domain + ":") + n.OpType).Distinct().OrderBy(o => o).ToList();
            var unsupported = nodes
                .Where(n => n.OpType != "Constant" && OpRegistry.Find(n.Domain == "ai.onnx" ? "" : n.Domain, n.OpType) is null)
                .Select(n => n.OpType).Distinct().ToList();
            string? reason = null;
            if (unsupported.Count > 0) reason = "unsupported op(s): " + string.Join(", ", unsupported);
            else if (model.Graph.Input.Concat(model.Graph.Output).Any(v => v.Type?.TensorType is null))
                reason = "non-tensor input or output (sequence/optional)";
            result[name] = new NodeCase(name, dir, group, ops, reason);
        }
        return result;
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
