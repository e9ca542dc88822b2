using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelCompiler.Runtime;

/// <summary>
/// The AVX-512 requantization of 16 int32 sums to 16 output bytes that the in-register kernels share
/// (<see cref="QGemmRequant"/>, <see cref="DepthwiseVnni"/>), in two forms chosen per call by a type argument
/// (so each kernel is compiled once per form, with no branch per store):
/// <list type="bullet">
/// <item><see cref="Clamped"/>: (float)sum x multiplier clamped to the output range less the zero point, rounded half
/// to even by <c>vcvtps2dq</c>, plus the zero point, narrowed by truncation (any multiplier);</item>
/// <item><see cref="SaturateToByte"/> / <see cref="SaturateToSByte"/>: rounded, plus the zero point, narrowed with
/// saturation, no float clamp. Clamping to integer bounds commutes with rounding, so
/// clamp(round(x) + zp, min, max) = round(clamp(x, min - zp, max - zp)) + zp: the same bytes, as long as
/// round(x) + zp cannot overflow int32 (<see cref="CanSaturate"/>).</item>
/// </list>
/// </summary>
internal static class Requant512
{
    /// <summary>Clamp in float32, then narrow.</summary>
    public struct Clamped;
    /// <summary>Narrow to uint8 with saturation.</summary>
    public struct SaturateToByte;
    /// <summary>Narrow to int8 with saturation.</summary>
    public struct SaturateToSByte;

    /// <summary>
    /// Whether the saturating forms are exact for these multipliers: |multiplier| &lt; 0.5 keeps |sum x multiplier|
    /// under 2^30 for any int32 sum (<c>vcvtps2dq</c> returns 0x80000000 at or past 2^31). Real multipliers (input
    /// scale x weight scale / output scale) are far smaller. False without AVX-512.
    /// </summary>
    public static bool CanSaturate(ReadOnlySpan<float> multipliers)
    {
        if (!Avx512F.IsSupported) return false;
        foreach (float m in multipliers)
            if (!(Math.Abs(m) < 0.5f)) return false;
        return true;
    }

    /// <summary>0 clamped, 1 saturating to uint8, 2 saturating to int8: the form for output type <typeparamref name="T"/>.</summary>
    public static int FormFor<T>(ReadOnlySpan<float> multipliers) => !CanSaturate(multipliers) ? 0 : typeof(T) == typeof(byte) ? 1 : 2;

    /// <summary>8 sums to 8 output bytes (the low 8 of the result) in form <typeparamref name="TForm"/>, the same operations at 256 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Bytes8<TForm>(Vector256<int> sums, Vector256<float> multiplier, Vector256<float> lo, Vector256<float> hi, Vector256<int> zp)
        where TForm : struct
    {
        var f = Vector256.ConvertToSingle(sums) * multiplier;
        if (typeof(TForm) == typeof(SaturateToByte))
            return Avx512F.VL.ConvertToVector128ByteWithSaturation(Vector256.Max(Avx.ConvertToVector256Int32(f) + zp, Vector256<int>.Zero).AsUInt32());
        if (typeof(TForm) == typeof(SaturateToSByte))
            return Avx512F.VL.ConvertToVector128SByteWithSaturation(Avx.ConvertToVector256Int32(f) + zp).AsByte();
        f = Vector256.MinNative(Vector256.MaxNative(f, lo), hi);
        return Avx512F.VL.ConvertToVector128Byte(Avx.ConvertToVector256Int32(f) + zp);
    }

    /// <summary>16 sums to 16 output bytes in form <typeparamref name="TForm"/>; lo/hi: the output range less the zero point.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Bytes<TForm>(Vector512<int> sums, Vector512<float> multiplier, Vector512<float> lo, Vector512<float> hi, Vector512<int> zp)
        where TForm : struct
    {
        var f = Vector512.ConvertToSingle(sums) * multiplier;
        if (typeof(TForm) == typeof(SaturateToByte))
            return Avx512F.ConvertToVector128ByteWithSaturation(Vector512.Max(Avx512F.ConvertToVector512Int32(f) + zp, Vector512<int>.Zero).AsUInt32());
        if (typeof(TForm) == typeof(SaturateToSByte))
            return Avx512F.ConvertToVector128SByteWithSaturation(Avx512F.ConvertToVector512Int32(f) + zp).AsByte();
        // MinNative/MaxNative: plain vminps/vmaxps (no NaN fix-ups). After the clamp every value is in the output
        // type's range, so vpmovdb's truncation is exact for uint8 and int8 alike.
        f = Vector512.MinNative(Vector512.MaxNative(f, lo), hi);
        return Avx512F.ConvertToVector128Byte(Avx512F.ConvertToVector512Int32(f) + zp);
    }

    /// <summary>
    /// Four rows of 16 sums to 16 bytes each, row r in 128-bit lane r of the result, in a saturating form
    /// (<see cref="SaturateToByte"/> or <see cref="SaturateToSByte"/>): each row rounded and shifted by the zero
    /// point as in <see cref="Bytes{TForm}"/>, then all four narrowed together by <c>vpackssdw</c> and
    /// <c>vpackuswb</c>/<c>vpacksswb</c> (saturating at each step, so the bytes are those of a direct saturation)
    /// and put in row order by one <c>vpermd</c>: 4 instructions for 64 values, where <see cref="Bytes{TForm}"/>
    /// narrows 16 with <c>vpmaxsd</c> and <c>vpmovusdb</c> (2 micro-ops on Zen 5). Needs AVX-512 BW.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Rows4<TForm>(Vector512<int> s0, Vector512<int> s1, Vector512<int> s2, Vector512<int> s3,
        Vector512<float> m0, Vector512<float> m1, Vector512<float> m2, Vector512<float> m3, Vector512<int> zp)
        where TForm : struct
    {
        var i0 = Rounded(s0, m0, zp);
        var i1 = Rounded(s1, m1, zp);
        var i2 = Rounded(s2, m2, zp);
        var i3 = Rounded(s3, m3, zp);
        // Lane L of the packed bytes holds pixels 4L..4L+3 of rows 0, 1, 2, 3 (one int each); the permute
        // transposes those 4 x 4 ints so that lane r holds row r.
        var w01 = Avx512BW.PackSignedSaturate(i0, i1);
        var w23 = Avx512BW.PackSignedSaturate(i2, i3);
        var b = typeof(TForm) == typeof(SaturateToSByte) ? Avx512BW.PackSignedSaturate(w01, w23).AsByte() : Avx512BW.PackUnsignedSaturate(w01, w23);
        return Avx512F.PermuteVar16x32(b.AsInt32(), Vector512.Create(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15)).AsByte();
    }

    /// <summary>round(sum x multiplier) + zero point as int32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Rounded(Vector512<int> sums, Vector512<float> multiplier, Vector512<int> zp) =>
        Avx512F.ConvertToVector512Int32(Vector512.ConvertToSingle(sums) * multiplier) + zp;
}
