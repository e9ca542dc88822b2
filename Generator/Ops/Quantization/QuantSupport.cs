using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Contract;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Ops.Nn;

namespace ModelCompiler.Ops.Quantization;

/// <summary>
/// What the quantized ops share: type rules, reading scales and zero points, float32 arithmetic that rounds
/// exactly as the run-time kernels do, and the weight tensors the build-time paths precompute.
/// <para>
/// The arithmetic of one quantized value (ranges, rounding, float32 steps) is <see cref="QuantizedValues"/>, compiled
/// into the run-time library too.
/// </para>
/// </summary>
internal static class Quant
{
    public const string Runtime = Emit.RuntimeText.Prefix;

    public static bool IsEightBit(DataType t) => t is DataType.UInt8 or DataType.Int8;

    /// <summary>Smallest value of an integer type (<see cref="QuantizedValues"/>: the ranges are written once, for both sides).</summary>
    public static int Min(DataType t) => t switch
    {
        DataType.Int8 => QuantizedValues.Min(8, signed: true),
        DataType.Int4 => QuantizedValues.Min(4, signed: true),
        DataType.Int2 => QuantizedValues.Min(2, signed: true),
        DataType.Int16 => QuantizedValues.Min(16, signed: true),
        DataType.Int32 => QuantizedValues.Min(32, signed: true),
        _ => 0,
    };

    /// <summary>Largest value of an integer type (uint32 and wider saturate at int.MaxValue).</summary>
    public static int Max(DataType t) => t switch
    {
        DataType.Int8 => QuantizedValues.Max(8, signed: true),
        DataType.UInt8 => QuantizedValues.Max(8, signed: false),
        DataType.Int4 => QuantizedValues.Max(4, signed: true),
        DataType.UInt4 => QuantizedValues.Max(4, signed: false),
        DataType.Int2 => QuantizedValues.Max(2, signed: true),
        DataType.UInt2 => QuantizedValues.Max(2, signed: false),
        DataType.Int16 => QuantizedValues.Max(16, signed: true),
        DataType.UInt16 => QuantizedValues.Max(16, signed: false),
        _ => int.MaxValue,
    };

    public static float Mul(float a, float b) => QuantizedValues.Multiply(a, b);

    /// <summary>The requantization multiplier (a_scale * b_scale) / y_scale in float32, as ONNX Runtime computes it.</summary>
    public static float Multiplier(float a, float b, float y) => QuantizedValues.Multiplier(a, b, y);

    /// <summary>saturate(round(x / scale) + zero_point) in float32 (QuantizeLinear, tables).</summary>
    public static long QuantizeOne(float x, float scale, long zeroPoint, DataType type) =>
        QuantizedValues.Quantize(x, scale, zeroPoint, Min(type), Max(type));

    /// <summary>The single value of a per-tensor parameter (scalar or one-element tensor).</summary>
    public static Tensor RequireSingle(OpContext c, int i, string what, string pattern)
    {
        var t = c.Const(i) ?? throw new ModelError($"{what} (input {i}, '{c.In(i).Name}') must be a constant; expected {pattern}");
        if (t.ElementCount != 1) throw new ModelError($"{what} (input {i}) must be a single value but has shape {ShapeText.Format(t.Shape)}; expected {pattern}");
        return t;
    }

    /// <summary>A per-tensor parameter's element count must be 1 (it may be a run-time input).</summary>
    public static void CheckSingle(OpContext c, int i, string what)
    {
        if (!c.Has(i)) return;
        if (ShapeText.Product(c.Shape(i)) != 1)
            throw new ModelError($"{what} (input {i}, '{c.In(i).Name}') must be a single value (per-tensor) but has shape {ShapeText.Format(c.Shape(i))}");
    }

    /// <summary>Per-tensor or per-channel: 1 or <paramref name="channels"/> elements.</summary>
    public static void CheckPerChannel(OpContext c, int i, string what, int channels)
    {
        if (!c.Has(i)) return;
        long n = ShapeText.Product(c.Shape(i));
        if (n != 1 && n != channels || c.Rank(i) > 1)
            throw new ModelError($"{what} (input {i}, '{c.In(i).Name}') must have 1 value (per tensor) or {channels} (one per output channel) but has shape {ShapeText.Format(c.Shape(i))}");
    }

    public static void RequireType(OpContext c, int i, DataType expected, string what)
    {
        if (c.Has(i) && c.Type(i) != expected)
            throw new ModelError($"{what} (input {i}, '{c.In(i).Name}') has type {c.Type(i).OnnxName()}, expected {expected.OnnxName()}");
    }

    public static void RequireEightBit(OpContext c, int i, string what)
    {
        if (!IsEightBit(c.Type(i)))
            throw new ModelError($"{what} (input {i}, '{c.In(i).Name}') has type {c.Type(i).OnnxName()}; quantized tensors must be uint8 or int8");
    }

    /// <summary>Whether every present input in <paramref name="indices"/> is a build-time constant.</summary>
    public static bool AllConstant(OpContext c, params int[] indices) => indices.All(i => !c.Has(i) || c.Const(i) is not null);

    public static float[] Floats(Tensor t) => Enumerable.Range(0, (int)t.ElementCount).Select(i => (float)t.GetDouble(i)).ToArray();
    public static long[] Longs(Tensor? t, int count) => t is null ? new long[count] : t.ToLongs();

    public static Tensor Int8Tensor(sbyte[] values) => new(DataType.Int8, new[] { values.Length }, values.Select(v => unchecked((byte)v)).ToArray());

    public static Tensor Int32Tensor(int[] values)
    {
        var raw = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BitConverter.GetBytes(values[i]).CopyTo(raw, i * 4);
        if (!BitConverter.IsLittleEndian) for (int i = 0; i < values.Length; i++) Array.Reverse(raw, i * 4, 4);
        return new Tensor(DataType.Int32, new[] { values.Length }, raw);
    }

    public static Tensor FloatTensor(float[] values) => Tensor.FromFloats(new[] { values.Length }, values);

    public static Tensor ByteTensor(byte[] values) => new(DataType.UInt8, new[] { values.Length }, values);

    /// <summary>A span expression for optional input <paramref name="i"/>, or <c>default</c> when it is absent.</summary>
    public static string InOrDefault(LayerWriter w, int i) => w.HasInput(i) ? w.In(i) : "default";

    /// <summary>The run-time ConvGeometry of a 1-D or 2-D convolution, as a C# expression.</summary>
    public static string ConvGeometry(int[] x, int[] w, int[] y, SpatialGeometry g, int group) => GeometryLiteral(Geometry(x, w, y, g, group));

    /// <summary>The run-time ConvGeometry of a 1-D (height 1) or 2-D convolution.</summary>
    public static Contract.ConvGeometry Geometry(int[] x, int[] w, int[] y, SpatialGeometry g, int group)
    {
        bool is1D = x.Length == 3;
        int At(int[] a, int i, int fallback) => is1D ? (i == 0 ? fallback : a[0]) : a[i];
        var kernel = w.Skip(2).ToArray();
        return new Contract.ConvGeometry(
            batch: x[0], inChannels: x[1], inHeight: is1D ? 1 : x[2], inWidth: x[x.Length - 1],
            outChannels: w[0], outHeight: is1D ? 1 : y[2], outWidth: y[y.Length - 1], groups: group,
            kernelHeight: At(kernel, 0, 1), kernelWidth: kernel[kernel.Length - 1],
            strideHeight: At(g.Strides, 0, 1), strideWidth: g.Strides[g.Rank - 1],
            padTop: At(g.PadsBegin, 0, 0), padLeft: g.PadsBegin[g.Rank - 1],
            dilationHeight: At(g.Dilations, 0, 1), dilationWidth: g.Dilations[g.Rank - 1]);
    }

    /// <summary>A <c>new ConvGeometry(...)</c> expression on one line, with named arguments.</summary>
    public static string GeometryLiteral(in Contract.ConvGeometry g) =>
        $"new {Runtime}ConvGeometry(" +
        $"batch: {g.batch}, inChannels: {g.inChannels}, inHeight: {g.inHeight}, inWidth: {g.inWidth}, " +
        $"outChannels: {g.outChannels}, outHeight: {g.outHeight}, outWidth: {g.outWidth}, groups: {g.groups}, " +
        $"kernelHeight: {g.kernelHeight}, kernelWidth: {g.kernelWidth}, " +
        $"strideHeight: {g.strideHeight}, strideWidth: {g.strideWidth}, " +
        $"padTop: {g.padTop}, padLeft: {g.padLeft}, " +
        $"dilationHeight: {g.dilationHeight}, dilationWidth: {g.dilationWidth})";

    /// <summary>"per-channel" / "per-tensor" for layer comments.</summary>
    public static string Granularity(OpContext c, int i) => c.Has(i) && ShapeText.Product(c.Shape(i)) > 1 ? "per-channel" : "per-tensor";
}
