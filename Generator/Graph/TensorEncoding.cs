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
    private TensorEncoding(Tensor source, QuantParams? quant)
    {
        Source = source;
        Quant = quant;
    }

    /// <summary>What the blob holds: a float16 tensor, or an integer tensor (int4/uint4 packed two per byte).</summary>
    public Tensor Source { get; }

    /// <summary>Null for a float16 widening; the dequantization parameters otherwise.</summary>
    public QuantParams? Quant { get; }

    public bool IsWidening => Quant is null;

    /// <summary>Decoding reads elements in flat order only (widening, per-tensor dequantization).</summary>
    public bool IsShapeIndependent => Quant is null || Quant.IsPerTensor && Quant.BlockSize == 0;

    public static TensorEncoding Widened(Tensor half)
    {
        if (half.Type != DataType.Float16) throw new ArgumentException("only float16 tensors widen to float32");
        return new TensorEncoding(half, null);
    }

    public static TensorEncoding Dequantized(Tensor quantized, QuantParams quant) => new(quantized, quant);

    /// <summary>Bytes the blob spends on this tensor (source, scales and zero points), before alignment.</summary>
    public long StoredBytes => Source.Raw.Length + (Quant is null ? 0 : Quant.Scale.Raw.Length + (Quant.ZeroPoint?.Raw.Length ?? 0));
}
