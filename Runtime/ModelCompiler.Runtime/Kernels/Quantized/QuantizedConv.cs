using System;
using System.ComponentModel;
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

    /// <summary>
    /// The most pixels in one block. Blocks are computed 8 (or 4) output channels at a time across all their pixels,
    /// so a long block keeps each channel's stores on one run of output; with small K (MobileNet's 16-channel
    /// expansions) blocks of 256 pixels spread every block's stores over all the output planes at once.
    /// </summary>
    private const int MaxBlockPixels = 4096;

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
    /// <paramref name="channelsLastTable"/>: what <see cref="DepthwiseChannelsLastTable{TX}"/> returned for these same
    /// weights, bias, multipliers, zero point and geometry (or empty: built per call where needed).
    /// </summary>
    public static void QLinearDepthwise<TX, TY>(ReadOnlySpan<TX> x, int xZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> weightZeroPoints,
        ReadOnlySpan<int> bias, ReadOnlySpan<float> multipliers, int yZeroPoint, Span<TY> y, in ConvGeometry g, ReadOnlySpan<int> channelsLastTable = default)
        where TX : unmanaged where TY : unmanaged
    {
        CheckOutput(y.Length, g);
        if (UseDepthwiseVnni(weightZeroPoints, g))
        {
            RunDepthwiseVnni(x, xZeroPoint, weights, bias, multipliers, yZeroPoint, y, g, channelsLastTable);
            return;
        }
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
        if (prepared.Depthwise && UseDepthwiseVnni(prepared.ZeroPoints, g)) RunDepthwiseVnni(x, xz, prepared.Weights, bias, multipliers, yz, y, g);
        else if (prepared.Depthwise) Depthwise(x, xz, prepared.Weights, prepared.ZeroPoints, bias, ref sink, g);
        else Gemm(x, xz, prepared.Weights, prepared.ZeroPoints, prepared.Terms, ref sink, g);
    }

    /// <summary>
    /// The requantized depthwise kernels of the VNNI path: small 3x3 planes channels last
    /// (<see cref="DepthwiseChannelsLast"/>), the rest with pixels in lanes (<see cref="DepthwiseVnni"/>).
    /// </summary>
    private static void RunDepthwiseVnni<TX, TY>(ReadOnlySpan<TX> x, int xZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> bias,
        ReadOnlySpan<float> multipliers, int yZeroPoint, Span<TY> y, in ConvGeometry g, ReadOnlySpan<int> channelsLastTable = default)
        where TX : unmanaged where TY : unmanaged
    {
        if (DepthwiseChannelsLast.IsSupported && DepthwiseChannelsLast.Fits(g))
            DepthwiseChannelsLast.Run(x, xZeroPoint, weights, bias, multipliers, yZeroPoint, y, g, channelsLastTable);
        else
            DepthwiseVnni.Run(x, xZeroPoint, weights, bias, multipliers, yZeroPoint, y, g);
    }

    /// <summary>
    /// The per-channel table <see cref="DepthwiseChannelsLast"/> otherwise builds on every call (tap-pair weights,
    /// starting sums, multipliers in its lane order) for <see cref="QLinearDepthwise{TX, TY}"/> with these constant
    /// weights, bias, multipliers and input zero point; empty where that kernel does not run on this machine or
    /// geometry. Generated code builds it once, on first use, and passes it to every call.
    /// </summary>
    public static int[] DepthwiseChannelsLastTable<TX>(ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> bias, ReadOnlySpan<float> multipliers,
        int xZeroPoint, in ConvGeometry g) where TX : unmanaged =>
        DepthwiseChannelsLast.IsSupported && DepthwiseChannelsLast.Fits(g)
            ? DepthwiseChannelsLast.Table(weights, bias, multipliers, xZeroPoint + (typeof(TX) == typeof(sbyte) ? 128 : 0), g.inChannels)
            : Array.Empty<int>();

    /// <summary>Whether a requantized depthwise convolution takes <see cref="DepthwiseVnni"/> (symmetric weights, VNNI path).</summary>
    private static bool UseDepthwiseVnni(ReadOnlySpan<int> weightZeroPoints, in ConvGeometry g) =>
        weightZeroPoints.IsEmpty && IntegerPaths.Current == IntegerPath.AvxVnni && DepthwiseVnni.IsSupported && DepthwiseVnni.Fits(g);

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

        var path = IntegerPaths.Current;
        if (weightZeroPoints.IsEmpty && path == IntegerPath.AvxVnni && WindowPackedConv.Applies(g) &&
            WindowPackedConv.TryRun(x, xZeroPoint, weights, columnTerms, ref sink, g))
            return;
        bool signedX = typeof(TX) == typeof(sbyte);
        byte pad = (byte)(xZeroPoint + (signedX ? 128 : 0));
        ReadOnlySpan<int> rows8 = MemoryMarshal.Cast<sbyte, int>(weights);
        Span<long> rows16 = default;
        if (QGemm.NeedsWideRows(path))
        {
            rows16 = QuantScratch<long>.Get(0, rows8.Length);
            QGemm.WidenRows(rows8, unsigned: false, rows16);
        }

        int block = Math.Clamp(PackedBlockBytes / (kq * 4) / QGemm.TileCols * QGemm.TileCols, QGemm.TileCols, MaxBlockPixels);
        block = Math.Min(block, (p + QGemm.TileCols - 1) / QGemm.TileCols * QGemm.TileCols);
        Span<int> packed = QuantScratch<int>.Get(SlotPacked, kq * block);
        bool zeroPoints = !weightZeroPoints.IsEmpty;
        Span<int> sums = zeroPoints ? QuantScratch<int>.Get(SlotSums, block + QGemm.TileCols) : default;
        Span<int> tile = stackalloc int[QGemm.TileRows * QGemm.TileCols];
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
                    else if (sink.TryConvBlock(path, rows8, kq, grp * mg, mg, a, ldc, pc, columnTerms.Slice(grp * mg, mg), (n * m + grp * mg) * p + p0, p))
                        continue;
                    for (int m0 = 0; m0 < mg; m0 += QGemm.TileRows)
                    {
                        int rc = Math.Min(QGemm.TileRows, mg - m0);
                        int row0 = grp * mg + m0;
                        for (int c0 = 0; c0 < pc; c0 += QGemm.TileCols)
                        {
                            QGemm.Tile(path, rows8, rows16, row0, kq, rc, a, ldc, c0, kq, rowsUnsigned: false, tile);
                            int cc = Math.Min(QGemm.TileCols, pc - c0);
                            sink.StoreChannelRows(tile, rc, cc, row0, columnTerms.Slice(row0, rc),
                                zeroPoints ? weightZeroPoints.Slice(row0, rc) : default, zeroPoints ? sums.Slice(c0) : default,
                                (n * m + row0) * p + p0 + c0, p);
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
        int kk = g.kernelHeight * g.kernelWidth;
        Span<int> rowOffset = stackalloc int[4], colOffset = stackalloc int[4], planeOffset = stackalloc int[4];
        Span<bool> used = stackalloc bool[4];
        bool vector = Sse2.IsSupported && g.strideWidth <= 2;
        for (int q = 0; q < kq; q++)
        {
            for (int t = 0; t < 4; t++)
            {
                int kIndex = 4 * q + t;
                used[t] = kIndex < k;
                if (!used[t]) continue;
                int ic = kIndex / kk, r = kIndex - ic * kk;
                int kh = r / g.kernelWidth, kw = r - kh * g.kernelWidth;
                planeOffset[t] = ic * hw;
                rowOffset[t] = kh * g.dilationHeight - g.padTop;
                colOffset[t] = kw * g.dilationWidth - g.padLeft;
            }
            Span<int> dst = a.Slice(q * ldc, pc);
            int j = 0, oh = p0 / g.outWidth, ow = p0 - oh * g.outWidth;
            while (j < pc)
            {
                int seg = Math.Min(g.outWidth - ow, pc - j);
                // Output columns where all four taps read inside the input.
                int lo = ow, hi = ow + seg;
                for (int t = 0; t < 4 && lo < hi; t++)
                {
                    if (!used[t]) continue;
                    int ih = oh * g.strideHeight + rowOffset[t];
                    if ((uint)ih >= (uint)g.inHeight) { hi = lo; break; }
                    int c = colOffset[t];
                    int first = c >= 0 ? 0 : (-c + g.strideWidth - 1) / g.strideWidth;
                    int lastCol = g.inWidth - 1 - c;
                    int end = lastCol < 0 ? 0 : lastCol / g.strideWidth + 1;
                    lo = Math.Max(lo, first);
                    hi = Math.Min(hi, end);
                }
                if (hi < lo) hi = lo;
                for (int o = ow; o < lo; o++) dst[j + o - ow] = PackOne(x, flip, pad, used, planeOffset, rowOffset, colOffset, oh, o, g);
                int o2 = lo;
                if (vector && hi - lo >= 16)
                {
                    for (; o2 + 16 <= hi; o2 += 16)
                        if (!PackSixteen(x, flip, used, planeOffset, rowOffset, colOffset, oh, o2, g, dst.Slice(j + o2 - ow, 16))) break;
                    // Overlap the last block with the previous one rather than packing a scalar tail.
                    if (o2 < hi && o2 + 16 > hi && PackSixteen(x, flip, used, planeOffset, rowOffset, colOffset, oh, hi - 16, g, dst.Slice(j + hi - 16 - ow, 16)))
                        o2 = hi;
                }
                else if (vector && hi - lo >= 8)
                {
                    // Narrow rows (8 to 15 inside): two overlapping 8-pixel blocks.
                    if (PackSixteen(x, flip, used, planeOffset, rowOffset, colOffset, oh, lo, g, dst.Slice(j + lo - ow, 8), eight: true) &&
                        PackSixteen(x, flip, used, planeOffset, rowOffset, colOffset, oh, hi - 8, g, dst.Slice(j + hi - 8 - ow, 8), eight: true))
                        o2 = hi;
                }
                for (; o2 < ow + seg; o2++) dst[j + o2 - ow] = PackOne(x, flip, pad, used, planeOffset, rowOffset, colOffset, oh, o2, g);
                j += seg;
                ow = 0;
                oh++;
            }
        }
    }

    /// <summary>The packed int of one pixel: four K-values (padding = the zero point, K past the end = 0).</summary>
    private static int PackOne(ReadOnlySpan<byte> x, byte flip, byte pad, ReadOnlySpan<bool> used, ReadOnlySpan<int> planeOffset,
        ReadOnlySpan<int> rowOffset, ReadOnlySpan<int> colOffset, int oh, int ow, in ConvGeometry g)
    {
        int packed = 0;
        for (int t = 0; t < 4; t++)
        {
            if (!used[t]) continue;
            int ih = oh * g.strideHeight + rowOffset[t], iw = ow * g.strideWidth + colOffset[t];
            int v = (uint)ih < (uint)g.inHeight && (uint)iw < (uint)g.inWidth ? x[planeOffset[t] + ih * g.inWidth + iw] ^ flip : pad;
            packed |= v << (8 * t);
        }
        return packed;
    }

    /// <summary>16 pixels whose taps are all inside (stride 1 or 2): four byte rows interleaved with SSE2 unpacks.</summary>
    private static bool PackSixteen(ReadOnlySpan<byte> x, byte flip, ReadOnlySpan<bool> used, ReadOnlySpan<int> planeOffset,
        ReadOnlySpan<int> rowOffset, ReadOnlySpan<int> colOffset, int oh, int ow, in ConvGeometry g, Span<int> dst, bool eight = false)
    {
        if (dst.Length < (eight ? 8 : 16)) return false;
        int load = g.strideWidth == 1 ? 16 : 32;
        for (int t = 0; t < 4; t++)
            if (used[t] && planeOffset[t] + (oh * g.strideHeight + rowOffset[t]) * g.inWidth + ow * g.strideWidth + colOffset[t] + load > x.Length) return false;
        var f = Vector128.Create(flip);
        int rowBase = oh * g.strideHeight * g.inWidth + ow * g.strideWidth;
        Vector128<byte> v0 = SixteenOf(x, used[0], planeOffset[0] + rowBase + rowOffset[0] * g.inWidth + colOffset[0], g.strideWidth, f);
        Vector128<byte> v1 = SixteenOf(x, used[1], planeOffset[1] + rowBase + rowOffset[1] * g.inWidth + colOffset[1], g.strideWidth, f);
        Vector128<byte> v2 = SixteenOf(x, used[2], planeOffset[2] + rowBase + rowOffset[2] * g.inWidth + colOffset[2], g.strideWidth, f);
        Vector128<byte> v3 = SixteenOf(x, used[3], planeOffset[3] + rowBase + rowOffset[3] * g.inWidth + colOffset[3], g.strideWidth, f);
        var lo01 = Sse2.UnpackLow(v0, v1).AsInt16();
        var hi01 = Sse2.UnpackHigh(v0, v1).AsInt16();
        var lo23 = Sse2.UnpackLow(v2, v3).AsInt16();
        var hi23 = Sse2.UnpackHigh(v2, v3).AsInt16();
        ref int o = ref MemoryMarshal.GetReference(dst);
        Sse2.UnpackLow(lo01, lo23).AsInt32().StoreUnsafe(ref o, 0);
        Sse2.UnpackHigh(lo01, lo23).AsInt32().StoreUnsafe(ref o, 4);
        if (eight) return true;
        Sse2.UnpackLow(hi01, hi23).AsInt32().StoreUnsafe(ref o, 8);
        Sse2.UnpackHigh(hi01, hi23).AsInt32().StoreUnsafe(ref o, 12);
        return true;
    }

    /// <summary>16 bytes at x[at], or every other byte from there (stride 2), shifted; zeros for an unused K slot.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> SixteenOf(ReadOnlySpan<byte> x, bool used, int at, int stride, Vector128<byte> flip)
    {
        if (!used) return default;
        ref byte src = ref Unsafe.Add(ref MemoryMarshal.GetReference(x), at);
        if (stride == 1) return Vector128.LoadUnsafe(ref src) ^ flip;
        var mask = Vector128.Create((short)0xFF);
        var even0 = Vector128.LoadUnsafe(ref src).AsInt16() & mask;
        var even1 = Vector128.LoadUnsafe(ref src, 16).AsInt16() & mask;
        return Sse2.PackUnsignedSaturate(even0, even1) ^ flip;
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
