using System;
using System.Collections.Generic;
using System.Linq;
using Google.Protobuf;
using ModelCompiler.Graph;
using ModelCompiler.Onnx.Proto;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>
/// The one builder of ONNX models in C# for tests (no ../shared needed): graph inputs and outputs, initializers
/// of any element type, nodes with attributes (subgraphs included), opset imports. <see cref="Build"/> gives the
/// bytes, <see cref="Compile"/> runs them through ModelCompiler and Roslyn. Static helpers that make single
/// protos (attributes, tensors, value infos) live in OnnxModelBuilder.Protos.cs, one-node models in
/// OnnxModelBuilder.OneNode.cs.
/// </summary>
/// <remarks>
/// Two ways to add a node: <see cref="Node"/> names its output (or takes yours) and takes attributes as
/// (name, value) pairs; <see cref="Op(string, string?[], AttributeProto[])"/> names every output itself
/// (<c>relu_3</c>) and takes <see cref="AttributeProto"/>s made by <see cref="Int"/>, <see cref="Ints"/>...
/// </remarks>
/// <example>
/// <code>
/// var b = new OnnxModelBuilder(opset: 13);
/// var x = b.Input("x", DataType.Float, 2, 3);
/// var y = b.Op("Transpose", new[] { x }, OnnxModelBuilder.Ints("perm", 1, 0));
/// b.Output(y, DataType.Float);
/// </code>
/// </example>
internal sealed partial class OnnxModelBuilder
{
    private readonly ModelProto _model;
    private readonly GraphProto _graph;
    private int _counter;

    /// <param name="producerVersion">null leaves the field empty.</param>
    public OnnxModelBuilder(int opset = 13, long irVersion = 8, string producer = "ModelCompiler.Tests", string? producerVersion = "1", string graphName = "test")
    {
        _graph = new GraphProto { Name = graphName };
        _model = new ModelProto { IrVersion = irVersion, ProducerName = producer, Graph = _graph };
        if (producerVersion is not null) _model.ProducerVersion = producerVersion;
        _model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
    }

    /// <summary>Imports another operator set (a custom domain such as com.microsoft).</summary>
    public OnnxModelBuilder Opset(string domain, int version)
    {
        _model.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
        return this;
    }

    /// <summary>Adds a graph input; a dimension of -1 is dynamic (named after <paramref name="dimNames"/> if given).</summary>
    public string Input(string name, int elemType, int[] shape, string?[]? dimNames = null)
    {
        _graph.Input.Add(ValueInfo(name, elemType, shape, dimNames));
        return name;
    }

    /// <summary>A float graph input of static shape.</summary>
    public string Input(string name, params int[] shape) => Input(name, (int)DataType.Float, shape);

    /// <summary>A graph input of the given element type and static shape.</summary>
    public string Input(string name, DataType type, params int[] shape) => Input(name, (int)type, shape);

    /// <summary>A graph output; without a shape ModelCompiler infers it.</summary>
    public void Output(string name, int elemType = (int)DataType.Float, int[]? shape = null) =>
        _graph.Output.Add(ValueInfo(name, elemType, shape, null));

    public void Output(string name, DataType type) => Output(name, (int)type);

    /// <summary>A float initializer.</summary>
    public string Initializer(string name, int[] shape, float[] values) => Initializer(name, (int)DataType.Float, shape, values);

    /// <summary>An initializer holding a typed array (float[], long[], Half[], bool[]...) as raw little-endian bytes.</summary>
    public string Initializer(string name, int elemType, int[] shape, Array data)
    {
        _graph.Initializer.Add(Tensor(name, elemType, shape, data));
        return name;
    }

    /// <summary>An initializer from raw little-endian bytes, named <c>const_N</c> unless <paramref name="name"/> is given.</summary>
    public string Initializer(DataType type, int[] shape, byte[] raw, string? name = null) =>
        Initializer(name ?? Fresh("const"), (int)type, shape, raw);

    /// <summary>An initializer holding a .NET array, named <c>const_N</c> unless <paramref name="name"/> is given.</summary>
    public string Initializer<T>(int[] shape, T[] values, string? name = null) where T : unmanaged =>
        Initializer(name ?? Fresh("const"), (int)TypeOf<T>(), shape, values);

    /// <summary>A 1-D int64 initializer stored in int64_data (not raw bytes).</summary>
    public string Int64Initializer(string name, params long[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)DataType.Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.AddRange(values);
        _graph.Initializer.Add(t);
        return name;
    }

    /// <summary>An initializer whose data lies outside the model, in <paramref name="location"/> (relative to the model file).</summary>
    public string ExternalInitializer(string name, int elemType, int[] shape, string location, long? offset = null, long? length = null)
    {
        var t = new TensorProto { Name = name, DataType = elemType, DataLocation = TensorProto.Types.DataLocation.External };
        t.Dims.AddRange(shape.Select(d => (long)d));
        t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        if (offset is { } o) t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = o.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        if (length is { } l) t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = l.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        _graph.Initializer.Add(t);
        return name;
    }

    /// <summary>A 1-D int64 initializer named <c>const_N</c> (shapes, axes, pads, starts...).</summary>
    public string Int64s(params long[] values) => Initializer(new[] { values.Length }, values);

    /// <summary>A 0-D int64 initializer named <c>const_N</c>.</summary>
    public string Int64Scalar(long value) => Initializer(Array.Empty<int>(), new[] { value });

    /// <summary>Adds a node; returns its first output's name (<c>conv_N</c> when not given).</summary>
    public string Node(string opType, string[] inputs, string? output = null, string? name = null, string domain = "", params (string Name, object Value)[] attributes)
    {
        output ??= $"{opType.ToLowerInvariant()}_{_counter}";
        var node = new NodeProto { OpType = opType, Name = name ?? $"{opType}_{_counter}", Domain = domain };
        _counter++;
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        foreach (var (attrName, value) in attributes) node.Attribute.Add(Attribute(attrName, value));
        _graph.Node.Add(node);
        return output;
    }

    /// <summary>Adds a node with one output, named by the builder, and returns that name. A null input is an omitted optional one.</summary>
    public string Op(string opType, string?[] inputs, params AttributeProto[] attributes) => Op(opType, inputs, 1, attributes)[0];

    /// <summary>Adds a node with <paramref name="outputs"/> outputs, named by the builder, and returns their names.</summary>
    public string[] Op(string opType, string?[] inputs, int outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = Fresh(opType) };
        node.Input.AddRange(inputs.Select(i => i ?? ""));
        var names = Enumerable.Range(0, outputs).Select(_ => Fresh(opType.ToLowerInvariant())).ToArray();
        node.Output.AddRange(names);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return names;
    }

    /// <summary>Adds a node exactly as named, for graphs that must look a certain way (diagnostics, malformed models).</summary>
    public NodeProto RawNode(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, string name, string domain = "")
    {
        var node = new NodeProto { OpType = opType, Name = name, Domain = domain };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        _graph.Node.Add(node);
        return node;
    }

    public GraphProto Graph => _graph;

    /// <summary>The model as built so far (tests that edit it before serializing).</summary>
    public ModelProto Model => _model;

    public byte[] Build() => _model.ToByteArray();

    private string Fresh(string prefix) => $"{prefix}_{_counter++}";
}
