namespace ModelCompiler.Tool.Quantization;

/// <summary>What <c>modelc quantize</c> was asked for.</summary>
internal sealed record QuantizeOptions
{
    /// <summary>Conv weights get one scale per output channel (axis 0); Gemm and MatMul weights stay per tensor.</summary>
    public bool PerChannel { get; init; }

    /// <summary>4-bit weights (int4 in [-7, 7], DequantizeLinear at opset 21) instead of int8.</summary>
    public bool Int4Weights { get; init; }

    /// <summary>int8 activations instead of uint8 (both asymmetric).</summary>
    public bool SignedActivations { get; init; }

    public CalibrationMethod Method { get; init; } = CalibrationMethod.MinMax;
    public double Percentile { get; init; } = 99.999;
}
