using System;
using System.Buffers.Binary;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Onnx.Proto;

namespace ModelCompiler.Onnx;

/// <summary>Decodes a <c>TensorProto</c> (raw_data or any of the typed fields) into a <see cref="Tensor"/>.</summary>
internal static class TensorReader
{
    /// <summary>Thrown for tensors whose bytes live outside the .onnx file.</summary>
    public sealed class ExternalDataException : Exception
    {
        public ExternalDataException(string tensor, string location) : base(location) { Tensor = tensor; Location = location; }
        public string Tensor { get; }
        public string Location { get; }
    }

    public static Tensor Read(TensorProto p)
    {
        if (p.DataLocation == TensorProto.Types.DataLocation.External || p.ExternalData.Count > 0)
        {
            string location = p.ExternalData.FirstOrDefault(e => e.Key == "location")?.Value ?? "?";
            throw new ExternalDataException(p.Name, location);
        }
        if (p.Segment is not null)
            throw new ModelError($"tensor '{p.Name}' is stored in segments, which ONNX deprecated and ModelCompiler does not read");

        var type = (DataType)p.DataType;
        if (type == DataType.String)
            throw new ModelError($"tensor '{p.Name}' holds strings; ModelCompiler supports numeric tensors only");
        if (type.BitSize() == 0)
            throw new ModelError($"tensor '{p.Name}' has unknown data type {p.DataType}");

        int[] shape = p.Dims.Select(d => d < 0 ? throw new ModelError($"tensor '{p.Name}' has a negative dimension {d}") : ShapeText.CheckedInt(d)).ToArray();
        long count = ShapeText.Product(shape);
        long bytes = type.ByteSize(count);
        if (bytes > int.MaxValue) throw new ModelError($"tensor '{p.Name}' is larger than 2 GB");

        if (!p.RawData.IsEmpty || count == 0)
        {
            byte[] raw = p.RawData.ToByteArray();
            if (count == 0) raw = Array.Empty<byte>();
            if (raw.Length != bytes)
                throw new ModelError($"tensor '{p.Name}' of shape {ShapeText.Format(shape)} should have {bytes} bytes of raw_data but has {raw.Length}");
            return new Tensor(type, shape, raw);
        }
        return new Tensor(type, shape, FromTypedFields(p, type, count, (int)bytes));
    }

    private static byte[] FromTypedFields(TensorProto p, DataType type, long count, int bytes)
    {
        var raw = new byte[bytes];
        void Expect(int have)
        {
            if (have != count)
                throw new ModelError($"tensor '{p.Name}' of shape {ShapeText.Format(p.Dims.Select(d => (int)d).ToArray())} has {have} values");
        }
        switch (type)
        {
            case DataType.Float:
                Expect(p.FloatData.Count);
                for (int i = 0; i < count; i++) BinaryPrimitives.WriteInt32LittleEndian(raw.AsSpan(i * 4), BitConverterCompat.SingleToInt32Bits(p.FloatData[i]));
                break;
            case DataType.Double:
                Expect(p.DoubleData.Count);
                for (int i = 0; i < count; i++) BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * 8), BitConverter.DoubleToInt64Bits(p.DoubleData[i]));
                break;
            case DataType.Int64:
                Expect(p.Int64Data.Count);
                for (int i = 0; i < count; i++) BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * 8), p.Int64Data[i]);
                break;
            case DataType.UInt64:
                Expect(p.Uint64Data.Count);
                for (int i = 0; i < count; i++) BinaryPrimitives.WriteUInt64LittleEndian(raw.AsSpan(i * 8), p.Uint64Data[i]);
                break;
            case DataType.UInt32:
                Expect(p.Uint64Data.Count);
                for (int i = 0; i < count; i++) BinaryPrimitives.WriteUInt32LittleEndian(raw.AsSpan(i * 4), (uint)p.Uint64Data[i]);
                break;
            case DataType.Int32:
                Expect(p.Int32Data.Count);
                for (int i = 0; i < count; i++) BinaryPrimitives.WriteInt32LittleEndian(raw.AsSpan(i * 4), p.Int32Data[i]);
                break;
            case DataType.Int16: case DataType.UInt16: case DataType.Float16: case DataType.BFloat16:
                Expect(p.Int32Data.Count);
                for (int i = 0; i < count; i++) BinaryPrimitives.WriteUInt16LittleEndian(raw.AsSpan(i * 2), unchecked((ushort)p.Int32Data[i]));
                break;
            case DataType.Int8: case DataType.UInt8: case DataType.Bool:
            case DataType.Float8E4M3FN: case DataType.Float8E4M3FNUZ: case DataType.Float8E5M2: case DataType.Float8E5M2FNUZ: case DataType.Float8E8M0:
                Expect(p.Int32Data.Count);
                for (int i = 0; i < count; i++) raw[i] = unchecked((byte)p.Int32Data[i]);
                break;
            case DataType.Int4: case DataType.UInt4: case DataType.Float4E2M1:
                // Sub-byte types keep two values per int32_data entry, packed like raw_data.
                if (p.Int32Data.Count != bytes) throw new ModelError($"tensor '{p.Name}' has {p.Int32Data.Count} packed entries, expected {bytes}");
                for (int i = 0; i < bytes; i++) raw[i] = unchecked((byte)p.Int32Data[i]);
                break;
            default:
                throw new ModelError($"tensor '{p.Name}' has data type {type.OnnxName()}, which ModelCompiler cannot read");
        }
        return raw;
    }
}
