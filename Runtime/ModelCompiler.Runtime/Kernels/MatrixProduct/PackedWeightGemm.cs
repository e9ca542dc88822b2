using System;
using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelCompiler.Runtime;

/// <summary>
/// Float32 matrix products whose B operand is a constant quantized weight, int4/uint4 kept packed two per byte
/// (low nibble first) or int8/uint8, with its DequantizeLinear parameters: what "DequantizeLinear(weight) ->
/// MatMul/Gemm" computes, without ever holding the float weights. Each stored row of B is dequantized in chunks into a
/// stack buffer, exactly as DequantizeLinear does (<c>(float)(q - zero_point) * scale</c>), and used for every
/// row of A before moving on, so the work of unpacking is shared by all rows of A.
/// Quantization layout of the stored B matrix [rows, cols]: per tensor (<c>axis</c> -1), per row
/// (axis 0) or per column (axis 1) when <c>blockSize</c> is 0, else in blocks of
/// <c>blockSize</c> along that axis (scale shape [ceil(rows/bs), cols] or [rows, ceil(cols/bs)]).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class PackedWeightGemm
{
    private const int Chunk = 256;

    /// <summary>
    /// y[m,n] = alpha * a[m,k] * op(B), B stored [k,n] (or [n,k] when <paramref name="transB"/>), then
    /// y += beta * c where c ([cRows, cCols], broadcast) is given.
    /// </summary>
    public static void Multiply<TZero>(ReadOnlySpan<float> a, ReadOnlySpan<byte> b, bool signed, ReadOnlySpan<float> scale, ReadOnlySpan<TZero> zeroPoint,
        int axis, int blockSize, Span<float> y, int m, int n, int k, bool transB, float alpha)
        where TZero : unmanaged, IBinaryInteger<TZero>
    {
        int rows = transB ? n : k, cols = transB ? k : n;
        Span<float> row = stackalloc float[Chunk];
        if (!transB)
        {
            y.Slice(0, m * n).Clear();
            for (int p = 0; p < k; p++)
            {
                for (int c0 = 0; c0 < n; c0 += Chunk)
                {
                    int len = Math.Min(Chunk, n - c0);
                    var w = row.Slice(0, len);
                    DequantizeRow(b, signed, scale, zeroPoint, axis, blockSize, rows, cols, p, c0, w);
                    for (int i = 0; i < m; i++)
                        TensorPrimitives.MultiplyAdd(w, a[i * k + p], y.Slice(i * n + c0, len), y.Slice(i * n + c0, len));
                }
            }
        }
        else
        {
            y.Slice(0, m * n).Clear();
            for (int j = 0; j < n; j++)
            {
                for (int c0 = 0; c0 < k; c0 += Chunk)
                {
                    int len = Math.Min(Chunk, k - c0);
                    var w = row.Slice(0, len);
                    DequantizeRow(b, signed, scale, zeroPoint, axis, blockSize, rows, cols, j, c0, w);
                    for (int i = 0; i < m; i++)
                        y[i * n + j] += TensorPrimitives.Dot(a.Slice(i * k + c0, len), w);
                }
            }
        }
        if (alpha != 1f) TensorPrimitives.Multiply(y.Slice(0, m * n), alpha, y.Slice(0, m * n));
    }

    /// <summary>
    /// As <see cref="Multiply{TZero}"/> for 8-bit weights (int8 or uint8, one per byte): DequantizeLinear(int8 weight)
    /// -> MatMul/Gemm without a float copy of the weight.
    /// </summary>
    public static void Multiply8<TW>(ReadOnlySpan<float> a, ReadOnlySpan<TW> b, ReadOnlySpan<float> scale, ReadOnlySpan<TW> zeroPoint,
        int axis, int blockSize, Span<float> y, int m, int n, int k, bool transB, float alpha)
        where TW : unmanaged, IBinaryInteger<TW>
    {
        int rows = transB ? n : k, cols = transB ? k : n;
        if (transB && blockSize == 0 && axis <= 0 && Vector256.IsHardwareAccelerated && (typeof(TW) == typeof(sbyte) || typeof(TW) == typeof(byte)))
        {
            // One scale per stored row (an output column): y = alpha * scale * Σ a · (q - zp), the integers widened
            // and multiplied in one pass (the weights are read once, 1 byte each). The scale is applied once per
            // sum instead of to every weight: a float32 rounding difference, well inside the float tolerance.
            for (int j = 0; j < n; j++)
            {
                int s = axis < 0 ? 0 : j;
                int zp = zeroPoint.IsEmpty ? 0 : int.CreateTruncating(zeroPoint[s]);
                ReadOnlySpan<byte> q = MemoryMarshal.AsBytes(b.Slice(j * k, k));
                for (int i = 0; i < m; i++)
                    y[i * n + j] = alpha * scale[s] * DotWidened(a.Slice(i * k, k), q, typeof(TW) == typeof(sbyte), zp);
            }
            return;
        }
        Span<float> row = stackalloc float[Chunk];
        y.Slice(0, m * n).Clear();
        if (!transB)
        {
            for (int p = 0; p < k; p++)
                for (int c0 = 0; c0 < n; c0 += Chunk)
                {
                    int len = Math.Min(Chunk, n - c0);
                    var w = row.Slice(0, len);
                    DequantizeRow8(b, scale, zeroPoint, axis, blockSize, rows, cols, p, c0, w);
                    for (int i = 0; i < m; i++)
                        TensorPrimitives.MultiplyAdd(w, a[i * k + p], y.Slice(i * n + c0, len), y.Slice(i * n + c0, len));
                }
        }
        else
        {
            for (int j = 0; j < n; j++)
                for (int c0 = 0; c0 < k; c0 += Chunk)
                {
                    int len = Math.Min(Chunk, k - c0);
                    var w = row.Slice(0, len);
                    DequantizeRow8(b, scale, zeroPoint, axis, blockSize, rows, cols, j, c0, w);
                    for (int i = 0; i < m; i++)
                        y[i * n + j] += TensorPrimitives.Dot(a.Slice(i * k + c0, len), w);
                }
        }
        if (alpha != 1f) TensorPrimitives.Multiply(y.Slice(0, m * n), alpha, y.Slice(0, m * n));
    }

    /// <summary>Batched MatMul a[batch, m, k] * B[k, n] (B shared by every batch).</summary>
    public static void BatchedMatMul<TZero>(ReadOnlySpan<float> a, ReadOnlySpan<byte> b, bool signed, ReadOnlySpan<float> scale, ReadOnlySpan<TZero> zeroPoint,
        int axis, int blockSize, Span<float> y, int batch, int m, int n, int k)
        where TZero : unmanaged, IBinaryInteger<TZero> =>
        // Rows of all batches share B, so the batch is just more rows of A.
        Multiply(a, b, signed, scale, zeroPoint, axis, blockSize, y, batch * m, n, k, transB: false, alpha: 1f);

    /// <summary>Dequantizes stored row <paramref name="r"/>, columns [c0, c0 + w.Length), of an 8-bit [rows, cols] matrix.</summary>
    private static void DequantizeRow8<TW>(ReadOnlySpan<TW> b, ReadOnlySpan<float> scale, ReadOnlySpan<TW> zeroPoint,
        int axis, int blockSize, int rows, int cols, int r, int c0, Span<float> w)
        where TW : unmanaged, IBinaryInteger<TW>
    {
        bool hasZero = !zeroPoint.IsEmpty;
        int blocksPerRow = axis == 1 && blockSize > 0 ? (cols + blockSize - 1) / blockSize : 0;
        ReadOnlySpan<TW> src = b.Slice(r * cols + c0, w.Length);
        // (float)(q - zp) * scale, as DequantizeLinear: q and zp are small integers, so (float)q - (float)zp is
        // exactly (float)(q - zp) and the vectorized subtract-then-multiply gives the same bits.
        if (axis < 0 || axis == 0 && blockSize == 0)
        {
            // One scale for the whole row.
            int s = axis < 0 ? 0 : r;
            Widen(src, w);
            if (hasZero) TensorPrimitives.Subtract(w, (float)int.CreateTruncating(zeroPoint[s]), w);
            TensorPrimitives.Multiply(w, scale[s], w);
            return;
        }
        if (axis == 1 && blockSize == 0)
        {
            // One scale per column.
            Widen(src, w);
            if (hasZero)
            {
                Span<float> zp = stackalloc float[w.Length];
                Widen(zeroPoint.Slice(c0, w.Length), zp);
                TensorPrimitives.Subtract(w, zp, w);
            }
            TensorPrimitives.Multiply(w, scale.Slice(c0, w.Length), w);
            return;
        }
        for (int t = 0; t < w.Length; t++)
        {
            int c = c0 + t;
            int s = axis == 0 ? (r / blockSize) * cols + c : (blockSize > 0 ? r * blocksPerRow + c / blockSize : c);
            int zp = hasZero ? int.CreateTruncating(zeroPoint[s]) : 0;
            w[t] = (float)(int.CreateTruncating(src[t]) - zp) * scale[s];
        }
    }

    /// <summary>Σ a[i] · (q[i] - zp), q read as int8 or uint8; 16 at a time with Vector256.</summary>
    private static float DotWidened(ReadOnlySpan<float> a, ReadOnlySpan<byte> q, bool signed, int zp)
    {
        int i = 0, k = q.Length;
        if (Avx512F.IsSupported && k >= 64)
        {
            // 64 weights per step in four independent sums: vpmov[sz]xbd straight from memory, vcvtdq2ps, vfmadd.
            // (The 256-bit form below spent most of its time widening, and one accumulator chain bound it to the
            // FMA latency: the classifier of MobileNetV2 ran at a fifth of what it does now.)
            var s0 = Vector512<float>.Zero;
            var s1 = Vector512<float>.Zero;
            var s2 = Vector512<float>.Zero;
            var s3 = Vector512<float>.Zero;
            var z = Vector512.Create(zp);
            ref byte qb = ref MemoryMarshal.GetReference(q);
            ref float ab = ref MemoryMarshal.GetReference(a);
            for (; i + 64 <= k; i += 64)
            {
                s0 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref ab, (nuint)i), Weights16(ref qb, i, signed, z), s0);
                s1 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref ab, (nuint)(i + 16)), Weights16(ref qb, i + 16, signed, z), s1);
                s2 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref ab, (nuint)(i + 32)), Weights16(ref qb, i + 32, signed, z), s2);
                s3 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref ab, (nuint)(i + 48)), Weights16(ref qb, i + 48, signed, z), s3);
            }
            for (; i + 16 <= k; i += 16)
                s0 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref ab, (nuint)i), Weights16(ref qb, i, signed, z), s0);
            float total = Vector512.Sum((s0 + s1) + (s2 + s3));
            for (; i < k; i++) total += a[i] * ((signed ? (sbyte)q[i] : q[i]) - zp);
            return total;
        }
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var zero = Vector256.Create(zp);
        ref byte qs = ref MemoryMarshal.GetReference(q);
        ref float af = ref MemoryMarshal.GetReference(a);
        for (; i + 16 <= k; i += 16)
        {
            var bytes = Vector128.LoadUnsafe(ref qs, (nuint)i).ToVector256Unsafe();
            Vector256<short> words = signed ? Vector256.WidenLower(bytes.AsSByte()) : Vector256.WidenLower(bytes).AsInt16();
            var lo = Vector256.ConvertToSingle(Vector256.WidenLower(words) - zero);
            var hi = Vector256.ConvertToSingle(Vector256.WidenUpper(words) - zero);
            acc0 += Vector256.LoadUnsafe(ref af, (nuint)i) * lo;
            acc1 += Vector256.LoadUnsafe(ref af, (nuint)(i + 8)) * hi;
        }
        float sum = Vector256.Sum(acc0 + acc1);
        for (; i < k; i++) sum += a[i] * ((signed ? (sbyte)q[i] : q[i]) - zp);
        return sum;
    }

    /// <summary>16 weights at <paramref name="at"/> as float32, less the zero point (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Weights16(ref byte q, int at, bool signed, Vector512<int> zeroPoint)
    {
        var bytes = Vector128.LoadUnsafe(ref q, (nuint)at);
        var ints = signed ? Avx512F.ConvertToVector512Int32(bytes.AsSByte()) : Avx512F.ConvertToVector512Int32(bytes);
        return Avx512F.ConvertToVector512Single(ints - zeroPoint);
    }

    /// <summary>8-bit integers to float32 (exact), 16 at a time where vectors are accelerated.</summary>
    private static void Widen<TW>(ReadOnlySpan<TW> src, Span<float> w) where TW : unmanaged, IBinaryInteger<TW>
    {
        int t = 0;
        if (Vector256.IsHardwareAccelerated && (typeof(TW) == typeof(sbyte) || typeof(TW) == typeof(byte)))
        {
            ref byte from = ref Unsafe.As<TW, byte>(ref MemoryMarshal.GetReference(src));
            ref float to = ref MemoryMarshal.GetReference(w);
            for (; t + 16 <= src.Length; t += 16)
            {
                var bytes = Vector128.LoadUnsafe(ref from, (nuint)t).ToVector256Unsafe();
                Vector256<int> lo, hi;
                if (typeof(TW) == typeof(sbyte))
                {
                    var words = Vector256.WidenLower(bytes.AsSByte());
                    (lo, hi) = (Vector256.WidenLower(words), Vector256.WidenUpper(words));
                }
                else
                {
                    var words = Vector256.WidenLower(bytes).AsInt16();
                    (lo, hi) = (Vector256.WidenLower(words), Vector256.WidenUpper(words));
                }
                Vector256.ConvertToSingle(lo).StoreUnsafe(ref to, (nuint)t);
                Vector256.ConvertToSingle(hi).StoreUnsafe(ref to, (nuint)(t + 8));
            }
        }
        for (; t < src.Length; t++) w[t] = int.CreateTruncating(src[t]);
    }

    /// <summary>Dequantizes stored row <paramref name="r"/>, columns [c0, c0 + w.Length), of a packed [rows, cols] matrix.</summary>
    private static void DequantizeRow<TZero>(ReadOnlySpan<byte> b, bool signed, ReadOnlySpan<float> scale, ReadOnlySpan<TZero> zeroPoint,
        int axis, int blockSize, int rows, int cols, int r, int c0, Span<float> w)
        where TZero : unmanaged, IBinaryInteger<TZero>
    {
        bool hasZero = !zeroPoint.IsEmpty;
        int blocksPerRow = axis == 1 && blockSize > 0 ? (cols + blockSize - 1) / blockSize : 0;
        long start = (long)r * cols + c0;
        for (int t = 0; t < w.Length; t++)
        {
            int c = c0 + t;
            int s = axis < 0 ? 0
                : axis == 0 ? (blockSize > 0 ? (r / blockSize) * cols + c : r)
                : (blockSize > 0 ? r * blocksPerRow + c / blockSize : c);
            long i = start + t;
            int q = (b[(int)(i >> 1)] >> (int)((i & 1) * 4)) & 0xF;
            if (signed && q >= 8) q -= 16;
            int zp = hasZero ? int.CreateTruncating(zeroPoint[s]) : 0;
            w[t] = (float)(q - zp) * scale[s];
        }
    }
}
