using System;
using System.IO;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Onnx;
using ModelCompiler.Onnx.Proto;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>A tensor read from test data, with its elements as a typed .NET array (float[], long[], bool[]...).</summary>
public sealed record TestTensor(string Name, int ElementType, int[] Shape, Array Data)
{
    internal DataType Type => (DataType)ElementType;

    public static TestTensor FromProtobufFile(string path) => FromTensor(TensorReader.Read(TensorProto.Parser.ParseFrom(File.ReadAllBytes(path))), TensorProto.Parser.ParseFrom(File.ReadAllBytes(path)).Name);

    internal static TestTensor FromTensor(Tensor t, string name)
    {
        Array data = t.Type switch
        {
            DataType.Float => t.ToFloats(),
            DataType.Double => t.ToDoubles(),
            DataType.Float16 => t.ToFloats().Select(f => (Half)f).ToArray(),
            DataType.Int64 => t.ToLongs(),
            DataType.Int32 => t.ToLongs().Select(v => (int)v).ToArray(),
            DataType.Int16 => t.ToLongs().Select(v => (short)v).ToArray(),
            DataType.UInt16 => t.ToLongs().Select(v => (ushort)v).ToArray(),
            DataType.Int8 or DataType.Int4 or DataType.Int2 => t.ToLongs().Select(v => (sbyte)v).ToArray(),
            DataType.UInt8 or DataType.UInt4 or DataType.UInt2 => t.ToLongs().Select(v => (byte)v).ToArray(),
            DataType.UInt32 => t.ToLongs().Select(v => (uint)v).ToArray(),
            DataType.UInt64 => t.ToLongs().Select(v => (ulong)v).ToArray(),
            DataType.Bool => t.ToLongs().Select(v => v != 0).ToArray(),
            // Generated code holds bfloat16, float8 and float4e2m1 as their raw bits (one float4 per byte); the
            // shipped outputs are compared bit for bit.
            DataType.BFloat16 => Enumerable.Range(0, (int)t.ElementCount).Select(i => (ushort)t.RawBits(i)).ToArray(),
            _ when t.Type.IsRawBitsFloat() => Enumerable.Range(0, (int)t.ElementCount).Select(i => (byte)t.RawBits(i)).ToArray(),
            _ => throw new NotSupportedException($"test tensor type {t.Type}"),
        };
        return new TestTensor(name, (int)t.Type, t.Shape, data);
    }

    /// <summary>The C# element type name generated code uses for this tensor.</summary>
    public string CSharpType => Type.CSharpName() ?? throw new NotSupportedException(Type.ToString());

    public static TestTensor Floats(string name, int[] shape, float[] data) => new(name, (int)DataType.Float, shape, data);

    /// <summary>Raw little-endian float32 file (torch-exports .bin).</summary>
    public static float[] ReadFloatBin(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var result = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, result, 0, result.Length * 4);
        return result;
    }
}
