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
/// narrowed to 16 bytes written straight into the output row (with AVX-512, 16 values per instruction and, when
/// every multiplier is under 0.5, saturating narrows in place of the clamp, four channels at a time in the 8-channel
/// tiles: <see cref="Requant512"/>).
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
        if (pixels >= QGemm.TileCols && rowCount >= 8)
        {
            var bounds = new Bounds
            {
                Lo = lo, Hi = hi, Zp = zp,
                Lo512 = Vector512.Create(lo.ToScalar()), Hi512 = Vector512.Create(hi.ToScalar()), Zp512 = Vector512.Create(zeroPoint),
            };
            nint multiplierStep = multipliers.Length == 1 ? 0 : 1;
            ref float multiplier0 = ref MemoryMarshal.GetReference(multipliers);
            ref int term0 = ref MemoryMarshal.GetReference(terms);
            int form = Requant512.FormFor<T>(multipliers.Length == 1 ? multipliers : multipliers.Slice(row0, rowCount));
            for (; m0 + 8 <= rowCount; m0 += 8)
            {
                ref int rows = ref Unsafe.Add(ref w, (row0 + m0) * kq);
                ref int t = ref Unsafe.Add(ref term0, m0);
                ref float mul = ref Unsafe.Add(ref multiplier0, (row0 + m0) * multiplierStep);
                ref byte o = ref Unsafe.Add(ref output, offset + m0 * stride);
                if (form == 1) Rows8<Requant512.SaturateToByte>(ref rows, kq, ref x, ldc, pixels, ref t, ref mul, multiplierStep, bounds, ref o, stride);
                else if (form == 2) Rows8<Requant512.SaturateToSByte>(ref rows, kq, ref x, ldc, pixels, ref t, ref mul, multiplierStep, bounds, ref o, stride);
                else Rows8<Requant512.Clamped>(ref rows, kq, ref x, ldc, pixels, ref t, ref mul, multiplierStep, bounds, ref o, stride);
            }
        }
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
    /// The requantization constants of a block, kept in memory (passed by reference) rather than in registers: the
    /// JIT gives <c>vpdpbusd</c> accumulators only ymm0-15, and three constants live across the dot-product loop
    /// pushed three of the 16 accumulators into ymm16+, each costing two moves per step. The 512-bit copies serve the
    /// AVX-512 epilogue, which requantizes 16 sums per instruction instead of 8.
    /// </summary>
    private struct Bounds
    {
        public Vector256<float> Lo, Hi;
        public Vector256<int> Zp;
        public Vector512<float> Lo512, Hi512;
        public Vector512<int> Zp512;
    }

    /// <summary>
    /// Eight channels x 16 pixels per tile (16 accumulators): each pair of activation loads feeds 16 <c>vpdpbusd</c>
    /// instead of 8, for blocks of at least 16 pixels. A last partial tile of up to 8 pixels runs as 8 x 8
    /// (<see cref="Rows8Narrow"/>; a 7x7 plane is 3 tiles and 8 pixels, not 4 tiles), one of 9 to 15 overlaps the
    /// previous tile (the same values written twice). Same arithmetic as the 4-row loop.
    /// </summary>
    [MethodImpl(KernelCompilation.Hot)]
    private static void Rows8<TStore>(ref int rows, int kq, ref int x, int ldc, int pixels, ref int terms, ref float multiplier, nint multiplierStep,
        in Bounds bounds, ref byte o, int stride) where TStore : struct
    {
        // Rows 0-3 from rows, 4-7 from rows4, each at offsets 0, k1, k2, k3: no index arithmetic in the loop.
        nint k1 = kq, k2 = 2 * (nint)kq, k3 = 3 * (nint)kq, step = ldc;
        ref int rows4 = ref Unsafe.Add(ref rows, 4 * (nint)kq);
        int c0 = 0;
        for (; c0 + QGemm.TileCols <= pixels || (c0 < pixels && pixels - c0 > 8); c0 += QGemm.TileCols)
        {
            if (c0 + QGemm.TileCols > pixels) c0 = pixels - QGemm.TileCols;
            Vector256<int> a00 = Vector256.Create(terms), a10 = Vector256.Create(Unsafe.Add(ref terms, 1));
            Vector256<int> a20 = Vector256.Create(Unsafe.Add(ref terms, 2)), a30 = Vector256.Create(Unsafe.Add(ref terms, 3));
            Vector256<int> a40 = Vector256.Create(Unsafe.Add(ref terms, 4)), a50 = Vector256.Create(Unsafe.Add(ref terms, 5));
            Vector256<int> a60 = Vector256.Create(Unsafe.Add(ref terms, 6)), a70 = Vector256.Create(Unsafe.Add(ref terms, 7));
            Vector256<int> a01 = a00, a11 = a10, a21 = a20, a31 = a30, a41 = a40, a51 = a50, a61 = a60, a71 = a70;
            ref int col = ref Unsafe.Add(ref x, c0);
            ref int w = ref rows;
            ref int w4 = ref rows4;
            for (int q = 0; q < kq; q++, col = ref Unsafe.Add(ref col, step), w = ref Unsafe.Add(ref w, 1), w4 = ref Unsafe.Add(ref w4, 1))
            {
                var c0v = Vector256.LoadUnsafe(ref col).AsByte();
                var c1v = Vector256.LoadUnsafe(ref col, 8).AsByte();
                var b = Vector256.Create(w).AsSByte();
                a00 = AvxVnni.MultiplyWideningAndAdd(a00, c0v, b); a01 = AvxVnni.MultiplyWideningAndAdd(a01, c1v, b);
                b = Vector256.Create(Unsafe.Add(ref w, k1)).AsSByte();
                a10 = AvxVnni.MultiplyWideningAndAdd(a10, c0v, b); a11 = AvxVnni.MultiplyWideningAndAdd(a11, c1v, b);
                b = Vector256.Create(Unsafe.Add(ref w, k2)).AsSByte();
                a20 = AvxVnni.MultiplyWideningAndAdd(a20, c0v, b); a21 = AvxVnni.MultiplyWideningAndAdd(a21, c1v, b);
                b = Vector256.Create(Unsafe.Add(ref w, k3)).AsSByte();
                a30 = AvxVnni.MultiplyWideningAndAdd(a30, c0v, b); a31 = AvxVnni.MultiplyWideningAndAdd(a31, c1v, b);
                b = Vector256.Create(w4).AsSByte();
                a40 = AvxVnni.MultiplyWideningAndAdd(a40, c0v, b); a41 = AvxVnni.MultiplyWideningAndAdd(a41, c1v, b);
                b = Vector256.Create(Unsafe.Add(ref w4, k1)).AsSByte();
                a50 = AvxVnni.MultiplyWideningAndAdd(a50, c0v, b); a51 = AvxVnni.MultiplyWideningAndAdd(a51, c1v, b);
                b = Vector256.Create(Unsafe.Add(ref w4, k2)).AsSByte();
                a60 = AvxVnni.MultiplyWideningAndAdd(a60, c0v, b); a61 = AvxVnni.MultiplyWideningAndAdd(a61, c1v, b);
                b = Vector256.Create(Unsafe.Add(ref w4, k3)).AsSByte();
                a70 = AvxVnni.MultiplyWideningAndAdd(a70, c0v, b); a71 = AvxVnni.MultiplyWideningAndAdd(a71, c1v, b);
            }
            ref byte t = ref Unsafe.Add(ref o, c0);
            if (typeof(TStore) != typeof(Requant512.Clamped) && Avx512BW.IsSupported)
            {
                Store4Rows<TStore>(a00, a01, a10, a11, a20, a21, a30, a31, ref multiplier, multiplierStep, bounds, ref t, stride);
                Store4Rows<TStore>(a40, a41, a50, a51, a60, a61, a70, a71, ref Unsafe.Add(ref multiplier, 4 * multiplierStep), multiplierStep, bounds,
                    ref Unsafe.Add(ref t, 4 * (nint)stride), stride);
                continue;
            }
            Store16<TStore>(a00, a01, ref multiplier, bounds, ref t);
            Store16<TStore>(a10, a11, ref Unsafe.Add(ref multiplier, multiplierStep), bounds, ref Unsafe.Add(ref t, stride));
            Store16<TStore>(a20, a21, ref Unsafe.Add(ref multiplier, 2 * multiplierStep), bounds, ref Unsafe.Add(ref t, 2 * stride));
            Store16<TStore>(a30, a31, ref Unsafe.Add(ref multiplier, 3 * multiplierStep), bounds, ref Unsafe.Add(ref t, 3 * stride));
            Store16<TStore>(a40, a41, ref Unsafe.Add(ref multiplier, 4 * multiplierStep), bounds, ref Unsafe.Add(ref t, 4 * stride));
            Store16<TStore>(a50, a51, ref Unsafe.Add(ref multiplier, 5 * multiplierStep), bounds, ref Unsafe.Add(ref t, 5 * stride));
            Store16<TStore>(a60, a61, ref Unsafe.Add(ref multiplier, 6 * multiplierStep), bounds, ref Unsafe.Add(ref t, 6 * stride));
            Store16<TStore>(a70, a71, ref Unsafe.Add(ref multiplier, 7 * multiplierStep), bounds, ref Unsafe.Add(ref t, 7 * stride));
        }
        if (c0 < pixels) Rows8Narrow(ref rows, kq, ref Unsafe.Add(ref x, pixels - 8), ldc, ref terms, ref multiplier, multiplierStep, bounds, ref Unsafe.Add(ref o, pixels - 8), stride);
    }

    /// <summary>The last 8 pixels of a block (at least 16 wide) for 8 channels: one activation vector per step.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Rows8Narrow(ref int rows, int kq, ref int col, int ldc, ref int terms, ref float multiplier, nint multiplierStep,
        in Bounds bounds, ref byte o, int stride)
    {
        nint k1 = kq, k2 = 2 * (nint)kq, k3 = 3 * (nint)kq, step = ldc;
        ref int w = ref rows;
        ref int w4 = ref Unsafe.Add(ref rows, 4 * (nint)kq);
        Vector256<int> a0 = Vector256.Create(terms), a1 = Vector256.Create(Unsafe.Add(ref terms, 1));
        Vector256<int> a2 = Vector256.Create(Unsafe.Add(ref terms, 2)), a3 = Vector256.Create(Unsafe.Add(ref terms, 3));
        Vector256<int> a4 = Vector256.Create(Unsafe.Add(ref terms, 4)), a5 = Vector256.Create(Unsafe.Add(ref terms, 5));
        Vector256<int> a6 = Vector256.Create(Unsafe.Add(ref terms, 6)), a7 = Vector256.Create(Unsafe.Add(ref terms, 7));
        for (int q = 0; q < kq; q++, col = ref Unsafe.Add(ref col, step), w = ref Unsafe.Add(ref w, 1), w4 = ref Unsafe.Add(ref w4, 1))
        {
            var c = Vector256.LoadUnsafe(ref col).AsByte();
            a0 = AvxVnni.MultiplyWideningAndAdd(a0, c, Vector256.Create(w).AsSByte());
            a1 = AvxVnni.MultiplyWideningAndAdd(a1, c, Vector256.Create(Unsafe.Add(ref w, k1)).AsSByte());
            a2 = AvxVnni.MultiplyWideningAndAdd(a2, c, Vector256.Create(Unsafe.Add(ref w, k2)).AsSByte());
            a3 = AvxVnni.MultiplyWideningAndAdd(a3, c, Vector256.Create(Unsafe.Add(ref w, k3)).AsSByte());
            a4 = AvxVnni.MultiplyWideningAndAdd(a4, c, Vector256.Create(w4).AsSByte());
            a5 = AvxVnni.MultiplyWideningAndAdd(a5, c, Vector256.Create(Unsafe.Add(ref w4, k1)).AsSByte());
            a6 = AvxVnni.MultiplyWideningAndAdd(a6, c, Vector256.Create(Unsafe.Add(ref w4, k2)).AsSByte());
            a7 = AvxVnni.MultiplyWideningAndAdd(a7, c, Vector256.Create(Unsafe.Add(ref w4, k3)).AsSByte());
        }
        Store8(a0, ref multiplier, bounds, ref o);
        Store8(a1, ref Unsafe.Add(ref multiplier, multiplierStep), bounds, ref Unsafe.Add(ref o, stride));
        Store8(a2, ref Unsafe.Add(ref multiplier, 2 * multiplierStep), bounds, ref Unsafe.Add(ref o, 2 * stride));
        Store8(a3, ref Unsafe.Add(ref multiplier, 3 * multiplierStep), bounds, ref Unsafe.Add(ref o, 3 * stride));
        Store8(a4, ref Unsafe.Add(ref multiplier, 4 * multiplierStep), bounds, ref Unsafe.Add(ref o, 4 * stride));
        Store8(a5, ref Unsafe.Add(ref multiplier, 5 * multiplierStep), bounds, ref Unsafe.Add(ref o, 5 * stride));
        Store8(a6, ref Unsafe.Add(ref multiplier, 6 * multiplierStep), bounds, ref Unsafe.Add(ref o, 6 * stride));
        Store8(a7, ref Unsafe.Add(ref multiplier, 7 * multiplierStep), bounds, ref Unsafe.Add(ref o, 7 * stride));
    }

    /// <summary>
    /// Requantizes 16 sums (two vectors, one channel's multiplier) and stores 16 bytes: with AVX-512 as one 512-bit
    /// vector (half the instructions of two 256-bit halves; the same operations, so the same bytes), else as
    /// <see cref="QuantizedEpilogue.Requant16Bytes"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store16<TStore>(Vector256<int> a0, Vector256<int> a1, ref float multiplier, in Bounds b, ref byte o) where TStore : struct
    {
        if (Avx512F.IsSupported)
        {
            Requant512.Bytes<TStore>(a0.ToVector512Unsafe().WithUpper(a1), Vector512.Create(multiplier), b.Lo512, b.Hi512, b.Zp512).StoreUnsafe(ref o);
            return;
        }
        var m = Vector256.Create(multiplier);
        QuantizedEpilogue.Requant16Bytes(a0, a1, m, m, b.Lo, b.Hi, b.Zp).StoreUnsafe(ref o);
    }

    /// <summary>
    /// Four channels' 16 sums each (a saturating form, AVX-512 BW): requantized and narrowed together
    /// (<see cref="Requant512.Rows4{TForm}"/>), each channel's 16 bytes stored to its row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4Rows<TStore>(Vector256<int> a00, Vector256<int> a01, Vector256<int> a10, Vector256<int> a11,
        Vector256<int> a20, Vector256<int> a21, Vector256<int> a30, Vector256<int> a31, ref float multiplier, nint multiplierStep,
        in Bounds b, ref byte o, int stride) where TStore : struct
    {
        var bytes = Requant512.Rows4<TStore>(a00.ToVector512Unsafe().WithUpper(a01), a10.ToVector512Unsafe().WithUpper(a11),
            a20.ToVector512Unsafe().WithUpper(a21), a30.ToVector512Unsafe().WithUpper(a31),
            Vector512.Create(multiplier), Vector512.Create(Unsafe.Add(ref multiplier, multiplierStep)),
            Vector512.Create(Unsafe.Add(ref multiplier, 2 * multiplierStep)), Vector512.Create(Unsafe.Add(ref multiplier, 3 * multiplierStep)), b.Zp512);
        bytes.GetLower().GetLower().StoreUnsafe(ref o);
        Avx512F.ExtractVector128(bytes, 1).StoreUnsafe(ref Unsafe.Add(ref o, stride));
        Avx512F.ExtractVector128(bytes, 2).StoreUnsafe(ref Unsafe.Add(ref o, 2 * (nint)stride));
        Avx512F.ExtractVector128(bytes, 3).StoreUnsafe(ref Unsafe.Add(ref o, 3 * (nint)stride));
    }

    /// <summary>Requantizes 8 sums (one channel) and stores 8 bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store8(Vector256<int> a, ref float multiplier, in Bounds b, ref byte o)
    {
        var f = Vector256.MinNative(Vector256.MaxNative(Vector256.ConvertToSingle(a) * Vector256.Create(multiplier), b.Lo), b.Hi);
        var i = QuantizedEpilogue.RoundToInt(f) + b.Zp;
        ulong bytes;
        if (Avx512F.VL.IsSupported) bytes = Avx512F.VL.ConvertToVector128Byte(i).AsUInt64().ToScalar();
        else
        {
            var s = Vector256.Narrow(i, i);
            bytes = Vector256.Narrow(s, s).AsUInt64().ToScalar();
        }
        Unsafe.WriteUnaligned(ref o, bytes);
    }

    private static Vector256<float> Multiplier(ReadOnlySpan<float> multipliers, int channel) =>
        Vector256.Create(multipliers[multipliers.Length == 1 ? 0 : channel]);

    /// <summary>16 sums to 16 output bytes: <see cref="QuantizedEpilogue.Requant16Bytes"/> with one multiplier.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Bytes16(Vector256<int> a0, Vector256<int> a1, Vector256<float> m, Vector256<float> lo, Vector256<float> hi, Vector256<int> zp) =>
        QuantizedEpilogue.Requant16Bytes(a0, a1, m, m, lo, hi, zp);
}
