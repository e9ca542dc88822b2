using System;
using System.Linq;

namespace ModelCompiler.Tool.Quantization;

/// <summary>
/// Scales and zero points as ONNX Runtime's quantizer computes them, and ONNX's rounding: QuantizeLinear is
/// saturate(round_half_to_even(x / scale) + zero_point), with the division in float32.
/// </summary>
internal static class QuantMath
{
    /// <summary>
    /// Asymmetric activation parameters over [min, max] widened to include 0: scale = (max - min) / (qmax - qmin),
    /// zero point = round(qmin - min / scale) (uint8 [0, 255] or int8 [-128, 127]). A range of width 0 gets scale 1.
    /// </summary>
    public static (float Scale, long ZeroPoint) Activation(double min, double max, bool signed)
    {
        double lo = Math.Min(min, 0), hi = Math.Max(max, 0);
        long qmin = signed ? -128 : 0, qmax = signed ? 127 : 255;
        float scale = (float)((hi - lo) / (qmax - qmin));
        if (!(scale > 0) || !float.IsFinite(scale)) return (1f, signed ? 0 : 0);
        long zp = (long)Math.Round(qmin - lo / scale, MidpointRounding.ToEven);
        return (scale, Math.Clamp(zp, qmin, qmax));
    }

    /// <summary>
    /// Symmetric weights: int8 in [-127, 127] or int4 in [-7, 7], zero point 0, scale = max|w| / qmax, one scale per
    /// slice along <paramref name="axis"/> (per channel) or one for the tensor (axis -1). An all-zero slice gets scale 1.
    /// </summary>
    public static (long[] Values, float[] Scales) Symmetric(float[] w, int[] shape, int axis, int qmax)
    {
        int channels = axis < 0 ? 1 : shape[axis];
        int inner = axis < 0 ? w.Length : shape.Skip(axis + 1).Aggregate(1, (a, d) => a * d);
        int Channel(int i) => axis < 0 ? 0 : i / inner % channels;
        var scales = new float[channels];
        for (int i = 0; i < w.Length; i++) scales[Channel(i)] = Math.Max(scales[Channel(i)], Math.Abs(w[i]));
        for (int c = 0; c < channels; c++) scales[c] = scales[c] == 0 ? 1f : scales[c] / qmax;
        var q = new long[w.Length];
        for (int i = 0; i < w.Length; i++) q[i] = Quantize(w[i], scales[Channel(i)], 0, -qmax, qmax);
        return (q, scales);
    }

    /// <summary>ONNX QuantizeLinear for one value.</summary>
    public static long Quantize(float x, float scale, long zeroPoint, long qmin, long qmax) =>
        Math.Clamp((long)Math.Round((double)(x / scale), MidpointRounding.ToEven) + zeroPoint, qmin, qmax);

    /// <summary>int32 bias with scale x_scale * w_scale[c] (float32 product) and zero point 0, as ONNX Runtime quantizes it.</summary>
    public static (long[] Values, float[] Scales) Bias(float[] b, float inputScale, float[] weightScales)
    {
        var scales = new float[weightScales.Length == 1 ? 1 : b.Length];
        for (int c = 0; c < scales.Length; c++) scales[c] = inputScale * weightScales[c];
        var q = b.Select((v, c) => (long)Math.Clamp(Math.Round((double)(v / scales[scales.Length == 1 ? 0 : c]), MidpointRounding.ToEven), int.MinValue, int.MaxValue)).ToArray();
        return (q, scales);
    }
}
