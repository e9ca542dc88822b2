using System;
using System.ComponentModel;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace ModelCompiler.Runtime;

/// <summary>
/// float16 entry points of the transformer kernels: the inputs are widened to float32 in the layer's scratch memory
/// (given by the memory plan: the float32 copies first, then what the float32 kernel needs), the float32 kernel runs,
/// and the outputs are rounded back once (the precision ONNX Runtime's float16 kernels keep internally, and what
/// Attention's softmax_precision asks for).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class HalfWidening
{
    /// <summary>
    /// Attention on float16 tensors (see <see cref="Runtime.Attention"/>); <paramref name="scratch"/>: at least
    /// <c>AttentionScratch.HalfBytes(total tensor elements, total keys, head size)</c> bytes.
    /// </summary>
    public static void Attention(ReadOnlySpan<Half> q, ReadOnlySpan<Half> k, ReadOnlySpan<Half> v,
        ReadOnlySpan<Half> mask, ReadOnlySpan<bool> boolMask, ReadOnlySpan<Half> pastKey, ReadOnlySpan<Half> pastValue, ReadOnlySpan<long> nonPadKvLength,
        Span<Half> y, Span<Half> presentKey, Span<Half> presentValue, Span<Half> qk, in AttentionShape shape, in AttentionOptions options, Span<byte> scratch)
    {
        long floats = (long)q.Length + k.Length + v.Length + mask.Length + pastKey.Length + pastValue.Length + y.Length + presentKey.Length + presentValue.Length + qk.Length;
        long widened = AttentionScratch.AlignedFloatBytes(floats);
        long need = widened + AttentionScratch.Bytes(shape.TotalLength, shape.HeadSize);
        if (scratch.Length < need) throw new ArgumentException($"scratch has {scratch.Length} bytes; this call needs {need}.", nameof(scratch));
        var s = new Scratch(scratch.Slice(0, (int)widened));
        Span<float> fq = s.Widen(q), fk = s.Widen(k), fv = s.Widen(v), fm = s.Widen(mask), fpk = s.Widen(pastKey), fpv = s.Widen(pastValue);
        Span<float> fy = s.Take(y.Length), fyk = s.Take(presentKey.Length), fyv = s.Take(presentValue.Length), fqk = s.Take(qk.Length);
        Runtime.Attention.Run(fq, fk, fv, fm, boolMask, fpk, fpv, nonPadKvLength, fy, fyk, fyv, fqk, shape, options, scratch.Slice((int)widened));
        TensorPrimitives.ConvertToHalf(fy, y);
        TensorPrimitives.ConvertToHalf(fyk, presentKey);
        TensorPrimitives.ConvertToHalf(fyv, presentValue);
        TensorPrimitives.ConvertToHalf(fqk, qk);
    }

    /// <summary>
    /// CausalConvWithState on float16 tensors (see <see cref="Runtime.CausalConv.Run"/>); <paramref name="scratch"/>: 4 bytes per
    /// element of all six tensors.
    /// </summary>
    public static void CausalConv(ReadOnlySpan<Half> x, ReadOnlySpan<Half> weight, ReadOnlySpan<Half> bias, ReadOnlySpan<Half> pastState,
        Span<Half> y, Span<Half> presentState, int batch, int channels, int length, int kernel, bool silu, Span<byte> scratch)
    {
        long floats = (long)x.Length + weight.Length + bias.Length + pastState.Length + y.Length + presentState.Length;
        if (scratch.Length < floats * sizeof(float)) throw new ArgumentException($"scratch has {scratch.Length} bytes; this call needs {floats * sizeof(float)}.", nameof(scratch));
        var s = new Scratch(scratch);
        Span<float> fx = s.Widen(x), fw = s.Widen(weight), fb = s.Widen(bias), fp = s.Widen(pastState);
        Span<float> fy = s.Take(y.Length), fs = s.Take(presentState.Length);
        Runtime.CausalConv.Run(fx, fw, fb, fp, fy, fs, batch, channels, length, kernel, silu);
        TensorPrimitives.ConvertToHalf(fy, y);
        TensorPrimitives.ConvertToHalf(fs, presentState);
    }

    /// <summary>Consecutive float32 spans carved out of the layer's scratch bytes.</summary>
    private ref struct Scratch
    {
        private readonly Span<float> _floats;
        private int _used;

        public Scratch(Span<byte> bytes)
        {
            _floats = MemoryMarshal.Cast<byte, float>(bytes);
            _used = 0;
        }

        public Span<float> Take(int length)
        {
            var span = _floats.Slice(_used, length);
            _used += length;
            return span;
        }

        public Span<float> Widen(ReadOnlySpan<Half> values)
        {
            var span = Take(values.Length);
            TensorPrimitives.ConvertToSingle(values, span);
            return span;
        }
    }
}
