using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Onnx.Proto;

namespace ModelCompiler.Onnx;

/// <summary>
/// Decodes a <c>TensorProto</c> (raw_data, any of the typed fields, or external data beside the model) into a
/// <see cref="Tensor"/>. Sizes are checked against the bytes actually present, and against <see cref="Limits"/>,
/// before anything is allocated: a tensor whose dims claim 2^31-1 elements over a few bytes of data is an
/// error, not a 2 GB allocation.
/// </summary>
internal static class TensorReader
{
    public static Tensor Read(TensorProto p, ExternalDataSource? external = null)
    {
        if (p.Segment is not null)
            throw new ModelError($"tensor '{p.Name}' is stored in segments, which ONNX deprecated and ModelCompiler does not read");

        var type = (DataType)p.DataType;
        if (type == DataType.String)
            throw new ModelError($"tensor '{p.Name}' holds strings; ModelCompiler supports numeric tensors only");
        if (type.BitSize() == 0)
            throw new ModelError($"tensor '{p.Name}' has unknown data type {p.DataType}");

        int[] shape = Shape(p);
        long count = Limits.Elements(shape);
        long bytes = type.ByteSize(count);

        if (p.DataLocation == TensorProto.Types.DataLocation.External || p.ExternalData.Count > 0)
        {
            var entries = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var e in p.ExternalData) entries[e.Key] = e.Value;
            return new Tensor(type, shape, (external ?? ExternalDataSource.None).Read(p.Name, entries, bytes));
        }

        if (!p.RawData.IsEmpty || count == 0)
        {
            if (count == 0) return new Tensor(type, shape, Array.Empty<byte>());
            if (p.RawData.Length != bytes)
                throw new ModelError($"tensor '{p.Name}' of shape {ShapeText.Format(shape)} should have {bytes} bytes of raw_data but has {p.RawData.Length}");
            return new Tensor(type, shape, p.RawData.ToByteArray());
        }
        return new Tensor(type, shape, FromTypedFields(p, type, count, (int)bytes));
    }

    /// <summary>
    /// The tensor's dims, each a non-negative int, with at most <see cref="Limits.MaxTensorElements"/> elements and
    /// <see cref="Limits.MaxWeightBytes"/> bytes: what a model may declare before any of its data is looked at.
    /// </summary>
    public static int[] Shape(TensorProto p)
    {
        var shape = new int[p.Dims.Count];
        for (int i = 0; i < shape.Length; i++)
        {
            long d = p.Dims[i];
            if (d < 0) throw new ModelError($"tensor '{p.Name}' has a negative dimension {d}");
            if (d > int.MaxValue) throw new LimitExceeded($"tensor '{p.Name}' has a dimension of {d}; a dimension may be at most {int.MaxValue}");
            shape[i] = (int)d;
        }
        Limits.CheckShape($"tensor '{p.Name}'", shape);
        long bytes = DeclaredBytes(p, shape);
        if (bytes > Limits.MaxWeightBytes)
            throw new LimitExceeded($"tensor '{p.Name}' of shape {ShapeText.Format(shape)} would take {bytes} bytes; the weights of a model may take at most {Limits.MaxWeightBytes} (1 GiB)");
        return shape;
    }

    /// <summary>Bytes the tensor's data takes according to its type and dims (0 for an unknown type).</summary>
    public static long DeclaredBytes(TensorProto p, int[] shape) => ((DataType)p.DataType).ByteSize(Limits.Elements(shape));

    private static byte[] FromTypedFields(TensorProto p, DataType type, long count, int bytes)
    {
        // How many values the typed field holds is checked before the tensor is allocated: dims can claim anything.
        int? have = type switch
        {
            DataType.Float => p.FloatData.Count,
            DataType.Double => p.DoubleData.Count,
            DataType.Int64 => p.Int64Data.Count,
            DataType.UInt64 or DataType.UInt32 => p.Uint64Data.Count,
            DataType.Int32 or DataType.Int16 or DataType.UInt16 or DataType.Float16 or DataType.BFloat16
                or DataType.Int8 or DataType.UInt8 or DataType.Bool or DataType.Float8E4M3FN or DataType.Float8E4M3FNUZ
                or DataType.Float8E5M2 or DataType.Float8E5M2FNUZ or DataType.Float8E8M0 => p.Int32Data.Count,
            _ => null,
        };
        if (type.IsSubByte())
        {
            // Sub-byte types keep one byte per int32_data entry (two 4-bit or four 2-bit values), packed like raw_data.
            if (p.Int32Data.Count != bytes) throw new ModelError($"tensor '{p.Name}' has {p.Int32Data.Count} packed entries, expected {bytes}");
            var packed = new byte[bytes];
            for (int i = 0; i < bytes; i++) packed[i] = unchecked((byte)p.Int32Data[i]);
            return packed;
        }
        if (have is null)
            throw new ModelError($"tensor '{p.Name}' has data type {type.OnnxName()}, which ModelCompiler cannot read");
        if (have != count)
            throw new ModelError($"tensor '{p.Name}' of shape {ShapeText.Format(Shape(p))} has {have} values");

        var raw = new byte[bytes];
        switch (type)
        {
            case DataType.Float:
                for (int i = 0; i < count; i++) BinaryPrimitives.WriteInt32LittleEndian(raw.AsSpan(i * 4), BitConverterCompat.SingleToInt32Bits(p.FloatData[i]));
                break;
            case DataType.Double:
                for (int i = 0; i < count; i++) BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * 8), BitConverter.DoubleToInt64Bits(p.DoubleData[i]));
                break;
            case DataType.Int64:
                for (int i = 0; i < count; i++) BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * 8), p.Int64Data[i]);
                break;
            case DataType.UInt64:
                for (int i = 0; i < count; i++) BinaryPrimitives.WriteUInt64LittleEndian(raw.AsSpan(i * 8), p.Uint64Data[i]);
                break;
            case DataType.UInt32:
                for (int i = 0; i < count; i++) BinaryPrimitives.WriteUInt32LittleEndian(raw.AsSpan(i * 4), (uint)p.Uint64Data[i]);
                break;
            case DataType.Int32:
                for (int i = 0; i < count; i++) BinaryPrimitives.WriteInt32LittleEndian(raw.AsSpan(i * 4), p.Int32Data[i]);
                break;
            case DataType.Int16: case DataType.UInt16: case DataType.Float16: case DataType.BFloat16:
                for (int i = 0; i < count; i++) BinaryPrimitives.WriteUInt16LittleEndian(raw.AsSpan(i * 2), unchecked((ushort)p.Int32Data[i]));
                break;
            default: // the 8-bit types
                for (int i = 0; i < count; i++) raw[i] = unchecked((byte)p.Int32Data[i]);
                break;
        }
        return raw;
    }
}
