using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ModelCompiler.Runtime;

/// <summary>
/// Per-thread scratch memory for kernels (padded input planes, offset tables, packed tails). Like
/// <see cref="Arena"/>: each thread keeps pinned, 64-byte aligned buffers that only grow, so steady-state calls
/// allocate nothing and threads never share scratch. It is separate from the model arena because it is
/// needed inside one layer only and by the kernel worker threads too, which have no arena.
/// </summary>
internal static unsafe class KernelScratch
{
    /// <summary>Scratch a whole layer call keeps while it runs (shared read-only with its worker threads).</summary>
    public const int LayerSlot = 0;

    /// <summary>Scratch one work item uses privately.</summary>
    public const int ItemSlot = 1;

    private const int Alignment = 64;

    [ThreadStatic] private static byte[]? t_layer, t_item;
    [ThreadStatic] private static nint t_layerStart, t_itemStart;
    [ThreadStatic] private static long t_layerBytes, t_itemBytes;

    /// <summary>A 64-byte aligned buffer of at least <paramref name="bytes"/> for this thread and slot; valid until the next call for the same slot.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte* Get(int slot, long bytes)
    {
        if (slot == LayerSlot)
            return t_layer is not null && t_layerBytes >= bytes ? (byte*)t_layerStart : Grow(ref t_layer, ref t_layerStart, ref t_layerBytes, bytes);
        return t_item is not null && t_itemBytes >= bytes ? (byte*)t_itemStart : Grow(ref t_item, ref t_itemStart, ref t_itemBytes, bytes);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static byte* Grow(ref byte[]? buffer, ref nint start, ref long capacity, long bytes)
    {
        if (bytes > int.MaxValue - Alignment) throw new InvalidOperationException($"A kernel asked for {bytes} bytes of scratch memory.");
        // Grow by half again so a thread running several models settles after a few calls.
        long size = Math.Min(int.MaxValue - Alignment, Math.Max(bytes, capacity + capacity / 2));
        var array = GC.AllocateUninitializedArray<byte>((int)size + Alignment, pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        buffer = array;
        start = (address + Alignment - 1) & ~(nint)(Alignment - 1);
        capacity = size;
        return (byte*)start;
    }
}

/// <summary>
/// Per-thread scratch arrays for the integer kernels (packed activations, widened weights, accumulator planes,
/// parameters prepared at run time). Each slot grows to the largest size asked on its thread and is kept, so
/// steady-state calls allocate nothing; threads never share one. (Typed spans where <see cref="KernelScratch"/> gives
/// raw aligned memory: the integer kernels index them as spans.)
/// </summary>
internal static class QuantScratch<T> where T : unmanaged
{
    public const int Slots = 8;
    [ThreadStatic] private static T[]?[]? t_arrays;

    public static Span<T> Get(int slot, int length)
    {
        var arrays = t_arrays ??= new T[]?[Slots];
        var a = arrays[slot];
        if (a is null || a.Length < length) arrays[slot] = a = new T[Math.Max(length, (a?.Length ?? 0) * 3 / 2)];
        return a.AsSpan(0, length);
    }
}
