using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelCompiler.Runtime;

/// <summary>
/// Where integer convolution and matmul results go: requantized 8-bit values or raw int32. A GEMM tile
/// (up to 4 rows x 16 lanes of raw dot products, see <see cref="QGemm"/>) becomes final sums with the
/// zero-point corrections, then output values, in one vectorized pass.
/// </summary>
internal interface IIntegerSink
{
    /// <summary>Writes <paramref name="values"/> (final int32 sums) at flat output offset <paramref name="offset"/>; <paramref name="channel"/> picks the multiplier.</summary>
    void Store(int channel, int offset, scoped ReadOnlySpan<int> values);

    /// <summary>
    /// Convolution tile: row r is output channel <paramref name="channel0"/> + r, lanes are pixels.
    /// Final sum = tile + terms[r] - zeroPoints[r] * sums[lane] (zero points may be empty; sums then unused).
    /// Row r goes to <paramref name="offset"/> + r * <paramref name="stride"/>, <paramref name="lanes"/> values.
    /// <paramref name="sums"/> has at least 16 elements when zero points are given.
    /// </summary>
    void StoreChannelRows(scoped ReadOnlySpan<int> tile, int rows, int lanes, int channel0, scoped ReadOnlySpan<int> terms,
        scoped ReadOnlySpan<int> zeroPoints, scoped ReadOnlySpan<int> sums, int offset, int stride);

    /// <summary>
    /// Matrix-product tile: lanes are output columns <paramref name="column0"/>.., rows are A rows.
    /// Final sum = tile + terms[lane] - zeroPoints[lane] * sums[r] (terms and zero points hold <paramref name="lanes"/> values).
    /// </summary>
    void StoreColumnRows(scoped ReadOnlySpan<int> tile, int rows, int lanes, int column0, scoped ReadOnlySpan<int> terms,
        scoped ReadOnlySpan<int> zeroPoints, scoped ReadOnlySpan<int> sums, int offset, int stride);

    /// <summary>
    /// Convolution block in one call: channels <paramref name="row0"/>.. (<paramref name="rowCount"/> of them) x
    /// <paramref name="pixels"/> packed pixels, computed and stored by the sink's own fused kernel (see
    /// <see cref="QGemmRequant"/>) when it has one for <paramref name="path"/>. Weight zero points are all zero.
    /// False: nothing was done, and the caller goes tile by tile.
    /// </summary>
    bool TryConvBlock(IntegerPath path, scoped ReadOnlySpan<int> rows8, int kq, int row0, int rowCount, scoped ReadOnlySpan<int> cols, int ldc,
        int pixels, scoped ReadOnlySpan<int> terms, int offset, int stride);
}

/// <summary>Vector helpers shared by the sinks.</summary>
internal static class QuantizedEpilogue
{
    /// <summary>Whether the 16-lane tile paths run (Vector256 accelerated: x64 with AVX2).</summary>
    public static bool Vectorized => Vector256.IsHardwareAccelerated;

    /// <summary>Requantizes 16 sums (two vectors) and stores the first <paramref name="count"/> as 8-bit values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Requant16<T>(Vector256<int> v0, Vector256<int> v1, Vector256<float> m0, Vector256<float> m1,
        Vector256<float> lo, Vector256<float> hi, Vector256<int> zp, Span<T> y, int count) where T : unmanaged
    {
        var b = Requant16Bytes(v0, v1, m0, m1, lo, hi, zp);
        if (count == 16 && y.Length >= 16) b.StoreUnsafe(ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(y)));
        else StorePartial(b, MemoryMarshal.AsBytes(y), count);
    }

    /// <summary>
    /// Requantizes 16 sums (two vectors, multipliers m0 and m1) to 16 output bytes; lo/hi are the output type's bounds
    /// less the zero point, so the same code serves byte and sbyte outputs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Requant16Bytes(Vector256<int> v0, Vector256<int> v1, Vector256<float> m0, Vector256<float> m1,
        Vector256<float> lo, Vector256<float> hi, Vector256<int> zp)
    {
        // MinNative/MaxNative are single vminps/vmaxps: the IEEE Min/Max add fix-ups for NaN and signed zeros that
        // products of finite values never need. After the clamp every value is in T's range, so narrowing that keeps
        // the low byte (vpmovdb, or the truncating Narrow) is exact for byte and sbyte alike.
        var i0 = RoundToInt(Vector256.MinNative(Vector256.MaxNative(Vector256.ConvertToSingle(v0) * m0, lo), hi)) + zp;
        var i1 = RoundToInt(Vector256.MinNative(Vector256.MaxNative(Vector256.ConvertToSingle(v1) * m1, lo), hi)) + zp;
        if (Avx512F.IsSupported) return Avx512F.ConvertToVector128Byte(i0.ToVector512Unsafe().WithUpper(i1));
        var s = Vector256.Narrow(i0, i1);
        return Vector256.Narrow(s, s).GetLower().AsByte();
    }

    /// <summary>
    /// Rounds half to even to int32: one vcvtps2dq (the default MXCSR rounding) on x64, where the portable
    /// round-then-convert costs a vroundps plus the saturating conversion's fix-up instructions. For values already
    /// clamped to an 8- or 16-bit range both give the same result.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> RoundToInt(Vector256<float> v) =>
        Avx.IsSupported ? Avx.ConvertToVector256Int32(v) : Vector256.ConvertToInt32(Vector256.Round(v));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StorePartial(Vector128<byte> b, Span<byte> target, int count)
    {
        Span<byte> tmp = stackalloc byte[16];
        b.StoreUnsafe(ref MemoryMarshal.GetReference(tmp));
        tmp.Slice(0, count).CopyTo(target);
    }

    /// <summary>16 ints from <paramref name="source"/>, zero-filled past its end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load16(scoped ReadOnlySpan<int> source, int count, out Vector256<int> v0, out Vector256<int> v1)
    {
        if (count >= 16 && source.Length >= 16)
        {
            v0 = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(source));
            v1 = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(source), 8);
            return;
        }
        Span<int> tmp = stackalloc int[16];
        tmp.Clear();
        source.Slice(0, Math.Min(count, source.Length)).CopyTo(tmp);
        v0 = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(tmp));
        v1 = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(tmp), 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load16(scoped ReadOnlySpan<float> source, int count, out Vector256<float> v0, out Vector256<float> v1)
    {
        if (count >= 16 && source.Length >= 16)
        {
            v0 = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(source));
            v1 = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(source), 8);
            return;
        }
        Span<float> tmp = stackalloc float[16];
        tmp.Clear();
        source.Slice(0, Math.Min(count, source.Length)).CopyTo(tmp);
        v0 = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(tmp));
        v1 = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(tmp), 8);
    }

    /// <summary>The scalar form of the tile corrections, for hardware without Vector256.</summary>
    public static void ChannelRowsScalar(scoped ReadOnlySpan<int> tile, int r, int lanes, int term, int zeroPoint, scoped ReadOnlySpan<int> sums, Span<int> values)
    {
        for (int c = 0; c < lanes; c++) values[c] = tile[r * QGemm.TileCols + c] + term - (zeroPoint == 0 ? 0 : zeroPoint * sums[c]);
    }

    public static void ColumnRowsScalar(scoped ReadOnlySpan<int> tile, int r, int lanes, scoped ReadOnlySpan<int> terms, scoped ReadOnlySpan<int> zeroPoints, int sum, Span<int> values)
    {
        for (int c = 0; c < lanes; c++) values[c] = tile[r * QGemm.TileCols + c] + terms[c] - (zeroPoints.IsEmpty ? 0 : zeroPoints[c] * sum);
    }
}

/// <summary>Requantizes to byte/sbyte with one multiplier per channel (or one for all).</summary>
internal ref struct RequantSink<T> : IIntegerSink where T : unmanaged
{
    private readonly Span<T> _y;
    private readonly ReadOnlySpan<float> _multipliers;
    private readonly int _zeroPoint;

    public RequantSink(Span<T> y, ReadOnlySpan<float> multipliers, int zeroPoint)
    {
        _y = y;
        _multipliers = multipliers;
        _zeroPoint = zeroPoint;
    }

    private float Multiplier(int channel) => _multipliers[_multipliers.Length == 1 ? 0 : channel];

    public void Store(int channel, int offset, scoped ReadOnlySpan<int> values) =>
        Requantize.Store(values, Multiplier(channel), _zeroPoint, _y.Slice(offset, values.Length));

    public void StoreChannelRows(scoped ReadOnlySpan<int> tile, int rows, int lanes, int channel0, scoped ReadOnlySpan<int> terms,
        scoped ReadOnlySpan<int> zeroPoints, scoped ReadOnlySpan<int> sums, int offset, int stride)
    {
        if (!QuantizedEpilogue.Vectorized)
        {
            Span<int> values = stackalloc int[QGemm.TileCols];
            for (int r = 0; r < rows; r++)
            {
                QuantizedEpilogue.ChannelRowsScalar(tile, r, lanes, terms[r], zeroPoints.IsEmpty ? 0 : zeroPoints[r], sums, values);
                Store(channel0 + r, offset + r * stride, values.Slice(0, lanes));
            }
            return;
        }
        var lo = Vector256.Create((float)(Requantize.Min<T>() - _zeroPoint));
        var hi = Vector256.Create((float)(Requantize.Max<T>() - _zeroPoint));
        var zp = Vector256.Create(_zeroPoint);
        Vector256<int> s0 = default, s1 = default;
        if (!zeroPoints.IsEmpty) QuantizedEpilogue.Load16(sums, QGemm.TileCols, out s0, out s1);
        ref int t = ref MemoryMarshal.GetReference(tile);
        for (int r = 0; r < rows; r++)
        {
            var add = Vector256.Create(terms[r]);
            var v0 = Vector256.LoadUnsafe(ref t, (nuint)(r * QGemm.TileCols)) + add;
            var v1 = Vector256.LoadUnsafe(ref t, (nuint)(r * QGemm.TileCols + 8)) + add;
            if (!zeroPoints.IsEmpty && zeroPoints[r] != 0)
            {
                var z = Vector256.Create(zeroPoints[r]);
                v0 -= z * s0;
                v1 -= z * s1;
            }
            var m = Vector256.Create(Multiplier(channel0 + r));
            QuantizedEpilogue.Requant16(v0, v1, m, m, lo, hi, zp, _y.Slice(offset + r * stride), lanes);
        }
    }

    public void StoreColumnRows(scoped ReadOnlySpan<int> tile, int rows, int lanes, int column0, scoped ReadOnlySpan<int> terms,
        scoped ReadOnlySpan<int> zeroPoints, scoped ReadOnlySpan<int> sums, int offset, int stride) =>
        throw new NotSupportedException("per-channel rows only");

    public bool TryConvBlock(IntegerPath path, scoped ReadOnlySpan<int> rows8, int kq, int row0, int rowCount, scoped ReadOnlySpan<int> cols, int ldc,
        int pixels, scoped ReadOnlySpan<int> terms, int offset, int stride)
    {
        if (path != IntegerPath.AvxVnni || !QGemmRequant.IsSupported) return false;
        QGemmRequant.Block(rows8, kq, row0, rowCount, cols, ldc, pixels, terms, _multipliers, _zeroPoint, _y, offset, stride);
        return true;
    }
}

/// <summary>Keeps the int32 sums (ConvInteger, MatMulInteger).</summary>
internal ref struct IntSink : IIntegerSink
{
    private readonly Span<int> _y;
    public IntSink(Span<int> y) => _y = y;

    public void Store(int channel, int offset, scoped ReadOnlySpan<int> values) => values.CopyTo(_y.Slice(offset, values.Length));

    public void StoreChannelRows(scoped ReadOnlySpan<int> tile, int rows, int lanes, int channel0, scoped ReadOnlySpan<int> terms,
        scoped ReadOnlySpan<int> zeroPoints, scoped ReadOnlySpan<int> sums, int offset, int stride)
    {
        for (int r = 0; r < rows; r++)
            QuantizedEpilogue.ChannelRowsScalar(tile, r, lanes, terms[r], zeroPoints.IsEmpty ? 0 : zeroPoints[r], sums, _y.Slice(offset + r * stride, lanes));
    }

    public void StoreColumnRows(scoped ReadOnlySpan<int> tile, int rows, int lanes, int column0, scoped ReadOnlySpan<int> terms,
        scoped ReadOnlySpan<int> zeroPoints, scoped ReadOnlySpan<int> sums, int offset, int stride)
    {
        for (int r = 0; r < rows; r++)
            QuantizedEpilogue.ColumnRowsScalar(tile, r, lanes, terms, zeroPoints, zeroPoints.IsEmpty ? 0 : sums[r], _y.Slice(offset + r * stride, lanes));
    }

    public bool TryConvBlock(IntegerPath path, scoped ReadOnlySpan<int> rows8, int kq, int row0, int rowCount, scoped ReadOnlySpan<int> cols, int ldc,
        int pixels, scoped ReadOnlySpan<int> terms, int offset, int stride) => false;
}
