using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using Google.Protobuf;
using ModelCompiler.Graph;
using ModelCompiler.Onnx.Proto;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>Single protos for tests: attributes, tensors (initializers, test data files) and value infos.</summary>
internal sealed partial class OnnxModelBuilder
{
    /// <summary>An attribute from a .NET value: int/long, float, string, int[]/long[], float[], string[], a graph or a tensor.</summary>
    public static AttributeProto Attribute(string name, object value) => value switch
    {
        int i => Int(name, i),
        long l => Int(name, l),
        float f => Float(name, f),
        string s => String(name, s),
        int[] ints => Ints(name, ints.Select(v => (long)v).ToArray()),
        long[] longs => Ints(name, longs),
        float[] floats => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats, Floats = { floats } },
        string[] strings => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings, Strings = { strings.Select(ByteString.CopyFromUtf8) } },
        GraphProto graph => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Graph, G = graph },
        TensorProto tensor => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = tensor },
        _ => throw new ArgumentException($"attribute {name}: unsupported value {value.GetType()}"),
    };

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };
    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };
    public static AttributeProto String(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };
    public static AttributeProto Ints(string name, params long[] values) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { values } };

    /// <summary>A tensor attribute (ConstantOfShape's value, Constant's value); the tensor has no name.</summary>
    public static AttributeProto Tensor<T>(string name, int[] shape, T[] values) where T : unmanaged =>
        Attribute(name, Tensor("", (int)TypeOf<T>(), shape, values));

    /// <summary>A tensor holding a typed array as raw little-endian bytes (an initializer, or an input_N.pb / output_N.pb file).</summary>
    public static TensorProto Tensor(string name, int elemType, int[] shape, Array data)
    {
        var t = new TensorProto { Name = name, DataType = elemType };
        t.Dims.AddRange(shape.Select(d => (long)d));
        t.RawData = ByteString.CopyFrom(RawBytes(data));
        return t;
    }

    public static TensorProto Tensor(string name, DataType type, int[] shape, Array data) => Tensor(name, (int)type, shape, data);

    /// <summary>The raw little-endian bytes of a typed array (bool as one byte, Half as its bits).</summary>
    public static byte[] RawBytes(Array data) => data switch
    {
        // The CLR lets an sbyte[] pass as byte[] (ushort[] as short[]...); the bytes are the same either way.
        byte[] a => a.ToArray(),
        sbyte[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        bool[] a => a.Select(b => b ? (byte)1 : (byte)0).ToArray(),
        float[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        double[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        Half[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        short[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        ushort[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        int[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        uint[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        long[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        ulong[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        _ => throw new ArgumentException($"no raw bytes for {data.GetType().Name}"),
    };

    /// <summary>A tensor value info; a null shape is left unknown, a dimension of -1 is dynamic (named after <paramref name="dimNames"/>, else d0, d1...).</summary>
    public static ValueInfoProto ValueInfo(string name, int elemType, int[]? shape, string?[]? dimNames = null)
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

    /// <summary>The ONNX element type of a .NET element type.</summary>
    public static DataType TypeOf<T>() => typeof(T) switch
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
