using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Google.Protobuf;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.NodeTests;

/// <summary>
/// Many ONNX node tests of the layout ops feed their shape, axes, pads, starts or repeats as graph inputs, which
/// <see cref="OnnxNodeTests"/> skips (ModelCompiler compiles static graphs: MC0008). Here such a case is
/// compiled again with exactly those inputs turned into initializers holding the test's own data, so the op
/// is still checked against ONNX's expected outputs, the way a real model (where they are constants) uses it.
/// Only cases made entirely of the layout/shape ops are rewritten; the others stay with OnnxNodeTests.
/// </summary>
public sealed class LayoutConstantInputNodeTests
{
    private static readonly HashSet<string> s_ops = new(StringComparer.Ordinal)
    {
        "Concat", "Split", "Slice", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Expand", "Tile", "Pad", "Gather",
        "DepthToSpace", "SpaceToDepth", "Shape", "Size", "ConstantOfShape", "Range", "Identity", "Dropout", "Reshape", "Constant",
    };

    private static readonly ConcurrentDictionary<string, Lazy<CompiledCase>> s_cases = new();

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in NodeTestCatalog.Cases.Values.Where(c => c.NotAttempted is null && c.Ops.All(s_ops.Contains)))
            data.Add(c.Name);
        if (data.Count == 0) data.Add("(shared test material missing)");
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_onnx_expected_outputs_with_constant_inputs(string name)
    {
        if (!NodeTestCatalog.Cases.TryGetValue(name, out var nodeCase))
        {
            Repo.Shared("onnx-tests/node");
            Assert.Skip("no node tests found");
            return;
        }
        var c = s_cases.GetOrAdd(name, n => new Lazy<CompiledCase>(() => CompiledCase.Build(nodeCase))).Value;
        if (c.Skip is not null) Assert.Skip(c.Skip);
        if (c.Failure is not null && Exclusions.Reasons.TryGetValue(name, out string? reason)) Assert.Skip("excluded: " + reason);
        if (c.Failure is not null) Assert.Fail($"{name} with constant {string.Join(", ", c.Constants)}: {c.Failure}");

        c.RunAndCompare(name);
    }

    /// <summary>
    /// The same cases with every input an initializer: the whole graph must fold at build time (no layer left)
    /// and the folded constants must equal ONNX's expected outputs. This checks each op's Fold, on the test's
    /// own element types (float, int64, int32, bool...).
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Folds_to_onnx_expected_outputs(string name)
    {
        if (!NodeTestCatalog.Cases.TryGetValue(name, out var nodeCase))
        {
            Repo.Shared("onnx-tests/node");
            Assert.Skip("no node tests found");
            return;
        }
        var c = s_folded.GetOrAdd(name, n => new Lazy<CompiledCase>(() => CompiledCase.Build(nodeCase, allConstant: true))).Value;
        if (c.Skip is not null) Assert.Skip(c.Skip);
        if (c.Failure is not null && Exclusions.Reasons.TryGetValue(name, out string? reason)) Assert.Skip("excluded: " + reason);
        if (c.Failure is not null) Assert.Fail($"{name} with every input constant: {c.Failure}");
        Assert.True(c.Layers == 0, $"{name}: {c.Layers} layer(s) left after folding every-constant inputs");
        var set = c.DataSets[0];
        var outputs = set.Outputs.Select(o => Adapter.NewArray(o.CSharpType, o.Data.Length)).ToArray();
        Adapter.Run(c.Assembly!, c.Namespace, Array.Empty<object>(), outputs);
        for (int k = 0; k < outputs.Length; k++)
        {
            var expected = set.Outputs[k];
            double rtol = expected.Data is Half[] ? 1e-3 : OnnxNodeTests.FloatRtol;
            Compare.Close(expected.Data, outputs[k], rtol, OnnxNodeTests.FloatAtol, $"{name} (folded) output {k} ('{expected.Name}')");
        }
    }

    private static readonly ConcurrentDictionary<string, Lazy<CompiledCase>> s_folded = new();

    /// <summary>A node test compiled with the inputs that MC0008 names turned into initializers (also used by other op families' suites).</summary>
    internal sealed class CompiledCase
    {
        public int Layers { get; private set; }
        public string? Skip { get; private init; }
        public string? Failure { get; private init; }
        public List<string> Constants { get; } = new();
        public List<CompiledGroup.DataSet> DataSets { get; } = new();
        public System.Reflection.Assembly? Assembly { get; private set; }
        public string Namespace { get; private init; } = "";

        private static readonly Regex s_constantInput = new("\\(input \\d+, '([^']*)'\\) must be a constant known at build time(?:, but it is computed from graph inputs? ((?:'[^']*'(?:, )?)+))?", RegexOptions.CultureInvariant);

        /// <summary>Runs every data set and compares each output with ONNX's expected one (the node tests' tolerances).</summary>
        public void RunAndCompare(string name)
        {
            for (int s = 0; s < DataSets.Count; s++)
            {
                var set = DataSets[s];
                var outputs = set.Outputs.Select(o => Adapter.NewArray(o.CSharpType, o.Data.Length)).ToArray();
                Adapter.Run(Assembly!, Namespace, set.Inputs.Select(i => (object)i.Data).ToArray(), outputs);
                for (int k = 0; k < outputs.Length; k++)
                {
                    var expected = set.Outputs[k];
                    double rtol = expected.Data is Half[] ? 1e-3 : OnnxNodeTests.FloatRtol;
                    Compare.Close(expected.Data, outputs[k], rtol, OnnxNodeTests.FloatAtol, $"{name} (constant {string.Join(", ", Constants)}) data set {s} output {k} ('{expected.Name}')");
                }
            }
        }

        public static CompiledCase Build(NodeCase nc, bool allConstant = false)
        {
            var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(nc.Directory, "model.onnx")));
            var setDirs = Directory.GetDirectories(nc.Directory, "test_data_set_*").OrderBy(d => d, StringComparer.Ordinal).ToList();
            if (setDirs.Count == 0) return new CompiledCase { Skip = "no test data" };
            var inputNames = model.Graph.Input.Select(i => i.Name).ToList();
            string ns = (allConstant ? "Folded." : "ConstantInputs.") + new string(nc.Name.Select(ch => char.IsLetterOrDigit(ch) ? ch : '_').ToArray());
            var constants = new List<string>();
            if (allConstant)
            {
                if (model.Graph.Input.Count == 0) return new CompiledCase { Skip = "has no inputs" };
                foreach (string input in inputNames) MakeInitializer(model, input, Path.Combine(setDirs[0], $"input_{inputNames.IndexOf(input)}.pb"));
                constants.AddRange(inputNames);
                setDirs = setDirs.Take(1).ToList();
            }

            // Turn the inputs that MC0008 names into initializers, one at a time, until the model compiles.
            while (true)
            {
                var (result, unit) = InMemoryCompiler.Generate(model.ToByteArray(), ns, fileName: nc.Name + ".onnx");
                string messages = string.Join("; ", result.Diagnostics);
                if (unit is not null)
                {
                    if (constants.Count == 0) return new CompiledCase { Skip = "needs no constant inputs: OnnxNodeTests runs it as is" };
                    var done = Finish(ns, unit, Adapter.Bounded(result), constants, inputNames, setDirs);
                    done.Layers = result.Layers;
                    return done;
                }
                var m = s_constantInput.Match(messages);
                if (!m.Success)
                {
                    if (constants.Count == 0) return new CompiledCase { Skip = "does not compile as is either; OnnxNodeTests reports it" };
                    var failed = new CompiledCase { Failure = "ModelCompiler reported: " + messages };
                    failed.Constants.AddRange(constants);
                    return failed;
                }
                // An intermediate value: the message names the graph inputs it is computed from.
                var named = m.Groups[2].Success
                    ? Regex.Matches(m.Groups[2].Value, "'([^']*)'").Select(g => g.Groups[1].Value).ToList()
                    : new List<string> { m.Groups[1].Value };
                foreach (string input in named)
                {
                    int k = inputNames.IndexOf(input);
                    if (k < 0 || model.Graph.Input.All(i => i.Name != input)) return new CompiledCase { Failure = $"'{input}' must be constant but is not a graph input: " + messages };
                    MakeInitializer(model, input, Path.Combine(setDirs[0], $"input_{k}.pb"));
                    constants.Add(input);
                }
            }
        }

        /// <summary>Moves graph input <paramref name="input"/> to the initializers, with the tensor stored in <paramref name="file"/>.</summary>
        private static void MakeInitializer(ModelProto model, string input, string file)
        {
            var tensor = TensorProto.Parser.ParseFrom(File.ReadAllBytes(file));
            tensor.Name = input;
            model.Graph.Initializer.Add(tensor);
            model.Graph.Input.Remove(model.Graph.Input.First(i => i.Name == input));
        }

        private static CompiledCase Finish(string ns, InMemoryCompiler.Unit unit, IReadOnlyList<(long Capacity, long Row)?> bounded, List<string> constants, List<string> inputNames, List<string> setDirs)
        {
            var c = new CompiledCase { Namespace = ns };
            c.Constants.AddRange(constants);
            var constantIndices = constants.Select(n => inputNames.IndexOf(n)).ToHashSet();
            try
            {
                byte[] Input(string dir, int k) => File.ReadAllBytes(Path.Combine(dir, $"input_{k}.pb"));
                foreach (string dir in setDirs)
                {
                    // A data set whose constant inputs differ from the first one's would need another model.
                    if (constantIndices.Any(k => !Input(dir, k).AsSpan().SequenceEqual(Input(setDirs[0], k)))) continue;
                    var inputs = Enumerable.Range(0, inputNames.Count).Where(k => !constantIndices.Contains(k))
                        .Select(k => TestTensor.FromProtobufFile(Path.Combine(dir, $"input_{k}.pb"))).ToList();
                    var outputs = Directory.GetFiles(dir, "output_*.pb")
                        .OrderBy(f => int.Parse(Path.GetFileNameWithoutExtension(f).Substring(7), System.Globalization.CultureInfo.InvariantCulture))
                        .Select(TestTensor.FromProtobufFile).ToList();
                    c.DataSets.Add(new CompiledGroup.DataSet(inputs, outputs));
                }
            }
            catch (NotSupportedException e)
            {
                return new CompiledCase { Skip = "test data of a type generated code has no C# type for: " + e.Message };
            }
            var first = c.DataSets[0];
            string adapter = Adapter.Source(ns, "Model", first.Inputs.Select(t => t.CSharpType).ToList(), first.Outputs.Select(t => t.CSharpType).ToList(), bounded);
            var compiled = InMemoryCompiler.Compile(new[] { unit, new InMemoryCompiler.Unit(ns + ".Adapter", adapter) });
            if (compiled.Assembly is null || compiled.Warnings.Any())
                return new CompiledCase { Failure = "generated C# has diagnostics: " + string.Join("; ", compiled.Diagnostics.Take(5)) };
            c.Assembly = compiled.Assembly;
            return c;
        }
    }
}
