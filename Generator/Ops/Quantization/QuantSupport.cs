using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Ops.Nn;

namespace ModelCompiler.Ops.Quantization;

/// <summary>
/// What the quantized ops share: type rules, reading scales and zero points, float32 arithmetic that rounds
/// exactly as the run-time kernels do, and the weight tensors the build-time paths precompute.
/// <para>
/// Float32 steps are computed in double and rounded once to float: for + - * / that is exactly IEEE float32
/// arithmetic (a double result has more than 2 x 24 + 2 bits), whatever the host runtime does with floats.
/// </para>
/// </summary>
internal static class Quant
{
    public const string Runtime = Emit.RuntimeText.Prefix;

    public static bool IsEightBit(DataType t) => t is DataType.UInt8 or DataType.Int8;

    public static int Min(DataType t) => t switch
    {
        DataType.Int8 => sbyte.MinValue,
        DataType.Int4 => -8,
        DataType.Int16 => short.MinValue,
        DataType.Int32 => int.MinValue,
        _ => 0,
    };

    public static int Max(DataType t) => t switch
    {
        DataType.Int8 => sbyte.MaxValue,
        DataType.UInt8 => byte.MaxValue,
        DataType.Int4 => 7,
        DataType.UInt4 => 15,
        DataType.Int16 => short.MaxValue,
        DataType.UInt16 => ushort.MaxValue,
        _ => int.MaxValue,
    };

    public static float Mul(float a, float b) => (float)((double)a * b);
    public static float Div(float a, float b) => (float)((double)a / b);

    /// <summary>Round half to even, as the kernels' float-to-int conversions.</summary>
    public static double RoundEven(double v) => Math.Round(v, MidpointRounding.ToEven);

    /// <summary>The requantization multiplier (a_scale * b_scale) / y_scale in float32, as ONNX Runtime computes it.</summary>
    public static float Multiplier(float a, float b, float y) => Div(Mul(a, b), y);

    /// <summary>saturate(round(x / scale) + zero_point) in float32 (QuantizeLinear, tables).</summary>
    public static long QuantizeOne(float x, float scale, long zeroPoint, DataType type)
    {
        float v = Div(x, scale);
        float lo = Min(type) - zeroPoint, hi = Max(type) - zeroPoint;
        if (float.IsNaN(v)) v = lo;
        v = Math.Max(lo, Math.Min(hi, v));
        return (long)RoundEven(v) + zeroPoint;
    }

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
