using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using Google.Protobuf;
using ModelCompiler.Graph;
using ModelCompiler.Onnx.Proto;

namespace ModelCompiler.Tests.Ops.Nn;

/// <summary>
/// Builds one-node ONNX models in memory (any opset), so tests can check opset-specific semantics that the
/// ONNX node tests do not cover, and writes them as node-test directories (model.onnx + test_data_set_0)
/// that <see cref="NodeTests.CompiledGroup"/> compiles and runs.
/// </summary>
internal static class SingleNodeModels
{
    /// <summary>A graph input with random data, a constant initializer, or an omitted optional input ("").</summary>
    public sealed record Input(string Name, DataType Type, int[] Shape, Array? Constant, bool Omitted = false)
    {
        public static Input Data(string name, DataType type, params int[] shape) => new(name, type, shape, null);
        public static Input Floats(string name, params float[] values) => new(name, DataType.Float, new[] { values.Length }, values);
        public static Input Longs(string name, params long[] values) => new(name, DataType.Int64, new[] { values.Length }, values);
        public static Input Const(string name, int[] shape, float[] values) => new(name, DataType.Float, shape, values);
        public static Input None => new("", DataType.Undefined, Array.Empty<int>(), null, Omitted: true);
        public bool IsData => !Omitted && Constant is null;
    }

    public static AttributeProto Attr(string name, object value)
    {
        var a = new AttributeProto { Name = name };
        switch (value)
        {
            case long l: a.Type = AttributeProto.Types.AttributeType.Int; a.I = l; break;
            case int i: a.Type = AttributeProto.Types.AttributeType.Int; a.I = i; break;
            case float f: a.Type = AttributeProto.Types.AttributeType.Float; a.F = f; break;
            case string s: a.Type = AttributeProto.Types.AttributeType.String; a.S = ByteString.CopyFromUtf8(s); break;
            case long[] ls: a.Type = AttributeProto.Types.AttributeType.Ints; a.Ints.AddRange(ls); break;
            case int[] iss: a.Type = AttributeProto.Types.AttributeType.Ints; a.Ints.AddRange(iss.Select(v => (long)v)); break;
            case float[] fs: a.Type = AttributeProto.Types.AttributeType.Floats; a.Floats.AddRange(fs); break;
            default: throw new ArgumentException($"attribute {name}: unsupported value {value}");
        }
        return a;
    }

    public static ModelProto Model(int opset, string opType, IReadOnlyList<Input> inputs, IReadOnlyList<DataType> outputs, IEnumerable<(string Name, object Value)> attributes)
    {
        var node = new NodeProto { OpType = opType, Name = opType.ToLowerInvariant() };
        node.Input.AddRange(inputs.Select(i => i.Name));
        node.Output.AddRange(outputs.Select((_, k) => "y" + k));
        node.Attribute.AddRange(attributes.Select(a => Attr(a.Name, a.Value)));
        var graph = new GraphProto { Name = "g" };
        graph.Node.Add(node);
        foreach (var i in inputs.Where(i => !i.Omitted))
        {
            if (i.Constant is not null) graph.Initializer.Add(Tensor(i.Name, i.Type, i.Shape, i.Constant));
            else graph.Input.Add(ValueInfo(i.Name, i.Type, i.Shape));
        }
        for (int k = 0; k < outputs.Count; k++) graph.Output.Add(ValueInfo("y" + k, outputs[k], null));
        var model = new ModelProto { IrVersion = opset >= 21 ? 10 : 7, Graph = graph, ProducerName = "ModelCompiler.Tests" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    public static ValueInfoProto ValueInfo(string name, DataType type, int[]? shape)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)type };
        if (shape is not null)
        {
            tensor.Shape = new TensorShapeProto();
            foreach (int d in shape) tensor.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }

    public static TensorProto Tensor(string name, DataType type, int[] shape, Array data)
    {
        var t = new TensorProto { Name = name, DataType = (int)type };
        t.Dims.AddRange(shape.Select(d => (long)d));
        byte[] raw = data switch
        {
            float[] f => MemoryMarshal.AsBytes(f.AsSpan()).ToArray(),
            long[] l => MemoryMarshal.AsBytes(l.AsSpan()).ToArray(),
            int[] i => MemoryMarshal.AsBytes(i.AsSpan()).ToArray(),
            double[] d => MemoryMarshal.AsBytes(d.AsSpan()).ToArray(),
            sbyte[] sb => MemoryMarshal.AsBytes(sb.AsSpan()).ToArray(), // before byte[]: an sbyte[] also matches 'byte[]'
            byte[] b => b,
            bool[] bo => bo.Select(v => v ? (byte)1 : (byte)0).ToArray(),
            _ => throw new ArgumentException($"tensor {name}: unsupported data {data.GetType()}"),
        };
        t.RawData = ByteString.CopyFrom(raw);
        return t;
    }

    /// <summary>Random data for a graph input: floats in [-2, 2), integers in the type's small range.</summary>
    public static Array RandomData(DataType type, int[] shape, Random random)
    {
        int n = (int)ShapeText.Product(shape);
        return type switch
        {
            DataType.Float => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray(),
            DataType.Int64 => Enumerable.Range(0, n).Select(_ => (long)random.Next(-50, 50)).ToArray(),
            DataType.Int32 => Enumerable.Range(0, n).Select(_ => random.Next(-50, 50)).ToArray(),
            DataType.UInt8 => Enumerable.Range(0, n).Select(_ => (byte)random.Next(0, 256)).ToArray(),
            DataType.Int8 => Enumerable.Range(0, n).Select(_ => (sbyte)random.Next(-128, 128)).ToArray(),
            DataType.Bool => Enumerable.Range(0, n).Select(_ => random.Next(2) == 1).ToArray(),
            _ => throw new ArgumentException($"no random data for {type}"),
        };
    }

    /// <summary>Writes a node-test directory: model.onnx and test_data_set_0/input_N.pb, output_N.pb.</summary>
    public static void WriteCase(string dir, ModelProto model, IReadOnlyList<TensorProto> inputs, IReadOnlyList<TensorProto> outputs)
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        string data = Path.Combine(dir, "test_data_set_0");
        Directory.CreateDirectory(data);
        File.WriteAllBytes(Path.Combine(dir, "model.onnx"), model.ToByteArray());
        for (int i = 0; i < inputs.Count; i++) File.WriteAllBytes(Path.Combine(data, $"input_{i}.pb"), inputs[i].ToByteArray());
        for (int i = 0; i < outputs.Count; i++) File.WriteAllBytes(Path.Combine(data, $"output_{i}.pb"), outputs[i].ToByteArray());
    }
}
