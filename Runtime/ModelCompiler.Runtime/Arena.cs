using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ModelCompiler.Runtime;

/// <summary>
/// Per-thread scratch memory for generated models' intermediate tensors. Each thread gets one pinned,
/// 64-byte aligned buffer on its first call and keeps it, growing it only when a bigger model runs, so
/// steady-state <c>Predict</c> calls allocate nothing and threads never share scratch memory.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Arena
{
    private const int Alignment = 64;

    [ThreadStatic] private static byte[]? t_buffer;
    [ThreadStatic] private static int t_start;
    [ThreadStatic] private static int t_capacity;

    /// <summary>This thread's scratch memory, at least <paramref name="bytes"/> long and 64-byte aligned.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Span<byte> ForCurrentThread(int bytes)
    {
        var buffer = t_buffer;
        if (buffer is null || t_capacity < bytes) return Grow(bytes);
        return buffer.AsSpan(t_start, bytes);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe Span<byte> Grow(int bytes)
    {
        // Pinned (on the pinned object heap) so the alignment computed here stays true.
        var buffer = GC.AllocateArray<byte>(bytes + Alignment, pinned: true);
        int start = (int)((Alignment - ((nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer)) & (Alignment - 1))) & (Alignment - 1));
        t_buffer = buffer;
        t_start = start;
        t_capacity = bytes;
        return buffer.AsSpan(start, bytes);
    }

    /// <summary>A typed view of <paramref name="length"/> elements at byte <paramref name="offset"/> of the arena.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Span<T> Slice<T>(Span<byte> arena, int offset, int length) where T : unmanaged =>
        MemoryMarshal.Cast<byte, T>(arena.Slice(offset, length * Unsafe.SizeOf<T>()));
}
