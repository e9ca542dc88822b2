using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using Google.Protobuf;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.NodeTests;

/// <summary>
/// The node tests of the element-wise ops again, with their inputs turned into initializers: "folded" makes
/// every input a constant, so the whole graph is computed at build time by the ops' Fold and the generated
/// code only copies the result; "weights" keeps input 0 a run-time input and makes the others constants, so
/// kernels read them from the weight blob or bake them in as literals (Clip's bounds). Both must give the
/// test's expected outputs (data set 0), within the same tolerances as <see cref="OnnxNodeTests"/>.
/// </summary>
public sealed class ElementwiseConstantInputNodeTests
{
    /// <summary>Ops whose folding and constant-input kernels are checked this way (with the graph plumbing ops).</summary>
    public static readonly IReadOnlySet<string> Ops = new HashSet<string>(StringComparer.Ordinal)
    {
        "Constant", "Identity",
        "Add", "Sub", "Mul", "Div", "Pow", "Mod", "Min", "Max", "Sum", "Mean",
        "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "And", "Or", "Xor", "Not", "Where", "Cast", "CastLike",
        "Relu", "LeakyRelu", "PRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Elu", "Selu", "Softplus",
        "Exp", "Log", "Sqrt", "Reciprocal", "Neg", "Abs", "Erf", "Floor", "Ceil", "Sign", "Round",
        "Softsign", "ThresholdedRelu", "Celu", "Mish", "Swish", "Gelu", "Shrink",
        "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh",
        "IsNaN", "IsInf", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitwiseNot", "BitShift",
    };

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var c in NodeTestCatalog.Cases.Values.Where(c => c.Expected is { Compiles: true } && c.Ops.All(Ops.Contains)))
        {
            data.Add(c.Name, "folded");
            if (InputCount(c) > 1) data.Add(c.Name, "weights");
        }
        if (data.Count == 0) data.Add("(shared test material missing)", "folded");
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Constant_inputs_give_the_expected_outputs(string name, string mode)
    {
        if (!NodeTestCatalog.Cases.TryGetValue(name, out var c))
        {
            Repo.Shared("onnx-tests/node");
            Assert.Skip("no node tests found");
            return;
        }
        var group = s_groups.GetOrAdd(c.Group + "/" + mode, _ => new Lazy<Group>(() => Group.Build(
            NodeTestCatalog.Cases.Values.Where(k => k.Group == c.Group && k.Expected is { Compiles: true } && k.Ops.All(Ops.Contains)
                && (mode == "folded" || InputCount(k) > 1)).ToList(), mode == "folded"))).Value;
        if (group.Failures.TryGetValue(name, out string? failure)) Assert.Fail($"{name} ({mode}): {failure}");

        var (ns, inputs, expected) = group.Io[name];
        var outputs = expected.Select(o => Adapter.NewArray(o.CSharpType, o.Data.Length)).ToArray();
        Adapter.Run(group.Assembly!, ns, inputs.Select(i => (object)i.Data).ToArray(), outputs);
        for (int k = 0; k < outputs.Length; k++)
        {
            double rtol = expected[k].Data is Half[] ? 1e-3 : OnnxNodeTests.FloatRtol;
            Compare.Close(expected[k].Data, outputs[k], rtol, OnnxNodeTests.FloatAtol, $"{name} ({mode}) output {k} ('{expected[k].Name}')");
        }
    }

    private static readonly ConcurrentDictionary<string, Lazy<Group>> s_groups = new();

    private static int InputCount(NodeCase c) =>
        Directory.GetFiles(Path.Combine(c.Directory, "test_data_set_0"), "input_*.pb").Length;

    private sealed class Group
    {
        public Dictionary<string, string> Failures { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, (string Namespace, List<TestTensor> Inputs, List<TestTensor> Outputs)> Io { get; } = new(StringComparer.Ordinal);
        public Assembly? Assembly { get; private set; }

        public static Group Build(IReadOnlyList<NodeCase> cases, bool allConstant)
        {
            var group = new Group();
            var units = new Dictionary<string, List<InMemoryCompiler.Unit>>(StringComparer.Ordinal);
            foreach (var c in cases)
            {
                try
                {
                    string set = Path.Combine(c.Directory, "test_data_set_0");
                    var inputFiles = Files(set, "input_");
                    var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(c.Directory, "model.onnx")));
                    var runtimeInputs = new List<TestTensor>();
                    var graphInputs = model.Graph.Input.ToList();
                    model.Graph.Input.Clear();
                    for (int i = 0; i < graphInputs.Count; i++)
                    {
                        if (!allConstant && i == 0)
                        {
                            model.Graph.Input.Add(graphInputs[i]);
                            runtimeInputs.Add(TestTensor.FromProtobufFile(inputFiles[i]));
                            continue;
                        }
                        var t = TensorProto.Parser.ParseFrom(File.ReadAllBytes(inputFiles[i]));
                        t.Name = graphInputs[i].Name;
                        model.Graph.Initializer.Add(t);
                    }
                    model.IrVersion = Math.Max(model.IrVersion, 4); // initializers need not be listed as inputs from IR 4
                    var outputs = Files(set, "output_").Select(TestTensor.FromProtobufFile).ToList();

                    string ns = "ConstantInputTests." + (allConstant ? "Folded_" : "Weights_") + new string(c.Name.Select(ch => char.IsLetterOrDigit(ch) ? ch : '_').ToArray());
                    var (result, unit) = InMemoryCompiler.Generate(model.ToByteArray(), ns, fileName: c.Name + ".onnx");
                    if (unit is null)
                    {
                        group.Failures[c.Name] = "ModelCompiler reported: " + string.Join("; ", result.Diagnostics);
                        continue;
                    }
                    string adapter = Adapter.Source(ns, "Model", runtimeInputs.Select(t => t.CSharpType).ToList(), outputs.Select(t => t.CSharpType).ToList());
                    units[c.Name] = new List<InMemoryCompiler.Unit> { unit, new(ns + ".Adapter", adapter) };
                    group.Io[c.Name] = (ns, runtimeInputs, outputs);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    group.Failures[c.Name] = $"{e.GetType().Name}: {e.Message}";
                }
            }
            if (units.Count == 0) return group;
            var compiled = InMemoryCompiler.Compile(units.Values.SelectMany(u => u));
            if (compiled.Assembly is null)
                foreach (var name in units.Keys) group.Failures[name] = "generated C# does not compile: " + string.Join("; ", compiled.Errors.Take(5));
            group.Assembly = compiled.Assembly;
            return group;
        }

        private static List<string> Files(string dir, string prefix) =>
            Directory.GetFiles(dir, prefix + "*.pb")
                .OrderBy(f => int.Parse(Path.GetFileNameWithoutExtension(f).Substring(prefix.Length), System.Globalization.CultureInfo.InvariantCulture))
                .ToList();
    }
}
