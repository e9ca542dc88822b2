using System;
using System.Linq;
using ModelCompiler.Runtime;
using Xunit;

namespace ModelCompiler.Tests.Quantization;

/// <summary>
/// The arithmetic of one quantized value (<see cref="QuantizedValues"/>, compiled into the generator for constant
/// folding and tables and into the run-time library) against the ONNX definitions, and the run-time vectorized
/// QuantizeLinear against it element by element. Exact.
/// </summary>
public sealed class QuantizedValuesTests
{
    [Fact]
    public void Ranges_are_those_of_the_integer_types()
    {
        Assert.Equal((sbyte.MinValue, sbyte.MaxValue), (QuantizedValues.Min(8, true), QuantizedValues.Max(8, true)));
        Assert.Equal((0, 255), (QuantizedValues.Min(8, false), QuantizedValues.Max(8, false)));
        Assert.Equal((-8, 7), (QuantizedValues.Min(4, true), QuantizedValues.Max(4, true)));
        Assert.Equal((0, 15), (QuantizedValues.Min(4, false), QuantizedValues.Max(4, false)));
        Assert.Equal((short.MinValue, short.MaxValue), (QuantizedValues.Min(16, true), QuantizedValues.Max(16, true)));
        Assert.Equal((0, ushort.MaxValue), (QuantizedValues.Min(16, false), QuantizedValues.Max(16, false)));
        Assert.Equal((int.MinValue, int.MaxValue), (QuantizedValues.Min(32, true), QuantizedValues.Max(32, true)));
    }

    [Fact]
    public void Quantize_rounds_half_to_even_saturates_and_sends_nan_to_the_minimum()
    {
        // x / scale = 2.5 -> 2, 3.5 -> 4, -2.5 -> -2 (ties to even), then + zero point, then saturate.
        Assert.Equal(12, QuantizedValues.Quantize(0.3125f, 0.125f, 10, 0, 255));
        Assert.Equal(14, QuantizedValues.Quantize(0.4375f, 0.125f, 10, 0, 255));
        Assert.Equal(8, QuantizedValues.Quantize(-0.3125f, 0.125f, 10, 0, 255));
        Assert.Equal(255, QuantizedValues.Quantize(1e9f, 0.1f, 10, 0, 255));
        Assert.Equal(-128, QuantizedValues.Quantize(-1e9f, 0.1f, 0, -128, 127));
        Assert.Equal(-128, QuantizedValues.Quantize(float.NaN, 0.1f, 3, -128, 127));
        Assert.Equal(127, QuantizedValues.Quantize(float.PositiveInfinity, 1f, 0, -128, 127));
        // 16-bit, and the zero point shifting the int32 bounds in 64 bits (no wrap-around to the other end).
        Assert.Equal(short.MinValue, QuantizedValues.Quantize(-1e20f, 1f, 5, short.MinValue, short.MaxValue));
        Assert.True(QuantizedValues.Quantize(-1e20f, 1f, 5, int.MinValue, int.MaxValue) < 0);
        Assert.Equal(1f, QuantizedValues.Dequantize(12, 10, 0.5f));
    }

    [Fact]
    public void The_run_time_quantize_kernel_matches_one_value_at_a_time()
    {
        var r = new Random(7);
        // Ties (k + 0.5) * scale, values past both ends, NaN and infinities among ordinary values.
        float scale = 0.0625f;
        float[] x = Enumerable.Range(0, 1000).Select(i => i % 7 == 0 ? (r.Next(-300, 300) + 0.5f) * scale
            : i % 97 == 0 ? float.NaN : i % 89 == 0 ? float.NegativeInfinity : (float)(r.NextDouble() * 40 - 20)).ToArray();
        foreach (int zp in new[] { 0, 17, -9 })
        {
            var y8 = new sbyte[x.Length];
            ModelCompiler.Runtime.Quantization.QuantizeLinear<float, float, sbyte>(x, new[] { scale }, new[] { (sbyte)zp }, y8, x.Length);
            for (int i = 0; i < x.Length; i++) Assert.Equal(QuantizedValues.Quantize(x[i], scale, zp, -128, 127), y8[i]);
            if (zp < 0) continue;
            var yu = new byte[x.Length];
            ModelCompiler.Runtime.Quantization.QuantizeLinear<float, float, byte>(x, new[] { scale }, new[] { (byte)zp }, yu, x.Length);
            for (int i = 0; i < x.Length; i++) Assert.Equal(QuantizedValues.Quantize(x[i], scale, zp, 0, 255), yu[i]);
        }
    }
}
