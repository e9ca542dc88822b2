using System;
using System.ComponentModel;
using System.Numerics.Tensors;

namespace ModelCompiler.Runtime;

/// <summary>
/// float16 entry points of the transformer kernels: the inputs are widened to float32 in per-thread scratch, the
/// float32 kernel runs, and the outputs are rounded back once (the precision ONNX Runtime's float16 kernels keep
/// internally, and what Attention's softmax_precision asks for).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class HalfWidening
{
    /// <summary>Attention on float16 tensors (see <see cref="Attention.Run(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{bool}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{long}, Span{float}, Span{float}, Span{float}, Span{float}, in AttentionShape, in AttentionOptions)"/>).</summary>
    public static void Attention(ReadOnlySpan<Half> q, ReadOnlySpan<Half> k, ReadOnlySpan<Half> v,
        ReadOnlySpan<Half> mask, ReadOnlySpan<bool> boolMask, ReadOnlySpan<Half> pastKey, ReadOnlySpan<Half> pastValue, ReadOnlySpan<long> nonPadKvLength,
        Span<Half> y, Span<Half> presentKey, Span<Half> presentValue, Span<Half> qk, in AttentionShape shape, in AttentionOptions options)
    {
        var s = new Scratch(q.Length + k.Length + v.Length + mask.Length + pastKey.Length + pastValue.Length + y.Length + presentKey.Length + presentValue.Length + qk.Length);
        Span<float> fq = s.Widen(q), fk = s.Widen(k), fv = s.Widen(v), fm = s.Widen(mask), fpk = s.Widen(pastKey), fpv = s.Widen(pastValue);
        Span<float> fy = s.Take(y.Length), fyk = s.Take(presentKey.Length), fyv = s.Take(presentValue.Length), fqk = s.Take(qk.Length);
        Runtime.Attention.Run(fq, fk, fv, fm, boolMask, fpk, fpv, nonPadKvLength, fy, fyk, fyv, fqk, shape, options);
        TensorPrimitives.ConvertToHalf(fy, y);
        TensorPrimitives.ConvertToHalf(fyk, presentKey);
        TensorPrimitives.ConvertToHalf(fyv, presentValue);
        TensorPrimitives.ConvertToHalf(fqk, qk);
    }

    /// <summary>CausalConvWithState on float16 tensors (see <see cref="CausalConv.Run"/>).</summary>
    public static void CausalConv(ReadOnlySpan<Half> x, ReadOnlySpan<Half> weight, ReadOnlySpan<Half> bias, ReadOnlySpan<Half> pastState,
        Span<Half> y, Span<Half> presentState, int batch, int channels, int length, int kernel, bool silu)
    {
        var s = new Scratch(x.Length + weight.Length + bias.Length + pastState.Length + y.Length + presentState.Length);
        Span<float> fx = s.Widen(x), fw = s.Widen(weight), fb = s.Widen(bias), fp = s.Widen(pastState);
        Span<float> fy = s.Take(y.Length), fs = s.Take(presentState.Length);
        Runtime.CausalConv.Run(fx, fw, fb, fp, fy, fs, batch, channels, length, kernel, silu);
        TensorPrimitives.ConvertToHalf(fy, y);
        TensorPrimitives.ConvertToHalf(fs, presentState);
    }

    /// <summary>Consecutive float32 spans carved out of the per-thread item scratch (the float32 kernels use the layer slot).</summary>
    private ref struct Scratch
    {
        private readonly float* _start;
        private readonly long _capacity;
        private long _used;

        public Scratch(long floats)
        {
            _start = (float*)KernelScratch.Get(KernelScratch.ItemSlot, Math.Max(1, floats) * sizeof(float));
            _capacity = floats;
            _used = 0;
        }

        public Span<float> Take(int length)
        {
            if (_used + length > _capacity) throw new InvalidOperationException("float16 scratch overflow.");
            var span = new Span<float>(_start + _used, length);
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
