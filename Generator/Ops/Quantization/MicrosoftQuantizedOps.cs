using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Ops.Nn;

namespace ModelCompiler.Ops.Quantization;

/// <summary>
/// com.microsoft QLinearAdd / QLinearMul: A, A_scale, A_zero_point, B, B_scale, B_zero_point, C_scale,
/// C_zero_point (zero points optional), uint8 or int8, numpy broadcasting. Per-tensor parameters only.
/// The run-time kernel follows ONNX Runtime's float32 steps exactly.
/// </summary>
internal sealed class QLinearBinaryOp : OpSchema
{
    private readonly bool _mul;
    public QLinearBinaryOp(bool mul) => _mul = mul;

    public override string OpType => _mul ? "QLinearMul" : "QLinearAdd";
    public override string Domain => "com.microsoft";

    public override void Infer(OpContext c)
    {
        c.RequireInputs(7);
        Quant.RequireEightBit(c, 0, "A");
        if (c.Type(3) != c.Type(0)) throw new ModelError($"B has type {c.Type(3).OnnxName()} but A has {c.Type(0).OnnxName()}; they must match");
        foreach (int i in new[] { 2, 5, 7 }) Quant.RequireType(c, i, c.Type(0), "the zero point");
        foreach (int i in new[] { 1, 4, 6 }) { Quant.RequireType(c, i, DataType.Float, "the scale"); Quant.CheckSingle(c, i, "the scale"); }
        foreach (int i in new[] { 2, 5, 7 }) Quant.CheckSingle(c, i, "the zero point");
        c.SetOutput(0, c.Type(0), ShapeText.Broadcast(c.Shape(0), c.Shape(3)));
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        string t = c.Type(0).CSharpName()!;
        int[] ya = c.Shape(0), yb = c.Shape(3), y = c.Node.Output(0)!.Shape!;
        string kind = ShapeText.SameShape(ya, yb) ? "same shapes" : $"{ShapeText.Format(ya)} with {ShapeText.Format(yb)}";
        return new CallKernel(c.Node, w => w.Line(
            $"{Quant.Runtime}QuantizedElementwise.{OpType}<{t}>({w.In(0)}, {w.In(1)}, {Quant.InOrDefault(w, 2)}, {Literals.IntSpan(ya)}, " +
            $"{w.In(3)}, {w.In(4)}, {Quant.InOrDefault(w, 5)}, {Literals.IntSpan(yb)}, {w.In(6)}, {Quant.InOrDefault(w, 7)}, {w.Out(0)}, {Literals.IntSpan(y)});"),
            $"{c.Type(0).OnnxName()}, {kind}");
    }
}

/// <summary>
/// com.microsoft QLinearSigmoid and QLinearLeakyRelu (X, X_scale, X_zero_point, Y_scale, Y_zero_point): a
/// function of one 8-bit value is a 256-entry table, built at build time for constant parameters as ONNX
/// Runtime builds it (dequantize, apply in float, quantize).
/// </summary>
internal sealed class QLinearLookupOp : OpSchema
{
    private readonly string _op;
    public QLinearLookupOp(string op) => _op = op;

    public override string OpType => _op;
    public override string Domain => "com.microsoft";

    private string Function => _op == "QLinearSigmoid" ? "Sigmoid" : "LeakyRelu";

    public override void Infer(OpContext c)
    {
        c.RequireInputs(4);
        Quant.RequireEightBit(c, 0, "X");
        foreach (int i in new[] { 2, 4 }) Quant.RequireType(c, i, c.Type(0), "the zero point");
        foreach (int i in new[] { 1, 3 }) { Quant.RequireType(c, i, DataType.Float, "the scale"); Quant.CheckSingle(c, i, "the scale"); }
        foreach (int i in new[] { 2, 4 }) Quant.CheckSingle(c, i, "the zero point");
        c.SetOutput(0, c.Type(0), c.Shape(0));
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        string t = c.Type(0).CSharpName()!;
        float alpha = c.Float("alpha", 0.01f);
        string fn = $"{Quant.Runtime}Quantization.TableFunction.{Function}";
        if (!Quant.AllConstant(c, 1, 2, 3, 4))
        {
            return new CallKernel(c.Node, w => w.Line(
                $"{Quant.Runtime}Quantization.LookupDynamic<{t}>({w.In(0)}, {w.In(1)}, {Quant.InOrDefault(w, 2)}, {w.In(3)}, {Quant.InOrDefault(w, 4)}, {fn}, {Literals.Float(alpha)}, {w.Out(0)});"),
                "table built per call");
        }
        var table = Quant.ByteTensor(QuantTables.Build(c.Type(0), (float)c.Const(1)!.GetDouble(0), c.Const(2)?.GetLong(0) ?? 0,
            (float)c.Const(3)!.GetDouble(0), c.Const(4)?.GetLong(0) ?? 0, Function, alpha));
        return new CallKernel(c.Node, w => w.Line($"{Quant.Runtime}Quantization.Lookup<{t}>({w.In(0)}, {w.Weight(table)}, {w.Out(0)});"),
            "256-entry table");
    }
}

/// <summary>The build-time twin of <c>Quantization.BuildTable</c> (same float32 steps).</summary>
internal static class QuantTables
{
    public static byte[] Build(DataType type, float xScale, long xZeroPoint, float yScale, long yZeroPoint, string function, float alpha)
    {
        var table = new byte[256];
        for (int i = 0; i < 256; i++)
        {
            int x = type == DataType.Int8 ? (sbyte)(byte)i : i;
            float v = Quant.Mul(xScale, x - (int)xZeroPoint);
            v = function switch
            {
                "Sigmoid" => (float)(1.0 / (1.0 + Math.Exp(-(double)v))),
                "LeakyRelu" => v >= 0 ? v : Quant.Mul(alpha, v),
                _ => v,
            };
            table[i] = unchecked((byte)Quant.QuantizeOne(v, yScale, yZeroPoint, type));
        }
        return table;
    }
}

/// <summary>
/// com.microsoft QLinearConcat (Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) per input; axis):
/// inputs with the output's scale and zero point are copied, others requantized through a 256-entry table
/// (built at build time for constant parameters), as ONNX Runtime does.
/// </summary>
internal sealed class QLinearConcatOp : OpSchema
{
    public override string OpType => "QLinearConcat";
    public override string Domain => "com.microsoft";

    private static int Count(OpContext c) =>
        c.InputCount >= 5 && (c.InputCount - 2) % 3 == 0 ? (c.InputCount - 2) / 3
            : throw new ModelError($"QLinearConcat takes Y_scale, Y_zero_point and (X, X_scale, X_zero_point) triples, but has {c.InputCount} inputs");

    public override void Infer(OpContext c)
    {
        int n = Count(c);
        c.RequireInputs(2 + 3 * n);
        Quant.RequireEightBit(c, 1, "Y_zero_point");
        var type = c.Type(1);
        Quant.CheckSingle(c, 0, "Y_scale");
        Quant.CheckSingle(c, 1, "Y_zero_point");
        int[] first = c.Shape(2);
        int axis = ShapeText.Axis(c.Int("axis", 0), first.Length);
        var shape = (int[])first.Clone();
        shape[axis] = 0;
        for (int k = 0; k < n; k++)
        {
            int i = 2 + 3 * k;
            if (c.Type(i) != type) throw new ModelError($"input {i} has type {c.Type(i).OnnxName()} but Y_zero_point has {type.OnnxName()}");
            Quant.RequireType(c, i + 1, DataType.Float, "the scale");
            Quant.RequireType(c, i + 2, type, "the zero point");
            Quant.CheckSingle(c, i + 1, "the scale");
            Quant.CheckSingle(c, i + 2, "the zero point");
            int[] s = c.Shape(i);
            if (s.Length != first.Length || s.Where((d, j) => j != axis && d != first[j]).Any())
                throw new ModelError($"input {i} has shape {ShapeText.Format(s)}, which does not match {ShapeText.Format(first)} outside axis {axis}");
            shape[axis] += s[axis];
        }
        c.SetOutput(0, type, shape);
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        int n = Count(c);
        string t = c.Type(1).CSharpName()!;
        int[] y = c.Node.Output(0)!.Shape!;
        int axis = ShapeText.Axis(c.Int("axis", 0), y.Length);
        int outer = (int)ShapeText.Product(y, 0, axis), innerOut = (int)ShapeText.Product(y, axis, y.Length);
        bool yConst = Quant.AllConstant(c, 0, 1);
        var parts = new List<Action<LayerWriter>>();
        int offset = 0, copies = 0;
        for (int k = 0; k < n; k++)
        {
            int i = 2 + 3 * k;
            int pitch = (int)ShapeText.Product(c.Shape(i), axis, y.Length);
            int at = offset;
            offset += pitch;
            if (pitch == 0) continue;
            if (yConst && Quant.AllConstant(c, i + 1, i + 2))
            {
                float xs = (float)c.Const(i + 1)!.GetDouble(0), ys = (float)c.Const(0)!.GetDouble(0);
                long xz = c.Const(i + 2)?.GetLong(0) ?? 0, yz = c.Const(1)?.GetLong(0) ?? 0;
                Tensor? table = xs == ys && xz == yz ? null : Quant.ByteTensor(QuantTables.Build(c.Type(1), xs, xz, ys, yz, "Identity", 0));
                if (table is null) copies++;
                parts.Add(w => w.Line($"{Quant.Runtime}QuantizedElementwise.ConcatRows<{t}>({w.In(i)}, {(table is null ? "default" : w.Weight(table))}, {w.Out(0)}, outer: {outer}, pitch: {pitch}, outputPitch: {innerOut}, offset: {at});"));
            }
            else
            {
                parts.Add(w => w.Line($"{Quant.Runtime}QuantizedElementwise.ConcatRowsDynamic<{t}>({w.In(i)}, {w.In(i + 1)}, {Quant.InOrDefault(w, i + 2)}, {w.In(0)}, {Quant.InOrDefault(w, 1)}, {w.Out(0)}, outer: {outer}, pitch: {pitch}, outputPitch: {innerOut}, offset: {at});"));
            }
        }
        return new CallKernel(c.Node, w => { foreach (var p in parts) p(w); }, $"{n} inputs along axis {axis}, {copies} copied as they are");
    }
}

/// <summary>
/// com.microsoft QLinearGlobalAveragePool (X, x_scale, x_zero_point, y_scale, y_zero_point; channels_last):
/// the int32 sum per channel requantized with x_scale / (y_scale * size), as ONNX Runtime.
/// </summary>
internal sealed class QLinearGlobalAveragePoolOp : OpSchema
{
    public override string OpType => "QLinearGlobalAveragePool";
    public override string Domain => "com.microsoft";

    public override void Infer(OpContext c)
    {
        c.RequireInputs(4);
        Quant.RequireEightBit(c, 0, "X");
        foreach (int i in new[] { 2, 4 }) Quant.RequireType(c, i, c.Type(0), "the zero point");
        foreach (int i in new[] { 1, 3 }) { Quant.RequireType(c, i, DataType.Float, "the scale"); Quant.CheckSingle(c, i, "the scale"); }
        foreach (int i in new[] { 2, 4 }) Quant.CheckSingle(c, i, "the zero point");
        int[] x = c.Shape(0);
        if (x.Length < 3) throw new ModelError($"the input must be [N, C, spatial...] but has shape {ShapeText.Format(x)}");
        bool last = c.Int("channels_last", 0) != 0;
        var y = x.Select((d, i) => i == 0 || (last ? i == x.Length - 1 : i == 1) ? d : 1).ToArray();
        c.SetOutput(0, c.Type(0), y);
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        int[] x = c.Shape(0);
        bool last = c.Int("channels_last", 0) != 0;
        int channels = last ? x[x.Length - 1] : x[1];
        int size = (int)(ShapeText.Product(x) / x[0] / Math.Max(1, channels));
        string t = c.Type(0).CSharpName()!;
        return new CallKernel(c.Node, w => w.Line(
            $"{Quant.Runtime}QuantizedPool.QLinearGlobalAveragePool<{t}>({w.In(0)}, {w.In(1)}, {Quant.InOrDefault(w, 2)}, {w.In(3)}, {Quant.InOrDefault(w, 4)}, {w.Out(0)}, " +
            $"batch: {x[0]}, channels: {channels}, size: {size}, channelsLast: {(last ? "true" : "false")});"),
            $"mean over {size} per channel{(last ? ", channels last" : "")}");
    }
}

/// <summary>
/// com.microsoft QLinearAveragePool (X, x_scale, x_zero_point, y_scale, y_zero_point; kernel_shape, strides,
/// pads, auto_pad, ceil_mode, count_include_pad, channels_last): 1-D and 2-D NCHW. As ONNX Runtime: a window
/// covering the whole unpadded image is the integer global pool; other windows average dequantized floats.
/// </summary>
internal sealed class QLinearAveragePoolOp : OpSchema
{
    public override string OpType => "QLinearAveragePool";
    public override string Domain => "com.microsoft";

    private static SpatialGeometry Geometry(OpContext c)
    {
        long[] kernel = c.Ints("kernel_shape") ?? throw new ModelError("kernel_shape is required");
        int[] x = c.Shape(0);
        return SpatialGeometry.Compute(c, x.Skip(2).ToArray(), kernel.Select(k => ShapeText.CheckedInt(k)).ToArray(), c.Int("ceil_mode", 0) != 0);
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(4);
        Quant.RequireEightBit(c, 0, "X");
        foreach (int i in new[] { 2, 4 }) Quant.RequireType(c, i, c.Type(0), "the zero point");
        foreach (int i in new[] { 1, 3 }) { Quant.RequireType(c, i, DataType.Float, "the scale"); Quant.CheckSingle(c, i, "the scale"); }
        foreach (int i in new[] { 2, 4 }) Quant.CheckSingle(c, i, "the zero point");
        int[] x = c.Shape(0);
        if (x.Length < 3) throw new ModelError($"the input must be [N, C, spatial...] but has shape {ShapeText.Format(x)}");
        if (c.Int("channels_last", 0) != 0)
        {
            c.SetOutput(0, c.Type(0), x);
            return;
        }
        var g = Geometry(c);
        c.SetOutput(0, c.Type(0), new[] { x[0], x[1] }.Concat(g.Output).ToArray());
    }

    public override string? WhyNoKernel(OpContext c) =>
        c.Int("channels_last", 0) != 0 ? " with channels_last = 1 (expected NCHW data, channels_last = 0)"
        : c.Rank(0) > 4 ? $" ({c.Rank(0) - 2}-D pooling is not supported; 1-D and 2-D are)" : null;

    public override Kernel? CreateKernel(OpContext c)
    {
        if (WhyNoKernel(c) is not null) return null;
        int[] x = c.Shape(0);
        var g = Geometry(c);
        string t = c.Type(0).CSharpName()!;
        bool global = g.Kernel.SequenceEqual(g.Input) && g.PadsBegin.Concat(g.PadsEnd).All(p => p == 0);
        if (global)
        {
            int size = (int)ShapeText.Product(g.Input);
            return new CallKernel(c.Node, w => w.Line(
                $"{Quant.Runtime}QuantizedPool.QLinearGlobalAveragePool<{t}>({w.In(0)}, {w.In(1)}, {Quant.InOrDefault(w, 2)}, {w.In(3)}, {Quant.InOrDefault(w, 4)}, {w.Out(0)}, " +
                $"batch: {x[0]}, channels: {x[1]}, size: {size}, channelsLast: false);"),
                $"window = whole image: integer mean over {size} per channel");
        }
        bool is1D = x.Length == 3;
        int At(int[] a, int i, int fallback) => is1D ? (i == 0 ? fallback : a[0]) : a[i];
        string geometry = $"new {Quant.Runtime}PoolGeometry(batch: {x[0]}, channels: {x[1]}, inDepth: 1, inHeight: {(is1D ? 1 : x[2])}, inWidth: {x[x.Length - 1]}, " +
            $"outDepth: 1, outHeight: {At(g.Output, 0, 1)}, outWidth: {g.Output[g.Rank - 1]}, kernelDepth: 1, kernelHeight: {At(g.Kernel, 0, 1)}, kernelWidth: {g.Kernel[g.Rank - 1]}, " +
            $"strideDepth: 1, strideHeight: {At(g.Strides, 0, 1)}, strideWidth: {g.Strides[g.Rank - 1]}, padFront: 0, padTop: {At(g.PadsBegin, 0, 0)}, padLeft: {g.PadsBegin[g.Rank - 1]}, " +
            $"padBack: 0, padBottom: {At(g.PadsEnd, 0, 0)}, padRight: {g.PadsEnd[g.Rank - 1]}, dilationDepth: 1, dilationHeight: 1, dilationWidth: 1)";
        bool includePad = c.Int("count_include_pad", 0) != 0;
        return new CallKernel(c.Node, w => w.Line(
            $"{Quant.Runtime}QuantizedPool.QLinearAveragePool<{t}>({w.In(0)}, {w.In(1)}, {Quant.InOrDefault(w, 2)}, {w.In(3)}, {Quant.InOrDefault(w, 4)}, {w.Out(0)}, {geometry}, countIncludePad: {(includePad ? "true" : "false")});"),
            "average, " + g.Describe() + (includePad ? ", padding counted" : ""));
    }
}

/// <summary>The com.microsoft quantized ops built from shared classes.</summary>
internal sealed class MicrosoftQuantizedOps : IOpFamily
{
    public IEnumerable<OpSchema> Schemas => new OpSchema[]
    {
        new QLinearBinaryOp(mul: false), new QLinearBinaryOp(mul: true),
        new QLinearLookupOp("QLinearSigmoid"), new QLinearLookupOp("QLinearLeakyRelu"),
    };
}
