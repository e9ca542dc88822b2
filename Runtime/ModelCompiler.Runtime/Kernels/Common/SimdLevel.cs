using System;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelCompiler.Runtime;

/// <summary>A vector width a kernel can run at; <see cref="Auto"/> is the widest this machine accelerates.</summary>
internal enum VectorWidth
{
    Auto,
    Bits512,
    Bits256,
    Bits128,
    Scalar,
}

/// <summary>
/// A float kernel written once, generic over the vector register (<see cref="IVec{TSelf}"/>), that
/// <see cref="SimdLevel.Run{TKernel, TArgs}"/> instantiates at the width this machine runs. <typeparamref name="TArgs"/>
/// holds one call's pointers and sizes (a readonly struct built by the kernel's public entry point).
/// </summary>
internal interface IVectorKernel<TArgs> where TArgs : struct
{
    /// <summary>Runs the call at vector type <typeparamref name="TV"/>, splitting it over up to <paramref name="threads"/> threads.</summary>
    static abstract void Run<TV>(in TArgs args, int threads) where TV : unmanaged, IVec<TV>;
}

/// <summary>
/// The float kernels' instruction set: which vector width they run at on this machine. Decided once per process
/// from the CPU (the checks are JIT-time constants, so <see cref="Run{TKernel, TArgs}"/> compiles to one direct
/// call); tests pass an explicit width to run every path the machine has. The integer kernels' counterpart is
/// <see cref="IntegerPaths"/>. This is the only run-time choice a float kernel makes: which kernel and variant a
/// layer runs is decided by the generator and written into the generated call.
/// </summary>
internal static class SimdLevel
{
    public static bool Use512 => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;
    public static bool Use256 => !Use512 && Vector256.IsHardwareAccelerated && Avx.IsSupported;
    public static bool Use128 => !Use512 && !Use256 && Vector128.IsHardwareAccelerated;

    /// <summary>The width <see cref="VectorWidth.Auto"/> stands for here.</summary>
    public static VectorWidth Best => Use512 ? VectorWidth.Bits512 : Use256 ? VectorWidth.Bits256 : Use128 ? VectorWidth.Bits128 : VectorWidth.Scalar;

    /// <summary>True when this machine can run a kernel at <paramref name="width"/> (tests run every available width).</summary>
    public static bool IsAvailable(VectorWidth width) => width switch
    {
        VectorWidth.Bits512 => Avx512F.IsSupported,
        VectorWidth.Bits256 => Avx.IsSupported,
        VectorWidth.Bits128 => Vector128.IsHardwareAccelerated,
        _ => true,
    };

    public static VectorWidth Resolve(VectorWidth width)
    {
        if (width == VectorWidth.Auto) return Best;
        if (!IsAvailable(width)) throw new PlatformNotSupportedException($"{width} vectors are not supported on this machine.");
        return width;
    }

    /// <summary>
    /// The ISA dispatch every float kernel uses: runs <typeparamref name="TKernel"/> at <paramref name="width"/>
    /// (<see cref="VectorWidth.Auto"/>: the best this machine has).
    /// </summary>
    public static void Run<TKernel, TArgs>(VectorWidth width, in TArgs args, int threads)
        where TKernel : IVectorKernel<TArgs> where TArgs : struct
    {
        switch (Resolve(width))
        {
            case VectorWidth.Bits512: TKernel.Run<Vec512>(args, threads); break;
            case VectorWidth.Bits256: TKernel.Run<Vec256>(args, threads); break;
            case VectorWidth.Bits128: TKernel.Run<Vec128>(args, threads); break;
            default: TKernel.Run<Vec1>(args, threads); break;
        }
    }
}
