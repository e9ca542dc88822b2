using System;

namespace ModelCompiler.Tests.LowBit;

/// <summary>
/// The test's own scalar reading of the qonnx reference (intquant.py, bipolar_quant.py, trunc.py,
/// multithreshold.py) in float32, as numpy evaluates float32 tensors: independent of the compiler's code.
/// </summary>
internal static class QonnxReference
{
    public static float Round(float v, string mode) => mode switch
    {
        "ROUND" or "HALF_EVEN" => MathF.Round(v, MidpointRounding.ToEven),
        "CEIL" => MathF.Ceiling(v),
        "FLOOR" => MathF.Floor(v),
        "UP" => MathF.Sign(v) * MathF.Ceiling(MathF.Abs(v)),
        "DOWN" => MathF.Truncate(v),
        "HALF_UP" => MathF.Sign(v) * MathF.Floor(MathF.Abs(v) + 0.5f),
        "HALF_DOWN" => MathF.Sign(v) * MathF.Ceiling(MathF.Abs(v) - 0.5f),
        _ => throw new ArgumentException(mode),
    };

    public static (float Min, float Max) Range(bool signed, bool narrow, int bits) =>
        (signed ? (narrow ? -MathF.Pow(2, bits - 1) + 1 : -MathF.Pow(2, bits - 1)) : 0,
         signed ? MathF.Pow(2, bits - 1) - 1 : narrow ? MathF.Pow(2, bits) - 2 : MathF.Pow(2, bits) - 1);

    public static float Quant(float x, float scale, float zp, int bits, bool signed, bool narrow, string mode)
    {
        float y = x / scale + zp;
        if (bits == 1 && signed) y = y >= 0 ? 1 : -1;
        else
        {
            var (min, max) = Range(signed, narrow, bits);
            if (y > max) y = max;
            if (y < min) y = min;
            y = Round(y, mode);
        }
        return (y - zp) * scale;
    }

    public static float Bipolar(float x, float scale) => (x >= 0 ? 1f : -1f) * scale;

    public static float TruncV1(float x, float scale, float zp, int inBits, int outBits, string mode)
    {
        float y = MathF.Round(x / scale + zp, MidpointRounding.ToEven);
        y /= MathF.Pow(2, inBits - outBits);
        y = Round(y, mode);
        return (y - zp) * scale;
    }

    public static float TruncV2(float x, float scale, float zp, float outScale, int outBits, bool signed, bool narrow, string mode)
    {
        float y = MathF.Round(x / scale + zp, MidpointRounding.ToEven);
        float ts = MathF.Pow(2, MathF.Round(MathF.Log2(outScale / scale)));
        y /= ts;
        var (min, max) = Range(signed, narrow, outBits);
        if (y > max) y = max;
        if (y < min) y = min;
        y = Round(y, mode);
        return (y - zp / ts) * outScale;
    }

    public static float MultiThreshold(float x, ReadOnlySpan<float> thresholds, float outScale, float outBias)
    {
        int count = 0;
        foreach (float t in thresholds) if (x >= t) count++;
        return outScale * count + outBias;
    }
}
