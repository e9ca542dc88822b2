using System;

namespace ModelCompiler.Shared;

/// <summary>
/// The element-wise arithmetic of the QONNX quantization ops (public <c>qonnx</c> repository,
/// <c>src/qonnx/custom_op/general/intquant.py</c>, <c>bipolar_quant.py</c>, <c>trunc.py</c>), in float32 as the
/// reference evaluates float32 tensors. This one file is compiled into the runtime (the kernels) and into the
/// generator (build-time folding of constant weights), so a folded weight and a run-time activation agree bit
/// for bit. Written for netstandard2.0 too: rounding goes through double, which is exact for float inputs.
/// </summary>
internal static class QonnxScalar
{
    /// <summary>Rounding modes of <c>resolve_rounding_mode</c>; the integer values are what generated code passes.</summary>
    public const int HalfEven = 0, Ceil = 1, Floor = 2, Up = 3, Down = 4, HalfUp = 5, HalfDown = 6;

    /// <summary>The mode named by a <c>rounding_mode</c> attribute (case-insensitive), or -1.</summary>
    public static int ParseRounding(string name) => name.ToUpperInvariant() switch
    {
        "ROUND" or "HALF_EVEN" => HalfEven,
        "CEIL" => Ceil,
        "FLOOR" => Floor,
        "UP" => Up,
        "DOWN" => Down,
        "HALF_UP" => HalfUp,
        "HALF_DOWN" => HalfDown,
        _ => -1,
    };

    /// <summary>numpy's rounding functions on a float32 value (sign(x)*f(|x|) forms computed in float32 like numpy).</summary>
    public static float Round(float v, int mode)
    {
        switch (mode)
        {
            case HalfEven: return (float)Math.Round(v, MidpointRounding.ToEven);
            case Ceil: return (float)Math.Ceiling(v);
            case Floor: return (float)Math.Floor(v);
            case Up: return Sign(v) * (float)Math.Ceiling(Math.Abs(v));
            case Down: return (float)Math.Truncate(v);
            case HalfUp: return Sign(v) * (float)Math.Floor((float)(Math.Abs(v) + 0.5f));
            case HalfDown: return Sign(v) * (float)Math.Ceiling((float)(Math.Abs(v) - 0.5f));
            default: throw new ArgumentOutOfRangeException(nameof(mode));
        }
    }

    // np.sign: -1, 0 or 1; NaN stays NaN.
    private static float Sign(float v) => v > 0 ? 1f : v < 0 ? -1f : v == 0 ? 0f : v;

    /// <summary>min_int(signed, narrow, bit_width).</summary>
    public static double MinInt(bool signed, bool narrow, int bits) => !signed ? 0 : narrow ? -Math.Pow(2, bits - 1) + 1 : -Math.Pow(2, bits - 1);

    /// <summary>max_int(signed, narrow, bit_width).</summary>
    public static double MaxInt(bool signed, bool narrow, int bits) =>
        signed ? Math.Pow(2, bits - 1) - 1 : narrow ? Math.Pow(2, bits) - 2 : Math.Pow(2, bits) - 1;

    /// <summary>
    /// int_quant for one element: x / scale + zeropt, then bipolar (1-bit signed: &gt;= 0 gives 1, else -1) or clamped
    /// to [min, max] and rounded, then (q - zeropt) * scale. NaN stays NaN except in the bipolar case (-1).
    /// </summary>
    public static float Quant(float x, float scale, float zeroPoint, bool bipolar, float min, float max, int mode) =>
        (QuantCode(x, scale, zeroPoint, bipolar, min, max, mode) - zeroPoint) * scale;

    /// <summary>The integer q of <see cref="Quant"/> (a float holding an integer, or NaN).</summary>
    public static float QuantCode(float x, float scale, float zeroPoint, bool bipolar, float min, float max, int mode)
    {
        float y = x / scale + zeroPoint;
        if (bipolar) return y >= 0f ? 1f : -1f;
        if (y > max) y = max;
        if (y < min) y = min;
        return Round(y, mode);
    }

    /// <summary>binary_quant: where(x &gt;= 0, 1, -1) * scale.</summary>
    public static float Bipolar(float x, float scale) => (x >= 0f ? 1f : -1f) * scale;

    /// <summary>
    /// trunc_v1 and trunc_v2 for one element: round(x / scale + zeropt) (half to even) / truncScale, clamped to
    /// [min, max] when <paramref name="clamp"/> (v2), rounded with <paramref name="mode"/>, minus
    /// <paramref name="outZeroPoint"/>, times <paramref name="outScale"/> (v1: zeropt and scale again).
    /// </summary>
    public static float Trunc(float x, float scale, float zeroPoint, float truncScale, float outZeroPoint, float outScale,
        bool clamp, float min, float max, int mode)
    {
        float y = (float)Math.Round(x / scale + zeroPoint, MidpointRounding.ToEven);
        y /= truncScale;
        if (clamp)
        {
            if (y > max) y = max;
            if (y < min) y = min;
        }
        y = Round(y, mode);
        return (y - outZeroPoint) * outScale;
    }
}
