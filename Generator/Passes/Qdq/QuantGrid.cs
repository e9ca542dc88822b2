using System;
using System.Globalization;
using ModelCompiler.Contract;
using ModelCompiler.Graph;

namespace ModelCompiler.Passes.Qdq;

/// <summary>A per-tensor 8-bit quantization grid: real = (q - ZeroPoint) * Scale.</summary>
internal sealed class Grid
{
    public Grid(float scale, long zeroPoint, DataType type)
    {
        Scale = scale;
        ZeroPoint = zeroPoint;
        Type = type;
    }

    public float Scale { get; }
    public long ZeroPoint { get; }
    public DataType Type { get; }
    public long Min => Ops.Quantization.Quant.Min(Type);
    public long Max => Ops.Quantization.Quant.Max(Type);

    public bool SameAs(Grid o) => Type == o.Type && ZeroPoint == o.ZeroPoint && BitConverterCompat.SingleToInt32Bits(Scale) == BitConverterCompat.SingleToInt32Bits(o.Scale);

    /// <summary>DequantizeLinear of one value: (float)(q - zp) * scale in float32.</summary>
    public float Dequantize(long q) => QuantizedValues.Dequantize(q, ZeroPoint, Scale);

    /// <summary>QuantizeLinear of one value (x rounded to float32 first, as the float tensor holds it).</summary>
    public long Quantize(double x) => QuantizedValues.Quantize((float)x, Scale, ZeroPoint, Min, Max);

    public Tensor ScaleTensor => Tensor.FromFloats(Array.Empty<int>(), new[] { Scale });
    public Tensor ZeroPointTensor => Tensor.FromLongs(Type, Array.Empty<int>(), new[] { ZeroPoint });
    public QuantParams Params => new(ScaleTensor, ZeroPointTensor, null, 0);

    public override string ToString() => string.Format(CultureInfo.InvariantCulture, "{0} scale {1:G9} zero point {2}", Type.OnnxName(), Scale, ZeroPoint);
}

/// <summary>The integer side of a DQ output: the quantized value and its grid.</summary>
internal sealed record Operand(Value Quantized, Grid Grid);

/// <summary>A quantized constant behind a float constant (folded DQ) or a DQ of constants.</summary>
internal sealed record Weight(Tensor Values, QuantParams Quant);

/// <summary>Where a group's result goes: the Q node, its grid, the folded activation and the integer range left.</summary>
internal sealed record Output(Node Q, Grid Grid, Node? Activation, long Low, long High)
{
    public bool NeedsClamp => Low > Grid.Min || High < Grid.Max;
}
