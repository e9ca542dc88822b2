using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using ModelCompiler.Tests.Infrastructure;

namespace ModelCompiler.Tests.NodeTests;

/// <summary>
/// The node tests of one group, compiled together into one in-memory assembly. A case whose model does not
/// compile (or whose generated C# does not) records why; the others still run.
/// </summary>
public sealed class CompiledGroup
{
    private readonly Dictionary<string, string> _failures = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CaseIo> _io = new(StringComparer.Ordinal);
    private Assembly? _assembly;

    public sealed record DataSet(IReadOnlyList<TestTensor> Inputs, IReadOnlyList<TestTensor> Outputs);
    public sealed record CaseIo(string Namespace, IReadOnlyList<DataSet> DataSets);

    /// <summary>Why a case could not be built, or null.</summary>
    public string? Failure(string name) => _failures.TryGetValue(name, out var f) ? f : null;

    public CaseIo Io(string name) => _io[name];
    public Assembly Assembly => _assembly ?? throw new InvalidOperationException("group did not compile");

    public static CompiledGroup Build(IReadOnlyList<NodeCase> cases)
    {
        var group = new CompiledGroup();
        var units = new Dictionary<string, List<InMemoryCompiler.Unit>>(StringComparer.Ordinal);
        foreach (var c in cases)
        {
            try
            {
                var dataSets = Directory.GetDirectories(c.Directory, "test_data_set_*").OrderBy(d => d, StringComparer.Ordinal)
                    .Select(d => new DataSet(
                        Files(d, "input_").Select(TestTensor.FromProtobufFile).ToList(),
                        Files(d, "output_").Select(TestTensor.FromProtobufFile).ToList()))
                    .ToList();
                if (dataSets.Count == 0) { group._failures[c.Name] = "no test data"; continue; }
                string ns = "NodeTests." + Identifier(c.Name);
                var (result, unit) = InMemoryCompiler.Generate(File.ReadAllBytes(Path.Combine(c.Directory, "model.onnx")), ns, fileName: c.Name + ".onnx");
                if (unit is null)
                {
                    group._failures[c.Name] = "ModelCompiler reported: " + string.Join("; ", result.Diagnostics);
                    continue;
                }
                var first = dataSets[0];
                string adapter = Adapter.Source(ns, "Model", first.Inputs.Select(t => t.CSharpType).ToList(), first.Outputs.Select(t => t.CSharpType).ToList(), Adapter.Bounded(result));
                units[c.Name] = new List<InMemoryCompiler.Unit> { unit, new(ns + ".Adapter", adapter) };
                group._io[c.Name] = new CaseIo(ns, dataSets);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                group._failures[c.Name] = $"{e.GetType().Name}: {e.Message}";
            }
        }

        // Compile everything at once; cases whose code has errors are set aside with their errors and the rest recompiled.
        for (int attempt = 0; attempt < 3 && units.Count > 0; attempt++)
        {
            var compiled = InMemoryCompiler.Compile(units.Values.SelectMany(u => u));
            var bad = compiled.Diagnostics
                .Select(d => (Diagnostic: d, Case: units.FirstOrDefault(u => u.Value.Any(x => x.Name + ".cs" == d.Location.SourceTree?.FilePath)).Key))
                .Where(x => x.Case is not null)
                .GroupBy(x => x.Case!)
                .ToList();
            foreach (var b in bad)
            {
                group._failures[b.Key] = "generated C# has diagnostics: " + string.Join("; ", b.Select(x => x.Diagnostic.ToString()).Take(5));
                units.Remove(b.Key);
                group._io.Remove(b.Key);
            }
            if (compiled.Assembly is not null && bad.Count == 0)
            {
                group._assembly = compiled.Assembly;
                break;
            }
            if (bad.Count == 0)
            {
                foreach (var name in units.Keys) group._failures[name] = "group failed to compile: " + string.Join("; ", compiled.Errors.Take(5));
                units.Clear();
            }
        }
        return group;
    }

    private static IEnumerable<string> Files(string dir, string prefix) =>
        Directory.GetFiles(dir, prefix + "*.pb").OrderBy(f => int.Parse(Path.GetFileNameWithoutExtension(f).Substring(prefix.Length), System.Globalization.CultureInfo.InvariantCulture));

    private static string Identifier(string s) => new string(s.Select(ch => char.IsLetterOrDigit(ch) ? ch : '_').ToArray());
}
