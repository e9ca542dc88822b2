using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelCompiler.Runtime;

/// <summary>
/// Whole convolution blocks computed and requantized in registers (AVX-VNNI): for 8 output channels x 16 pixels (4
/// for the last channels, fewer pixels for a block under 16), <c>vpdpbusd</c> accumulates on top of each channel's
/// constant term (bias and zero-point corrections), then each row is scaled, clamped, rounded half to even and
/// narrowed to 16 bytes written straight into the output row.
/// <para>
/// Why: the tile-at-a-time path (<see cref="QGemm.Tile"/> then <see cref="IIntegerSink.StoreChannelRows"/>)
/// stores every tile's sums to memory and reloads them, and pays a dispatching call per 64 outputs. With the small
/// K of MobileNet's expansions (16 or 24 input channels: 4 to 6 dot-product steps per tile) that overhead cost
/// several times the dot products themselves. The arithmetic is the same as <see cref="RequantSink{T}"/>'s:
/// <c>(float)acc * multiplier</c>, clamped to the output range less the zero point, rounded by <c>vcvtps2dq</c>
/// (the default MXCSR mode, round half to even), plus the zero point.
/// </para>
/// </summary>
internal static class QGemmRequant
{
    /// <summary>Whether <see cref="Block{T}"/> can run here.</summary>
    public static bool IsSupported => AvxVnni.IsSupported && Avx2.IsSupported;

    /// <summary>
    /// y[offset + r * stride + c] = requantize(terms[r] + Σ_q dot4(rows8[(row0 + r) * kq + q], cols[q * ldc + c])) for
    /// r &lt; <paramref name="rowCount"/> and c &lt; <paramref name="pixels"/>, with multiplier
    /// multipliers[row0 + r] (or multipliers[0] when there is one). Weights (rows) are signed, activations (cols)
    /// unsigned; <paramref name="ldc"/> is a multiple of 16 and at least <paramref name="pixels"/>.
    /// </summary>
    public static void Block<T>(ReadOnlySpan<int> rows8, int kq, int row0, int rowCount, ReadOnlySpan<int> cols, int ldc, int pixels,
        ReadOnlySpan<int> terms, ReadOnlySpan<float> multipliers, int zeroPoint, Span<T> y, int offset, int stride)
        where T : unmanaged
    {
        if (!IsSupported) throw new PlatformNotSupportedException("AVX-VNNI is not supported on this machine");
        if (typeof(T) != typeof(byte) && typeof(T) != typeof(sbyte)) throw new NotSupportedException(typeof(T).Name);
        if (rowCount < 1 || pixels < 1 || kq < 1 || ldc % QGemm.TileCols != 0 || ldc < pixels ||
            (long)(row0 + rowCount) * kq > rows8.Length || (long)kq * ldc > cols.Length || terms.Length < rowCount ||
            (multipliers.Length != 1 && multipliers.Length < row0 + rowCount) ||
            offset < 0 || (long)offset + (long)(rowCount - 1) * stride + pixels > y.Length)
            throw new ArgumentException("integer convolution block out of range");

        var lo = Vector256.Create((float)(Requantize.Min<T>() - zeroPoint));
        var hi = Vector256.Create((float)(Requantize.Max<T>() - zeroPoint));
        var zp = Vector256.Create(zeroPoint);
        ref int w = ref MemoryMarshal.GetReference(rows8);
        ref int x = ref MemoryMarshal.GetReference(cols);
        ref byte output = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(y));
        Span<byte> partial = stackalloc byte[QGemm.TileCols];
        int m0 = 0;
        if (pixels >= QGemm.TileCols)
            for (; m0 + 8 <= rowCount; m0 += 8)
                Rows8(ref Unsafe.Add(ref w, (row0 + m0) * kq), kq, ref x, ldc, pixels, terms.Slice(m0, 8), multipliers, row0 + m0,
                    lo, hi, zp, ref Unsafe.Add(ref output, offset + m0 * stride), stride);
        for (; m0 < rowCount; m0 += 4)
        {
            int rc = Math.Min(4, rowCount - m0);
            // Missing rows repeat the first: their work is discarded and the loop has no branch.
            ref int r0 = ref Unsafe.Add(ref w, (row0 + m0) * kq);
            ref int r1 = ref Unsafe.Add(ref r0, rc > 1 ? kq : 0);
            ref int r2 = ref Unsafe.Add(ref r0, rc > 2 ? 2 * kq : 0);
            ref int r3 = ref Unsafe.Add(ref r0, rc > 3 ? 3 * kq : 0);
            var t0 = Vector256.Create(terms[m0]);
            var t1 = Vector256.Create(terms[m0 + Math.Min(1, rc - 1)]);
            var t2 = Vector256.Create(terms[m0 + Math.Min(2, rc - 1)]);
            var t3 = Vector256.Create(terms[m0 + Math.Min(3, rc - 1)]);
            var s0 = Multiplier(multipliers, row0 + m0);
            var s1 = Multiplier(multipliers, row0 + m0 + Math.Min(1, rc - 1));
            var s2 = Multiplier(multipliers, row0 + m0 + Math.Min(2, rc - 1));
            var s3 = Multiplier(multipliers, row0 + m0 + Math.Min(3, rc - 1));
            ref byte o = ref Unsafe.Add(ref output, offset + m0 * stride);
            for (int c0 = 0; ; c0 += QGemm.TileCols)
            {
                // The last 16 pixels overlap the previous tile rather than running a partial one (same values
                // written twice); only a block narrower than 16 pixels stores through a buffer.
                bool narrow = false;
                if (c0 > pixels - QGemm.TileCols)
                {
                    if (c0 >= pixels) break;
                    if (pixels >= QGemm.TileCols) c0 = pixels - QGemm.TileCols;
                    else narrow = true;
                }
                Vector256<int> a00 = t0, a01 = t0, a10 = t1, a11 = t1, a20 = t2, a21 = t2, a30 = t3, a31 = t3;
                ref int col = ref Unsafe.Add(ref x, c0);
                for (int q = 0; q < kq; q++)
                {
                    var c0v = Vector256.LoadUnsafe(ref col).AsByte();
                    var c1v = Vector256.LoadUnsafe(ref col, 8).AsByte();
                    var b0 = Vector256.Create(Unsafe.Add(ref r0, q)).AsSByte();
                    var b1 = Vector256.Create(Unsafe.Add(ref r1, q)).AsSByte();
                    var b2 = Vector256.Create(Unsafe.Add(ref r2, q)).AsSByte();
                    var b3 = Vector256.Create(Unsafe.Add(ref r3, q)).AsSByte();
                    a00 = AvxVnni.MultiplyWideningAndAdd(a00, c0v, b0);
                    a01 = AvxVnni.MultiplyWideningAndAdd(a01, c1v, b0);
                    a10 = AvxVnni.MultiplyWideningAndAdd(a10, c0v, b1);
                    a11 = AvxVnni.MultiplyWideningAndAdd(a11, c1v, b1);
                    a20 = AvxVnni.MultiplyWideningAndAdd(a20, c0v, b2);
                    a21 = AvxVnni.MultiplyWideningAndAdd(a21, c1v, b2);
                    a30 = AvxVnni.MultiplyWideningAndAdd(a30, c0v, b3);
                    a31 = AvxVnni.MultiplyWideningAndAdd(a31, c1v, b3);
                    col = ref Unsafe.Add(ref col, ldc);
                }
                if (narrow)
                {
                    ref byte p = ref MemoryMarshal.GetReference(partial);
                    Bytes16(a00, a01, s0, lo, hi, zp).StoreUnsafe(ref p);
                    partial.Slice(0, pixels).CopyTo(MemoryMarshal.CreateSpan(ref o, pixels));
                    if (rc > 1) { Bytes16(a10, a11, s1, lo, hi, zp).StoreUnsafe(ref p); partial.Slice(0, pixels).CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref o, stride), pixels)); }
                    if (rc > 2) { Bytes16(a20, a21, s2, lo, hi, zp).StoreUnsafe(ref p); partial.Slice(0, pixels).CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref o, 2 * stride), pixels)); }
                    if (rc > 3) { Bytes16(a30, a31, s3, lo, hi, zp).StoreUnsafe(ref p); partial.Slice(0, pixels).CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref o, 3 * stride), pixels)); }
                    break;
                }
                Bytes16(a00, a01, s0, lo, hi, zp).StoreUnsafe(ref o, (nuint)c0);
                if (rc > 1) Bytes16(a10, a11, s1, lo, hi, zp).StoreUnsafe(ref o, (nuint)(stride + c0));
                if (rc > 2) Bytes16(a20, a21, s2, lo, hi, zp).StoreUnsafe(ref o, (nuint)(2 * stride + c0));
                if (rc > 3) Bytes16(a30, a31, s3, lo, hi, zp).StoreUnsafe(ref o, (nuint)(3 * stride + c0));
                if (c0 == pixels - QGemm.TileCols) break;
            }
        }
    }

    /// <summary>
    /// Eight channels x 16 pixels per tile (16 accumulators): each pair of activation loads feeds 16 <c>vpdpbusd</c>
    /// instead of 8, for blocks of at least 16 pixels. Same arithmetic as the 4-row loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows8(ref int rows, int kq, ref int x, int ldc, int pixels, ReadOnlySpan<int> terms, ReadOnlySpan<float> multipliers, int channel0,
        Vector256<float> lo, Vector256<float> hi, Vector256<int> zp, ref byte o, int stride)
    {
        for (int c0 = 0; ; c0 += QGemm.TileCols)
        {
            if (c0 > pixels - QGemm.TileCols) c0 = pixels - QGemm.TileCols;
            Vector256<int> a00 = Vector256.Create(terms[0]), a10 = Vector256.Create(terms[1]), a20 = Vector256.Create(terms[2]), a30 = Vector256.Create(terms[3]);
            Vector256<int> a40 = Vector256.Create(terms[4]), a50 = Vector256.Create(terms[5]), a60 = Vector256.Create(terms[6]), a70 = Vector256.Create(terms[7]);
            Vector256<int> a01 = a00, a11 = a10, a21 = a20, a31 = a30, a41 = a40, a51 = a50, a61 = a60, a71 = a70;
            ref int col = ref Unsafe.Add(ref x, c0);
            ref int w = ref rows;
            for (int q = 0; q < kq; q++, col = ref Unsafe.Add(ref col, ldc), w = ref Unsafe.Add(ref w, 1))
            {
                var c0v = Vector256.LoadUnsafe(ref col).AsByte();
                var c1v = Vector256.LoadUnsafe(ref col, 8).AsByte();
                var b = Vector256.Create(w).AsSByte();
                a00 = AvxVnni.MultiplyWideningAndAdd(a00, c0v, b); a01 = AvxVnni.MultiplyWideningAndAdd(a01, c1v, b);
                b = Vector256.Create(Unsafe.Add(ref w, kq)).AsSByte();
                a10 = AvxVnni.MultiplyWideningAndAdd(a10, c0v, b); a11 = AvxVnni.MultiplyWideningAndAdd(a11, c1v, b);
                b = Vector256.Create(Unsafe.Add(ref w, 2 * kq)).AsSByte();
                a20 = AvxVnni.MultiplyWideningAndAdd(a20, c0v, b); a21 = AvxVnni.MultiplyWideningAndAdd(a21, c1v, b);
                b = Vector256.Create(Unsafe.Add(ref w, 3 * kq)).AsSByte();
                a30 = AvxVnni.MultiplyWideningAndAdd(a30, c0v, b); a31 = AvxVnni.MultiplyWideningAndAdd(a31, c1v, b);
                b = Vector256.Create(Unsafe.Add(ref w, 4 * kq)).AsSByte();
                a40 = AvxVnni.MultiplyWideningAndAdd(a40, c0v, b); a41 = AvxVnni.MultiplyWideningAndAdd(a41, c1v, b);
                b = Vector256.Create(Unsafe.Add(ref w, 5 * kq)).AsSByte();
                a50 = AvxVnni.MultiplyWideningAndAdd(a50, c0v, b); a51 = AvxVnni.MultiplyWideningAndAdd(a51, c1v, b);
                b = Vector256.Create(Unsafe.Add(ref w, 6 * kq)).AsSByte();
                a60 = AvxVnni.MultiplyWideningAndAdd(a60, c0v, b); a61 = AvxVnni.MultiplyWideningAndAdd(a61, c1v, b);
                b = Vector256.Create(Unsafe.Add(ref w, 7 * kq)).AsSByte();
                a70 = AvxVnni.MultiplyWideningAndAdd(a70, c0v, b); a71 = AvxVnni.MultiplyWideningAndAdd(a71, c1v, b);
            }
            Bytes16(a00, a01, Multiplier(multipliers, channel0), lo, hi, zp).StoreUnsafe(ref o, (nuint)c0);
            Bytes16(a10, a11, Multiplier(multipliers, channel0 + 1), lo, hi, zp).StoreUnsafe(ref o, (nuint)(stride + c0));
            Bytes16(a20, a21, Multiplier(multipliers, channel0 + 2), lo, hi, zp).StoreUnsafe(ref o, (nuint)(2 * stride + c0));
            Bytes16(a30, a31, Multiplier(multipliers, channel0 + 3), lo, hi, zp).StoreUnsafe(ref o, (nuint)(3 * stride + c0));
            Bytes16(a40, a41, Multiplier(multipliers, channel0 + 4), lo, hi, zp).StoreUnsafe(ref o, (nuint)(4 * stride + c0));
            Bytes16(a50, a51, Multiplier(multipliers, channel0 + 5), lo, hi, zp).StoreUnsafe(ref o, (nuint)(5 * stride + c0));
            Bytes16(a60, a61, Multiplier(multipliers, channel0 + 6), lo, hi, zp).StoreUnsafe(ref o, (nuint)(6 * stride + c0));
            Bytes16(a70, a71, Multiplier(multipliers, channel0 + 7), lo, hi, zp).StoreUnsafe(ref o, (nuint)(7 * stride + c0));
            if (c0 == pixels - QGemm.TileCols) break;
        }
    }

    private static Vector256<float> Multiplier(ReadOnlySpan<float> multipliers, int channel) =>
        Vector256.Create(multipliers[multipliers.Length == 1 ? 0 : channel]);

    /// <summary>16 sums to 16 output bytes: <see cref="QuantizedEpilogue.Requant16Bytes"/> with one multiplier.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Bytes16(Vector256<int> a0, Vector256<int> a1, Vector256<float> m, Vector256<float> lo, Vector256<float> hi, Vector256<int> zp) =>
        QuantizedEpilogue.Requant16Bytes(a0, a1, m, m, lo, hi, zp);
}
