using System;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace ModelCompiler.Runtime;

/// <summary>Argument checks for generated <c>Predict</c> methods, kept out of line so Predict stays small.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Guard
{
    /// <summary>Throws ArgumentException when an output span shares memory with an input or another output.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static void Disjoint<TA, TB>(ReadOnlySpan<TA> a, ReadOnlySpan<TB> output, string aName, string outputName)
        where TA : unmanaged where TB : unmanaged
    {
        if (System.Runtime.InteropServices.MemoryMarshal.AsBytes(a).Overlaps(System.Runtime.InteropServices.MemoryMarshal.AsBytes(output)))
            Overlapping(aName, outputName);
    }

    [DoesNotReturn]
    private static void Overlapping(string aName, string outputName) =>
        throw new ArgumentException(string.Format(CultureInfo.InvariantCulture,
            "'{0}' and '{1}' share memory; Predict needs each output in memory of its own.", aName, outputName), outputName);

    /// <summary>Throws the ArgumentException for a span of the wrong length.</summary>
    [DoesNotReturn]
    public static void WrongLength(string parameter, int expected, int actual, string shape) =>
        throw new ArgumentException(string.Format(CultureInfo.InvariantCulture,
            "'{0}' must have exactly {1} elements (a tensor of shape {2}) but has {3}.", parameter, expected, shape, actual), parameter);
}
