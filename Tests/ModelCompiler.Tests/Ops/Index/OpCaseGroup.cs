using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Google.Protobuf;
using ModelCompiler.Graph;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Ops.Index;

/// <summary>
/// One small model checked against ONNX Runtime: <see cref="Inputs"/> are fed at run time (graph inputs, in
/// order), the model's initializers are the build-time constants. Float outputs within
/// <c>1e-6 + Rtol * |ONNX Runtime|</c>, integer outputs exact.
/// </summary>
internal sealed record OpCase(string Name, byte[] Model, IReadOnlyList<TestTensor> Inputs)
{
    public double Rtol { get; init; } = 1e-4;

    /// <summary>The absolute floor of the float comparison.</summary>
    public double Atol { get; init; } = 1e-6;

    public override string ToString() => Name;

    /// <summary>A one-node model: <paramref name="inputs"/> with data in <paramref name="constants"/> become initializers, the rest graph inputs.</summary>
    public static OpCase Node(string name, string op, int opset, IReadOnlyList<TestTensor?> inputs, IReadOnlyList<DataType> outputs,
        ISet<string>? constants = null, params (string Name, object Value)[] attributes)
    {
        var b = new OnnxModelBuilder(opset, irVersion: 10, producerVersion: null, graphName: name);
        b.OneNode(op, op + "_0", inputs.Select(t => t is null ? null : new OnnxModelBuilder.NodeInput(t.Name, t.ElementType, t.Shape, constants?.Contains(t.Name) == true ? t.Data : null)),
            OnnxModelBuilder.Outputs(outputs.Select(t => (int)t)), attributes);
        var runtime = inputs.Where(t => t is not null && constants?.Contains(t.Name) != true).Select(t => t!).ToList();
        return new OpCase(name, b.Build(), runtime);
    }

    /// <summary>The same case with every run-time input an initializer: the whole node should fold at build time.</summary>
    public OpCase AllConstant()
    {
        var model = ModelProto.Parser.ParseFrom(Model);
        foreach (var t in Inputs)
        {
            model.Graph.Input.Remove(model.Graph.Input.First(i => i.Name == t.Name));
            model.Graph.Initializer.Add(ToProto(t));
        }
        return new OpCase(Name + "_folded", model.ToByteArray(), Array.Empty<TestTensor>()) { Rtol = Rtol, Atol = Atol };
    }

    public static TensorProto ToProto(TestTensor t) => OnnxModelBuilder.Tensor(t.Name, t.ElementType, t.Shape, t.Data);

    public static TestTensor Floats(string name, int[] shape, uint seed, float scale = 1f) =>
        TestTensor.Floats(name, shape, OnnxModelBuilder.RandomFloats((int)ShapeText.Product(shape), seed).Select(v => v * scale).ToArray());

    public static TestTensor Longs(string name, int[] shape, params long[] values) => new(name, (int)DataType.Int64, shape, values);
}

/// <summary>
/// Cases compiled together into one in-memory assembly (one Roslyn compilation for a whole test class), each
/// then run against ONNX Runtime. A case that does not compile records why and fails alone.
/// </summary>
internal sealed class OpCaseGroup
{
    private readonly Dictionary<string, OpCase> _cases = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _failures = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _layers = new(StringComparer.Ordinal);
    private Assembly? _assembly;

    /// <summary>Layers the compiled model of case <paramref name="name"/> kept (0 when everything folded).</summary>
    public int Layers(string name) => _layers.TryGetValue(name, out int n) ? n : -1;

    public static OpCaseGroup Build(string prefix, IEnumerable<OpCase> cases)
    {
        var group = new OpCaseGroup();
        var units = new Dictionary<string, List<InMemoryCompiler.Unit>>(StringComparer.Ordinal);
        foreach (var c in cases)
        {
            group._cases.Add(c.Name, c);
            string ns = Namespace(prefix, c.Name);
            var (result, unit) = InMemoryCompiler.Generate(c.Model, ns);
            if (unit is null)
            {
                group._failures[c.Name] = "ModelCompiler reported: " + string.Join("; ", result.Diagnostics);
                continue;
            }
            group._layers[c.Name] = result.Layers;
            var outputs = result.Outputs.Select(o => o.Type.CSharpName()!).ToList();
            string adapter = Adapter.Source(ns, "Model", c.Inputs.Select(i => i.CSharpType).ToList(), outputs, Adapter.Bounded(result));
            units[c.Name] = new List<InMemoryCompiler.Unit> { unit, new(ns + ".Adapter", adapter) };
        }
        var compiled = InMemoryCompiler.Compile(units.Values.SelectMany(u => u));
        if (compiled.Assembly is null || compiled.Warnings.Any())
            foreach (var name in units.Keys) group._failures[name] = "generated C# has diagnostics: " + string.Join("; ", compiled.Diagnostics.Take(5));
        group._assembly = compiled.Assembly;
        group.Prefix = prefix;
        return group;
    }

    private string Prefix { get; set; } = "";

    private static string Namespace(string prefix, string name) =>
        prefix + "." + new string(name.Select(ch => char.IsLetterOrDigit(ch) ? ch : '_').ToArray());

    public IEnumerable<string> Names => _cases.Keys;

    /// <summary>Runs case <paramref name="name"/> through the compiled model and ONNX Runtime and compares every output.</summary>
    public void Check(string name)
    {
        var c = _cases[name];
        if (_failures.TryGetValue(name, out string? failure)) Assert.Fail($"{name}: {failure}");
        var expected = OrtReference.RunTyped(c.Model, c.Inputs);
        var actual = expected.Select(e => Adapter.NewArray(e.CSharpType, e.Data.Length)).ToArray();
        Adapter.Run(_assembly!, Namespace(Prefix, name), c.Inputs.Select(i => (object)i.Data).ToArray(), actual);
        for (int k = 0; k < actual.Length; k++)
            Compare.Close(expected[k].Data, actual[k], c.Rtol, c.Atol, $"{name} output {k} (against ONNX Runtime)");
    }
}
