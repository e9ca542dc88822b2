using System;
using System.Collections.Generic;
using System.Linq;
using Google.Protobuf;
using ModelCompiler.Onnx.Proto;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>
/// Builds small ONNX models in C# for self-contained tests (no ../shared needed). Names are explicit so
/// generated code and diagnostics are predictable.
/// </summary>
internal sealed class OnnxModelBuilder
{
    private readonly ModelProto _model;
    private readonly GraphProto _graph = new() { Name = "test" };
    private int _counter;

    public OnnxModelBuilder(int opset = 13, long irVersion = 8, string producer = "ModelCompiler.Tests")
    {
        _model = new ModelProto { IrVersion = irVersion, ProducerName = producer, ProducerVersion = "1", Graph = _graph };
        _model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
    }

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

    public string Input(string name, params int[] shape) => Input(name, (int)TensorProto.Types.DataType.Float, shape);

    public void Output(string name, int elemType = (int)TensorProto.Types.DataType.Float, int[]? shape = null) =>
        _graph.Output.Add(ValueInfo(name, elemType, shape, null));

    public string Initializer(string name, int[] shape, float[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(shape.Select(d => (long)d));
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        t.RawData = ByteString.CopyFrom(bytes);
        _graph.Initializer.Add(t);
        return name;
    }

    public string Int64Initializer(string name, params long[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.AddRange(values);
        _graph.Initializer.Add(t);
        return name;
    }

    /// <summary>Adds a node; returns its first output's name (generated when not given).</summary>
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

    public NodeProto RawNode(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, string name, string domain = "")
    {
        var node = new NodeProto { OpType = opType, Name = name, Domain = domain };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        _graph.Node.Add(node);
        return node;
    }

    public GraphProto Graph => _graph;

    public byte[] Build() => _model.ToByteArray();

    public static AttributeProto Attribute(string name, object value) => value switch
    {
        int i => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = i },
        long l => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = l },
        float f => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = f },
        string s => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(s) },
        int[] ints => WithInts(name, ints.Select(v => (long)v)),
        long[] longs => WithInts(name, longs),
        float[] floats => WithFloats(name, floats),
        string[] strings => WithStrings(name, strings),
        GraphProto graph => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Graph, G = graph },
        _ => throw new ArgumentException($"attribute type {value.GetType()}"),
    };

    private static AttributeProto WithInts(string name, IEnumerable<long> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    private static AttributeProto WithStrings(string name, IEnumerable<string> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings };
        a.Strings.AddRange(values.Select(ByteString.CopyFromUtf8));
        return a;
    }

    private static AttributeProto WithFloats(string name, IEnumerable<float> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
        a.Floats.AddRange(values);
        return a;
    }

    private static ValueInfoProto ValueInfo(string name, int elemType, int[]? shape, string?[]? dimNames)
    {
        var tt = new TypeProto.Types.Tensor { ElemType = elemType };
        if (shape is not null)
        {
            tt.Shape = new TensorShapeProto();
            for (int i = 0; i < shape.Length; i++)
            {
                var dim = new TensorShapeProto.Types.Dimension();
                if (shape[i] >= 0) dim.DimValue = shape[i];
                else dim.DimParam = dimNames?[i] ?? $"d{i}";
                tt.Shape.Dim.Add(dim);
            }
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tt } };
    }

    /// <summary>Deterministic pseudo-random floats in [-1, 1) (xorshift), so tests never depend on System.Random's algorithm.</summary>
    public static float[] RandomFloats(int count, uint seed)
    {
        var r = new float[count];
        uint s = seed == 0 ? 0x9E3779B9u : seed;
        for (int i = 0; i < count; i++)
        {
            s ^= s << 13; s ^= s >> 17; s ^= s << 5;
            r[i] = (s >> 8) / (float)(1 << 24) * 2f - 1f;
        }
        return r;
    }
}
