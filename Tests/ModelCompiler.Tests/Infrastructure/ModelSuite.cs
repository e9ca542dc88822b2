using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using ModelCompiler.Compilation;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>
/// A set of model files compiled together (one Roslyn compilation for all of them, done on first use),
/// each callable with float arrays. A model that fails to compile keeps its diagnostics for the test that
/// asks for it, without failing the others.
/// </summary>
public sealed class ModelSuite
{
    public sealed record Entry(string Id, Func<byte[]> Load, string? InputShape = null);

    public sealed class Compiled
    {
        internal Compiled(string id, string ns, CompileResult result, Assembly? assembly, string? failure)
        {
            Id = id; Namespace = ns; Result = result; Assembly = assembly; Failure = failure;
        }
        public string Id { get; }
        public string Namespace { get; }
        internal CompileResult Result { get; }
        public Assembly? Assembly { get; }
        public string? Failure { get; }

        public int[] InputLengths => Result.Inputs.Select(i => (int)i.Length).ToArray();
        public IReadOnlyList<int[]> InputShapes => Result.Inputs.Select(i => i.Shape).ToList();

        public float[][] Run(params float[][] inputs)
        {
            if (Failure is not null) throw new InvalidOperationException(Failure);
            var outputs = Result.Outputs.Select(o => new float[o.Length]).ToArray();
            Adapter.Run(Assembly!, Namespace, inputs.Cast<object>().ToArray(), outputs.Cast<object>().ToArray());
            return outputs;
        }
    }

    private readonly Lazy<Dictionary<string, Compiled>> _compiled;

    public ModelSuite(string name, IEnumerable<Entry> entries)
    {
        var list = entries.ToList();
        _compiled = new Lazy<Dictionary<string, Compiled>>(() => Build(name, list));
    }

    public Compiled this[string id] => _compiled.Value[id];

    private static Dictionary<string, Compiled> Build(string suite, List<Entry> entries)
    {
        var results = new Dictionary<string, (string Ns, CompileResult Result, List<InMemoryCompiler.Unit>? Units, string? Failure)>();
        foreach (var e in entries)
        {
            string ns = suite + "." + new string(e.Id.Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray());
            try
            {
                var (result, unit) = InMemoryCompiler.Generate(e.Load(), ns, inputShape: e.InputShape, fileName: e.Id + ".onnx");
                if (unit is null) { results[e.Id] = (ns, result, null, "ModelCompiler reported: " + string.Join("; ", result.Diagnostics)); continue; }
                bool allFloat = result.Inputs.Concat(result.Outputs).All(t => t.Type == Graph.DataType.Float);
                if (!allFloat) { results[e.Id] = (ns, result, null, "test adapter handles float32 inputs/outputs only"); continue; }
                string adapter = Adapter.Source(ns, "Model", result.Inputs.Select(_ => "float").ToList(), result.Outputs.Select(_ => "float").ToList());
                results[e.Id] = (ns, result, new List<InMemoryCompiler.Unit> { unit, new(ns + ".Adapter", adapter) }, null);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                results[e.Id] = (ns, new CompileResult(), null, $"{ex.GetType().Name}: {ex.Message}");
            }
        }

        Assembly? assembly = null;
        var compileFailures = new Dictionary<string, string>();
        var pending = results.Where(r => r.Value.Units is not null).ToDictionary(r => r.Key, r => r.Value.Units!);
        while (pending.Count > 0)
        {
            var compiled = InMemoryCompiler.Compile(pending.Values.SelectMany(u => u), suite.Replace('.', '_'));
            var bad = compiled.Diagnostics
                .Select(d => pending.FirstOrDefault(p => p.Value.Any(u => u.Name + ".cs" == d.Location.SourceTree?.FilePath)).Key)
                .Where(k => k is not null).Distinct().ToList();
            if (bad.Count == 0)
            {
                if (compiled.Assembly is null)
                    foreach (var k in pending.Keys) compileFailures[k] = string.Join("; ", compiled.Errors.Take(3));
                assembly = compiled.Assembly;
                break;
            }
            foreach (var k in bad)
            {
                compileFailures[k!] = "generated C# has diagnostics: " + string.Join("; ", compiled.Diagnostics.Where(d => pending[k!].Any(u => u.Name + ".cs" == d.Location.SourceTree?.FilePath)).Take(3));
                pending.Remove(k!);
            }
        }

        return results.ToDictionary(r => r.Key, r => new Compiled(r.Key, r.Value.Ns, r.Value.Result, r.Value.Failure is null && !compileFailures.ContainsKey(r.Key) ? assembly : null,
            r.Value.Failure ?? (compileFailures.TryGetValue(r.Key, out var f) ? f : null)));
    }
}
