using System;
#if !MODELCOMPILER_GENERATOR
using System.ComponentModel;
#endif

#if MODELCOMPILER_GENERATOR
namespace ModelCompiler.Contract;
#else
namespace ModelCompiler.Runtime;
#endif

/// <summary>
/// The floating-point element types that .NET has no type for. Generated code holds their tensors as raw bits:
/// bfloat16 in a ushort, the 8-bit floats in a byte, float4e2m1 in the low 4 bits of a byte (one element per
/// byte, like int4). Numbered as ONNX's <c>TensorProto.DataType</c>.
/// </summary>
#if MODELCOMPILER_GENERATOR
internal
#else
[EditorBrowsable(EditorBrowsableState.Never)]
public
#endif
enum MiniFloatFormat
{
    /// <summary>bfloat16: float32's upper 16 bits</summary>
    BFloat16 = 16,
    /// <summary>float8 e4m3fn: bias 7, no infinity</summary>
    Float8E4M3FN = 17,
    /// <summary>float8 e4m3fnuz: bias 8, no infinity, no negative zero</summary>
    Float8E4M3FNUZ = 18,
    /// <summary>float8 e5m2: bias 15, with infinities</summary>
    Float8E5M2 = 19,
    /// <summary>float8 e5m2fnuz: bias 16, no infinity, no negative zero</summary>
    Float8E5M2FNUZ = 20,
    /// <summary>float4 e2m1: bias 1, no infinity or NaN</summary>
    Float4E2M1 = 23,
    /// <summary>float8 e8m0: an unsigned power of two</summary>
    Float8E8M0 = 24,
}

/// <summary>
/// Conversions between <see cref="MiniFloatFormat"/> bits and double, written from the ONNX specification
/// (docs/Operators.md, Cast; docs/docs/Float8.md, Float4.md): round to nearest, ties to even; out of range either
/// saturates to the largest finite value (<c>saturate</c>) or becomes the type's infinity, else its NaN. Per type:
/// e4m3fn (bias 7) has no infinity and NaN S.1111.111; e4m3fnuz (bias 8) and e5m2fnuz (bias 16) have no infinity,
/// no negative zero and NaN 0x80; e5m2 (bias 15) and bfloat16 (bias 127) are IEEE-like; float4e2m1 (bias 1) has
/// neither infinity nor NaN and always saturates; float8e8m0 is an unsigned power of two 2^(e-127), 0xFF is NaN,
/// rounded as the 'round_mode' of Cast-25 says. Used by constant folding and by the run-time kernels alike.
/// </summary>
internal static class MiniFloats
{
    private enum Specials { Ieee, FiniteOnlyNanAllOnes, FiniteOnlyNan80, None }

    private readonly struct Layout
    {
        public Layout(int mantissaBits, int bias, int signBit, int maxCode, Specials specials)
        {
            MantissaBits = mantissaBits;
            Bias = bias;
            SignBit = signBit;
            MaxCode = maxCode;
            Specials = specials;
        }

        public int MantissaBits { get; }
        public int Bias { get; }
        public int SignBit { get; }
        /// <summary>The magnitude bits of the largest finite value.</summary>
        public int MaxCode { get; }
        public Specials Specials { get; }
    }

    private static Layout Of(MiniFloatFormat f) => f switch
    {
        MiniFloatFormat.BFloat16 => new Layout(7, 127, 0x8000, 0x7F7F, Specials.Ieee),
        MiniFloatFormat.Float8E4M3FN => new Layout(3, 7, 0x80, 0x7E, Specials.FiniteOnlyNanAllOnes),
        MiniFloatFormat.Float8E4M3FNUZ => new Layout(3, 8, 0x80, 0x7F, Specials.FiniteOnlyNan80),
        MiniFloatFormat.Float8E5M2 => new Layout(2, 15, 0x80, 0x7B, Specials.Ieee),
        MiniFloatFormat.Float8E5M2FNUZ => new Layout(2, 16, 0x80, 0x7F, Specials.FiniteOnlyNan80),
        MiniFloatFormat.Float4E2M1 => new Layout(1, 1, 0x8, 0x7, Specials.None),
        _ => throw new ArgumentOutOfRangeException(nameof(f), f, "not a sign-exponent-mantissa format"),
    };

    /// <summary>The value of <paramref name="bits"/> (NaN for the NaN codes).</summary>
    public static double ToDouble(int bits, MiniFloatFormat f)
    {
        if (f == MiniFloatFormat.Float8E8M0)
        {
            int e = bits & 0xFF;
            return e == 0xFF ? double.NaN : Pow2(e - 127);
        }
        var l = Of(f);
        int mag = bits & (l.SignBit - 1);
        bool negative = (bits & l.SignBit) != 0;
        switch (l.Specials)
        {
            case Specials.FiniteOnlyNan80 when negative && mag == 0:
                return double.NaN;
            case Specials.FiniteOnlyNanAllOnes when mag == l.SignBit - 1:
                return double.NaN;
            case Specials.Ieee when mag > l.MaxCode:
                if ((mag & ((1 << l.MantissaBits) - 1)) != 0) return double.NaN;
                return negative ? double.NegativeInfinity : double.PositiveInfinity;
        }
        int exponent = mag >> l.MantissaBits, mantissa = mag & ((1 << l.MantissaBits) - 1);
        double value = exponent == 0
            ? mantissa * Pow2(1 - l.Bias - l.MantissaBits)
            : (mantissa + (1 << l.MantissaBits)) * Pow2(exponent - l.Bias - l.MantissaBits);
        return negative ? -value : value;
    }

    /// <summary>
    /// The bits nearest to <paramref name="v"/> (ties to even). Beyond the largest finite value: that value when
    /// <paramref name="saturate"/>, else infinity (e5m2, bfloat16) or NaN (e4m3fn, the fnuz types); float4e2m1
    /// always saturates and has no NaN code (NaN gives 0x8, negative zero, as the ONNX reference does); bfloat16
    /// ignores <paramref name="saturate"/>. NaN's sign is not kept.
    /// </summary>
    public static int FromDouble(double v, MiniFloatFormat f, bool saturate, E8M0Rounding rounding = E8M0Rounding.Up)
    {
        if (f == MiniFloatFormat.Float8E8M0) return ToE8M0(v, saturate, rounding);
        var l = Of(f);
        bool negative = BitConverter.DoubleToInt64Bits(v) < 0;
        int sign = negative ? l.SignBit : 0;
        // NaN's sign is dropped, as the ONNX reference does; float4e2m1, which has no NaN, gives 0x8 (negative zero).
        if (double.IsNaN(v))
            return l.Specials switch
            {
                Specials.FiniteOnlyNan80 => 0x80,
                Specials.None => l.SignBit,
                Specials.Ieee => l.MaxCode + 1 + (1 << (l.MantissaBits - 1)),
                _ => l.SignBit - 1,
            };
        double a = Math.Abs(v);
        int code;
        if (double.IsInfinity(a)) code = int.MaxValue;
        else
        {
            int minExponent = 1 - l.Bias;
            if (a < Pow2(minExponent))
                code = (int)Math.Round(a * Pow2(l.MantissaBits - minExponent), MidpointRounding.ToEven);
            else
            {
                int e = (int)((BitConverter.DoubleToInt64Bits(a) >> 52) & 0x7FF) - 1023;
                code = e + l.Bias > 1000 ? int.MaxValue
                    : ((e + l.Bias - 1) << l.MantissaBits) + (int)Math.Round(a * Pow2(l.MantissaBits - e), MidpointRounding.ToEven);
            }
        }
        if (code > l.MaxCode)
        {
            // 'saturate' concerns the float8 types only: bfloat16 overflows to infinity like float32.
            if (saturate && f != MiniFloatFormat.BFloat16 || l.Specials == Specials.None) return sign | l.MaxCode;
            return l.Specials switch
            {
                Specials.Ieee => sign | (l.MaxCode + 1),
                Specials.FiniteOnlyNan80 => 0x80,
                _ => sign | (l.SignBit - 1),
            };
        }
        if (code == 0 && l.Specials == Specials.FiniteOnlyNan80) return 0; // no negative zero
        return sign | code;
    }

    /// <summary>float8e8m0 (2^(e-127), no sign, no zero): the power of two the rounding mode picks for |v|.</summary>
    private static int ToE8M0(double v, bool saturate, E8M0Rounding rounding)
    {
        if (double.IsNaN(v)) return 0xFF;
        double a = Math.Abs(v);
        if (double.IsInfinity(a)) return saturate ? 0xFE : 0xFF;
        if (a == 0) return 0;
        long bits = BitConverter.DoubleToInt64Bits(a);
        int e = (int)((bits >> 52) & 0x7FF) - 1023;
        double fraction = a / Pow2(e); // in [1, 2)
        int code = e + 127 + rounding switch
        {
            E8M0Rounding.Up => fraction > 1 ? 1 : 0,
            E8M0Rounding.Nearest => fraction >= 1.5 ? 1 : 0,
            _ => 0,
        };
        if (code < 0) return 0;
        if (code > 0xFE) return saturate ? 0xFE : 0xFF;
        return code;
    }

    /// <summary>2^e for e in [-1074, 1023], exactly.</summary>
    private static double Pow2(int e) =>
        e >= -1022 ? BitConverter.Int64BitsToDouble((long)(e + 1023) << 52) : BitConverter.Int64BitsToDouble(1L << (e + 1074));
}

/// <summary>Cast-25's 'round_mode' for float8e8m0 targets: "up" (the default), "down" or "nearest".</summary>
#if MODELCOMPILER_GENERATOR
internal
#else
[EditorBrowsable(EditorBrowsableState.Never)]
public
#endif
enum E8M0Rounding
{
    /// <summary>The power of two at or above |x|.</summary>
    Up,
    /// <summary>The power of two at or below |x|.</summary>
    Down,
    /// <summary>The nearer power of two (halfway: the upper one).</summary>
    Nearest,
}
