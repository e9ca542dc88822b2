using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Google.Protobuf;
using ModelCompiler.Diagnostics;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tests.Infrastructure;

namespace ModelCompiler.Tests.NodeTests;

/// <summary>
/// Runs the ONNX node tests and says what each one does now, as the manifest line the regenerator would write: the
/// model is compiled exactly as the generator does and run on its data sets against the shipped outputs; a case the
/// compiler rejects is described by its diagnostic ids; a case rejected only because a shape-like tensor is a graph
/// input is compiled again with those inputs made constants (data set 0's values) and must then pass.
/// Cases are compiled per group (<see cref="NodeTestCatalog.GroupOf"/>) into one assembly.
/// </summary>
internal static class NodeCaseRunner
{
    private const string MustBeConstant = "must be a constant known at build time";
    private static readonly Regex s_constantInput = new(@"\(input \d+, '([^']*)'\) " + MustBeConstant, RegexOptions.CultureInvariant);
    private static readonly Regex s_unsupportedOp = new(@"uses operator '([^']*)' \(domain '([^']*)'", RegexOptions.CultureInvariant);

    private static readonly ConcurrentDictionary<string, Lazy<IReadOnlyDictionary<string, NodeManifestEntry>>> s_groups = new();

    private static readonly Lazy<IReadOnlyList<string>> s_names = new(() =>
    {
        var names = new SortedSet<string>(NodeTestManifest.Entries.Keys, StringComparer.Ordinal);
        if (Directory.Exists(NodeTestCatalog.NodeRoot))
            foreach (string dir in Directory.GetDirectories(NodeTestCatalog.NodeRoot))
                if (File.Exists(Path.Combine(dir, "model.onnx"))) names.Add(Path.GetFileName(dir));
        return names.ToList();
    });

    /// <summary>Every case: the manifest's and every directory's (a new directory must get a line too).</summary>
    public static IReadOnlyList<string> AllNames => s_names.Value;

    /// <summary>What <paramref name="name"/> does now.</summary>
    public static NodeManifestEntry Actual(string name) =>
        s_groups.GetOrAdd(NodeTestCatalog.GroupOf(name), g => new Lazy<IReadOnlyDictionary<string, NodeManifestEntry>>(
            () => RunGroup(AllNames.Where(n => NodeTestCatalog.GroupOf(n) == g).ToList()))).Value[name];

    /// <summary>A case that compiled: what to run it with and the line it earns when it matches.</summary>
    private sealed record Candidate(NodeManifestEntry Success, string Namespace, List<CompiledGroup.DataSet> DataSets, List<InMemoryCompiler.Unit> Units);

    private static IReadOnlyDictionary<string, NodeManifestEntry> RunGroup(IReadOnlyList<string> names)
    {
        var results = new Dictionary<string, NodeManifestEntry>(StringComparer.Ordinal);
        var candidates = new Dictionary<string, Candidate>(StringComparer.Ordinal);
        foreach (string name in names)
        {
            NodeTestManifest.Entries.TryGetValue(name, out var committed);
            try
            {
                var (entry, candidate) = Prepare(name, committed);
                if (candidate is not null) candidates[name] = candidate;
                else results[name] = entry!;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                results[name] = Fail(name, "harness", $"{e.GetType().Name}: {e.Message}");
            }
        }

        var (assembly, failures) = CompiledGroup.CompileSettingAside(candidates.ToDictionary(c => c.Key, c => c.Value.Units, StringComparer.Ordinal));
        foreach (var (name, failure) in failures) results[name] = Fail(name, "generated-code", failure);
        foreach (var (name, candidate) in candidates)
            if (!results.ContainsKey(name)) results[name] = Run(candidate, assembly!);
        return results;
    }

    private static (NodeManifestEntry? Entry, Candidate? Candidate) Prepare(string name, NodeManifestEntry? committed)
    {
        string dir = Path.Combine(NodeTestCatalog.NodeRoot, name);
        string modelPath = Path.Combine(dir, "model.onnx");
        if (!File.Exists(modelPath)) return (Fail(name, "missing", $"{modelPath} does not exist"), null);
        byte[] bytes = File.ReadAllBytes(modelPath);
        string ns = "NodeTests." + Identifier(name);
        var (result, unit) = InMemoryCompiler.Generate(bytes, ns, fileName: name + ".onnx");
        var dataDirs = Directory.GetDirectories(dir, "test_data_set_*").OrderBy(d => d, StringComparer.Ordinal).ToList();

        if (unit is not null)
        {
            if (dataDirs.Count == 0) return (Fail(name, "no-test-data", "the case has no test_data_set_*"), null);
            var pass = committed is { Outcome: NodeOutcome.Pass } ? committed : new NodeManifestEntry(name, NodeOutcome.Pass, Array.Empty<string>(), null);
            var sets = dataDirs.Select(d => new CompiledGroup.DataSet(Tensors(d, "input_").ToList(), Tensors(d, "output_").ToList())).ToList();
            return (null, NewCandidate(pass, ns, unit, Adapter.Bounded(result), sets));
        }

        var errors = result.Diagnostics.Where(d => d.Severity == Severity.Error).ToList();
        if (errors.Count == 0) return (Fail(name, "no-diagnostic", "compilation failed without an error"), null);
        if (errors.All(d => d.Id == "MC0008" && s_constantInput.IsMatch(d.Message)))
            return ConstantInputRerun(name, committed, bytes, ns, errors.Select(d => d.Message).ToList(), dataDirs);

        return (Excluded(name, committed, errors, ""), null);
    }

    /// <summary>
    /// The line of a case the compiler rejects: its error ids, and the committed reason while the ids stay the same
    /// (else the unsupported ops, or the first error's message, for a person to review in the diff).
    /// </summary>
    private static NodeManifestEntry Excluded(string name, NodeManifestEntry? committed, List<CompilerDiagnostic> errors, string context)
    {
        var ids = errors.Select(d => d.Id).Distinct().OrderBy(i => i, StringComparer.Ordinal).ToList();
        if (ids.Contains("MC9999")) return Fail(name, "MC9999", context + errors.First(d => d.Id == "MC9999").Message);
        string reason = committed is { Outcome: NodeOutcome.Excluded } && committed.DiagnosticIds.SequenceEqual(ids) && committed.Reason is { Length: > 0 }
            ? committed.Reason
            : ids.Contains("MC0003") ? UnsupportedReason(errors) : OneLine(context + errors[0].Message);
        return new NodeManifestEntry(name, NodeOutcome.Excluded, ids, reason);
    }

    /// <summary>
    /// Makes the graph inputs that the MC0008 messages name (or that the named values are computed from) constants,
    /// compiles again, and repeats while new ones are asked for.
    /// </summary>
    private static (NodeManifestEntry?, Candidate?) ConstantInputRerun(string name, NodeManifestEntry? committed, byte[] bytes, string ns, List<string> messages, List<string> dataDirs)
    {
        if (dataDirs.Count == 0) return (Fail(name, "no-test-data", "the case has no test_data_set_*"), null);
        var model = ModelProto.Parser.ParseFrom(bytes);
        var graph = new GraphInputs(model.Graph);
        var constants = new List<string>();
        bool direct = true;
        for (int round = 0; ; round++)
        {
            bool added = false;
            foreach (string tensor in messages.SelectMany(m => s_constantInput.Matches(m)).Select(m => m.Groups[1].Value))
            {
                IReadOnlyCollection<string> from;
                if (graph.IsInput(tensor)) from = new[] { tensor };
                else
                {
                    direct = false;
                    from = graph.InputsBehind(tensor);
                    // A value computed inside, or through, an If branch or a Loop/Scan body: this re-run makes only
                    // top-level graph inputs constant and does not trace values into subgraphs, so the case stays
                    // excluded with its MC0008 and the committed reason (a person writes it; see docs/testing.md).
                    if (from.Count == 0 && model.Graph.Node.Any(n => n.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0)))
                        return (new NodeManifestEntry(name, NodeOutcome.Excluded, new[] { "MC0008" },
                            committed is { Outcome: NodeOutcome.Excluded, Reason.Length: > 0 } ? committed.Reason
                                : $"'{tensor}' is computed through a subgraph from run-time values, which the constant re-run does not trace: {OneLine(string.Join("; ", messages))}"), null);
                    if (from.Count == 0)
                        return (Fail(name, "not-folded", $"'{tensor}' is computed from constants and shapes only, yet MC0008 says it is not constant: {OneLine(string.Join("; ", messages))}"), null);
                }
                foreach (string input in from)
                    if (!constants.Contains(input)) { constants.Add(input); added = true; }
            }
            if (!added || round == 8)
                return (Fail(name, "shape-input", $"with {string.Join(",", constants)} constant it still reports: {OneLine(string.Join("; ", messages))}"), null);

            var rewritten = graph.WithConstants(model, constants, dataDirs[0]);
            var (result, unit) = InMemoryCompiler.Generate(rewritten, ns, fileName: name + ".onnx");
            if (unit is not null)
            {
                var ordered = graph.Names.Where(constants.Contains).ToList();
                var entry = new NodeManifestEntry(name, direct ? NodeOutcome.ShapeInput : NodeOutcome.DerivedShapeInput, ordered, null);
                return (null, NewCandidate(entry, ns, unit, Adapter.Bounded(result), graph.DataSetsWithout(constants, dataDirs)));
            }
            var errors = result.Diagnostics.Where(d => d.Severity == Severity.Error).ToList();
            if (errors.Count == 0) return (Fail(name, "no-diagnostic", $"with {string.Join(",", constants)} constant, compilation failed without an error"), null);
            // Rejected for another reason once the shape inputs are constant (training-mode Dropout...): excluded for that.
            if (!errors.All(d => d.Id == "MC0008" && s_constantInput.IsMatch(d.Message)))
                return (Excluded(name, committed, errors, $"with {string.Join(",", constants)} constant: "), null);
            messages = errors.Select(d => d.Message).ToList();
        }
    }

    private static Candidate NewCandidate(NodeManifestEntry success, string ns, InMemoryCompiler.Unit unit,
        IReadOnlyList<(long Capacity, long Row)?> bounded, List<CompiledGroup.DataSet> sets)
    {
        var first = sets[0];
        string adapter = Adapter.Source(ns, "Model", first.Inputs.Select(t => t.CSharpType).ToList(), first.Outputs.Select(t => t.CSharpType).ToList(), bounded);
        return new Candidate(success, ns, sets, new List<InMemoryCompiler.Unit> { unit, new(ns + ".Adapter", adapter) });
    }

    private static NodeManifestEntry Run(Candidate c, System.Reflection.Assembly assembly)
    {
        string name = c.Success.Name;
        try
        {
            for (int s = 0; s < c.DataSets.Count; s++)
            {
                var set = c.DataSets[s];
                var outputs = set.Outputs.Select(o => Adapter.NewArray(o.CSharpType, o.Data.Length)).ToArray();
                Adapter.Run(assembly, c.Namespace, set.Inputs.Select(i => (object)i.Data).ToArray(), outputs);
                for (int k = 0; k < outputs.Length; k++)
                {
                    var expected = set.Outputs[k];
                    double rtol = c.Success.Rtol ?? (expected.Data is Half[] ? NodeManifestEntry.Float16Rtol : NodeManifestEntry.DefaultRtol);
                    double atol = c.Success.Atol ?? NodeManifestEntry.DefaultAtol;
                    Compare.Close(expected.Data, outputs[k], rtol, atol, $"data set {s} output {k} ('{expected.Name}')");
                }
            }
        }
        catch (Xunit.Sdk.XunitException e)
        {
            return Fail(name, "wrong-output", e.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Fail(name, "run", $"{e.GetType().Name}: {e.Message}");
        }
        return c.Success;
    }

    private static NodeManifestEntry Fail(string name, string what, string detail) =>
        new(name, NodeOutcome.Fail, new[] { what }, OneLine(detail));

    private static string UnsupportedReason(IEnumerable<CompilerDiagnostic> errors) =>
        "unsupported operator(s): " + string.Join(", ", errors
            .Select(d => s_unsupportedOp.Match(d.Message))
            .Where(m => m.Success)
            .Select(m => m.Groups[2].Value is "" or "ai.onnx" ? m.Groups[1].Value : m.Groups[2].Value + ":" + m.Groups[1].Value)
            .Distinct().OrderBy(o => o, StringComparer.Ordinal));

    /// <summary>One manifest line's worth: no line breaks, at most 300 characters.</summary>
    private static string OneLine(string text)
    {
        string line = Regex.Replace(text, @"\s+", " ").Trim();
        return line.Length <= 300 ? line : line.Substring(0, 297) + "...";
    }

    private static IEnumerable<TestTensor> Tensors(string dir, string prefix) =>
        Directory.GetFiles(dir, prefix + "*.pb")
            .OrderBy(f => int.Parse(Path.GetFileNameWithoutExtension(f).Substring(prefix.Length), System.Globalization.CultureInfo.InvariantCulture))
            .Select(TestTensor.FromProtobufFile);

    private static string Identifier(string s) => new(s.Select(ch => char.IsLetterOrDigit(ch) ? ch : '_').ToArray());

    /// <summary>A node test's graph inputs (those without an initializer, in order: test data file input_k is the k-th).</summary>
    private sealed class GraphInputs
    {
        private readonly HashSet<string> _initializers;
        private readonly Dictionary<string, NodeProto> _producers = new(StringComparer.Ordinal);

        public GraphInputs(GraphProto graph)
        {
            _initializers = graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
            Names = graph.Input.Select(i => i.Name).Where(n => !_initializers.Contains(n)).ToList();
            foreach (var node in graph.Node)
                foreach (string output in node.Output)
                    if (output.Length > 0) _producers[output] = node;
        }

        public List<string> Names { get; }

        public bool IsInput(string tensor) => Names.Contains(tensor);

        /// <summary>
        /// The graph inputs whose values <paramref name="tensor"/> is computed from. Shape and Size read only an input's
        /// static shape, so the walk stops there; initializers and Constant nodes are constants.
        /// </summary>
        public IReadOnlyCollection<string> InputsBehind(string tensor)
        {
            var found = new SortedSet<string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var pending = new Stack<string>();
            pending.Push(tensor);
            while (pending.Count > 0)
            {
                string t = pending.Pop();
                if (t.Length == 0 || !seen.Add(t) || _initializers.Contains(t)) continue;
                if (Names.Contains(t)) { found.Add(t); continue; }
                if (!_producers.TryGetValue(t, out var node) || node.OpType is "Shape" or "Size") continue;
                foreach (string input in node.Input) pending.Push(input);
            }
            return found;
        }

        /// <summary>The model with <paramref name="constants"/> moved from the graph inputs to initializers holding data set 0's values.</summary>
        public byte[] WithConstants(ModelProto model, IReadOnlyList<string> constants, string dataSet0)
        {
            var copy = model.Clone();
            foreach (string input in constants)
            {
                var tensor = TensorProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dataSet0, $"input_{Names.IndexOf(input)}.pb")));
                tensor.Name = input;
                copy.Graph.Initializer.Add(tensor);
                copy.Graph.Input.Remove(copy.Graph.Input.First(i => i.Name == input));
            }
            copy.IrVersion = Math.Max(copy.IrVersion, 4); // from IR 4 an initializer need not be a graph input
            return copy.ToByteArray();
        }

        /// <summary>The data sets whose constant inputs equal data set 0's (the values compiled in), without those inputs.</summary>
        public List<CompiledGroup.DataSet> DataSetsWithout(IReadOnlyList<string> constants, IReadOnlyList<string> dataDirs)
        {
            var constantIndices = constants.Select(c => Names.IndexOf(c)).ToHashSet();
            byte[] File(string dir, int k) => System.IO.File.ReadAllBytes(Path.Combine(dir, $"input_{k}.pb"));
            return dataDirs
                .Where(dir => constantIndices.All(k => File(dir, k).AsSpan().SequenceEqual(File(dataDirs[0], k))))
                .Select(dir => new CompiledGroup.DataSet(
                    Enumerable.Range(0, Names.Count).Where(k => !constantIndices.Contains(k))
                        .Select(k => TestTensor.FromProtobufFile(Path.Combine(dir, $"input_{k}.pb"))).ToList(),
                    Tensors(dir, "output_").ToList()))
                .ToList();
        }
    }
}
