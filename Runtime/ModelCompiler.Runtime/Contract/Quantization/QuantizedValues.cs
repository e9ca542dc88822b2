using System;

#if MODELCOMPILER_GENERATOR
namespace ModelCompiler.Contract;
#else
namespace ModelCompiler.Runtime;
#endif

/// <summary>
/// The arithmetic of one quantized value, as ONNX Runtime computes it and every integer kernel reproduces it: the
/// generator's constant folding, its 256-entry tables and the QDQ fusion's range folding call these, the run-time
/// kernels' scalar paths too (their vector paths are tested against them). Float32 steps are written as a double
/// operation rounded once to float, which for one + - * / is exactly the IEEE float32 result, whatever the host
/// runtime does with floats (the generator may run on .NET Framework).
/// </summary>
internal static class QuantizedValues
{
    /// <summary>Smallest value of an integer type of <paramref name="bits"/> bits (4, 8, 16 or 32).</summary>
    public static int Min(int bits, bool signed) => signed ? (bits >= 32 ? int.MinValue : -(1 << (bits - 1))) : 0;

    /// <summary>Largest value of an integer type of <paramref name="bits"/> bits (4, 8, 16 or 32; unsigned 32 saturates at int.MaxValue).</summary>
    public static int Max(int bits, bool signed) => bits >= 32 ? int.MaxValue : signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;

    /// <summary>a * b in float32.</summary>
    public static float Multiply(float a, float b) => (float)((double)a * b);

    /// <summary>a / b in float32.</summary>
    public static float Divide(float a, float b) => (float)((double)a / b);

    /// <summary>The requantization multiplier (a_scale * b_scale) / y_scale in float32, as ONNX Runtime computes it.</summary>
    public static float Multiplier(float aScale, float bScale, float yScale) => Divide(Multiply(aScale, bScale), yScale);

    /// <summary>
    /// QuantizeLinear of one value: saturate(round_half_even(x / scale) + zero_point) into [min, max]. The quotient
    /// is clamped to the range shifted by the zero point before rounding (which also sends NaN to the minimum), as
    /// ONNX Runtime's MLAS does; rounding a clamped value and clamping a rounded one agree, the bounds being integers.
    /// </summary>
    public static long Quantize(float x, float scale, long zeroPoint, long min, long max)
    {
        float v = Divide(x, scale);
        float lo = min - zeroPoint, hi = max - zeroPoint;
        v = float.IsNaN(v) ? lo : v < lo ? lo : v > hi ? hi : v;
        return (long)Math.Round((double)v, MidpointRounding.ToEven) + zeroPoint;
    }

    /// <summary>DequantizeLinear of one value: (float)(q - zero_point) * scale in float32.</summary>
    public static float Dequantize(long q, long zeroPoint, float scale) => Multiply(q - zeroPoint, scale);
}
