using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using Google.Protobuf;
using ModelCompiler.Compilation;
using ModelCompiler.Graph;
using ModelCompiler.Onnx.Proto;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>
/// Builds small ONNX models in C# for focused tests: graph inputs, initializers, nodes with attributes and
/// outputs, then <see cref="Build"/> for the bytes or <see cref="Compile"/> to run them through ModelCompiler
/// and Roslyn.
/// </summary>
/// <example>
/// <code>
/// var b = new OnnxBuilder(opset: 13);
/// var x = b.Input("x", DataType.Float, 2, 3);
/// var y = b.Node("Transpose", new[] { x }, OnnxBuilder.Ints("perm", 1, 0));
/// b.Output(y, DataType.Float);
/// </code>
/// </example>
internal sealed class OnnxBuilder
{
    private readonly GraphProto _graph = new() { Name = "test" };
    private readonly int _opset;
    private int _counter;

    public OnnxBuilder(int opset = 17) => _opset = opset;

    /// <summary>A graph input of the given element type and static shape.</summary>
    public string Input(string name, DataType type, params int[] shape)
    {
        _graph.Input.Add(ValueInfo(name, type, shape));
        return name;
    }

    /// <summary>A graph output; its shape is left for ModelCompiler to infer.</summary>
    public void Output(string name, DataType type) => _graph.Output.Add(ValueInfo(name, type, null));

    /// <summary>An initializer from raw little-endian bytes.</summary>
    public string Initializer(DataType type, int[] shape, byte[] raw, string? name = null)
    {
        name ??= Fresh("const");
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(raw) };
        t.Dims.AddRange(shape.Select(d => (long)d));
        _graph.Initializer.Add(t);
        return name;
    }

    /// <summary>An initializer holding a .NET array (float[], long[], int[], bool[], Half[], byte[]...).</summary>
    public string Initializer<T>(int[] shape, T[] values, string? name = null) where T : unmanaged =>
        Initializer(TypeOf<T>(), shape, Bytes(values), name);

    /// <summary>A 1-D int64 initializer (shapes, axes, pads, starts...).</summary>
    public string Int64s(params long[] values) => Initializer(new[] { values.Length }, values);

    /// <summary>A 0-D int64 initializer.</summary>
    public string Int64Scalar(long value) => Initializer(Array.Empty<int>(), new[] { value });

    /// <summary>Adds a node with one output and returns the output's name.</summary>
    public string Node(string opType, string?[] inputs, params AttributeProto[] attributes) => Node(opType, inputs, 1, attributes)[0];

    /// <summary>Adds a node with <paramref name="outputs"/> outputs and returns their names. A null input is an omitted optional one.</summary>
    public string[] Node(string opType, string?[] inputs, int outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = Fresh(opType) };
        node.Input.AddRange(inputs.Select(i => i ?? ""));
        var names = Enumerable.Range(0, outputs).Select(_ => Fresh(opType.ToLowerInvariant())).ToArray();
        node.Output.AddRange(names);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return names;
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };
    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };
    public static AttributeProto String(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    /// <summary>A tensor attribute (ConstantOfShape's value).</summary>
    public static AttributeProto Tensor<T>(string name, int[] shape, T[] values) where T : unmanaged
    {
        var t = new TensorProto { DataType = (int)TypeOf<T>(), RawData = ByteString.CopyFrom(Bytes(values)) };
        t.Dims.AddRange(shape.Select(d => (long)d));
        return new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = t };
    }

    public byte[] Build()
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "OnnxBuilder", Graph = _graph.Clone() };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = _opset });
        return model.ToByteArray();
    }

    /// <summary>Compiles the model (ModelCompiler, then Roslyn). Fails the test with the diagnostics if either step fails.</summary>
    public CompiledModel Compile(string? name = null)
    {
        string ns = "Built." + (name ?? "M") + System.Threading.Interlocked.Increment(ref s_models).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (result, unit) = InMemoryCompiler.Generate(Build(), ns);
        if (unit is null) throw new Xunit.Sdk.XunitException("ModelCompiler reported: " + string.Join("; ", result.Diagnostics));
        var inputTypes = _graph.Input.Select(i => ((DataType)i.Type.TensorType.ElemType).CSharpName()!).ToList();
        var outputTypes = _graph.Output.Select(o => ((DataType)o.Type.TensorType.ElemType).CSharpName()!).ToList();
        string adapter = Adapter.Source(ns, "Model", inputTypes, outputTypes);
        var compiled = InMemoryCompiler.Compile(new[] { unit, new InMemoryCompiler.Unit(ns + ".Adapter", adapter) });
        if (compiled.Assembly is null || compiled.Warnings.Any())
            throw new Xunit.Sdk.XunitException("generated C# has diagnostics: " + string.Join("; ", compiled.Diagnostics.Take(5)) + "\n" + result.Source);
        return new CompiledModel(result, compiled.Assembly, ns);
    }

    private static int s_models;

    /// <summary>Only attempts the ModelCompiler step (for tests that expect diagnostics).</summary>
    public CompileResult Generate() => InMemoryCompiler.Generate(Build(), "Built.Diagnostics").Result;

    private string Fresh(string prefix) => $"{prefix}_{_counter++}";

    private static ValueInfoProto ValueInfo(string name, DataType type, int[]? shape)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)type };
        if (shape is not null)
        {
            tensor.Shape = new TensorShapeProto();
            foreach (int d in shape) tensor.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }

    internal static DataType TypeOf<T>() => typeof(T) switch
    {
        var t when t == typeof(float) => DataType.Float,
        var t when t == typeof(double) => DataType.Double,
        var t when t == typeof(Half) => DataType.Float16,
        var t when t == typeof(long) => DataType.Int64,
        var t when t == typeof(int) => DataType.Int32,
        var t when t == typeof(short) => DataType.Int16,
        var t when t == typeof(sbyte) => DataType.Int8,
        var t when t == typeof(byte) => DataType.UInt8,
        var t when t == typeof(ushort) => DataType.UInt16,
        var t when t == typeof(uint) => DataType.UInt32,
        var t when t == typeof(ulong) => DataType.UInt64,
        var t when t == typeof(bool) => DataType.Bool,
        _ => throw new NotSupportedException(typeof(T).Name),
    };

    private static byte[] Bytes<T>(T[] values) where T : unmanaged => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
}

/// <summary>A model compiled by <see cref="OnnxBuilder.Compile"/>: ModelCompiler's result and a way to run it.</summary>
internal sealed class CompiledModel
{
    private readonly System.Reflection.Assembly _assembly;
    private readonly string _ns;

    public CompiledModel(CompileResult result, System.Reflection.Assembly assembly, string ns)
    {
        Result = result;
        _assembly = assembly;
        _ns = ns;
    }

    public CompileResult Result { get; }

    /// <summary>Layers left after folding and simplification.</summary>
    public int Layers => Result.Layers;

    public string Source => Result.Source!;

    /// <summary>Runs Predict: <paramref name="inputs"/> and <paramref name="outputs"/> are arrays of the tensors' element types.</summary>
    public void Run(Array[] inputs, params Array[] outputs) => Adapter.Run(_assembly, _ns, inputs.Cast<object>().ToArray(), outputs);
}
