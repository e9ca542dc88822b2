using System;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Ops.Nn;

namespace ModelCompiler.Ops.Quantization;

/// <summary>
/// What QLinearConv and ConvInteger share: Conv's shape rules for X[N, C, spatial...] and W[M, C/group, k...],
/// and the build-time preparation of constant weights for the run-time kernels (see
/// <c>ModelCompiler.Runtime.QuantizedConv</c>): uint8 weights shifted to int8 (their zero points too), rows
/// padded to a multiple of 4 for the GEMM form, and per output channel
/// term = bias - x_zp' * sum(w') + K * x_zp' * w_zp' (x_zp' is the input zero point shifted to uint8).
/// </summary>
internal static class QuantConv
{
    public sealed record Shapes(int[] X, int[] W, int[] Y, SpatialGeometry Geometry, int Group)
    {
        public int M => W[0];
        public int GroupInputs => W[1];
        public int K => W.Skip(1).Aggregate(1, (a, b) => a * b);
        public bool Depthwise => GroupInputs == 1;
        public long Macs => ShapeText.Product(Y) * K;
        public string Describe() => (Group == X[1] && Group == M && Group > 1 ? "depthwise, " : Group > 1 ? $"group {Group}, " : "") + Geometry.Describe();
    }

    public static Shapes Infer(OpContext c, int xIndex, int wIndex)
    {
        int[] x = c.Shape(xIndex), w = c.Shape(wIndex);
        if (x.Length < 3) throw new ModelError($"the input must be [N, C, spatial...] but has shape {ShapeText.Format(x)}");
        if (w.Length != x.Length) throw new ModelError($"the weight has rank {w.Length} but the input has rank {x.Length}");
        int group = (int)c.Int("group", 1);
        if (group <= 0 || x[1] % group != 0 || w[0] % group != 0)
            throw new ModelError($"group {group} does not divide the {x[1]} input and {w[0]} output channels");
        if (w[1] * group != x[1])
            throw new ModelError($"the weight expects {w[1] * group} input channels (group {group}) but the input has {x[1]}");
        var kernel = c.Ints("kernel_shape")?.Select(k => (int)k).ToArray() ?? w.Skip(2).ToArray();
        if (!kernel.SequenceEqual(w.Skip(2))) throw new ModelError($"kernel_shape {string.Join("x", kernel)} does not match the weight {ShapeText.Format(w)}");
        var g = SpatialGeometry.Compute(c, x.Skip(2).ToArray(), kernel);
        var y = new[] { x[0], w[0] }.Concat(g.Output).ToArray();
        return new Shapes(x, w, y, g, group);
    }

    public static string? WhyNoKernel(Shapes s) =>
        s.X.Length > 4 ? $" ({s.X.Length - 2}-D quantized convolution is not supported; 1-D and 2-D are)" : null;

    /// <summary>Weights prepared at build time.</summary>
    public sealed class Prepared
    {
        public sbyte[] Weights = Array.Empty<sbyte>();
        /// <summary>Shifted weight zero points, or null when all are zero.</summary>
        public int[]? ZeroPoints;
        /// <summary>GEMM: the per-channel terms; depthwise: the bias (or null).</summary>
        public int[]? Terms;
        public bool Depthwise;
    }

    /// <summary>
    /// Shifts and packs constant weights. <paramref name="xZeroPoint"/> is the input zero point as read
    /// (int8 or uint8 value); <paramref name="bias"/> may be null.
    /// </summary>
    public static Prepared Prepare(Shapes s, Tensor w, Tensor? wZeroPoint, long xZeroPoint, bool xSigned, Tensor? bias)
    {
        int m = s.M, k = s.K;
        int shift = w.Type == DataType.UInt8 ? 128 : 0;
        bool depthwise = s.Depthwise;
        int kp = depthwise ? k : (k + 3) & ~3;
        var packed = new sbyte[m * kp];
        var zeroPoints = new int[m];
        var terms = new int[m];
        long xz = xZeroPoint + (xSigned ? 128 : 0);
        for (int oc = 0; oc < m; oc++)
        {
            long wz = (wZeroPoint is null ? 0 : wZeroPoint.GetLong(wZeroPoint.ElementCount == 1 ? 0 : oc)) - shift;
            zeroPoints[oc] = (int)wz;
            long sum = 0;
            for (int i = 0; i < k; i++)
            {
                long v = w.GetLong((long)oc * k + i) - shift;
                packed[oc * kp + i] = (sbyte)v;
                sum += v;
            }
            long b = bias is null ? 0 : bias.GetLong(oc);
            terms[oc] = depthwise ? unchecked((int)b) : unchecked((int)(b - xz * sum + k * xz * wz));
        }
        return new Prepared
        {
            Weights = packed,
            ZeroPoints = zeroPoints.Any(z => z != 0) ? zeroPoints : null,
            Terms = depthwise && bias is null ? null : terms,
            Depthwise = depthwise,
        };
    }
}

/// <summary>
/// ONNX QLinearConv (opset 10): a convolution of uint8/int8 x with uint8/int8 weights (per-tensor or per-output-
/// channel scale and zero point) and an optional int32 bias, accumulated in int32 and requantized to y's type
/// with multiplier float32(x_scale * w_scale) / y_scale, rounding half to even, as ONNX Runtime. Constant weights
/// and parameters (the usual case) are packed at build time; otherwise the kernel prepares them per call.
/// </summary>
internal sealed class QLinearConvOp : OpSchema
{
    public override string OpType => "QLinearConv";

    public override void Infer(OpContext c)
    {
        c.RequireInputs(8);
        Quant.RequireEightBit(c, 0, "x");
        Quant.RequireEightBit(c, 3, "w");
        Quant.RequireEightBit(c, 7, "y_zero_point");
        Quant.RequireType(c, 2, c.Type(0), "x_zero_point");
        Quant.RequireType(c, 5, c.Type(3), "w_zero_point");
        foreach (int i in new[] { 1, 4, 6 }) Quant.RequireType(c, i, DataType.Float, i == 1 ? "x_scale" : i == 4 ? "w_scale" : "y_scale");
        Quant.RequireType(c, 8, DataType.Int32, "the bias");
        var s = QuantConv.Infer(c, 0, 3);
        Quant.CheckSingle(c, 1, "x_scale");
        Quant.CheckSingle(c, 2, "x_zero_point");
        Quant.CheckSingle(c, 6, "y_scale");
        Quant.CheckSingle(c, 7, "y_zero_point");
        Quant.CheckPerChannel(c, 4, "w_scale", s.M);
        Quant.CheckPerChannel(c, 5, "w_zero_point", s.M);
        if (c.Has(8) && ShapeText.Product(c.Shape(8)) != s.M)
            throw new ModelError($"the bias has {ShapeText.Product(c.Shape(8))} values but there are {s.M} output channels");
        c.SetOutput(0, c.Type(7), s.Y);
    }

    public override string? WhyNoKernel(OpContext c) => QuantConv.WhyNoKernel(QuantConv.Infer(c, 0, 3));

    /// <summary>
    /// The reference kernel: parameters read at run time and prepared on every call. Layers whose weights and
    /// parameters are constants (nearly all) get <see cref="Kernels.Quantized.QuantizedConvKernelProvider"/>'s kernels,
    /// prepared at build time, instead.
    /// </summary>
    public override Kernel? CreateKernel(OpContext c)
    {
        var s = QuantConv.Infer(c, 0, 3);
        if (QuantConv.WhyNoKernel(s) is not null) return null;
        string tx = c.Type(0).CSharpName()!, tw = c.Type(3).CSharpName()!, ty = c.Type(7).CSharpName()!;
        string geometry = Quant.ConvGeometry(s.X, s.W, s.Y, s.Geometry, s.Group);
        string summary = $"{c.Type(0).OnnxName()} x {c.Type(3).OnnxName()} ({Quant.Granularity(c, 4)}) -> {c.Type(7).OnnxName()}, {s.Describe()}";
        return new CallKernel(c.Node, w => w.Line(
            $"{Quant.Runtime}QuantizedConv.QLinearConvDynamic<{tx}, {tw}, {ty}>({w.In(0)}, {w.In(1)}, {w.In(2)}, {w.In(3)}, {w.In(4)}, {w.In(5)}, {w.In(6)}, {w.In(7)}, {Quant.InOrDefault(w, 8)}, {w.Out(0)}, {geometry});"),
            summary + ", parameters at run time", s.Macs);
    }
}

/// <summary>
/// ONNX ConvInteger (opset 10): int32 y = sum (x - x_zero_point)(w - w_zero_point) over each window (uint8/int8
/// inputs, zero points optional, w_zero_point per tensor or per output channel). Constant weights are packed at
/// build time.
/// </summary>
internal sealed class ConvIntegerOp : OpSchema
{
    public override string OpType => "ConvInteger";

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        Quant.RequireEightBit(c, 0, "x");
        Quant.RequireEightBit(c, 1, "w");
        Quant.RequireType(c, 2, c.Type(0), "x_zero_point");
        Quant.RequireType(c, 3, c.Type(1), "w_zero_point");
        var s = QuantConv.Infer(c, 0, 1);
        Quant.CheckSingle(c, 2, "x_zero_point");
        Quant.CheckPerChannel(c, 3, "w_zero_point", s.M);
        c.SetOutput(0, DataType.Int32, s.Y);
    }

    public override string? WhyNoKernel(OpContext c) => QuantConv.WhyNoKernel(QuantConv.Infer(c, 0, 1));

    /// <summary>The reference kernel: weights and zero points read at run time (see <see cref="QLinearConvOp.CreateKernel"/>).</summary>
    public override Kernel? CreateKernel(OpContext c)
    {
        var s = QuantConv.Infer(c, 0, 1);
        if (QuantConv.WhyNoKernel(s) is not null) return null;
        string tx = c.Type(0).CSharpName()!, tw = c.Type(1).CSharpName()!;
        string geometry = Quant.ConvGeometry(s.X, s.W, s.Y, s.Geometry, s.Group);
        string summary = $"{c.Type(0).OnnxName()} x {c.Type(1).OnnxName()} -> int32, {s.Describe()}";
        return new CallKernel(c.Node, w => w.Line(
            $"{Quant.Runtime}QuantizedConv.ConvIntegerDynamic<{tx}, {tw}>({w.In(0)}, {Quant.InOrDefault(w, 2)}, {w.In(1)}, {Quant.InOrDefault(w, 3)}, {w.Out(0)}, {geometry});"),
            summary + ", weights at run time", s.Macs);
    }
}
