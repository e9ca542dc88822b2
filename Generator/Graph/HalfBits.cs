using System;

namespace ModelCompiler.Graph;

/// <summary>IEEE 754 binary16 and bfloat16 conversions (netstandard2.0 has no <c>System.Half</c>).</summary>
internal static class HalfBits
{
    public static float ToSingle(ushort h)
    {
        int sign = (h >> 15) & 1, exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
        float v;
        if (exp == 0) v = mant * (1f / (1 << 24));                       // zero or subnormal
        else if (exp == 31) v = mant == 0 ? float.PositiveInfinity : float.NaN;
        else v = (1 + mant / 1024f) * (float)Math.Pow(2, exp - 15);
        return sign == 1 ? -v : v;
    }

    /// <summary>Rounds to nearest, ties to even, as IEEE conversion (and .NET's <c>(Half)f</c>) does.</summary>
    public static ushort FromSingle(float f)
    {
        int bits = BitConverterCompat.SingleToInt32Bits(f);
        int sign = (bits >> 16) & 0x8000;
        int exp = (bits >> 23) & 0xFF;
        int mant = bits & 0x7FFFFF;
        if (exp == 0xFF) return (ushort)(sign | 0x7C00 | (mant != 0 ? 0x200 : 0));
        int e = exp - 127 + 15;
        if (e >= 31) return (ushort)(sign | 0x7C00);
        if (e <= 0)
        {
            if (e < -10) return (ushort)sign;
            mant |= 0x800000;
            int shift = 14 - e;
            int half = mant >> shift;
            int rem = mant & ((1 << shift) - 1);
            int mid = 1 << (shift - 1);
            if (rem > mid || (rem == mid && (half & 1) == 1)) half++;
            return (ushort)(sign | half);
        }
        int h = (e << 10) | (mant >> 13);
        int r = mant & 0x1FFF;
        if (r > 0x1000 || (r == 0x1000 && (h & 1) == 1)) h++;
        return (ushort)(sign | h);
    }

    public static ushort BFloat16FromSingle(float f)
    {
        uint bits = (uint)BitConverterCompat.SingleToInt32Bits(f);
        if (float.IsNaN(f)) return 0x7FC0;
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }
}

/// <summary>BitConverter members missing from netstandard2.0.</summary>
internal static class BitConverterCompat
{
    public static unsafe float Int32BitsToSingle(int v) => *(float*)&v;
    public static unsafe int SingleToInt32Bits(float v) => *(int*)&v;
}
