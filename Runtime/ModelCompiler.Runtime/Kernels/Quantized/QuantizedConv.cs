using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelCompiler.Runtime;

/// <summary>Where integer convolution and matmul results go: requantized 8-bit values or raw int32.</summary>
internal interface IIntegerSink
{
    /// <summary>Writes <paramref name="values"/> (final int32 sums) at flat output offset <paramref name="offset"/>; <paramref name="channel"/> picks the multiplier.</summary>
    void Store(int channel, int offset, scoped ReadOnlySpan<int> values);
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

    public void Store(int channel, int offset, scoped ReadOnlySpan<int> values) =>
        Requantize.Store(values, _multipliers[_multipliers.Length == 1 ? 0 : channel], _zeroPoint, _y.Slice(offset, values.Length));
}

/// <summary>Keeps the int32 sums (ConvInteger, MatMulInteger).</summary>
internal ref struct IntSink : IIntegerSink
{
    private readonly Span<int> _y;
    public IntSink(Span<int> y) => _y = y;
    public void Store(int channel, int offset, scoped ReadOnlySpan<int> values) => values.CopyTo(_y.Slice(offset, values.Length));
}

/// <summary>
/// Quantized 2-D convolution (NCHW; 1-D convolutions use height 1) with int32 accumulation: QLinearConv
/// (requantized to 8 bits) and ConvInteger (int32 out).
/// <para>
/// Grouped/full convolutions run as a GEMM (<see cref="QGemm"/>): blocks of output pixels are packed (im2col)
/// into [K/4][pixels] ints, padding taking the input zero point; weights are [M][K padded to 4] int8. With
/// x' = x shifted to uint8 (int8 inputs + 128) and w' = w shifted to int8 (uint8 weights - 128),
/// sum (x - xz)(w - wz) = sum x'w' - wz'·sum x' - xz'·sum w' + K·xz'·wz': the last two terms and the bias are
/// one precomputed int per output channel (<c>columnTerms</c>), the second is needed only for nonzero weight
/// zero points. Depthwise convolutions (one input channel per group) run directly on (x - xz)(w - wz).
/// </para>
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class QuantizedConv
{
    // Scratch slots (int): packed activations, pixel sums / accumulator plane; (long): widened weights.
    private const int SlotPacked = 0, SlotSums = 1, SlotPlane = 2;
    // Slots used by the run-time-parameter entry points for their prepared parameters.
    private const int SlotPrepWeights = 3, SlotPrepTerms = 4, SlotPrepZeroPoints = 5;

    /// <summary>Bytes of packed activations one pixel block aims at (the block stays in L2).</summary>
    private const int PackedBlockBytes = 128 * 1024;

    /// <summary>The packed weight layout's row length: K rounded up to a multiple of 4.</summary>
    public static int PaddedK(int k) => (k + 3) & ~3;

    /// <summary>QLinearConv, GEMM form (weights prepared at build time; see the class remarks).</summary>
    public static void QLinearConv<TX, TY>(ReadOnlySpan<TX> x, int xZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> weightZeroPoints,
        ReadOnlySpan<int> columnTerms, ReadOnlySpan<float> multipliers, int yZeroPoint, Span<TY> y, in ConvGeometry g)
        where TX : unmanaged where TY : unmanaged
    {
        CheckOutput(y.Length, g);
        var sink = new RequantSink<TY>(y, multipliers, yZeroPoint);
        Gemm(x, xZeroPoint, weights, weightZeroPoints, columnTerms, ref sink, g);
    }

    /// <summary>ConvInteger, GEMM form.</summary>
    public static void ConvInteger<TX>(ReadOnlySpan<TX> x, int xZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> weightZeroPoints,
        ReadOnlySpan<int> columnTerms, Span<int> y, in ConvGeometry g) where TX : unmanaged
    {
        CheckOutput(y.Length, g);
        var sink = new IntSink(y);
        Gemm(x, xZeroPoint, weights, weightZeroPoints, columnTerms, ref sink, g);
    }

    /// <summary>
    /// QLinearConv, depthwise form: weights [M][kh*kw] int8 (uint8 weights shifted by -128, their zero points too),
    /// <paramref name="weightZeroPoints"/> per channel in that shifted domain (empty: all zero), bias [M] or empty.
    /// </summary>
    public static void QLinearDepthwise<TX, TY>(ReadOnlySpan<TX> x, int xZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> weightZeroPoints,
        ReadOnlySpan<int> bias, ReadOnlySpan<float> multipliers, int yZeroPoint, Span<TY> y, in ConvGeometry g)
        where TX : unmanaged where TY : unmanaged
    {
        CheckOutput(y.Length, g);
        var sink = new RequantSink<TY>(y, multipliers, yZeroPoint);
        Depthwise(x, xZeroPoint, weights, weightZeroPoints, bias, ref sink, g);
    }

    /// <summary>ConvInteger, depthwise form.</summary>
    public static void DepthwiseInteger<TX>(ReadOnlySpan<TX> x, int xZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> weightZeroPoints,
        Span<int> y, in ConvGeometry g) where TX : unmanaged
    {
        CheckOutput(y.Length, g);
        var sink = new IntSink(y);
        Depthwise(x, xZeroPoint, weights, weightZeroPoints, default, ref sink, g);
    }

    /// <summary>
    /// QLinearConv with every parameter known only at run time (scales, zero points, weights as graph inputs):
    /// prepares what the build-time path precomputes, on this thread's scratch memory, then runs the same kernels.
    /// Multipliers are float32 (x_scale * w_scale) / y_scale, as ONNX Runtime computes them.
    /// </summary>
    public static void QLinearConvDynamic<TX, TW, TY>(ReadOnlySpan<TX> x, ReadOnlySpan<float> xScale, ReadOnlySpan<TX> xZeroPoint,
        ReadOnlySpan<TW> w, ReadOnlySpan<float> wScale, ReadOnlySpan<TW> wZeroPoint, ReadOnlySpan<float> yScale, ReadOnlySpan<TY> yZeroPoint,
        ReadOnlySpan<int> bias, Span<TY> y, in ConvGeometry g)
        where TX : unmanaged where TW : unmanaged where TY : unmanaged
    {
        int m = g.outChannels;
        if (xScale.Length != 1 || yScale.Length != 1 || xZeroPoint.Length != 1 || yZeroPoint.Length != 1)
            throw new ArgumentException("QLinearConv: x and y scales and zero points must be single values");
        if ((wScale.Length != 1 && wScale.Length != m) || (wZeroPoint.Length > 1 && wZeroPoint.Length != m))
            throw new ArgumentException($"QLinearConv: w_scale and w_zero_point must have 1 or {m} values");
        if (!bias.IsEmpty && bias.Length != m) throw new ArgumentException($"QLinearConv: the bias must have {m} values");
        Span<float> multipliers = QuantScratch<float>.Get(0, wScale.Length);
        for (int i = 0; i < multipliers.Length; i++) multipliers[i] = xScale[0] * wScale[i] / yScale[0];
        int xz = Requantize.Widen(xZeroPoint[0]), yz = Requantize.Widen(yZeroPoint[0]);
        var prepared = Prepare(w, wZeroPoint, xz, typeof(TX) == typeof(sbyte), bias, g);
        var sink = new RequantSink<TY>(y, multipliers, yz);
        CheckOutput(y.Length, g);
        if (prepared.Depthwise) Depthwise(x, xz, prepared.Weights, prepared.ZeroPoints, bias, ref sink, g);
        else Gemm(x, xz, prepared.Weights, prepared.ZeroPoints, prepared.Terms, ref sink, g);
    }

    /// <summary>ConvInteger with run-time weights and zero points (either zero point may be empty: 0).</summary>
    public static void ConvIntegerDynamic<TX, TW>(ReadOnlySpan<TX> x, ReadOnlySpan<TX> xZeroPoint, ReadOnlySpan<TW> w, ReadOnlySpan<TW> wZeroPoint,
        Span<int> y, in ConvGeometry g) where TX : unmanaged where TW : unmanaged
    {
        int m = g.outChannels;
        if (xZeroPoint.Length > 1) throw new ArgumentException("ConvInteger: x_zero_point must be a single value");
        if (wZeroPoint.Length > 1 && wZeroPoint.Length != m) throw new ArgumentException($"ConvInteger: w_zero_point must have 1 or {m} values");
        int xz = xZeroPoint.IsEmpty ? 0 : Requantize.Widen(xZeroPoint[0]);
        var prepared = Prepare(w, wZeroPoint, xz, typeof(TX) == typeof(sbyte), default, g);
        var sink = new IntSink(y);
        CheckOutput(y.Length, g);
        if (prepared.Depthwise) Depthwise(x, xz, prepared.Weights, prepared.ZeroPoints, default, ref sink, g);
        else Gemm(x, xz, prepared.Weights, prepared.ZeroPoints, prepared.Terms, ref sink, g);
    }

    private readonly ref struct Prepared
    {
        public Prepared(bool depthwise, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> zeroPoints, ReadOnlySpan<int> terms)
        {
            Depthwise = depthwise; Weights = weights; ZeroPoints = zeroPoints; Terms = terms;
        }
        public bool Depthwise { get; }
        public ReadOnlySpan<sbyte> Weights { get; }
        public ReadOnlySpan<int> ZeroPoints { get; }
        public ReadOnlySpan<int> Terms { get; }
    }

    /// <summary>What the generator computes at build time, computed here: shifted, packed weights and per-channel terms.</summary>
    private static Prepared Prepare<TW>(ReadOnlySpan<TW> w, ReadOnlySpan<TW> wZeroPoint, int xZeroPoint, bool xSigned, ReadOnlySpan<int> bias, in ConvGeometry g)
        where TW : unmanaged
    {
        int m = g.outChannels, cg = g.inChannels / g.groups;
        int k = cg * g.kernelHeight * g.kernelWidth;
        if (w.Length != m * k) throw new ArgumentException($"the weight has {w.Length} values, expected {m * k}");
        bool depthwise = cg == 1;
        int shiftW = typeof(TW) == typeof(byte) ? 128 : 0;
        int kp = depthwise ? k : PaddedK(k);
        Span<sbyte> packed = QuantScratch<sbyte>.Get(SlotPrepWeights, m * kp);
        packed.Clear();
        Span<int> zeroPoints = QuantScratch<int>.Get(SlotPrepZeroPoints, m);
        Span<int> terms = QuantScratch<int>.Get(SlotPrepTerms, m);
        bool anyZeroPoint = false;
        int xzShifted = xZeroPoint + (xSigned ? 128 : 0);
        for (int oc = 0; oc < m; oc++)
        {
            int wz = (wZeroPoint.IsEmpty ? 0 : Requantize.Widen(wZeroPoint[wZeroPoint.Length == 1 ? 0 : oc])) - shiftW;
            zeroPoints[oc] = wz;
            anyZeroPoint |= wz != 0;
            int sum = 0;
            for (int i = 0; i < k; i++)
            {
                int v = Requantize.Widen(w[oc * k + i]) - shiftW;
                packed[oc * kp + i] = (sbyte)v;
                sum += v;
            }
            terms[oc] = (bias.IsEmpty ? 0 : bias[oc]) - xzShifted * sum + k * xzShifted * wz;
        }
        return new Prepared(depthwise, packed, anyZeroPoint ? zeroPoints : default, terms);
    }

    private static void CheckOutput(int length, in ConvGeometry g)
    {
        if ((long)g.batch * g.outChannels * g.outHeight * g.outWidth != length) throw new ArgumentException("output has the wrong length");
    }

    private static void Gemm<TX, TSink>(scoped ReadOnlySpan<TX> x, int xZeroPoint, scoped ReadOnlySpan<sbyte> weights, scoped ReadOnlySpan<int> weightZeroPoints,
        scoped ReadOnlySpan<int> columnTerms, ref TSink sink, in ConvGeometry g)
        where TX : unmanaged where TSink : IIntegerSink, allows ref struct
    {
        if (typeof(TX) != typeof(byte) && typeof(TX) != typeof(sbyte)) throw new NotSupportedException(typeof(TX).Name);
        int m = g.outChannels, cg = g.inChannels / g.groups, mg = m / g.groups;
        int k = cg * g.kernelHeight * g.kernelWidth, kq = PaddedK(k) / 4;
        int p = g.outHeight * g.outWidth;
        if (weights.Length != m * kq * 4) throw new ArgumentException($"packed weights have {weights.Length} bytes, expected {m * kq * 4}");
        if (columnTerms.Length != m) throw new ArgumentException("column terms have the wrong length");
        if (x.Length != g.batch * g.inChannels * g.inHeight * g.inWidth) throw new ArgumentException("input has the wrong length");

        bool signedX = typeof(TX) == typeof(sbyte);
        byte pad = (byte)(xZeroPoint + (signedX ? 128 : 0));
        var path = IntegerPaths.Current;
        ReadOnlySpan<int> rows8 = MemoryMarshal.Cast<sbyte, int>(weights);
        Span<long> rows16 = default;
        if (QGemm.NeedsWideRows(path))
        {
            rows16 = QuantScratch<long>.Get(0, rows8.Length);
            QGemm.WidenRows(rows8, unsigned: false, rows16);
        }

        int block = Math.Clamp(PackedBlockBytes / (kq * 4) / QGemm.TileCols * QGemm.TileCols, QGemm.TileCols, 256);
        block = Math.Min(block, (p + QGemm.TileCols - 1) / QGemm.TileCols * QGemm.TileCols);
        Span<int> packed = QuantScratch<int>.Get(SlotPacked, kq * block);
        bool zeroPoints = !weightZeroPoints.IsEmpty;
        Span<int> sums = zeroPoints ? QuantScratch<int>.Get(SlotSums, block) : default;
        Span<int> tile = stackalloc int[QGemm.TileRows * QGemm.TileCols];
        Span<int> values = stackalloc int[QGemm.TileCols];
        ReadOnlySpan<byte> xb = MemoryMarshal.AsBytes(x);

        for (int n = 0; n < g.batch; n++)
        {
            for (int grp = 0; grp < g.groups; grp++)
            {
                ReadOnlySpan<byte> xg = xb.Slice((n * g.inChannels + grp * cg) * g.inHeight * g.inWidth, cg * g.inHeight * g.inWidth);
                for (int p0 = 0; p0 < p; p0 += block)
                {
                    int pc = Math.Min(block, p - p0);
                    int ldc = (pc + QGemm.TileCols - 1) / QGemm.TileCols * QGemm.TileCols;
                    Span<int> a = packed.Slice(0, kq * ldc);
                    Pack(xg, signedX, pad, k, kq, p0, pc, ldc, a, g);
                    if (zeroPoints) PixelSums(a, kq, ldc, pc, sums);
                    for (int m0 = 0; m0 < mg; m0 += QGemm.TileRows)
                    {
                        int rc = Math.Min(QGemm.TileRows, mg - m0);
                        int row0 = grp * mg + m0;
                        for (int c0 = 0; c0 < pc; c0 += QGemm.TileCols)
                        {
                            QGemm.Tile(path, rows8, rows16, row0, kq, rc, a, ldc, c0, kq, rowsUnsigned: false, tile);
                            int cc = Math.Min(QGemm.TileCols, pc - c0);
                            for (int r = 0; r < rc; r++)
                            {
                                int oc = row0 + r;
                                int term = columnTerms[oc];
                                int wz = zeroPoints ? weightZeroPoints[oc] : 0;
                                var t = tile.Slice(r * QGemm.TileCols, cc);
                                var v = values.Slice(0, cc);
                                if (wz == 0) for (int c = 0; c < cc; c++) v[c] = t[c] + term;
                                else for (int c = 0; c < cc; c++) v[c] = t[c] + term - wz * sums[c0 + c];
                                sink.Store(oc, (n * m + oc) * p + p0 + c0, v);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>pixel sums of the packed (shifted) activations: the sum x' term for nonzero weight zero points.</summary>
    private static void PixelSums(ReadOnlySpan<int> a, int kq, int ldc, int pc, Span<int> sums)
    {
        sums.Slice(0, pc).Clear();
        for (int q = 0; q < kq; q++)
        {
            var row = a.Slice(q * ldc, pc);
            for (int j = 0; j < pc; j++)
            {
                int v = row[j];
                sums[j] += (v & 0xFF) + ((v >> 8) & 0xFF) + ((v >> 16) & 0xFF) + ((v >>> 24) & 0xFF);
            }
        }
    }

    /// <summary>
    /// im2col of pixels [p0, p0 + pc) into a[q * ldc + j] (4 K-values per int, K padded with zeros); input bytes
    /// are shifted to uint8 (XOR 0x80 for int8), padding positions take the shifted zero point.
    /// </summary>
    internal static void Pack(ReadOnlySpan<byte> x, bool signedX, byte pad, int k, int kq, int p0, int pc, int ldc, Span<int> a, in ConvGeometry g)
    {
        byte flip = signedX ? (byte)0x80 : (byte)0;
        int hw = g.inHeight * g.inWidth;
        bool pointwise = g.kernelHeight == 1 && g.kernelWidth == 1 && g.strideHeight == 1 && g.strideWidth == 1 &&
            g.padTop == 0 && g.padLeft == 0 && g.outHeight == g.inHeight && g.outWidth == g.inWidth;
        if (pointwise)
        {
            PackPointwise(x, flip, k, kq, p0, pc, ldc, hw, a);
            return;
        }
        Span<byte> ab = MemoryMarshal.AsBytes(a);
        int kk = g.kernelHeight * g.kernelWidth;
        for (int kIndex = 0; kIndex < k; kIndex++)
        {
            int ic = kIndex / kk, t = kIndex - ic * kk;
            int kh = t / g.kernelWidth, kw = t - kh * g.kernelWidth;
            ReadOnlySpan<byte> plane = x.Slice(ic * hw, hw);
            int dst = (kIndex >> 2) * ldc * 4 + (kIndex & 3);
            int oh = p0 / g.outWidth, ow = p0 - oh * g.outWidth;
            int rowOffset = kh * g.dilationHeight - g.padTop, colOffset = kw * g.dilationWidth - g.padLeft;
            for (int j = 0; j < pc; j++)
            {
                int ih = oh * g.strideHeight + rowOffset, iw = ow * g.strideWidth + colOffset;
                ab[dst + 4 * j] = (uint)ih < (uint)g.inHeight && (uint)iw < (uint)g.inWidth ? (byte)(plane[ih * g.inWidth + iw] ^ flip) : pad;
                if (++ow == g.outWidth) { ow = 0; oh++; }
            }
        }
        for (int kIndex = k; kIndex < kq * 4; kIndex++)
        {
            int dst = (kIndex >> 2) * ldc * 4 + (kIndex & 3);
            for (int j = 0; j < pc; j++) ab[dst + 4 * j] = 0;
        }
    }

    /// <summary>1x1 stride-1 unpadded convolution: K = channels, so each packed int interleaves 4 channel planes.</summary>
    private static void PackPointwise(ReadOnlySpan<byte> x, byte flip, int k, int kq, int p0, int pc, int ldc, int hw, Span<int> a)
    {
        for (int q = 0; q < kq; q++)
        {
            int c = 4 * q;
            ReadOnlySpan<byte> s0 = x.Slice(c * hw + p0, pc);
            ReadOnlySpan<byte> s1 = c + 1 < k ? x.Slice((c + 1) * hw + p0, pc) : default;
            ReadOnlySpan<byte> s2 = c + 2 < k ? x.Slice((c + 2) * hw + p0, pc) : default;
            ReadOnlySpan<byte> s3 = c + 3 < k ? x.Slice((c + 3) * hw + p0, pc) : default;
            Span<int> row = a.Slice(q * ldc, pc);
            int j = 0;
            if (Sse2.IsSupported && c + 3 < k)
            {
                var f = Vector128.Create(flip);
                ref byte r0 = ref MemoryMarshal.GetReference(s0), r1 = ref MemoryMarshal.GetReference(s1);
                ref byte r2 = ref MemoryMarshal.GetReference(s2), r3 = ref MemoryMarshal.GetReference(s3);
                ref int o = ref MemoryMarshal.GetReference(row);
                for (; j <= pc - 16; j += 16)
                {
                    var v0 = Vector128.LoadUnsafe(ref r0, (nuint)j) ^ f;
                    var v1 = Vector128.LoadUnsafe(ref r1, (nuint)j) ^ f;
                    var v2 = Vector128.LoadUnsafe(ref r2, (nuint)j) ^ f;
                    var v3 = Vector128.LoadUnsafe(ref r3, (nuint)j) ^ f;
                    var lo01 = Sse2.UnpackLow(v0, v1).AsInt16();
                    var hi01 = Sse2.UnpackHigh(v0, v1).AsInt16();
                    var lo23 = Sse2.UnpackLow(v2, v3).AsInt16();
                    var hi23 = Sse2.UnpackHigh(v2, v3).AsInt16();
                    Sse2.UnpackLow(lo01, lo23).AsInt32().StoreUnsafe(ref o, (nuint)j);
                    Sse2.UnpackHigh(lo01, lo23).AsInt32().StoreUnsafe(ref o, (nuint)(j + 4));
                    Sse2.UnpackLow(hi01, hi23).AsInt32().StoreUnsafe(ref o, (nuint)(j + 8));
                    Sse2.UnpackHigh(hi01, hi23).AsInt32().StoreUnsafe(ref o, (nuint)(j + 12));
                }
            }
            for (; j < pc; j++)
            {
                int b0 = s0[j] ^ flip;
                int b1 = s1.IsEmpty ? 0 : s1[j] ^ flip;
                int b2 = s2.IsEmpty ? 0 : s2[j] ^ flip;
                int b3 = s3.IsEmpty ? 0 : s3[j] ^ flip;
                row[j] = b0 | (b1 << 8) | (b2 << 16) | (b3 << 24);
            }
        }
    }

    /// <summary>
    /// Depthwise (one input channel per group, any channel multiplier): per output channel, an int32 plane
    /// accumulates (x - xz) * (w - wz) tap by tap over the output rows whose input lies inside (padding
    /// contributes exactly zero), then goes to the sink with the bias.
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
        Span<int> plane = QuantScratch<int>.Get(SlotPlane, outPlane);
        Span<int> taps = QuantScratch<int>.Get(SlotSums, kk);
        var path = IntegerPaths.Current;
        for (int n = 0; n < g.batch; n++)
        {
            for (int oc = 0; oc < m; oc++)
            {
                int ic = oc / mg;
                int wz = weightZeroPoints.IsEmpty ? 0 : weightZeroPoints[oc];
                for (int t = 0; t < kk; t++) taps[t] = weights[oc * kk + t] - wz;
                plane.Fill(bias.IsEmpty ? 0 : bias[oc]);
                ReadOnlySpan<TX> xp = x.Slice((n * g.inChannels + ic) * inPlane, inPlane);
                for (int kh = 0; kh < g.kernelHeight; kh++)
                {
                    for (int kw = 0; kw < g.kernelWidth; kw++)
                    {
                        int wv = taps[kh * g.kernelWidth + kw];
                        if (wv == 0) continue;
                        int colOffset = kw * g.dilationWidth - g.padLeft;
                        int owStart = colOffset >= 0 ? 0 : (-colOffset + g.strideWidth - 1) / g.strideWidth;
                        int last = g.inWidth - 1 - colOffset;
                        int owEnd = last < 0 ? 0 : Math.Min(g.outWidth, last / g.strideWidth + 1);
                        if (owEnd <= owStart) continue;
                        int count = owEnd - owStart;
                        int iw0 = owStart * g.strideWidth + colOffset;
                        for (int oh = 0; oh < g.outHeight; oh++)
                        {
                            int ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight;
                            if ((uint)ih >= (uint)g.inHeight) continue;
                            AddScaledRow(path, xp.Slice(ih * g.inWidth, g.inWidth), iw0, g.strideWidth, xZeroPoint, wv,
                                plane.Slice(oh * g.outWidth + owStart, count));
                        }
                    }
                }
                sink.Store(oc, (n * m + oc) * outPlane, plane);
            }
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
