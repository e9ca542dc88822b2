using System;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Quantization;

/// <summary>
/// Where QuantizeLinear/DequantizeLinear parameters apply: per tensor (one scale) or per slice along
/// <see cref="Axis"/> (opset 13+, a 1-D scale as long as that dimension). Blocked quantization (opset 21
/// block_size) extends the same layout: the scale has the input's shape with the axis cut into blocks of
/// block_size, and element (o, d, j) of the input seen as [outer, axis, <see cref="Inner"/>] uses parameter
/// (o, d / block_size, j).
/// </summary>
internal sealed class QuantLayout
{
    public int Axis { get; private set; }
    public bool PerAxis { get; private set; }
    public int BlockSize { get; private set; }
    /// <summary>Elements per run sharing one parameter: after the axis (per axis), or the whole tensor.</summary>
    public int Inner { get; private set; }
    /// <summary>The length of the quantization axis (blocked quantization).</summary>
    public int AxisLength { get; private set; }

    public static QuantLayout Of(OpContext c, int scaleInput, string scaleName)
    {
        int[] x = c.Shape(0), s = c.Shape(scaleInput);
        var layout = new QuantLayout { BlockSize = c.Opset >= 21 ? (int)c.Int("block_size", 0) : 0 };
        if (layout.BlockSize < 0) throw new ModelError($"block_size must not be negative but is {layout.BlockSize}");
        long count = ShapeText.Product(s);
        if (layout.BlockSize > 0)
        {
            layout.Axis = x.Length == 0 ? 0 : ShapeText.Axis(c.Int("axis", 1), x.Length);
            if (s.Length != x.Length) throw new ModelError($"blocked quantization needs {scaleName} of rank {x.Length}, like the input, but it has shape {ShapeText.Format(s)}");
            for (int d = 0; d < x.Length; d++)
            {
                int want = d == layout.Axis ? (x[d] + layout.BlockSize - 1) / layout.BlockSize : x[d];
                if (s[d] != want)
                    throw new ModelError($"{scaleName} has shape {ShapeText.Format(s)}; blocks of {layout.BlockSize} along axis {layout.Axis} of an input of shape {ShapeText.Format(x)} need dimension {d} to be {want}");
            }
            layout.Inner = (int)ShapeText.Product(x, layout.Axis + 1, x.Length);
            layout.AxisLength = x[layout.Axis];
            return layout;
        }
        if (s.Length == 0 || count == 1 && s.Length <= 1)
        {
            layout.Inner = Math.Max(1, (int)ShapeText.Product(x));
            return layout;
        }
        if (c.Opset < 13) throw new ModelError($"{scaleName} must be a scalar before opset 13 but has shape {ShapeText.Format(s)}");
        if (s.Length != 1) throw new ModelError($"{scaleName} must be a scalar (per tensor) or 1-D (per axis) but has shape {ShapeText.Format(s)}");
        layout.Axis = ShapeText.Axis(c.Int("axis", 1), x.Length);
        if (s[0] != x[layout.Axis])
            throw new ModelError($"{scaleName} has {s[0]} values but axis {layout.Axis} of the input has {x[layout.Axis]}; per-axis parameters need one per slice");
        layout.PerAxis = true;
        layout.Inner = (int)ShapeText.Product(x, layout.Axis + 1, x.Length);
        return layout;
    }

    /// <summary>The parameter index of flat element <paramref name="i"/> (per tensor, per axis or per block).</summary>
    public int ParameterOf(long i, int channels)
    {
        if (BlockSize > 0)
        {
            long o = i / ((long)AxisLength * Inner), d = i / Inner % AxisLength, j = i % Inner;
            int blocks = (AxisLength + BlockSize - 1) / BlockSize;
            return (int)((o * blocks + d / BlockSize) * Inner + j);
        }
        return channels == 1 ? 0 : (int)(i / Inner % channels);
    }

    /// <summary>Arguments of the blocked/int4 run-time kernels (outer, axis length, inner, block size) for an input of <paramref name="shape"/>.</summary>
    public string BlockedArguments(int[] shape)
    {
        if (BlockSize == 0 && !PerAxis) return $"outer: 1, axisLength: 1, inner: {Math.Max(1, ShapeText.Product(shape))}, blockSize: 0";
        return $"outer: {ShapeText.Product(shape, 0, Axis)}, axisLength: {shape[Axis]}, inner: {Inner}, blockSize: {BlockSize}";
    }

    public string Describe() => BlockSize > 0 ? $"blocks of {BlockSize} along axis {Axis}" : PerAxis ? $"per axis {Axis}" : "per tensor";
}

/// <summary>
/// ONNX QuantizeLinear (opset 10/13/19/21+): y = saturate(round_half_even(x / y_scale) + y_zero_point), the
/// output type that of y_zero_point (uint8 without one, or output_dtype from opset 21). Per tensor or per axis;
/// x float32, float16 or int32; y uint8, int8, uint16, int16, uint4 or int4 (4-bit outputs run one element per
/// byte); per tensor, per axis or blocked (opset 21). float8 (e4m3fn, e4m3fnuz, e5m2, e5m2fnuz) and float4e2m1
/// outputs (raw bits, one per byte) are cast(x / y_scale + y_zero_point) with the op's 'saturate' (default 1).
/// </summary>
internal sealed class QuantizeLinearOp : OpSchema
{
    public override string OpType => "QuantizeLinear";

    private static readonly DataType[] Outputs = { DataType.UInt8, DataType.Int8, DataType.UInt16, DataType.Int16, DataType.UInt4, DataType.Int4, DataType.UInt2, DataType.Int2 };

    /// <summary>The float8 and float4 outputs QuantizeLinear-19/21 allows (float8e8m0 is not one of them).</summary>
    private static bool MiniFloatOutput(DataType t) => t.IsRawBitsFloat() && t is not (DataType.BFloat16 or DataType.Float8E8M0);

    private static DataType OutputType(OpContext c)
    {
        if (c.Has(2)) return c.Type(2);
        long dtype = c.Opset >= 21 ? c.Int("output_dtype", 0) : 0;
        return dtype == 0 ? DataType.UInt8 : (DataType)dtype;
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        var xt = c.Type(0);
        if (!(xt is DataType.Float or DataType.Int32 || c.Opset >= 19 && xt is DataType.Float16 or DataType.BFloat16))
            throw new ModelError($"the input has type {xt.OnnxName()}; QuantizeLinear-{c.Opset} quantizes float32{(c.Opset >= 19 ? ", float16, bfloat16" : "")} or int32");
        if (!c.Type(1).IsFloat()) throw new ModelError($"y_scale has type {c.Type(1).OnnxName()}, expected a floating-point type");
        var yt = OutputType(c);
        if (c.Has(2) && c.Opset >= 21 && c.Int("output_dtype", 0) is long d && d != 0 && (DataType)d != yt)
            throw new ModelError($"output_dtype {((DataType)d).OnnxName()} differs from the type of y_zero_point ({yt.OnnxName()})");
        var layout = QuantLayout.Of(c, 1, "y_scale");
        if (c.Has(2) && !ShapeText.SameShape(c.Shape(2), c.Shape(1)) && !(ShapeText.Product(c.Shape(2)) == 1 && ShapeText.Product(c.Shape(1)) == 1))
            throw new ModelError($"y_zero_point has shape {ShapeText.Format(c.Shape(2))} but y_scale has {ShapeText.Format(c.Shape(1))}");
        _ = layout;
        c.SetOutput(0, yt, c.Shape(0));
    }

    protected override bool HasFolding => true;

    public override bool CanFold(OpContext c) =>
        c.AllInputsConstant && Outputs.Contains(OutputType(c));

    public override Tensor[] Fold(OpContext c)
    {
        var x = c.Const(0)!;
        var scale = Quant.Floats(c.Const(1)!);
        var zp = Quant.Longs(c.Const(2), scale.Length);
        var layout = QuantLayout.Of(c, 1, "y_scale");
        var yt = OutputType(c);
        var q = new long[x.ElementCount];
        for (long i = 0; i < q.Length; i++)
        {
            int p = layout.ParameterOf(i, scale.Length);
            q[i] = Quant.QuantizeOne((float)x.GetDouble(i), scale[p], zp[p], yt);
        }
        return new[] { Tensor.FromLongs(yt, x.Shape, q) };
    }

    public override string? WhyNoKernel(OpContext c)
    {
        var layout = QuantLayout.Of(c, 1, "y_scale");
        var yt = OutputType(c);
        if (!Outputs.Contains(yt) && !MiniFloatOutput(yt)) return $" with output type {yt.OnnxName()} (supported: uint8, int8, uint16, int16, uint4, int4, uint2, int2, float8 e4m3fn/e4m3fnuz/e5m2/e5m2fnuz, float4e2m1)";
        if (c.Type(0) == DataType.BFloat16) return " on bfloat16 input";
        if (c.Type(1) != c.Type(0) && c.Type(0) != DataType.Int32) return $" with a {c.Type(1).OnnxName()} scale for {c.Type(0).OnnxName()} input";
        return null;
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        if (WhyNoKernel(c) is not null) return null;
        var layout = QuantLayout.Of(c, 1, "y_scale");
        string tx = c.Type(0).CSharpName()!, ts = c.Type(1).CSharpName()!, ty = OutputType(c).CSharpName()!;
        var yt = OutputType(c);
        if (MiniFloatOutput(yt))
        {
            // float8/float4 outputs: cast(x / scale + zero_point), rounded to nearest even, saturating unless 'saturate' is 0.
            int[] x = c.Shape(0);
            bool saturate = c.Int("saturate", 1) != 0;
            return new CallKernel(c.Node, w => w.Line(
                $"{Quant.Runtime}MiniFloatQuantization.QuantizeLinear<{tx}, {ts}>({w.In(0)}, {w.In(1)}, {Quant.InOrDefault(w, 2)}, {w.Out(0)}, {layout.BlockedArguments(x)}, {yt.MiniFloatFormatText()}, saturate: {(saturate ? "true" : "false")});"),
                $"{yt.OnnxName()}, {layout.Describe()}{(saturate ? "" : ", not saturating")}");
        }
        if (layout.BlockSize > 0 || yt.IsSubByte())
        {
            // Blocked layouts and int4/uint4 outputs (one element per byte, saturated to 4 bits): BlockedQuantization.
            int[] x = c.Shape(0);
            return new CallKernel(c.Node, w => w.Line(
                $"{Quant.Runtime}BlockedQuantization.QuantizeLinear<{tx}, {ty}>({w.In(0)}, {w.In(1)}, {Quant.InOrDefault(w, 2)}, {w.Out(0)}, {layout.BlockedArguments(x)}, min: {Quant.Min(yt)}, max: {Quant.Max(yt)});"),
                $"{yt.OnnxName()}, {layout.Describe()}");
        }
        return new CallKernel(c.Node, w => w.Line(
            $"{Quant.Runtime}Quantization.QuantizeLinear<{tx}, {ts}, {ty}>({w.In(0)}, {w.In(1)}, {Quant.InOrDefault(w, 2)}, {w.Out(0)}, inner: {layout.Inner});"),
            $"{OutputType(c).OnnxName()}, {layout.Describe()}");
    }
}

/// <summary>
/// ONNX DequantizeLinear (opset 10/13/19/21+): y = (x - x_zero_point) * x_scale, the difference exact in int32,
/// one float32 product (float16 when the scale is float16, opset 19+). x uint8, int8, uint16, int16, int32, uint4
/// or int4, per tensor, per axis or blocked (opset 21); float8 and float4e2m1 (raw bits) dequantize as
/// (value(x) - value(zero_point)) * scale in float32. Folded at build
/// time when x is a constant (weight-only quantization).
/// </summary>
internal sealed class DequantizeLinearOp : OpSchema
{
    public override string OpType => "DequantizeLinear";

    private static readonly DataType[] Inputs = { DataType.UInt8, DataType.Int8, DataType.UInt16, DataType.Int16, DataType.Int32, DataType.UInt4, DataType.Int4, DataType.UInt2, DataType.Int2 };

    private static bool MiniFloatInput(DataType t) => t.IsRawBitsFloat() && t is not (DataType.BFloat16 or DataType.Float8E8M0);

    private static DataType OutputType(OpContext c)
    {
        long dtype = c.Opset >= 23 ? c.Int("output_dtype", 0) : 0;
        if (dtype != 0) return (DataType)dtype;
        return c.Opset >= 19 ? c.Type(1) : DataType.Float;
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        if (!c.Type(1).IsFloat()) throw new ModelError($"x_scale has type {c.Type(1).OnnxName()}, expected a floating-point type");
        if (c.Has(2) && c.Type(2) != c.Type(0))
            throw new ModelError($"x_zero_point has type {c.Type(2).OnnxName()} but x has {c.Type(0).OnnxName()}; they must match");
        QuantLayout.Of(c, 1, "x_scale");
        if (c.Has(2) && !ShapeText.SameShape(c.Shape(2), c.Shape(1)) && !(ShapeText.Product(c.Shape(2)) == 1 && ShapeText.Product(c.Shape(1)) == 1))
            throw new ModelError($"x_zero_point has shape {ShapeText.Format(c.Shape(2))} but x_scale has {ShapeText.Format(c.Shape(1))}");
        c.SetOutput(0, OutputType(c), c.Shape(0));
    }

    protected override bool HasFolding => true;

    public override bool CanFold(OpContext c) => c.AllInputsConstant && WhyNoKernel(c) is null;

    public override Tensor[] Fold(OpContext c)
    {
        var x = c.Const(0)!;
        var scale = Quant.Floats(c.Const(1)!);
        var zp = MiniFloatInput(x.Type) ? new long[scale.Length] : Quant.Longs(c.Const(2), scale.Length);
        var layout = QuantLayout.Of(c, 1, "x_scale");
        var yt = OutputType(c);
        var y = new double[x.ElementCount];
        for (long i = 0; i < y.Length; i++)
        {
            int p = layout.ParameterOf(i, scale.Length);
            y[i] = MiniFloatInput(x.Type)
                ? ((float)x.GetDouble(i) - (c.Const(2) is { } z ? (float)z.GetDouble(p) : 0f)) * scale[p]
                : Quant.Mul(unchecked((int)(x.GetLong(i) - zp[p])), scale[p]);
        }
        return new[] { Tensor.FromDoubles(yt, x.Shape, y) };
    }

    public override string? WhyNoKernel(OpContext c)
    {
        QuantLayout.Of(c, 1, "x_scale");
        if (!Inputs.Contains(c.Type(0)) && !MiniFloatInput(c.Type(0))) return $" on {c.Type(0).OnnxName()} input (supported: uint8, int8, uint16, int16, int32, uint4, int4, uint2, int2, float8 e4m3fn/e4m3fnuz/e5m2/e5m2fnuz, float4e2m1)";
        var yt = OutputType(c);
        if (yt is not (DataType.Float or DataType.Float16) || yt != c.Type(1)) return $" producing {yt.OnnxName()} from a {c.Type(1).OnnxName()} scale";
        return null;
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        if (WhyNoKernel(c) is not null) return null;
        var layout = QuantLayout.Of(c, 1, "x_scale");
        string tx = c.Type(0).CSharpName()!, ty = OutputType(c).CSharpName()!;
        if (MiniFloatInput(c.Type(0)))
        {
            int[] x = c.Shape(0);
            return new CallKernel(c.Node, w => w.Line(
                $"{Quant.Runtime}MiniFloatQuantization.DequantizeLinear<{ty}>({w.In(0)}, {w.In(1)}, {Quant.InOrDefault(w, 2)}, {w.Out(0)}, {layout.BlockedArguments(x)}, {c.Type(0).MiniFloatFormatText()});"),
                $"from {c.Type(0).OnnxName()}, {layout.Describe()}");
        }
        if (layout.BlockSize > 0)
        {
            int[] x = c.Shape(0);
            return new CallKernel(c.Node, w => w.Line(
                $"{Quant.Runtime}BlockedQuantization.DequantizeLinear<{tx}, {ty}>({w.In(0)}, {w.In(1)}, {Quant.InOrDefault(w, 2)}, {w.Out(0)}, {layout.BlockedArguments(x)});"),
                $"from {c.Type(0).OnnxName()}, {layout.Describe()}");
        }
        return new CallKernel(c.Node, w => w.Line(
            $"{Quant.Runtime}Quantization.DequantizeLinear<{tx}, {ty}>({w.In(0)}, {w.In(1)}, {Quant.InOrDefault(w, 2)}, {w.Out(0)}, inner: {layout.Inner});"),
            $"from {c.Type(0).OnnxName()}, {layout.Describe()}");
    }
}

/// <summary>
/// ONNX DynamicQuantizeLinear (opset 11): uint8 quantization of a float32 tensor with a scale and zero point
/// computed from its range at run time (the range always includes 0).
/// </summary>
internal sealed class DynamicQuantizeLinearOp : OpSchema
{
    public override string OpType => "DynamicQuantizeLinear";

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        c.RequireType(0, t => t == DataType.Float, "float32");
        c.SetOutput(0, DataType.UInt8, c.Shape(0));
        c.SetOutput(1, DataType.Float, Array.Empty<int>());
        c.SetOutput(2, DataType.UInt8, Array.Empty<int>());
    }

    public override Kernel? CreateKernel(OpContext c) => new CallKernel(c.Node, w =>
    {
        // Unused outputs still need somewhere to go.
        string scale = w.HasOutput(1) ? w.Out(1) : "stackalloc float[1]";
        string zp = w.HasOutput(2) ? w.Out(2) : "stackalloc byte[1]";
        w.Line($"{Quant.Runtime}Quantization.DynamicQuantizeLinear({w.In(0)}, {w.Out(0)}, {scale}, {zp});");
    }, "uint8, scale and zero point from the input's range");
}
