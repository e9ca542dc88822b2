using System;
using System.ComponentModel;
using System.Runtime.InteropServices;

namespace ModelCompiler.Runtime;

/// <summary>
/// Element-wise functions of 8-bit quantized tensors as 256-entry tables computed at build time: a
/// "DequantizeLinear -> f -> QuantizeLinear" group (requantization to another scale, Relu/Clip, Sigmoid,
/// Tanh...) becomes one table read per element. The table is indexed by the input's bit pattern read as
/// unsigned, offset so that entry 0 is the type's minimum (for int8, entry i is input i - 128).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class QuantizedLookup
{
    /// <summary>y[i] = table[x[i]] for uint8 x.</summary>
    public static void Apply<TOut>(ReadOnlySpan<byte> x, ReadOnlySpan<TOut> table, Span<TOut> y) where TOut : unmanaged
    {
        if (table.Length != 256) throw new ArgumentException("a lookup table has 256 entries", nameof(table));
        for (int i = 0; i < x.Length; i++) y[i] = table[x[i]];
    }

    /// <summary>y[i] = table[x[i] + 128] for int8 x.</summary>
    public static void Apply<TOut>(ReadOnlySpan<sbyte> x, ReadOnlySpan<TOut> table, Span<TOut> y) where TOut : unmanaged
    {
        if (table.Length != 256) throw new ArgumentException("a lookup table has 256 entries", nameof(table));
        ReadOnlySpan<byte> bits = MemoryMarshal.AsBytes(x);
        for (int i = 0; i < bits.Length; i++) y[i] = table[bits[i] ^ 0x80];
    }
}
