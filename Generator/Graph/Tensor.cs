using System;
using System.Buffers.Binary;
using System.Linq;

namespace ModelCompiler.Graph;

/// <summary>
/// A constant tensor: an initializer, a <c>Constant</c> node's value or the result of constant folding.
/// Data is kept as ONNX stores it in <c>raw_data</c>: little-endian, row-major, bool one byte per element,
/// int4/uint4 two elements per byte (low nibble first), int2/uint2 four per byte (lowest bits first). Reads convert to double or long for folding.
/// </summary>
internal sealed class Tensor
{
    private double? _zeroFraction;

    public Tensor(DataType type, int[] shape, byte[] raw)
    {
        Type = type;
        Shape = shape;
        Raw = raw;
        long expected = type.ByteSize(ElementCount);
        if (raw.Length != expected)
            throw new ModelError($"a {type.OnnxName()} tensor of shape {ShapeText.Format(shape)} needs {expected} bytes of data but has {raw.Length}");
    }

    public DataType Type { get; }
    public int[] Shape { get; }
    public byte[] Raw { get; }
    public int Rank => Shape.Length;
    public long ElementCount => ShapeText.Product(Shape);

    /// <summary>Fraction of elements that are exactly zero: what pruning leaves behind.</summary>
    public double ZeroFraction => _zeroFraction ??= ComputeZeroFraction();

    /// <summary>
    /// When set, the weight blob stores this tensor in a narrower form whose decoding gives exactly these
    /// values (float16 weights widened, integer weights dequantized); generated code decodes it once.
    /// Constant folding of Cast and DequantizeLinear sets it; tensors derived by other arithmetic lose it.
    /// </summary>
    public TensorEncoding? Encoding { get; private set; }

    /// <summary>The same values, stored in the blob as <paramref name="encoding"/> says.</summary>
    public Tensor WithEncoding(TensorEncoding? encoding) => new(Type, Shape, Raw) { Encoding = encoding };

    public Tensor WithShape(int[] shape)
    {
        if (ShapeText.Product(shape) != ElementCount)
            throw new ModelError($"cannot view a tensor of shape {ShapeText.Format(Shape)} as {ShapeText.Format(shape)}");
        // Element order is unchanged, so an encoding that does not depend on the shape carries over.
        return new Tensor(Type, shape, Raw) { Encoding = Encoding is { IsShapeIndependent: true } ? Encoding : null };
    }

    public double GetDouble(long i) => Type switch
    {
        DataType.Float => BitConverterCompat.Int32BitsToSingle(BinaryPrimitives.ReadInt32LittleEndian(Raw.AsSpan((int)(i * 4)))),
        DataType.Double => BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64LittleEndian(Raw.AsSpan((int)(i * 8)))),
        DataType.Float16 => HalfBits.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(Raw.AsSpan((int)(i * 2)))),
        DataType.BFloat16 => BitConverterCompat.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(Raw.AsSpan((int)(i * 2))) << 16),
        _ when Type.IsRawBitsFloat() => Contract.MiniFloats.ToDouble(RawBits(i), (Contract.MiniFloatFormat)(int)Type),
        _ => GetLong(i),
    };

    /// <summary>Element <paramref name="i"/>'s stored bits, zero-extended (a 4-bit element unpacked from its nibble).</summary>
    public int RawBits(long i) => Type.BitSize() switch
    {
        2 => (Raw[i >> 2] >> (int)((i & 3) * 2)) & 0x3,
        4 => (Raw[i >> 1] >> (int)((i & 1) * 4)) & 0xF,
        8 => Raw[i],
        16 => BinaryPrimitives.ReadUInt16LittleEndian(Raw.AsSpan((int)(i * 2))),
        _ => throw new ModelError($"{Type.OnnxName()} elements are not read as bits"),
    };

    public float GetFloat(long i) => (float)GetDouble(i);

    public long GetLong(long i)
    {
        int o = (int)i;
        switch (Type)
        {
            case DataType.Int64: return BinaryPrimitives.ReadInt64LittleEndian(Raw.AsSpan(o * 8));
            case DataType.UInt64: return (long)BinaryPrimitives.ReadUInt64LittleEndian(Raw.AsSpan(o * 8));
            case DataType.Int32: return BinaryPrimitives.ReadInt32LittleEndian(Raw.AsSpan(o * 4));
            case DataType.UInt32: return BinaryPrimitives.ReadUInt32LittleEndian(Raw.AsSpan(o * 4));
            case DataType.Int16: return BinaryPrimitives.ReadInt16LittleEndian(Raw.AsSpan(o * 2));
            case DataType.UInt16: return BinaryPrimitives.ReadUInt16LittleEndian(Raw.AsSpan(o * 2));
            case DataType.Int8: return (sbyte)Raw[o];
            case DataType.UInt8: return Raw[o];
            case DataType.Bool: return Raw[o] != 0 ? 1 : 0;
            case DataType.Int4: { int n = (Raw[o >> 1] >> ((o & 1) * 4)) & 0xF; return n >= 8 ? n - 16 : n; }
            case DataType.UInt4: return (Raw[o >> 1] >> ((o & 1) * 4)) & 0xF;
            case DataType.Int2: { int n = (Raw[o >> 2] >> ((o & 3) * 2)) & 0x3; return n >= 2 ? n - 4 : n; }
            case DataType.UInt2: return (Raw[o >> 2] >> ((o & 3) * 2)) & 0x3;
            default:
                if (Type.IsFloat()) return (long)GetDouble(i);
                throw new ModelError($"{Type.OnnxName()} tensors cannot be read as numbers");
        }
    }

    public double[] ToDoubles()
    {
        var a = new double[ElementCount];
        for (long i = 0; i < a.Length; i++) a[i] = GetDouble(i);
        return a;
    }

    public long[] ToLongs()
    {
        var a = new long[ElementCount];
        for (long i = 0; i < a.Length; i++) a[i] = GetLong(i);
        return a;
    }

    public float[] ToFloats()
    {
        var a = new float[ElementCount];
        for (long i = 0; i < a.Length; i++) a[i] = GetFloat(i);
        return a;
    }

    public int[] ToInts() => ToLongs().Select(ShapeText.CheckedInt).ToArray();

    /// <summary>A scalar or single-element tensor's value.</summary>
    public double Scalar() => ElementCount == 1 ? GetDouble(0) : throw new ModelError($"expected a single value but got shape {ShapeText.Format(Shape)}");

    public static Tensor FromDoubles(DataType type, int[] shape, double[] values)
    {
        if (!type.IsFloat()) return FromLongs(type, shape, values.Select(ToIntegerLikeCast).ToArray());
        var raw = new byte[type.ByteSize(values.Length)];
        for (int i = 0; i < values.Length; i++)
        {
            switch (type)
            {
                case DataType.Float: BinaryPrimitives.WriteInt32LittleEndian(raw.AsSpan(i * 4), BitConverterCompat.SingleToInt32Bits((float)values[i])); break;
                case DataType.Double: BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * 8), BitConverter.DoubleToInt64Bits(values[i])); break;
                case DataType.Float16: BinaryPrimitives.WriteUInt16LittleEndian(raw.AsSpan(i * 2), HalfBits.FromSingle((float)values[i])); break;
                case DataType.BFloat16: BinaryPrimitives.WriteUInt16LittleEndian(raw.AsSpan(i * 2), HalfBits.BFloat16FromSingle((float)values[i])); break;
            }
        }
        return new Tensor(type, shape, raw);
    }

    public static Tensor FromFloats(int[] shape, float[] values) =>
        FromDoubles(DataType.Float, shape, values.Select(v => (double)v).ToArray());

    /// <summary>Builds an integer or bool tensor; values wrap to the type's width as a C cast would.</summary>
    public static Tensor FromLongs(DataType type, int[] shape, long[] values)
    {
        if (type.IsFloat()) return FromDoubles(type, shape, values.Select(v => (double)v).ToArray());
        var raw = new byte[type.ByteSize(values.Length)];
        for (int i = 0; i < values.Length; i++)
        {
            long v = values[i];
            switch (type)
            {
                case DataType.Int64: case DataType.UInt64: BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * 8), v); break;
                case DataType.Int32: case DataType.UInt32: BinaryPrimitives.WriteInt32LittleEndian(raw.AsSpan(i * 4), unchecked((int)v)); break;
                case DataType.Int16: case DataType.UInt16: BinaryPrimitives.WriteInt16LittleEndian(raw.AsSpan(i * 2), unchecked((short)v)); break;
                case DataType.Int8: case DataType.UInt8: raw[i] = unchecked((byte)v); break;
                case DataType.Bool: raw[i] = v != 0 ? (byte)1 : (byte)0; break;
                case DataType.Int4: case DataType.UInt4: raw[i >> 1] |= (byte)((v & 0xF) << ((i & 1) * 4)); break;
                case DataType.Int2: case DataType.UInt2: raw[i >> 2] |= (byte)((v & 0x3) << ((i & 3) * 2)); break;
                default: throw new ModelError($"cannot build a {type.OnnxName()} tensor");
            }
        }
        return new Tensor(type, shape, raw);
    }

    public static Tensor ScalarOf(DataType type, double value) =>
        type.IsFloat() ? FromDoubles(type, Array.Empty<int>(), new[] { value }) : FromLongs(type, Array.Empty<int>(), new[] { (long)value });

    public static Tensor Int64Vector(params long[] values) => FromLongs(DataType.Int64, new[] { values.Length }, values);

    // float -> integer conversion in folding follows C# (truncation toward zero, as ONNX Cast does).
    private static long ToIntegerLikeCast(double d) => double.IsNaN(d) ? 0 : d >= 9.2e18 ? long.MaxValue : d <= -9.2e18 ? long.MinValue : (long)d;

    private double ComputeZeroFraction()
    {
        long n = ElementCount;
        if (n == 0) return 0;
        long zeros = 0;
        if (Type == DataType.Float)
        {
            for (int i = 0; i < Raw.Length; i += 4)
                if ((BinaryPrimitives.ReadInt32LittleEndian(Raw.AsSpan(i)) & 0x7FFFFFFF) == 0) zeros++;
        }
        else if (Type.IsInteger() || Type.IsFloat() || Type == DataType.Bool)
        {
            for (long i = 0; i < n; i++) if (GetDouble(i) == 0) zeros++;
        }
        return (double)zeros / n;
    }
}
