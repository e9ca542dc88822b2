using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelCompiler.Runtime;

/// <summary>
/// The direct depthwise form of <see cref="QuantizedConv"/>, on every integer path (the VNNI kernels are
/// <see cref="DepthwiseVnni"/> and <see cref="DepthwiseChannelsLast"/>).
/// </summary>
public static partial class QuantizedConv
{
    /// <summary>
    /// Depthwise (one input channel per group, any channel multiplier), directly: each output row is computed in
    /// registers over all taps. Interior outputs (every tap inside the input) use vectors and the folded form
    /// sum x·w' - x_zp·sum w' (w' = w - w_zp); outputs whose window touches the padding take the plain
    /// sum over the taps inside (padding contributes exactly zero). Rows then go to the sink.
    /// </summary>
    private static void Depthwise<TX, TSink>(scoped ReadOnlySpan<TX> x, int xZeroPoint, scoped ReadOnlySpan<sbyte> weights, scoped ReadOnlySpan<int> weightZeroPoints,
        scoped ReadOnlySpan<int> bias, ref TSink sink, in ConvGeometry g)
        where TX : unmanaged where TSink : IIntegerSink, allows ref struct
    {
        if (typeof(TX) != typeof(byte) && typeof(TX) != typeof(sbyte)) throw new NotSupportedException(typeof(TX).Name);
        int m = g.outChannels, mg = m / g.groups, kk = g.kernelHeight * g.kernelWidth;
        int inPlane = g.inHeight * g.inWidth, outPlane = g.outHeight * g.outWidth;
        if (g.inChannels != g.groups) throw new ArgumentException("depthwise convolution needs one input channel per group");
        if (weights.Length != m * kk) throw new ArgumentException($"depthwise weights have {weights.Length} values, expected {m * kk}");
        if (x.Length != g.batch * g.inChannels * inPlane) throw new ArgumentException("input has the wrong length");
        if (!bias.IsEmpty && bias.Length != m) throw new ArgumentException("bias has the wrong length");
        Span<int> taps = QuantScratch<int>.Get(SlotSums, kk);
        // Each input plane is copied once into a plane padded with the zero point, so every output is "interior":
        // sum x·w' - x_zp·sum w' with no bounds to check. The padded plane is stored as sh x sw phase planes (rows
        // and columns split by their remainder modulo the stride), so that with any stride the outputs' anchors
        // are contiguous: output (oh, ow) reads phase (kh·dh mod sh, kw·dw mod sw) at (oh + kh·dh / sh) * Wp +
        // ow + kw·dw / sw. A whole plane is then one run of vectors whatever its width (a 5x5 plane is two
        // AVX-512 vectors instead of 25 scalar outputs); the columns past outWidth are computed and dropped.
        int sh = g.strideHeight, sw = g.strideWidth;
        int needW = (g.outWidth - 1) * sw + (g.kernelWidth - 1) * g.dilationWidth + 1;
        int needH = (g.outHeight - 1) * sh + (g.kernelHeight - 1) * g.dilationHeight + 1;
        int paddedW = Math.Max(needW, g.padLeft + g.inWidth), paddedH = Math.Max(needH, g.padTop + g.inHeight);
        int phaseW = (paddedW + sw - 1) / sw, phaseH = (paddedH + sh - 1) / sh, phaseSize = phaseW * phaseH;
        const int Slack = 64; // the widest vector load past the last anchor's furthest tap
        Span<byte> padded = QuantScratch<byte>.Get(0, sh * sw * phaseSize + Slack);
        Span<int> tapOffsets = stackalloc int[kk];
        for (int kh = 0, t = 0; kh < g.kernelHeight; kh++)
            for (int kw = 0; kw < g.kernelWidth; kw++, t++)
            {
                int r = kh * g.dilationHeight, c = kw * g.dilationWidth;
                tapOffsets[t] = (r % sh * sw + c % sw) * phaseSize + r / sh * phaseW + c / sw;
            }
        int runLength = (g.outHeight - 1) * phaseW + g.outWidth;
        Span<int> sums = QuantScratch<int>.Get(SlotPacked, runLength + 16);
        Span<int> plane = QuantScratch<int>.Get(SlotPlane, outPlane);
        ReadOnlySpan<byte> xb = MemoryMarshal.AsBytes(x);
        bool signed = typeof(TX) == typeof(sbyte);
        byte padByte = (byte)xZeroPoint;
        var path = IntegerPaths.Current;
        for (int n = 0; n < g.batch; n++)
        {
            for (int ic = 0; ic < g.inChannels; ic++)
            {
                ReadOnlySpan<byte> input = xb.Slice((n * g.inChannels + ic) * inPlane, inPlane);
                padded.Fill(padByte);
                for (int ih = 0; ih < g.inHeight; ih++)
                {
                    int r = ih + g.padTop;
                    Span<byte> rowPhases = padded.Slice(r % sh * sw * phaseSize + r / sh * phaseW);
                    ScatterRow(input.Slice(ih * g.inWidth, g.inWidth), g.padLeft, sw, phaseSize, rowPhases);
                }
                for (int oc = ic * mg; oc < (ic + 1) * mg; oc++)
                {
                    int wz = weightZeroPoints.IsEmpty ? 0 : weightZeroPoints[oc];
                    int sumW = 0;
                    for (int t = 0; t < kk; t++) sumW += taps[t] = weights[oc * kk + t] - wz;
                    int inner = (bias.IsEmpty ? 0 : bias[oc]) - xZeroPoint * sumW;
                    ShiftedSums(path, padded, signed, tapOffsets, taps, inner, 0, runLength, sums);
                    for (int oh = 0; oh < g.outHeight; oh++)
                        sums.Slice(oh * phaseW, g.outWidth).CopyTo(plane.Slice(oh * g.outWidth));
                    sink.Store(oc, (n * m + oc) * outPlane, plane);
                }
            }
        }
    }

    /// <summary>16 bytes at <paramref name="at"/> + <paramref name="offset"/> as int32 (zero- or sign-extended).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Widen16(ref byte at, int offset, bool signed)
    {
        var bytes = Vector128.LoadUnsafe(ref Unsafe.Add(ref at, offset));
        return signed ? Avx512F.ConvertToVector512Int32(bytes.AsSByte()) : Avx512F.ConvertToVector512Int32(bytes);
    }

    /// <summary>
    /// Writes an input row at padded column <paramref name="padLeft"/> into its column phases: padded column c goes
    /// to phase c mod <paramref name="stride"/> (phases <paramref name="phaseSize"/> apart) at column c / stride.
    /// Stride 2 splits even and odd bytes 32 at a time.
    /// </summary>
    private static void ScatterRow(ReadOnlySpan<byte> row, int padLeft, int stride, int phaseSize, Span<byte> phases)
    {
        if (stride == 1)
        {
            row.CopyTo(phases.Slice(padLeft));
            return;
        }
        if (stride == 2)
        {
            // Input column 2t lands in phase padLeft % 2 at column t + padLeft / 2; column 2t + 1 in phase
            // (padLeft + 1) % 2 at column t + (padLeft + 1) / 2.
            Span<byte> even = phases.Slice(padLeft % 2 * phaseSize + padLeft / 2);
            Span<byte> odd = phases.Slice((padLeft + 1) % 2 * phaseSize + (padLeft + 1) / 2);
            int t = 0;
            if (Vector128.IsHardwareAccelerated)
            {
                var low = Vector128.Create((ushort)0xFF);
                for (; 2 * t + 32 <= row.Length; t += 16)
                {
                    var a = Vector128.Create(row.Slice(2 * t, 16)).AsUInt16();
                    var b = Vector128.Create(row.Slice(2 * t + 16, 16)).AsUInt16();
                    Vector128.Narrow(a & low, b & low).CopyTo(even.Slice(t, 16));
                    Vector128.Narrow(a >> 8, b >> 8).CopyTo(odd.Slice(t, 16));
                }
            }
            for (; 2 * t < row.Length; t++)
            {
                even[t] = row[2 * t];
                if (2 * t + 1 < row.Length) odd[t] = row[2 * t + 1];
            }
            return;
        }
        for (int iw = 0; iw < row.Length; iw++)
        {
            int c = iw + padLeft;
            phases[c % stride * phaseSize + c / stride] = row[iw];
        }
    }

    /// <summary>
    /// sums[i] = inner + Σ_t taps[t] · P[start + i + offsets[t]] for i in [0, length), P the padded byte plane read as
    /// uint8 or int8: 16 at a time (AVX-512), 8 (AVX2) or 4 (Vector128), then scalar. Reads at most 64 bytes past
    /// the last anchor's furthest tap (the padded plane's slack); writes up to 15 ints past <paramref name="length"/>.
    /// </summary>
    private static void ShiftedSums(IntegerPath path, ReadOnlySpan<byte> padded, bool signed, ReadOnlySpan<int> offsets, ReadOnlySpan<int> taps, int inner,
        int start, int length, Span<int> sums)
    {
        int kk = taps.Length, i = 0;
        ref byte p = ref Unsafe.Add(ref MemoryMarshal.GetReference(padded), start);
        ref int o = ref MemoryMarshal.GetReference(sums);
        if (path is IntegerPath.AvxVnni or IntegerPath.Avx512BW && Avx512F.IsSupported && kk == 9)
        {
            // 3x3, the common case: offsets and broadcast taps held in registers, the nine taps unrolled.
            int o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], o3 = offsets[3], o4 = offsets[4], o5 = offsets[5], o6 = offsets[6], o7 = offsets[7], o8 = offsets[8];
            Vector512<int> w0 = Vector512.Create(taps[0]), w1 = Vector512.Create(taps[1]), w2 = Vector512.Create(taps[2]),
                w3 = Vector512.Create(taps[3]), w4 = Vector512.Create(taps[4]), w5 = Vector512.Create(taps[5]),
                w6 = Vector512.Create(taps[6]), w7 = Vector512.Create(taps[7]), w8 = Vector512.Create(taps[8]), start0 = Vector512.Create(inner);
            for (; i < length; i += 16)
            {
                ref byte a = ref Unsafe.Add(ref p, i);
                var acc0 = start0 + Avx512F.MultiplyLow(Widen16(ref a, o0, signed), w0) + Avx512F.MultiplyLow(Widen16(ref a, o1, signed), w1)
                    + Avx512F.MultiplyLow(Widen16(ref a, o2, signed), w2);
                var acc1 = Avx512F.MultiplyLow(Widen16(ref a, o3, signed), w3) + Avx512F.MultiplyLow(Widen16(ref a, o4, signed), w4)
                    + Avx512F.MultiplyLow(Widen16(ref a, o5, signed), w5);
                var acc2 = Avx512F.MultiplyLow(Widen16(ref a, o6, signed), w6) + Avx512F.MultiplyLow(Widen16(ref a, o7, signed), w7)
                    + Avx512F.MultiplyLow(Widen16(ref a, o8, signed), w8);
                (acc0 + acc1 + acc2).StoreUnsafe(ref o, (nuint)i);
            }
            return;
        }
        if (path is IntegerPath.AvxVnni or IntegerPath.Avx512BW && Avx512F.IsSupported)
        {
            for (; i < length; i += 16)
            {
                var acc = Vector512.Create(inner);
                for (int t = 0; t < kk; t++)
                {
                    var bytes = Vector128.LoadUnsafe(ref p, (nuint)(i + offsets[t]));
                    var v = signed ? Avx512F.ConvertToVector512Int32(bytes.AsSByte()) : Avx512F.ConvertToVector512Int32(bytes);
                    acc += Avx512F.MultiplyLow(v, Vector512.Create(taps[t]));
                }
                acc.StoreUnsafe(ref o, (nuint)i);
            }
            return;
        }
        if (path is not IntegerPath.Scalar && Avx2.IsSupported)
        {
            for (; i < length; i += 8)
            {
                var acc = Vector256.Create(inner);
                for (int t = 0; t < kk; t++)
                {
                    var bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref p, i + offsets[t]))).AsByte();
                    var v = signed ? Avx2.ConvertToVector256Int32(bytes.AsSByte()) : Avx2.ConvertToVector256Int32(bytes);
                    acc += Avx2.MultiplyLow(v, Vector256.Create(taps[t]));
                }
                acc.StoreUnsafe(ref o, (nuint)i);
            }
            return;
        }
        for (; i < length; i++)
        {
            int acc = inner;
            for (int t = 0; t < kk; t++)
            {
                byte v = Unsafe.Add(ref p, i + offsets[t]);
                acc += (signed ? (sbyte)v : v) * taps[t];
            }
            Unsafe.Add(ref o, i) = acc;
        }
    }

    /// <summary>acc[j] += (row[start + j * stride] - zeroPoint) * w.</summary>
    internal static void AddScaledRow<TX>(IntegerPath path, ReadOnlySpan<TX> row, int start, int stride, int zeroPoint, int w, Span<int> acc)
        where TX : unmanaged
    {
        int count = acc.Length;
        if (count == 0) return;
        if (start < 0 || start + (long)(count - 1) * stride >= row.Length) throw new ArgumentException("row out of range");
        ref byte src = ref Unsafe.As<TX, byte>(ref MemoryMarshal.GetReference(row));
        ref int dst = ref MemoryMarshal.GetReference(acc);
        bool signed = typeof(TX) == typeof(sbyte);
        int j = 0;
        if (path is IntegerPath.AvxVnni or IntegerPath.Avx512BW or IntegerPath.Avx2 && Avx2.IsSupported)
        {
            var vz = Vector256.Create(zeroPoint);
            var vw = Vector256.Create(w);
            if (stride == 1)
            {
                for (; j <= count - 8; j += 8)
                {
                    var bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref src, start + j))).AsByte();
                    var v = signed ? Avx2.ConvertToVector256Int32(bytes.AsSByte()) : Avx2.ConvertToVector256Int32(bytes);
                    var sum = Vector256.LoadUnsafe(ref dst, (nuint)j) + Avx2.MultiplyLow(v - vz, vw);
                    sum.StoreUnsafe(ref dst, (nuint)j);
                }
            }
            else if (stride == 2)
            {
                // 16 bytes hold 8 even-indexed elements; the last load must stay inside the row.
                for (; j <= count - 8 && start + 2 * j + 16 <= row.Length; j += 8)
                {
                    var words = Vector128.LoadUnsafe(ref Unsafe.Add(ref src, start + 2 * j)).AsInt16();
                    var even = signed ? Vector128.ShiftRightArithmetic(Vector128.ShiftLeft(words, 8), 8) : words & Vector128.Create((short)0xFF);
                    var v = Avx2.ConvertToVector256Int32(even);
                    var sum = Vector256.LoadUnsafe(ref dst, (nuint)j) + Avx2.MultiplyLow(v - vz, vw);
                    sum.StoreUnsafe(ref dst, (nuint)j);
                }
            }
        }
        else if (path is not IntegerPath.Scalar && Vector128.IsHardwareAccelerated && stride == 1)
        {
            var vz = Vector128.Create(zeroPoint);
            var vw = Vector128.Create(w);
            for (; j <= count - 4; j += 4)
            {
                var bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref src, start + j))).AsByte();
                Vector128<int> v = signed
                    ? Vector128.WidenLower(Vector128.WidenLower(bytes.AsSByte()))
                    : Vector128.WidenLower(Vector128.WidenLower(bytes)).AsInt32();
                var sum = Vector128.LoadUnsafe(ref dst, (nuint)j) + (v - vz) * vw;
                sum.StoreUnsafe(ref dst, (nuint)j);
            }
        }
        for (; j < count; j++)
        {
            byte b = Unsafe.Add(ref src, start + j * stride);
            int v = signed ? (sbyte)b : b;
            Unsafe.Add(ref dst, j) += (v - zeroPoint) * w;
        }
    }
}
