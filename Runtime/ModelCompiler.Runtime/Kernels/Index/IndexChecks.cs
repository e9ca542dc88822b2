using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace ModelCompiler.Runtime;

/// <summary>Index validation shared by the gather/scatter family: ONNX indices may be negative (counting from the end).</summary>
internal static class IndexChecks
{
    /// <summary>The index in [0, size): negative indices count from the end; anything else out of range throws.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Normalize<TIndex>(TIndex index, int size, string op) where TIndex : IBinaryInteger<TIndex>
    {
        long i = long.CreateTruncating(index);
        if (i < 0) i += size;
        if ((ulong)i >= (ulong)size) Throw(long.CreateTruncating(index), size, op);
        return (int)i;
    }

    [DoesNotReturn]
    public static void Throw(long index, int size, string op) =>
        throw new IndexOutOfRangeException(string.Format(CultureInfo.InvariantCulture,
            "{0} index {1} is out of range for an axis of size {2}.", op, index, size));
}
