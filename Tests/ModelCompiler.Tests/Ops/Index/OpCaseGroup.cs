using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
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
        var graph = new GraphProto { Name = name };
        var node = new NodeProto { OpType = op, Name = op + "_0" };
        var runtime = new List<TestTensor>();
        foreach (var t in inputs)
        {
            node.Input.Add(t?.Name ?? "");
            if (t is null) continue;
            if (constants?.Contains(t.Name) == true) graph.Initializer.Add(ToProto(t));
            else
            {
                graph.Input.Add(ValueInfo(t.Name, t.ElementType, t.Shape));
                runtime.Add(t);
            }
        }
        for (int k = 0; k < outputs.Count; k++)
        {
            node.Output.Add("y" + k);
            graph.Output.Add(ValueInfo("y" + k, (int)outputs[k], null));
        }
        foreach (var (key, value) in attributes) node.Attribute.Add(OnnxModelBuilder.Attribute(key, value));
        graph.Node.Add(node);
        var model = new ModelProto { IrVersion = 10, ProducerName = "ModelCompiler.Tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return new OpCase(name, model.ToByteArray(), runtime);
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

    public static TensorProto ToProto(TestTensor t)
    {
        var p = new TensorProto { Name = t.Name, DataType = t.ElementType };
        p.Dims.AddRange(t.Shape.Select(d => (long)d));
        byte[] raw = t.Data switch
        {
            bool[] b => b.Select(v => v ? (byte)1 : (byte)0).ToArray(),
            float[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
            double[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
            long[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
            int[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
            ulong[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
            byte[] a => a,
            sbyte[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
            _ => throw new NotSupportedException(t.Data.GetType().Name),
        };
        p.RawData = ByteString.CopyFrom(raw);
        return p;
    }

    private static ValueInfoProto ValueInfo(string name, int elemType, int[]? shape)
    {
        var tt = new TypeProto.Types.Tensor { ElemType = elemType };
        if (shape is not null)
        {
            tt.Shape = new TensorShapeProto();
            foreach (int d in shape) tt.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tt } };
    }

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
