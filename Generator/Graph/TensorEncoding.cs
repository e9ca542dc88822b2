using System;

namespace ModelCompiler.Graph;

/// <summary>
/// A compact form of a float32 constant: the weight blob stores <see cref="Source"/> (float16, or integers
/// with their quantization parameters) instead of 4 bytes per element, and generated code decodes it once,
/// on first use, into a process-wide float array. Decoding is exactly what ONNX computes: a float16 to
/// float32 conversion, or DequantizeLinear's <c>(float)(q - zero_point) * scale</c> in float32.
/// </summary>
internal sealed class TensorEncoding
{
    private TensorEncoding(Tensor source, QuantParams? quant, WeightLayout? layout = null)
    {
        Source = source;
        Quant = quant;
        Layout = layout;
    }

    /// <summary>What the blob holds: a float16 tensor, or an integer tensor (int4/uint4 packed two per byte).</summary>
    public Tensor Source { get; }

    /// <summary>Null for a float16 widening; the dequantization parameters otherwise.</summary>
    public QuantParams? Quant { get; }

    public bool IsWidening => Quant is null;

    /// <summary>
    /// Null when the decoded values are the constant itself; otherwise the constant is a kernel's packed layout
    /// of the decoded values, which generated code builds on first use (<c>WeightLayouts</c>).
    /// </summary>
    public WeightLayout? Layout { get; }

    /// <summary>This encoding, decoded and then rearranged into <paramref name="layout"/>.</summary>
    public TensorEncoding WithLayout(WeightLayout layout) => new(Source, Quant, layout);

    /// <summary>Decoding reads elements in flat order only (widening, per-tensor dequantization).</summary>
    public bool IsShapeIndependent => Layout is null && (Quant is null || Quant.IsPerTensor && Quant.BlockSize == 0);

    public static TensorEncoding Widened(Tensor half)
    {
        if (half.Type != DataType.Float16) throw new ArgumentException("only float16 tensors widen to float32");
        return new TensorEncoding(half, null);
    }

    public static TensorEncoding Dequantized(Tensor quantized, QuantParams quant) => new(quantized, quant);

    /// <summary>Bytes the blob spends on this tensor (source, scales and zero points), before alignment.</summary>
    public long StoredBytes => Source.Raw.Length + (Quant is null ? 0 : Quant.Scale.Raw.Length + (Quant.ZeroPoint?.Raw.Length ?? 0));
}

/// <summary>
/// A packed kernel layout built at run time from decoded weights: <see cref="Method"/> (a <c>nameof</c>) of
/// <see cref="Contract.WeightLayouts"/>, called with the decoded float array and then <see cref="Arguments"/>.
/// </summary>
internal sealed class WeightLayout
{
    public WeightLayout(string method, string arguments, string description)
    {
        Method = method;
        Arguments = arguments;
        Description = description;
    }

    public string Method { get; }
    public string Arguments { get; }

    /// <summary>For the comment beside the decoded field ("conv panels").</summary>
    public string Description { get; }
}
