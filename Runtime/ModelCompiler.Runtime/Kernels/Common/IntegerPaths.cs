using System;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelCompiler.Runtime;

/// <summary>The instruction sets the integer (int8/uint8) kernels can run on, best first.</summary>
internal enum IntegerPath
{
    /// <summary>Whatever is best on this machine.</summary>
    Auto = 0,
    /// <summary>AVX-VNNI <c>vpdpbusd</c> (u8 x s8 -> i32, 4 products per lane), 256-bit.</summary>
    AvxVnni,
    /// <summary>AVX-512BW <c>vpmaddwd</c> on operands widened to int16 (exact; <c>vpmaddubsw</c> would saturate), 512-bit.</summary>
    Avx512BW,
    /// <summary>AVX2 <c>vpmaddwd</c> on operands widened to int16, 256-bit.</summary>
    Avx2,
    /// <summary>Portable <see cref="Vector128"/> code (SSE on x64, NEON on ARM64): int16 products widened to int32.</summary>
    Vector128,
    /// <summary>Plain scalar loops: the reference every other path is tested against.</summary>
    Scalar,
}

/// <summary>
/// Chooses the integer kernels' instruction set. Every path computes the same exact int32 sums, so the choice
/// never changes results; tests force each one on the calling thread with <see cref="Force"/>.
/// </summary>
internal static class IntegerPaths
{
    [ThreadStatic] private static IntegerPath t_forced;

    /// <summary>The best path this machine supports.</summary>
    public static readonly IntegerPath Best =
        IsSupported(IntegerPath.AvxVnni) ? IntegerPath.AvxVnni :
        IsSupported(IntegerPath.Avx512BW) ? IntegerPath.Avx512BW :
        IsSupported(IntegerPath.Avx2) ? IntegerPath.Avx2 :
        IsSupported(IntegerPath.Vector128) ? IntegerPath.Vector128 : IntegerPath.Scalar;

    /// <summary>The path integer kernels take on this thread now.</summary>
    public static IntegerPath Current => t_forced == IntegerPath.Auto ? Best : t_forced;

    public static bool IsSupported(IntegerPath path) => path switch
    {
        IntegerPath.Auto or IntegerPath.Scalar => true,
        IntegerPath.AvxVnni => AvxVnni.IsSupported && Avx2.IsSupported,
        IntegerPath.Avx512BW => Avx512BW.IsSupported && Avx512F.IsSupported,
        IntegerPath.Avx2 => Avx2.IsSupported,
        IntegerPath.Vector128 => Vector128.IsHardwareAccelerated,
        _ => false,
    };

    /// <summary>Makes this thread's integer kernels use <paramref name="path"/> until the result is disposed.</summary>
    public static Scope Force(IntegerPath path)
    {
        if (!IsSupported(path)) throw new PlatformNotSupportedException($"{path} is not supported on this machine");
        var previous = t_forced;
        t_forced = path;
        return new Scope(previous);
    }

    public readonly struct Scope : IDisposable
    {
        private readonly IntegerPath _previous;
        internal Scope(IntegerPath previous) => _previous = previous;
        public void Dispose() => t_forced = _previous;
    }
}
