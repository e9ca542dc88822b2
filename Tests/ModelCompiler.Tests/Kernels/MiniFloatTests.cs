using System;
using ModelCompiler.Runtime;
using Xunit;

namespace ModelCompiler.Tests.Kernels;

/// <summary>
/// The raw-bits float conversions (Contract/Math/MiniFloats.cs) against values read off the formats' definitions in
/// the ONNX specification (docs/docs/Float8.md, Float4.md; Cast's saturate table): largest finite values, smallest
/// subnormals, infinities and NaN codes, ties to even; and every code decoded and encoded again gives itself back.
/// Exact.
/// </summary>
public sealed class MiniFloatTests
{
    [Theory]
    // e4m3fn: bias 7, no infinity, NaN S.1111.111, max 448
    [InlineData(MiniFloatFormat.Float8E4M3FN, 1.0, 0x38)]
    [InlineData(MiniFloatFormat.Float8E4M3FN, 448.0, 0x7E)]
    [InlineData(MiniFloatFormat.Float8E4M3FN, -448.0, 0xFE)]
    [InlineData(MiniFloatFormat.Float8E4M3FN, 0.001953125, 0x01)] // 2^-9, the smallest subnormal
    [InlineData(MiniFloatFormat.Float8E4M3FN, 0.0009765625, 0x00)] // 2^-10: a tie between 0 and 2^-9, to even
    [InlineData(MiniFloatFormat.Float8E4M3FN, -0.0, 0x80)]
    // e4m3fnuz: bias 8, NaN 0x80, no negative zero, max 240
    [InlineData(MiniFloatFormat.Float8E4M3FNUZ, 1.0, 0x40)]
    [InlineData(MiniFloatFormat.Float8E4M3FNUZ, 240.0, 0x7F)]
    [InlineData(MiniFloatFormat.Float8E4M3FNUZ, -0.0, 0x00)]
    // e5m2: bias 15, IEEE-like, max 57344
    [InlineData(MiniFloatFormat.Float8E5M2, 1.0, 0x3C)]
    [InlineData(MiniFloatFormat.Float8E5M2, 57344.0, 0x7B)]
    [InlineData(MiniFloatFormat.Float8E5M2, 1.125, 0x3C)] // halfway between 1 and 1.25: to even
    [InlineData(MiniFloatFormat.Float8E5M2, 1.375, 0x3E)] // halfway between 1.25 and 1.5: to even
    // e5m2fnuz: bias 16, max 57344
    [InlineData(MiniFloatFormat.Float8E5M2FNUZ, 1.0, 0x40)]
    [InlineData(MiniFloatFormat.Float8E5M2FNUZ, 57344.0, 0x7F)]
    // float4e2m1: bias 1, values 0, 0.5, 1, 1.5, 2, 3, 4, 6
    [InlineData(MiniFloatFormat.Float4E2M1, 0.5, 0x1)]
    [InlineData(MiniFloatFormat.Float4E2M1, 1.5, 0x3)]
    [InlineData(MiniFloatFormat.Float4E2M1, 5.0, 0x6)] // between 4 and 6: to even
    [InlineData(MiniFloatFormat.Float4E2M1, 100.0, 0x7)] // always saturates
    [InlineData(MiniFloatFormat.Float4E2M1, -6.0, 0xF)]
    // bfloat16: the upper half of float32, rounded to nearest even
    [InlineData(MiniFloatFormat.BFloat16, 1.0, 0x3F80)]
    [InlineData(MiniFloatFormat.BFloat16, -2.0, 0xC000)]
    [InlineData(MiniFloatFormat.BFloat16, 1.00390625, 0x3F80)] // 1 + 2^-8: a tie, to even
    // e8m0: 2^(e-127)
    [InlineData(MiniFloatFormat.Float8E8M0, 1.0, 127)]
    [InlineData(MiniFloatFormat.Float8E8M0, 3.0, 129)] // "up": 4
    public void Encodes_as_the_format_defines(MiniFloatFormat format, double value, int bits)
    {
        Assert.Equal(bits, MiniFloats.FromDouble(value, format, saturate: true));
    }

    [Theory]
    [InlineData(MiniFloatFormat.Float8E4M3FN, 0x7F, 0x7E)] // beyond max: NaN, or max when saturating
    [InlineData(MiniFloatFormat.Float8E4M3FNUZ, 0x80, 0x7F)]
    [InlineData(MiniFloatFormat.Float8E5M2, 0x7C, 0x7B)] // infinity
    [InlineData(MiniFloatFormat.Float8E5M2FNUZ, 0x80, 0x7F)]
    public void Infinity_saturates_or_overflows(MiniFloatFormat format, int unsaturated, int saturated)
    {
        Assert.Equal(unsaturated, MiniFloats.FromDouble(double.PositiveInfinity, format, saturate: false));
        Assert.Equal(saturated, MiniFloats.FromDouble(double.PositiveInfinity, format, saturate: true));
        Assert.Equal(unsaturated, MiniFloats.FromDouble(1e9, format, saturate: false));
    }

    [Theory]
    [InlineData(MiniFloatFormat.Float8E4M3FN, 0x100)]
    [InlineData(MiniFloatFormat.Float8E4M3FNUZ, 0x100)]
    [InlineData(MiniFloatFormat.Float8E5M2, 0x100)]
    [InlineData(MiniFloatFormat.Float8E5M2FNUZ, 0x100)]
    [InlineData(MiniFloatFormat.Float4E2M1, 0x10)]
    [InlineData(MiniFloatFormat.BFloat16, 0x10000)]
    [InlineData(MiniFloatFormat.Float8E8M0, 0x100)]
    public void Every_code_survives_a_round_trip(MiniFloatFormat format, int codes)
    {
        for (int bits = 0; bits < codes; bits++)
        {
            double v = MiniFloats.ToDouble(bits, format);
            if (double.IsNaN(v)) continue;
            int back = MiniFloats.FromDouble(v, format, saturate: false);
            Assert.True(back == bits, $"{format} 0x{bits:X}: {v} encodes as 0x{back:X}");
        }
    }

    /// <summary>
    /// DequantizeLinear of float8 with a non-zero zero point (the node tests' zero points are all 0): (x - zp) * scale
    /// per axis, by hand: e4m3fn 0x40 is 2, 0x38 is 1, 0x44 is 3, 0x30 is 0.5.
    /// </summary>
    [Fact]
    public void Float8_dequantization_subtracts_the_zero_point()
    {
        byte[] x = { 0x40, 0x44, 0x40, 0x44 }, zeroPoint = { 0x38, 0x30 };
        float[] scale = { 3f, 2f }, y = new float[4];
        MiniFloatQuantization.DequantizeLinear<float>(x, scale, zeroPoint, y, outer: 1, axisLength: 2, inner: 2, blockSize: 0, MiniFloatFormat.Float8E4M3FN);
        Assert.Equal(new[] { 3f, 6f, 3f, 5f }, y);
    }

    [Fact]
    public void Decoding_gives_the_defined_values()
    {
        Assert.Equal(448.0, MiniFloats.ToDouble(0x7E, MiniFloatFormat.Float8E4M3FN));
        Assert.True(double.IsNaN(MiniFloats.ToDouble(0xFF, MiniFloatFormat.Float8E4M3FN)));
        Assert.True(double.IsNaN(MiniFloats.ToDouble(0x80, MiniFloatFormat.Float8E5M2FNUZ)));
        Assert.Equal(double.NegativeInfinity, MiniFloats.ToDouble(0xFC, MiniFloatFormat.Float8E5M2));
        Assert.Equal(Math.Pow(2, -17), MiniFloats.ToDouble(0x01, MiniFloatFormat.Float8E5M2FNUZ));
        Assert.Equal(6.0, MiniFloats.ToDouble(0x7, MiniFloatFormat.Float4E2M1));
        Assert.Equal(-0.5, MiniFloats.ToDouble(0x9, MiniFloatFormat.Float4E2M1));
        Assert.Equal(Math.Pow(2, -127), MiniFloats.ToDouble(0, MiniFloatFormat.Float8E8M0));
    }
}
