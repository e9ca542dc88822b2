using System;
using System.ComponentModel;
using System.IO;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ModelCompiler.Runtime;

/// <summary>
/// A model's weights, read in place from the manifest resource the ModelCompiler build targets embed.
/// The resource is mapped with the assembly image, so <see cref="Get{T}"/> hands out spans over it
/// without copying. The blob starts with a header whose fingerprint must match the generated code;
/// a mismatch means the weights and the code come from different builds.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed unsafe class WeightBlob
{
    private const int HeaderSize = 64;
    private readonly byte* _data;
    private readonly long _length;

    private WeightBlob(byte* data, long length)
    {
        _data = data;
        _length = length;
    }

    /// <summary>Finds and checks the blob; throws <see cref="InvalidOperationException"/> with the fix when it is missing or stale.</summary>
    public static WeightBlob Load(Assembly assembly, string resourceName, string fingerprint, long length)
    {
        using Stream? stream = assembly.GetManifestResourceStream(resourceName);
        if (stream is null)
            throw new InvalidOperationException(
                $"The weights of this model (resource '{resourceName}') are not embedded in {assembly.GetName().Name}. " +
                "They are added by the ModelCompiler package's build targets: reference the package (not only the analyzer) and rebuild.");

        byte* start;
        if (stream is UnmanagedMemoryStream mapped)
        {
            start = mapped.PositionPointer;
        }
        else
        {
            // Not mapped (an unusual host): copy once into native memory that lives as long as the process.
            start = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(1, stream.Length), 64);
            var target = new UnmanagedMemoryStream(start, stream.Length, stream.Length, FileAccess.Write);
            stream.CopyTo(target);
        }

        long available = stream.Length;
        if (available < HeaderSize || start[0] != 'M' || start[1] != 'C' || start[2] != 'W' || start[3] != '1')
            throw new InvalidOperationException($"Resource '{resourceName}' is not a ModelCompiler weight blob.");
        long payload = Unsafe.ReadUnaligned<long>(start + 8);
        string found = Convert.ToHexStringLower(new ReadOnlySpan<byte>(start + 16, 16));
        if (found != fingerprint || payload != length || available < HeaderSize + length)
            throw new InvalidOperationException(
                $"The embedded weights (resource '{resourceName}', fingerprint {found}) do not belong to this generated code " +
                $"(expects {fingerprint}, {length} bytes). The model or its options changed without the weights being rebuilt: rebuild the project.");
        return new WeightBlob(start + HeaderSize, length);
    }

    /// <summary><paramref name="count"/> elements of type <typeparamref name="T"/> starting at byte <paramref name="offset"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<T> Get<T>(long offset, int count) where T : unmanaged
    {
        if ((ulong)offset + (ulong)count * (ulong)sizeof(T) > (ulong)_length) ThrowOutOfRange();
        return new ReadOnlySpan<T>(_data + offset, count);
    }

    private static void ThrowOutOfRange() => throw new InvalidOperationException("Generated code read past the end of its weight blob.");
}
