using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Tests.Elementwise;
using ModelCompiler.Tests.Infrastructure;
using ModelCompiler.Runtime;
using Xunit;

namespace ModelCompiler.Tests.Quantization;

/// <summary>
/// Every quantized op against ONNX Runtime on random data: odd channel counts, padding, strides, groups,
/// depthwise, uint8/int8 activations and weights, per-tensor and per-channel parameters, broadcasting. Each
/// case runs twice: with weights and parameters as initializers (the build-time packed path) and as graph
/// inputs (the run-time path). Outputs must be identical. (QLinearSigmoid's table evaluates 1/(1+e^-x) in
/// double where ONNX Runtime uses MLAS's logistic approximation, accurate to about 1e-7: identical here, but an
/// entry within that distance of a rounding boundary could come out one step apart.)
/// </summary>
public sealed class QuantizedOpsOrtTests
{
    private const DataType U8 = DataType.UInt8, S8 = DataType.Int8, F = DataType.Float;

    private static TensorData Zp(string name, DataType t, int v) => T.ZeroPoint(name, t, v);
    private static int RandomZp(Rng r, DataType t) => t == U8 ? r.Int(0, 255) : r.Int(-128, 127);

    // Inputs are uniform over the whole 8-bit range, so an input zero point far from its middle shifts every
    // product one way, and sums over K run to the output's bounds: cases would compare saturated constants.
    // Input zero points stay within 20 of the middle (still nonzero and asymmetric), output ones in the middle half.
    private static int InputZp(Rng r, DataType t) => t == U8 ? r.Int(108, 148) : r.Int(-20, 20);
    private static int OutputZp(Rng r, DataType t) => t == U8 ? r.Int(64, 192) : r.Int(-64, 64);

    private static Dictionary<string, object> Attrs(params (string, object?)[] items) =>
        items.Where(i => i.Item2 is not null).ToDictionary(i => i.Item1, i => i.Item2!);

    /// <summary>A QLinearConv case with random data; y_scale chosen so outputs spread over the 8-bit range.</summary>
    private static QCase Conv(string name, uint seed, DataType xt, DataType wt, DataType yt, int[] xShape, int m, int[] kernel, int group,
        bool perChannel, bool bias, int[]? strides = null, int[]? pads = null, int[]? dilations = null, bool weightZeroPoint = false,
        string? autoPad = null, float spread = 1f)
    {
        var r = new Rng(seed);
        int c = xShape[1], cg = c / group;
        int k = cg * kernel.Aggregate(1, (a, b) => a * b);
        var wShape = new[] { m, cg }.Concat(kernel).ToArray();
        float xs = r.Float(0.01f, 0.05f);
        var ws = Enumerable.Range(0, perChannel ? m : 1).Select(_ => r.Float(0.002f, 0.02f)).ToArray();
        // A sum of k products of centred 8-bit values has a standard deviation of about 5500·√k: this y_scale puts
        // it at about 55 output steps, and the bias below at about 30.
        float ys = xs * ws.Average() * (float)Math.Sqrt(k) * 100 * spread;
        int wz = weightZeroPoint ? (wt == U8 ? r.Int(100, 160) : r.Int(-20, 20)) : (wt == U8 ? 128 : 0);
        var inputs = new List<TensorData?>
        {
            T.Of("x", xt, xShape, r.Ints(xt, xShape.Aggregate(1, (a, b) => a * b))),
            T.Scalar("x_scale", xs), Zp("x_zero_point", xt, InputZp(r, xt)),
            T.Of("w", wt, wShape, r.Ints(wt, wShape.Aggregate(1, (a, b) => a * b))),
            perChannel ? T.Floats("w_scale", new[] { m }, ws) : T.Scalar("w_scale", ws[0]),
            perChannel ? T.ZeroPoints("w_zero_point", wt, Enumerable.Repeat(wz, m).ToArray()) : Zp("w_zero_point", wt, wz),
            T.Scalar("y_scale", ys), Zp("y_zero_point", yt, OutputZp(r, yt)),
        };
        int biasRange = (int)(3000 * Math.Sqrt(k));
        if (bias) inputs.Add(T.Ints("B", Enumerable.Range(0, m).Select(_ => r.Int(-biasRange, biasRange)).ToArray()));
        var attrs = Attrs(("kernel_shape", kernel), ("group", (object)group), ("strides", strides), ("pads", pads), ("dilations", dilations), ("auto_pad", autoPad));
        return new QCase(name, "QLinearConv", "", 10, inputs, yt, attrs);
    }

    private static QCase MatMul(string name, uint seed, DataType at, DataType bt, DataType yt, int[] aShape, int[] bShape, bool perColumn, bool zeroPoints = true)
    {
        var r = new Rng(seed);
        int k = aShape[^1], n = bShape[^1];
        float a = r.Float(0.01f, 0.05f);
        var bs = Enumerable.Range(0, perColumn ? n : 1).Select(_ => r.Float(0.002f, 0.02f)).ToArray();
        float ys = a * bs.Average() * (float)Math.Sqrt(k) * 40;
        var inputs = new List<TensorData?>
        {
            T.Of("a", at, aShape, r.Ints(at, aShape.Aggregate(1, (x, y) => x * y))),
            T.Scalar("a_scale", a), Zp("a_zero_point", at, zeroPoints ? InputZp(r, at) : 0),
            T.Of("b", bt, bShape, r.Ints(bt, bShape.Aggregate(1, (x, y) => x * y))),
            perColumn ? T.Floats("b_scale", new[] { n }, bs) : T.Scalar("b_scale", bs[0]),
            perColumn ? T.ZeroPoints("b_zero_point", bt, Enumerable.Range(0, n).Select(_ => bt == U8 ? 128 : 0).ToArray()) : Zp("b_zero_point", bt, zeroPoints ? InputZp(r, bt) : 0),
            T.Scalar("y_scale", ys), Zp("y_zero_point", yt, OutputZp(r, yt)),
        };
        return new QCase(name, "QLinearMatMul", "", 10, inputs, yt);
    }

    /// <summary>com.microsoft MatMulIntegerToFloat: (a - a_zp)(b - b_zp) x a_scale x b_scale + bias, float32 out.</summary>
    private static QCase MatMulToFloat(string name, uint seed, DataType at, DataType bt, int[] aShape, int[] bShape, bool perColumn, bool bias, bool bZeroPoint)
    {
        var r = new Rng(seed);
        int n = bShape[^1];
        var bs = Enumerable.Range(0, perColumn ? n : 1).Select(_ => r.Float(0.002f, 0.02f)).ToArray();
        var inputs = new List<TensorData?>
        {
            T.Of("A", at, aShape, r.Ints(at, aShape.Aggregate(1, (x, y) => x * y))),
            T.Of("B", bt, bShape, r.Ints(bt, bShape.Aggregate(1, (x, y) => x * y))),
            T.Scalar("a_scale", r.Float(0.01f, 0.05f)),
            perColumn ? T.Floats("b_scale", new[] { n }, bs) : T.Scalar("b_scale", bs[0]),
            Zp("a_zero_point", at, InputZp(r, at)),
            bZeroPoint ? (perColumn ? T.ZeroPoints("b_zero_point", bt, Enumerable.Range(0, n).Select(_ => RandomZp(r, bt)).ToArray()) : Zp("b_zero_point", bt, RandomZp(r, bt))) : null,
            bias ? T.Floats("bias", new[] { n }, Enumerable.Range(0, n).Select(_ => r.Float(-2f, 2f)).ToArray()) : null,
        };
        return new QCase(name, "MatMulIntegerToFloat", "com.microsoft", 1, inputs, F);
    }

    private static QCase Binary(string op, string name, uint seed, DataType t, int[] aShape, int[] bShape)
    {
        var r = new Rng(seed);
        float sa = r.Float(0.01f, 0.1f), sb = r.Float(0.01f, 0.1f);
        // Output scales that map the result's range (about ±128 steps of each input) onto about ±128 steps.
        float sc = op == "QLinearAdd" ? (sa + sb) * r.Float(0.8f, 1.6f) : sa * sb * r.Float(100f, 200f);
        var inputs = new List<TensorData?>
        {
            T.Of("A", t, aShape, r.Ints(t, aShape.Aggregate(1, (x, y) => x * y))), T.Scalar("A_scale", sa), Zp("A_zero_point", t, InputZp(r, t)),
            T.Of("B", t, bShape, r.Ints(t, bShape.Aggregate(1, (x, y) => x * y))), T.Scalar("B_scale", sb), Zp("B_zero_point", t, InputZp(r, t)),
            T.Scalar("C_scale", sc), Zp("C_zero_point", t, OutputZp(r, t)),
        };
        return new QCase(name, op, "com.microsoft", 1, inputs, t);
    }

    private static QCase Unary(string op, string name, uint seed, DataType t, int[] shape, Dictionary<string, object>? attrs = null, int opset = 1, string domain = "com.microsoft")
    {
        var r = new Rng(seed);
        var inputs = new List<TensorData?>
        {
            T.Of("X", t, shape, r.Ints(t, shape.Aggregate(1, (x, y) => x * y))),
            T.Scalar("X_scale", r.Float(0.01f, 0.1f)), Zp("X_zero_point", t, InputZp(r, t)),
            T.Scalar("Y_scale", r.Float(0.002f, 0.05f)), Zp("Y_zero_point", t, OutputZp(r, t)),
        };
        return new QCase(name, op, domain, opset, inputs, t, attrs);
    }

    private static QCase AvgPool(string name, uint seed, DataType t, int[] shape, int[] kernel, int[]? strides, int[]? pads, int includePad, int ceil = 0)
    {
        var r = new Rng(seed);
        float xs = r.Float(0.01f, 0.1f);
        var inputs = new List<TensorData?>
        {
            T.Of("X", t, shape, r.Ints(t, shape.Aggregate(1, (x, y) => x * y))),
            T.Scalar("x_scale", xs), Zp("x_zero_point", t, InputZp(r, t)),
            T.Scalar("y_scale", xs * r.Float(0.3f, 1.5f)), Zp("y_zero_point", t, OutputZp(r, t)),
        };
        return new QCase(name, "QLinearAveragePool", "com.microsoft", 1, inputs, t,
            Attrs(("kernel_shape", kernel), ("strides", strides), ("pads", pads), ("count_include_pad", (object)includePad), ("ceil_mode", (object)ceil)));
    }

    private static QCase Concat(string name, uint seed, DataType t, int axis, params int[][] shapes)
    {
        var r = new Rng(seed);
        float ys = r.Float(0.02f, 0.1f);
        int yz = RandomZp(r, t);
        var inputs = new List<TensorData?> { T.Scalar("Y_scale", ys), Zp("Y_zero_point", t, yz) };
        for (int i = 0; i < shapes.Length; i++)
        {
            bool same = i == 1; // one input shares the output's grid: a plain copy
            inputs.Add(T.Of($"X{i}", t, shapes[i], r.Ints(t, shapes[i].Aggregate(1, (x, y) => x * y))));
            inputs.Add(T.Scalar($"X{i}_scale", same ? ys : r.Float(0.01f, 0.2f)));
            inputs.Add(Zp($"X{i}_zero_point", t, same ? yz : RandomZp(r, t)));
        }
        return new QCase(name, "QLinearConcat", "com.microsoft", 1, inputs, t, Attrs(("axis", (object)axis)));
    }

    private static QCase Quantize(string name, uint seed, DataType yt, int[] shape, int axis, bool perAxis)
    {
        var r = new Rng(seed);
        int channels = perAxis ? shape[axis] : 1;
        var scales = Enumerable.Range(0, channels).Select(_ => r.Float(0.01f, 0.5f)).ToArray();
        int n = shape.Aggregate(1, (a, b) => a * b);
        // Exact ties (k + 0.5) * scale land on both sides of the rounding; some values saturate.
        int inner = shape.Skip(axis + 1).Aggregate(1, (a, b) => a * b);
        float Scale(int i) => scales[perAxis ? i / inner % channels : 0];
        var x = Enumerable.Range(0, n).Select(i => i % 7 == 0 ? (r.Int(-300, 300) + 0.5f) * Scale(i) : r.Float(-150f, 150f) * Scale(i)).ToArray();
        var zps = Enumerable.Range(0, channels).Select(_ => yt switch { U8 => r.Int(0, 255), S8 => r.Int(-128, 127), DataType.UInt16 => r.Int(0, 65535), _ => r.Int(-32768, 32767) }).ToArray();
        var inputs = new List<TensorData?>
        {
            T.Floats("x", shape, x),
            perAxis ? T.Floats("y_scale", new[] { channels }, scales) : T.Scalar("y_scale", scales[0]),
            perAxis ? ZeroPointVector("y_zero_point", yt, zps) : Zp("y_zero_point", yt, zps[0]),
        };
        return new QCase(name, "QuantizeLinear", "", 21, inputs, yt, perAxis ? Attrs(("axis", (object)axis)) : null);
    }

    private static TensorData ZeroPointVector(string name, DataType t, int[] v) => t switch
    {
        DataType.UInt16 => new(name, (int)t, new[] { v.Length }, v.Select(x => (ushort)x).ToArray()),
        DataType.Int16 => new(name, (int)t, new[] { v.Length }, v.Select(x => (short)x).ToArray()),
        _ => T.ZeroPoints(name, t, v),
    };

    private static QCase Dequantize(string name, uint seed, DataType xt, int[] shape, int axis, bool perAxis)
    {
        var r = new Rng(seed);
        int channels = perAxis ? shape[axis] : 1;
        var scales = Enumerable.Range(0, channels).Select(_ => r.Float(0.001f, 0.5f)).ToArray();
        var zps = Enumerable.Range(0, channels).Select(_ => xt == DataType.Int32 ? 0 : RandomZp(r, xt)).ToArray();
        var inputs = new List<TensorData?>
        {
            T.Of("x", xt, shape, r.Ints(xt, shape.Aggregate(1, (a, b) => a * b))),
            perAxis ? T.Floats("x_scale", new[] { channels }, scales) : T.Scalar("x_scale", scales[0]),
            perAxis ? (xt == DataType.Int32 ? T.Ints("x_zero_point", zps) : T.ZeroPoints("x_zero_point", xt, zps)) : Zp("x_zero_point", xt, zps[0]),
        };
        return new QCase(name, "DequantizeLinear", "", 13, inputs, F, perAxis ? Attrs(("axis", (object)axis)) : null);
    }

    internal static IEnumerable<QCase> BaseCases()
    {
        // QLinearConv.
        yield return Conv("conv_u8s8_pc_3x3_pad1", 1, U8, S8, U8, new[] { 1, 5, 9, 9 }, 7, new[] { 3, 3 }, 1, perChannel: true, bias: true, pads: new[] { 1, 1, 1, 1 });
        yield return Conv("conv_u8u8_pt_stride2_asympad", 2, U8, U8, U8, new[] { 2, 3, 11, 8 }, 6, new[] { 3, 2 }, 1, perChannel: false, bias: false, strides: new[] { 2, 2 }, pads: new[] { 1, 0, 2, 1 }, weightZeroPoint: true);
        yield return Conv("conv_s8s8_pc_1x1", 3, S8, S8, S8, new[] { 1, 19, 6, 7 }, 9, new[] { 1, 1 }, 1, perChannel: true, bias: true);
        yield return Conv("conv_s8s8_wzp_1x1_stride2", 4, S8, S8, S8, new[] { 1, 6, 7, 7 }, 5, new[] { 1, 1 }, 1, perChannel: false, bias: true, strides: new[] { 2, 2 }, weightZeroPoint: true);
        yield return Conv("conv_u8s8_depthwise_s2", 5, U8, S8, U8, new[] { 1, 13, 12, 11 }, 13, new[] { 3, 3 }, 13, perChannel: true, bias: true, strides: new[] { 2, 2 }, pads: new[] { 1, 1, 1, 1 });
        yield return Conv("conv_u8s8_depthwise_s1", 6, U8, S8, U8, new[] { 1, 8, 21, 19 }, 8, new[] { 3, 3 }, 8, perChannel: true, bias: true, pads: new[] { 1, 1, 1, 1 });
        yield return Conv("conv_s8s8_depthwise_multiplier2", 7, S8, S8, S8, new[] { 1, 4, 9, 9 }, 8, new[] { 3, 3 }, 4, perChannel: true, bias: false, pads: new[] { 0, 1, 2, 1 });
        yield return Conv("conv_u8u8_depthwise_wzp", 8, U8, U8, U8, new[] { 1, 6, 10, 10 }, 6, new[] { 5, 5 }, 6, perChannel: false, bias: true, pads: new[] { 2, 2, 2, 2 }, weightZeroPoint: true);
        // Depthwise through the phase planes: wide rows (the vector even/odd split), pads of both parities, stride 3, dilation.
        yield return Conv("conv_u8s8_depthwise_s2_wide_pad0", 10, U8, S8, U8, new[] { 1, 5, 9, 70 }, 5, new[] { 3, 3 }, 5, perChannel: true, bias: true, strides: new[] { 2, 2 }, pads: new[] { 0, 0, 1, 1 });
        yield return Conv("conv_s8s8_depthwise_s2_wide_pad2", 11, S8, S8, S8, new[] { 1, 3, 11, 67 }, 3, new[] { 5, 5 }, 3, perChannel: true, bias: true, strides: new[] { 2, 2 }, pads: new[] { 2, 2, 2, 2 });
        yield return Conv("conv_u8s8_depthwise_s3_dilated", 12, U8, S8, U8, new[] { 1, 4, 17, 23 }, 4, new[] { 3, 3 }, 4, perChannel: false, bias: true, strides: new[] { 3, 3 }, pads: new[] { 1, 2, 1, 0 }, dilations: new[] { 2, 2 });
        yield return Conv("conv_u8s8_depthwise_s1x2", 13, U8, S8, U8, new[] { 1, 6, 7, 40 }, 6, new[] { 3, 3 }, 6, perChannel: true, bias: false, strides: new[] { 1, 2 }, pads: new[] { 1, 1, 1, 1 });
        // 32 channels of 14x14 (the channels-last kernel, with its table built once) and of 28x28 at stride 1 (above its plane limit).
        yield return Conv("conv_u8s8_depthwise_32ch_14x14", 14, U8, S8, U8, new[] { 1, 32, 14, 14 }, 32, new[] { 3, 3 }, 32, perChannel: true, bias: true, pads: new[] { 1, 1, 1, 1 });
        yield return Conv("conv_s8s8_depthwise_32ch_28x28", 15, S8, S8, S8, new[] { 1, 32, 28, 28 }, 32, new[] { 3, 3 }, 32, perChannel: true, bias: true, pads: new[] { 1, 1, 1, 1 });
        yield return Conv("conv_u8s8_groups_dilation", 9, U8, S8, U8, new[] { 1, 6, 13, 13 }, 4, new[] { 3, 3 }, 2, perChannel: true, bias: true, dilations: new[] { 2, 2 }, pads: new[] { 2, 2, 2, 2 });
        yield return Conv("conv_u8s8_1d", 10, U8, S8, U8, new[] { 2, 5, 30 }, 7, new[] { 5 }, 1, perChannel: true, bias: true, strides: new[] { 2 }, pads: new[] { 2, 1 });
        yield return Conv("conv_u8s8_5x5_3ch_same", 11, U8, S8, U8, new[] { 1, 3, 17, 15 }, 10, new[] { 5, 5 }, 1, perChannel: true, bias: true, autoPad: "SAME_UPPER");
        yield return Conv("conv_u8s8_saturating", 12, U8, S8, U8, new[] { 1, 9, 8, 8 }, 17, new[] { 3, 3 }, 1, perChannel: true, bias: true, pads: new[] { 1, 1, 1, 1 }, spread: 0.1f);
        yield return Conv("conv_u8s8_wide", 13, U8, S8, U8, new[] { 1, 64, 9, 10 }, 33, new[] { 3, 3 }, 1, perChannel: true, bias: true, pads: new[] { 1, 1, 1, 1 });
        // A 3-channel stem with symmetric weights: the windowed form (rows packed by byte permutes on AVX-VNNI + VBMI).
        yield return Conv("conv_s8s8_stem_3ch_s2", 16, S8, S8, S8, new[] { 1, 3, 33, 34 }, 16, new[] { 3, 3 }, 1, perChannel: true, bias: true, strides: new[] { 2, 2 }, pads: new[] { 1, 1, 1, 1 });

        // QLinearMatMul.
        yield return MatMul("matmul_u8s8_percolumn", 20, U8, S8, U8, new[] { 5, 37 }, new[] { 37, 23 }, perColumn: true);
        yield return MatMul("matmul_u8u8_zeropoints", 21, U8, U8, U8, new[] { 3, 4, 18 }, new[] { 18, 9 }, perColumn: false);
        yield return MatMul("matmul_s8s8_vector", 22, S8, S8, S8, new[] { 1, 130 }, new[] { 130, 70 }, perColumn: false);
        yield return MatMul("matmul_u8s8_batched_b", 23, U8, S8, U8, new[] { 2, 3, 7 }, new[] { 2, 7, 5 }, perColumn: false);

        // MatMulIntegerToFloat (what the QDQ pass makes of a Gemm whose float output is not quantized again).
        yield return MatMulToFloat("matmul_to_float_u8s8_percolumn_bias", 24, U8, S8, new[] { 1, 130 }, new[] { 130, 70 }, perColumn: true, bias: true, bZeroPoint: false);
        yield return MatMulToFloat("matmul_to_float_s8s8_pertensor", 25, S8, S8, new[] { 5, 37 }, new[] { 37, 23 }, perColumn: false, bias: false, bZeroPoint: false);
        yield return MatMulToFloat("matmul_to_float_u8u8_zeropoints", 26, U8, U8, new[] { 2, 3, 18 }, new[] { 18, 9 }, perColumn: true, bias: true, bZeroPoint: true);

        // QLinearAdd / QLinearMul: same shapes, per-channel broadcasting, scalars, trailing broadcasting.
        foreach (var (op, s) in new[] { ("QLinearAdd", 30u), ("QLinearMul", 40u) })
        {
            foreach (var t in new[] { U8, S8 })
            {
                string tn = t == U8 ? "u8" : "s8";
                yield return Binary(op, $"{op}_{tn}_same", s, t, new[] { 2, 3, 5, 7 }, new[] { 2, 3, 5, 7 });
                yield return Binary(op, $"{op}_{tn}_channel", s + 1, t, new[] { 1, 4, 5, 6 }, new[] { 1, 4, 1, 1 });
                yield return Binary(op, $"{op}_{tn}_channel_first", s + 2, t, new[] { 1, 4, 1, 1 }, new[] { 1, 4, 5, 6 });
                yield return Binary(op, $"{op}_{tn}_scalar_b", s + 3, t, new[] { 3, 11 }, new[] { 1 });
                yield return Binary(op, $"{op}_{tn}_scalar_a", s + 4, t, Array.Empty<int>(), new[] { 3, 11 });
                yield return Binary(op, $"{op}_{tn}_rows", s + 5, t, new[] { 5, 9 }, new[] { 9 });
                yield return Binary(op, $"{op}_{tn}_long", s + 6, t, new[] { 1037 }, new[] { 1037 });
            }
        }

        // Activations through tables.
        foreach (var t in new[] { U8, S8 })
        {
            string tn = t == U8 ? "u8" : "s8";
            yield return Unary("QLinearLeakyRelu", $"leakyrelu_{tn}", 50, t, new[] { 2, 3, 40 }, Attrs(("alpha", (object)0.1f)));
            yield return Unary("QLinearSigmoid", $"sigmoid_{tn}", 51, t, new[] { 3, 100 });
            yield return Unary("QLinearGlobalAveragePool", $"gap_{tn}", 52, t, new[] { 2, 5, 7, 9 });
            // 7x7 planes (MobileNet's last pool: one 32-byte load and an overlapping masked one), 64 (two loads), 5x5 (two
            // overlapping 16-byte loads).
            yield return Unary("QLinearGlobalAveragePool", $"gap_7x7_{tn}", 59, t, new[] { 2, 8, 7, 7 });
            yield return Unary("QLinearGlobalAveragePool", $"gap_8x8_{tn}", 60, t, new[] { 2, 5, 8, 8 });
            yield return Unary("QLinearGlobalAveragePool", $"gap_5x5_{tn}", 61, t, new[] { 2, 8, 5, 5 });
            yield return Unary("QLinearGlobalAveragePool", $"gap_nhwc_{tn}", 53, t, new[] { 2, 7, 9, 5 }, Attrs(("channels_last", (object)1)));
            yield return AvgPool($"avgpool_3x3_s2_{tn}", 54, t, new[] { 1, 3, 11, 10 }, new[] { 3, 3 }, new[] { 2, 2 }, new[] { 1, 1, 1, 1 }, includePad: 0);
            yield return AvgPool($"avgpool_include_pad_{tn}", 55, t, new[] { 2, 2, 9, 9 }, new[] { 3, 3 }, new[] { 2, 2 }, new[] { 1, 1, 1, 1 }, includePad: 1);
            yield return AvgPool($"avgpool_ceil_{tn}", 56, t, new[] { 1, 2, 10, 10 }, new[] { 3, 3 }, new[] { 2, 2 }, null, includePad: 0, ceil: 1);
            yield return AvgPool($"avgpool_global_window_{tn}", 57, t, new[] { 1, 6, 4, 4 }, new[] { 4, 4 }, null, null, includePad: 0);
            yield return Concat($"concat_{tn}", 58, t, 1, new[] { 1, 2, 3, 4 }, new[] { 1, 3, 3, 4 }, new[] { 1, 1, 3, 4 });
        }

        // QuantizeLinear / DequantizeLinear.
        yield return Quantize("quantize_u8", 60, U8, new[] { 3, 50 }, 0, perAxis: false);
        yield return Quantize("quantize_s8_axis", 61, S8, new[] { 2, 3, 5, 4 }, 1, perAxis: true);
        yield return Quantize("quantize_u16", 62, DataType.UInt16, new[] { 100 }, 0, perAxis: false);
        yield return Quantize("quantize_s16_axis", 63, DataType.Int16, new[] { 4, 6 }, 1, perAxis: true);
        yield return Dequantize("dequantize_u8", 64, U8, new[] { 3, 50 }, 0, perAxis: false);
        yield return Dequantize("dequantize_s8_axis", 65, S8, new[] { 2, 3, 5 }, 1, perAxis: true);
        yield return Dequantize("dequantize_i32", 66, DataType.Int32, new[] { 40 }, 0, perAxis: false);
    }

    private static readonly List<QCase> s_cases = BaseCases().SelectMany(c => new[] { c.AllConstantButFirst(), c.AllRuntime() }).ToList();
    private static readonly QCaseSuite s_suite = new("QuantOps", s_cases);

    public static TheoryData<string> Cases() => new(s_cases.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_onnx_runtime(string name)
    {
        var c = s_cases.Single(x => x.Name == name);
        var (expected, missing) = c.RunOnnxRuntime();
        if (expected is null) Assert.Skip("ONNX Runtime has no kernel for this case: " + missing);
        AssertSpread(expected, name);
        var actual = s_suite.Run(c);
        // Float outputs (DequantizeLinear) are one exact product each: compared bit for bit too.
        if (expected is float[]) Compare.Close(expected, actual, rtol: 0, atol: 0, name);
        else Compare.Exact(expected, actual, name);
    }

    /// <summary>
    /// Generated code builds <c>DepthwiseChannelsLast</c>'s per-channel table once for exactly the layers that kernel
    /// takes (the shape rule is one file compiled into both the generator and the runtime): a 14x14 layer gets one, a
    /// 28x28 stride-1 layer, above the kernel's plane limit, none. Both match ONNX Runtime in <see cref="Matches_onnx_runtime"/>.
    /// </summary>
    [Theory]
    [InlineData("conv_u8s8_depthwise_32ch_14x14", true)]
    [InlineData("conv_s8s8_depthwise_32ch_28x28", false)]
    public void A_channels_last_depthwise_table_is_generated_only_where_that_kernel_runs(string name, bool expected)
    {
        var c = BaseCases().Single(x => x.Name == name).AllConstantButFirst();
        var (result, unit) = InMemoryCompiler.Generate(c.Model(), "ChannelsLastTable." + name);
        Assert.True(unit is not null, string.Join("; ", result.Diagnostics));
        Assert.Equal(expected, unit!.Source.Contains("QuantizedConv.DepthwiseChannelsLastTable<", StringComparison.Ordinal));
        Assert.Contains(expected ? "QuantizedConv.QLinearDepthwiseChannelsLast<" : "QuantizedConv.QLinearDepthwiseWindowed<", unit.Source, StringComparison.Ordinal);
    }

    /// <summary>
    /// Which form of a quantized convolution runs is decided at build time (<see cref="QuantizedConvForms.Choose"/>): the
    /// generated code calls that form's entry point and its layer comment names it. Each form's results are checked
    /// against ONNX Runtime in <see cref="Matches_onnx_runtime"/> (and every form on every integer path in
    /// <c>IntegerKernelTests</c>).
    /// </summary>
    [Theory]
    [InlineData("conv_u8s8_pc_3x3_pad1", "QLinearConv")]
    [InlineData("conv_s8s8_stem_3ch_s2", "QLinearConvWindowed")]
    [InlineData("conv_u8u8_depthwise_wzp", "QLinearDepthwise")]
    [InlineData("conv_u8s8_depthwise_s1", "QLinearDepthwiseWindowed")]
    [InlineData("conv_u8s8_depthwise_32ch_14x14", "QLinearDepthwiseChannelsLast")]
    public void Each_convolution_calls_the_form_chosen_at_build_time(string name, string entryPoint)
    {
        var c = BaseCases().Single(x => x.Name == name).AllConstantButFirst();
        var (result, unit) = InMemoryCompiler.Generate(c.Model(), "Forms." + name);
        Assert.True(unit is not null, string.Join("; ", result.Diagnostics));
        Assert.Contains($"QuantizedConv.{entryPoint}<", unit!.Source, StringComparison.Ordinal);
        Assert.Contains($"//     kernel QuantizedConv.{entryPoint}", unit.Source, StringComparison.Ordinal);
        Assert.DoesNotContain("Dynamic<", unit.Source, StringComparison.Ordinal);
    }

    /// <summary>
    /// A case whose reference output sits on the type's bounds compares constants and would pass whatever the
    /// arithmetic did: at most half the 8-bit outputs may be saturated (cases named "saturating" are meant to be),
    /// and they must take several distinct values.
    /// </summary>
    private static void AssertSpread(Array expected, string name)
    {
        if (name.Contains("saturating", StringComparison.Ordinal) || expected.Length < 8) return;
        (long lo, long hi)? bounds = expected switch
        {
            byte[] => (byte.MinValue, byte.MaxValue),
            sbyte[] => (sbyte.MinValue, sbyte.MaxValue),
            _ => null,
        };
        if (bounds is null) return;
        var values = expected.Cast<object>().Select(Convert.ToInt64).ToArray();
        int saturated = values.Count(v => v == bounds.Value.lo || v == bounds.Value.hi);
        Assert.True(saturated * 2 <= values.Length && values.Distinct().Count() >= 4,
            $"{name}: the reference output is degenerate ({saturated} of {values.Length} saturated, {values.Distinct().Count()} distinct values); choose scales that spread it");
    }
}
