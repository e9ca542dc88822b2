using System;

namespace ModelCompiler.Graph;

/// <summary>Element types, numbered as ONNX's <c>TensorProto.DataType</c> so values read from a model need no mapping.</summary>
internal enum DataType
{
    Undefined = 0,
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    String = 8,
    Bool = 9,
    Float16 = 10,
    Double = 11,
    UInt32 = 12,
    UInt64 = 13,
    Complex64 = 14,
    Complex128 = 15,
    BFloat16 = 16,
    Float8E4M3FN = 17,
    Float8E4M3FNUZ = 18,
    Float8E5M2 = 19,
    Float8E5M2FNUZ = 20,
    UInt4 = 21,
    Int4 = 22,
    Float4E2M1 = 23,
    Float8E8M0 = 24,
    UInt2 = 25,
    Int2 = 26,
}

internal static class DataTypeInfo
{
    /// <summary>Bits per element as stored (int4 packs two per byte).</summary>
    public static int BitSize(this DataType t) => t switch
    {
        DataType.Float or DataType.Int32 or DataType.UInt32 => 32,
        DataType.Double or DataType.Int64 or DataType.UInt64 or DataType.Complex64 => 64,
        DataType.Complex128 => 128,
        DataType.Float16 or DataType.BFloat16 or DataType.Int16 or DataType.UInt16 => 16,
        DataType.UInt8 or DataType.Int8 or DataType.Bool or DataType.Float8E4M3FN or DataType.Float8E4M3FNUZ
            or DataType.Float8E5M2 or DataType.Float8E5M2FNUZ or DataType.Float8E8M0 => 8,
        DataType.UInt4 or DataType.Int4 or DataType.Float4E2M1 => 4,
        DataType.UInt2 or DataType.Int2 => 2,
        _ => 0,
    };

    /// <summary>Bytes used by <paramref name="count"/> elements (sub-byte types round up).</summary>
    public static long ByteSize(this DataType t, long count) => (count * t.BitSize() + 7) / 8;

    /// <summary>Element size in bytes for types the runtime addresses one element at a time.</summary>
    public static int ElementSize(this DataType t) => Math.Max(1, t.BitSize() / 8);

    /// <summary>
    /// Bytes that <paramref name="count"/> elements take in generated code's spans: int4/uint4 activations are
    /// held one element per byte (sign-extended for int4); only weights in the blob stay packed two per byte.
    /// </summary>
    public static long RuntimeByteSize(this DataType t, long count) => count * t.ElementSize();

    public static bool IsSubByte(this DataType t) => t.BitSize() is > 0 and < 8;

    public static bool IsFloat(this DataType t) =>
        t is DataType.Float or DataType.Double or DataType.Float16 or DataType.BFloat16;

    public static bool IsInteger(this DataType t) => t is DataType.UInt8 or DataType.Int8 or DataType.UInt16
        or DataType.Int16 or DataType.Int32 or DataType.Int64 or DataType.UInt32 or DataType.UInt64
        or DataType.Int4 or DataType.UInt4 or DataType.Int2 or DataType.UInt2;

    public static bool IsSigned(this DataType t) => t is DataType.Int8 or DataType.Int16 or DataType.Int32
        or DataType.Int64 or DataType.Int4 or DataType.Int2 or DataType.Float or DataType.Double or DataType.Float16 or DataType.BFloat16;

    /// <summary>
    /// Floating-point types .NET has no element type for (bfloat16, the float8 types, float4e2m1): generated code
    /// holds them as raw bits (<see cref="Contract.MiniFloatFormat"/>) that only conversions and data movement may
    /// touch; <see cref="Passes.RawBitsCheck"/> rejects any other op on them.
    /// </summary>
    public static bool IsRawBitsFloat(this DataType t) => t is DataType.BFloat16 or DataType.Float8E4M3FN
        or DataType.Float8E4M3FNUZ or DataType.Float8E5M2 or DataType.Float8E5M2FNUZ or DataType.Float4E2M1 or DataType.Float8E8M0;

    /// <summary>The run-time enum member naming a raw-bits float type, as generated code writes it.</summary>
    public static string MiniFloatFormatText(this DataType t) =>
        "global::ModelCompiler.Runtime.MiniFloatFormat." + ((Contract.MiniFloatFormat)(int)t).ToString();

    /// <summary>Types whose tensors generated code can hold in spans.</summary>
    public static bool IsSupportedAtRunTime(this DataType t) => t.CSharpName() is not null;

    /// <summary>
    /// The C# element type generated code uses, or null when a tensor of this type cannot be held at run time.
    /// int4 and uint4 run as sbyte and byte, one element per byte (values in [-8, 7] and [0, 15]), int2 and uint2
    /// likewise (values in [-2, 1] and [0, 3]); the raw-bits
    /// floats as their bits: bfloat16 in a ushort, float8 in a byte, float4e2m1 in a byte's low 4 bits.
    /// </summary>
    public static string? CSharpName(this DataType t) => t switch
    {
        DataType.BFloat16 => "ushort",
        DataType.Float8E4M3FN or DataType.Float8E4M3FNUZ or DataType.Float8E5M2 or DataType.Float8E5M2FNUZ
            or DataType.Float8E8M0 or DataType.Float4E2M1 => "byte",
        DataType.Int4 or DataType.Int2 => "sbyte",
        DataType.UInt4 or DataType.UInt2 => "byte",
        DataType.Float => "float",
        DataType.Double => "double",
        DataType.Float16 => "global::System.Half",
        DataType.UInt8 => "byte",
        DataType.Int8 => "sbyte",
        DataType.UInt16 => "ushort",
        DataType.Int16 => "short",
        DataType.Int32 => "int",
        DataType.Int64 => "long",
        DataType.UInt32 => "uint",
        DataType.UInt64 => "ulong",
        DataType.Bool => "bool",
        _ => null,
    };

    /// <summary>The lower-case name ONNX uses in its documentation (float, int64, ...).</summary>
    public static string OnnxName(this DataType t) => t switch
    {
        DataType.Float => "float32",
        DataType.Double => "float64",
        DataType.Float16 => "float16",
        DataType.BFloat16 => "bfloat16",
        _ => t.ToString().ToLowerInvariant(),
    };
}
