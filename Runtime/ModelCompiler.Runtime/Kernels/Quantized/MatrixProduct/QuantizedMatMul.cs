using System;
using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelCompiler.Runtime;

/// <summary>Requantizes with one multiplier per output column (channel = first column of the run).</summary>
internal ref struct RequantLanesSink<T> : IIntegerSink where T : unmanaged
{
    private readonly Span<T> _y;
    private readonly ReadOnlySpan<float> _multipliers;
    private readonly int _zeroPoint;

    public RequantLanesSink(Span<T> y, ReadOnlySpan<float> multipliers, int zeroPoint)
    {
        _y = y;
        _multipliers = multipliers;
        _zeroPoint = zeroPoint;
    }

    public void Store(int channel, int offset, scoped ReadOnlySpan<int> values)
    {
        if (_multipliers.Length == 1) Requantize.Store(values, _multipliers[0], _zeroPoint, _y.Slice(offset, values.Length));
        else Requantize.StorePerLane(values, _multipliers.Slice(channel, values.Length), _zeroPoint, _y.Slice(offset, values.Length));
    }

    public void StoreChannelRows(scoped ReadOnlySpan<int> tile, int rows, int lanes, int channel0, scoped ReadOnlySpan<int> terms,
        scoped ReadOnlySpan<int> zeroPoints, scoped ReadOnlySpan<int> sums, int offset, int stride) =>
        throw new NotSupportedException("per-column lanes only");

    public bool TryConvBlock(IntegerPath path, scoped ReadOnlySpan<int> rows8, int kq, int row0, int rowCount, scoped ReadOnlySpan<int> cols, int ldc,
        int pixels, scoped ReadOnlySpan<int> terms, int offset, int stride) => false;

    public void StoreColumnRows(scoped ReadOnlySpan<int> tile, int rows, int lanes, int column0, scoped ReadOnlySpan<int> terms,
        scoped ReadOnlySpan<int> zeroPoints, scoped ReadOnlySpan<int> sums, int offset, int stride)
    {
        if (!QuantizedEpilogue.Vectorized)
        {
            Span<int> values = stackalloc int[QGemm.TileCols];
            for (int r = 0; r < rows; r++)
            {
                QuantizedEpilogue.ColumnRowsScalar(tile, r, lanes, terms, zeroPoints, zeroPoints.IsEmpty ? 0 : sums[r], values);
                Store(column0, offset + r * stride, values.Slice(0, lanes));
            }
            return;
        }
        var lo = Vector256.Create((float)(Requantize.Min<T>() - _zeroPoint));
        var hi = Vector256.Create((float)(Requantize.Max<T>() - _zeroPoint));
        var zp = Vector256.Create(_zeroPoint);
        QuantizedEpilogue.Load16(terms, lanes, out var a0, out var a1);
        Vector256<int> z0 = default, z1 = default;
        if (!zeroPoints.IsEmpty) QuantizedEpilogue.Load16(zeroPoints, lanes, out z0, out z1);
        Vector256<float> m0, m1;
        if (_multipliers.Length == 1) m0 = m1 = Vector256.Create(_multipliers[0]);
        else QuantizedEpilogue.Load16(_multipliers.Slice(column0, lanes), lanes, out m0, out m1);
        ref int t = ref MemoryMarshal.GetReference(tile);
        for (int r = 0; r < rows; r++)
        {
            var v0 = Vector256.LoadUnsafe(ref t, (nuint)(r * QGemm.TileCols)) + a0;
            var v1 = Vector256.LoadUnsafe(ref t, (nuint)(r * QGemm.TileCols + 8)) + a1;
            if (!zeroPoints.IsEmpty)
            {
                var s = Vector256.Create(sums[r]);
                v0 -= z0 * s;
                v1 -= z1 * s;
            }
            QuantizedEpilogue.Requant16(v0, v1, m0, m1, lo, hi, zp, _y.Slice(offset + r * stride), lanes);
        }
    }
}

/// <summary>
/// Scales int32 sums to float32: (float)sum x scales[column] + bias[column] (MatMulIntegerToFloat), one scale per
/// output column (or one for all), the bias optional.
/// </summary>
internal ref struct ScaleToFloatSink : IIntegerSink
{
    private readonly Span<float> _y;
    private readonly ReadOnlySpan<float> _scales;
    private readonly ReadOnlySpan<float> _bias;

    public ScaleToFloatSink(Span<float> y, ReadOnlySpan<float> scales, ReadOnlySpan<float> bias)
    {
        _y = y;
        _scales = scales;
        _bias = bias;
    }

    public void Store(int channel, int offset, scoped ReadOnlySpan<int> values)
    {
        for (int i = 0; i < values.Length; i++) _y[offset + i] = Scale(values[i], channel + i);
    }

    private float Scale(int sum, int column) =>
        (float)sum * _scales[_scales.Length == 1 ? 0 : column] + (_bias.IsEmpty ? 0f : _bias[column]);

    public void StoreChannelRows(scoped ReadOnlySpan<int> tile, int rows, int lanes, int channel0, scoped ReadOnlySpan<int> terms,
        scoped ReadOnlySpan<int> zeroPoints, scoped ReadOnlySpan<int> sums, int offset, int stride) =>
        throw new NotSupportedException("per-column lanes only");

    public bool TryConvBlock(IntegerPath path, scoped ReadOnlySpan<int> rows8, int kq, int row0, int rowCount, scoped ReadOnlySpan<int> cols, int ldc,
        int pixels, scoped ReadOnlySpan<int> terms, int offset, int stride) => false;

    public void StoreColumnRows(scoped ReadOnlySpan<int> tile, int rows, int lanes, int column0, scoped ReadOnlySpan<int> terms,
        scoped ReadOnlySpan<int> zeroPoints, scoped ReadOnlySpan<int> sums, int offset, int stride)
    {
        Span<int> values = stackalloc int[QGemm.TileCols];
        for (int r = 0; r < rows; r++)
        {
            QuantizedEpilogue.ColumnRowsScalar(tile, r, lanes, terms, zeroPoints, zeroPoints.IsEmpty ? 0 : sums[r], values);
            Span<float> y = _y.Slice(offset + r * stride, lanes);
            for (int c = 0; c < lanes; c++) y[c] = Scale(values[c], column0 + c);
        }
    }
}

/// <summary>
/// Quantized matrix multiplication with int32 accumulation: QLinearMatMul (requantized to 8 bits) and
/// MatMulInteger (int32 out). B is packed as [K/4][N rounded up to 16] ints (4 K-values of one column per int,
/// int8: uint8 B shifted by -128), so output columns are the vector lanes; A rows are broadcast (uint8: int8 A
/// shifted by +128). As for convolution, sum (a - az)(b - bz) = sum a'b' - bz'·sum a' - az'·sum b' + K·az'·bz',
/// the last two terms precomputed per column (<c>columnTerms</c>).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class QuantizedMatMul
{
    private const int SlotRows = 0, SlotRowSums = 1, SlotPackedB = 3, SlotTerms = 4, SlotZeroPoints = 5, SlotSums = 2;

    /// <summary>The packed B row length (in ints): N rounded up to the tile width.</summary>
    public static int PackedColumns(int n) => (n + QGemm.TileCols - 1) / QGemm.TileCols * QGemm.TileCols;

    /// <summary>
    /// The packed B row length in the panel layout (<c>panels: true</c>): N rounded up to 64. That layout is
    /// [N/64 panels][K/4][64] ints, so a single-row product (a classifier's input vector, which the generator knows
    /// at build time) streams B from start to end: 30% faster than 256-byte pieces 4 KB apart on Zen 5.
    /// </summary>
    public static int PanelColumns(int n) => (n + QGemm.WideCols - 1) / QGemm.WideCols * QGemm.WideCols;

    /// <summary>QLinearMatMul with B prepared at build time; A is [m][k] (leading batch dimensions folded into m).</summary>
    public static void QLinearMatMul<TA, TY>(ReadOnlySpan<TA> a, int aZeroPoint, ReadOnlySpan<sbyte> packedB, ReadOnlySpan<int> bZeroPoints,
        ReadOnlySpan<int> columnTerms, ReadOnlySpan<float> multipliers, int yZeroPoint, Span<TY> y, int m, int n, int k, bool panels = false)
        where TA : unmanaged where TY : unmanaged
    {
        if (y.Length != m * n) throw new ArgumentException("output has the wrong length");
        var sink = new RequantLanesSink<TY>(y, multipliers, yZeroPoint);
        Core(a, aZeroPoint, MemoryMarshal.Cast<sbyte, int>(packedB), bZeroPoints, columnTerms, ref sink, m, n, k, panels);
    }

    /// <summary>MatMulInteger with B prepared at build time.</summary>
    public static void MatMulInteger<TA>(ReadOnlySpan<TA> a, int aZeroPoint, ReadOnlySpan<sbyte> packedB, ReadOnlySpan<int> bZeroPoints,
        ReadOnlySpan<int> columnTerms, Span<int> y, int m, int n, int k, bool panels = false) where TA : unmanaged
    {
        if (y.Length != m * n) throw new ArgumentException("output has the wrong length");
        var sink = new IntSink(y);
        Core(a, aZeroPoint, MemoryMarshal.Cast<sbyte, int>(packedB), bZeroPoints, columnTerms, ref sink, m, n, k, panels);
    }

    /// <summary>
    /// MatMulIntegerToFloat with B prepared at build time: y = (float)(int32 product) x scales[column] + bias[column]
    /// (scales: a_scale x b_scale, one or one per column; bias optional).
    /// </summary>
    public static void MatMulIntegerToFloat<TA>(ReadOnlySpan<TA> a, int aZeroPoint, ReadOnlySpan<sbyte> packedB, ReadOnlySpan<int> bZeroPoints,
        ReadOnlySpan<int> columnTerms, ReadOnlySpan<float> scales, ReadOnlySpan<float> bias, Span<float> y, int m, int n, int k, bool panels = false) where TA : unmanaged
    {
        if (y.Length != m * n) throw new ArgumentException("output has the wrong length");
        if ((scales.Length != 1 && scales.Length != n) || (!bias.IsEmpty && bias.Length != n)) throw new ArgumentException("scales or bias have the wrong length");
        var sink = new ScaleToFloatSink(y, scales, bias);
        Core(a, aZeroPoint, MemoryMarshal.Cast<sbyte, int>(packedB), bZeroPoints, columnTerms, ref sink, m, n, k, panels);
    }

    /// <summary>
    /// MatMulIntegerToFloat with everything known at run time: the int32 product (<see cref="MatMulIntegerDynamic"/>)
    /// then scaled. a_scale and a_zero_point per tensor; b_scale and b_zero_point per tensor or per column.
    /// </summary>
    public static void MatMulIntegerToFloatDynamic<TA, TB>(ReadOnlySpan<TA> a, ReadOnlySpan<float> aScale, ReadOnlySpan<TA> aZeroPoint,
        ReadOnlySpan<TB> b, ReadOnlySpan<float> bScale, ReadOnlySpan<TB> bZeroPoint, ReadOnlySpan<float> bias,
        Span<float> y, int m, int n, int k, ReadOnlySpan<int> aOffsets, ReadOnlySpan<int> bOffsets)
        where TA : unmanaged where TB : unmanaged
    {
        if (aScale.Length != 1 || aZeroPoint.Length > 1) throw new ArgumentException("MatMulIntegerToFloat: a_scale and a_zero_point must be single values");
        if (bScale.Length != 1 && bScale.Length != n) throw new ArgumentException($"MatMulIntegerToFloat: b_scale must have 1 or {n} values");
        if (!bias.IsEmpty && bias.Length != n) throw new ArgumentException($"MatMulIntegerToFloat: bias must have {n} values");
        if (y.Length != aOffsets.Length * m * n) throw new ArgumentException("output has the wrong length");
        Span<int> sums = QuantScratch<int>.Get(SlotSums, y.Length);
        MatMulIntegerDynamic(a, aZeroPoint, b, bZeroPoint, sums, m, n, k, aOffsets, bOffsets);
        for (int i = 0; i < y.Length; i++)
        {
            int column = i % n;
            y[i] = (float)sums[i] * (aScale[0] * bScale[bScale.Length == 1 ? 0 : column]) + (bias.IsEmpty ? 0f : bias[column]);
        }
    }

    /// <summary>
    /// QLinearMatMul with everything known at run time. Batches: output batch i multiplies A at
    /// <paramref name="aOffsets"/>[i] by B at <paramref name="bOffsets"/>[i] (numpy broadcasting, resolved at build
    /// time). Scales are float32 or float16; a_scale/a_zero_point may be per row (length m), b's per column (length n).
    /// </summary>
    public static void QLinearMatMulDynamic<TA, TB, TY, TS>(ReadOnlySpan<TA> a, ReadOnlySpan<TS> aScale, ReadOnlySpan<TA> aZeroPoint,
        ReadOnlySpan<TB> b, ReadOnlySpan<TS> bScale, ReadOnlySpan<TB> bZeroPoint, ReadOnlySpan<TS> yScale, ReadOnlySpan<TY> yZeroPoint,
        Span<TY> y, int m, int n, int k, ReadOnlySpan<int> aOffsets, ReadOnlySpan<int> bOffsets)
        where TA : unmanaged where TB : unmanaged where TY : unmanaged where TS : unmanaged
    {
        if (yScale.Length != 1 || yZeroPoint.Length != 1) throw new ArgumentException("QLinearMatMul: y_scale and y_zero_point must be single values");
        if ((aScale.Length != 1 && aScale.Length != m) || (aZeroPoint.Length > 1 && aZeroPoint.Length != aScale.Length))
            throw new ArgumentException($"QLinearMatMul: a_scale and a_zero_point must have 1 or {m} values");
        if ((bScale.Length != 1 && bScale.Length != n) || (bZeroPoint.Length > 1 && bZeroPoint.Length != bScale.Length))
            throw new ArgumentException($"QLinearMatMul: b_scale and b_zero_point must have 1 or {n} values");
        if (y.Length != aOffsets.Length * m * n) throw new ArgumentException("output has the wrong length");
        int yz = Requantize.Widen(yZeroPoint[0]);
        Span<float> multipliers = QuantScratch<float>.Get(0, bScale.Length);
        bool perRow = aScale.Length > 1 || aZeroPoint.Length > 1;
        for (int batch = 0; batch < aOffsets.Length; batch++)
        {
            var ab = a.Slice(aOffsets[batch], m * k);
            var prepared = PackB(b.Slice(bOffsets[batch], k * n), bZeroPoint, n, k);
            for (int r0 = 0; r0 < m; r0 += perRow ? 1 : m)
            {
                int rows = perRow ? 1 : m;
                int ai = aScale.Length == 1 ? 0 : r0;
                for (int c = 0; c < multipliers.Length; c++) multipliers[c] = Multiplier(aScale[ai], bScale[c], yScale[0]);
                int az = aZeroPoint.IsEmpty ? 0 : Requantize.Widen(aZeroPoint[aZeroPoint.Length == 1 ? 0 : r0]);
                Span<int> terms = Terms(prepared.ColumnSums, prepared.ZeroPoints, az, typeof(TA) == typeof(sbyte), k);
                var sink = new RequantLanesSink<TY>(y.Slice((batch * m + r0) * n, rows * n), multipliers, yz);
                Core(ab.Slice(r0 * k, rows * k), az, prepared.Packed, prepared.AnyZeroPoint ? prepared.ZeroPoints : default, terms, ref sink, rows, n, k);
            }
        }
    }

    /// <summary>MatMulInteger with everything known at run time (zero points may be empty; a's per row, b's per column).</summary>
    public static void MatMulIntegerDynamic<TA, TB>(ReadOnlySpan<TA> a, ReadOnlySpan<TA> aZeroPoint, ReadOnlySpan<TB> b, ReadOnlySpan<TB> bZeroPoint,
        Span<int> y, int m, int n, int k, ReadOnlySpan<int> aOffsets, ReadOnlySpan<int> bOffsets)
        where TA : unmanaged where TB : unmanaged
    {
        if (aZeroPoint.Length > 1 && aZeroPoint.Length != m) throw new ArgumentException($"MatMulInteger: a_zero_point must have 1 or {m} values");
        if (bZeroPoint.Length > 1 && bZeroPoint.Length != n) throw new ArgumentException($"MatMulInteger: b_zero_point must have 1 or {n} values");
        if (y.Length != aOffsets.Length * m * n) throw new ArgumentException("output has the wrong length");
        bool perRow = aZeroPoint.Length > 1;
        for (int batch = 0; batch < aOffsets.Length; batch++)
        {
            var ab = a.Slice(aOffsets[batch], m * k);
            var prepared = PackB(b.Slice(bOffsets[batch], k * n), bZeroPoint, n, k);
            for (int r0 = 0; r0 < m; r0 += perRow ? 1 : m)
            {
                int rows = perRow ? 1 : m;
                int az = aZeroPoint.IsEmpty ? 0 : Requantize.Widen(aZeroPoint[perRow ? r0 : 0]);
                Span<int> terms = Terms(prepared.ColumnSums, prepared.ZeroPoints, az, typeof(TA) == typeof(sbyte), k);
                var sink = new IntSink(y.Slice((batch * m + r0) * n, rows * n));
                Core(ab.Slice(r0 * k, rows * k), az, prepared.Packed, prepared.AnyZeroPoint ? prepared.ZeroPoints : default, terms, ref sink, rows, n, k);
            }
        }
    }

    private static float Multiplier<TS>(TS a, TS b, TS y) where TS : unmanaged
    {
        if (typeof(TS) == typeof(float)) return (float)(object)a * (float)(object)b / (float)(object)y;
        if (typeof(TS) == typeof(Half))
        {
            // float16 scales multiply in float16 (each step rounded), as the ONNX reference computes them.
            Half p = (Half)((float)(Half)(object)a * (float)(Half)(object)b);
            return (float)(Half)((float)p / (float)(Half)(object)y);
        }
        throw new NotSupportedException(typeof(TS).Name);
    }

    private readonly ref struct PackedB
    {
        public PackedB(ReadOnlySpan<int> packed, ReadOnlySpan<int> columnSums, Span<int> zeroPoints, bool any)
        {
            Packed = packed; ColumnSums = columnSums; ZeroPoints = zeroPoints; AnyZeroPoint = any;
        }
        public ReadOnlySpan<int> Packed { get; }
        public ReadOnlySpan<int> ColumnSums { get; }
        public Span<int> ZeroPoints { get; }
        public bool AnyZeroPoint { get; }
    }

    /// <summary>Packs a run-time B into this thread's scratch, with its column sums and shifted zero points.</summary>
    private static PackedB PackB<TB>(ReadOnlySpan<TB> b, ReadOnlySpan<TB> bZeroPoint, int n, int k) where TB : unmanaged
    {
        int kq = (k + 3) / 4, ldb = PackedColumns(n);
        int shift = typeof(TB) == typeof(byte) ? 128 : 0;
        Span<int> packed = QuantScratch<int>.Get(SlotPackedB, kq * ldb);
        packed.Clear();
        Span<byte> pb = MemoryMarshal.AsBytes(packed);
        Span<int> sums = QuantScratch<int>.Get(SlotTerms, 2 * n);
        Span<int> zeroPoints = QuantScratch<int>.Get(SlotZeroPoints, n);
        sums.Clear();
        for (int kk = 0; kk < k; kk++)
        {
            int rowBase = ((kk >> 2) * ldb) * 4 + (kk & 3);
            for (int c = 0; c < n; c++)
            {
                int v = Requantize.Widen(b[kk * n + c]) - shift;
                pb[rowBase + 4 * c] = (byte)(sbyte)v;
                sums[c] += v;
            }
        }
        bool any = false;
        for (int c = 0; c < n; c++)
        {
            zeroPoints[c] = (bZeroPoint.IsEmpty ? 0 : Requantize.Widen(bZeroPoint[bZeroPoint.Length == 1 ? 0 : c])) - shift;
            any |= zeroPoints[c] != 0;
        }
        return new PackedB(packed, sums.Slice(0, n), zeroPoints, any);
    }

    /// <summary>columnTerms[c] = -az' * sum b'[., c] + K * az' * bz'[c] (in the second half of the sums slot).</summary>
    private static Span<int> Terms(ReadOnlySpan<int> columnSums, ReadOnlySpan<int> zeroPoints, int aZeroPoint, bool aSigned, int k)
    {
        int n = columnSums.Length;
        Span<int> terms = QuantScratch<int>.Get(SlotTerms, 2 * n).Slice(n, n);
        int az = aZeroPoint + (aSigned ? 128 : 0);
        for (int c = 0; c < n; c++) terms[c] = -az * columnSums[c] + k * az * zeroPoints[c];
        return terms;
    }

    private static void Core<TA, TSink>(scoped ReadOnlySpan<TA> a, int aZeroPoint, scoped ReadOnlySpan<int> packedB, scoped ReadOnlySpan<int> bZeroPoints,
        scoped ReadOnlySpan<int> columnTerms, ref TSink sink, int m, int n, int k, bool panels = false)
        where TA : unmanaged where TSink : IIntegerSink, allows ref struct
    {
        if (typeof(TA) != typeof(byte) && typeof(TA) != typeof(sbyte)) throw new NotSupportedException(typeof(TA).Name);
        int kq = (k + 3) / 4, ldb = panels ? PanelColumns(n) : PackedColumns(n);
        if (a.Length != m * k) throw new ArgumentException("A has the wrong length");
        if (packedB.Length != kq * ldb) throw new ArgumentException($"packed B has {packedB.Length} ints, expected {kq * ldb}");
        if (columnTerms.Length != n || (!bZeroPoints.IsEmpty && bZeroPoints.Length != n)) throw new ArgumentException("column terms have the wrong length");
        if (m == 0 || n == 0) return;

        // A rows, shifted to uint8 and padded to whole ints.
        byte flip = typeof(TA) == typeof(sbyte) ? (byte)0x80 : (byte)0;
        Span<int> rows8 = QuantScratch<int>.Get(SlotRows, m * kq);
        Span<byte> rb = MemoryMarshal.AsBytes(rows8);
        ReadOnlySpan<byte> ab = MemoryMarshal.AsBytes(a);
        bool zeroPoints = !bZeroPoints.IsEmpty;
        Span<int> rowSums = zeroPoints ? QuantScratch<int>.Get(SlotRowSums, m) : default;
        for (int r = 0; r < m; r++)
        {
            Span<byte> dst = rb.Slice(r * kq * 4, kq * 4);
            ReadOnlySpan<byte> src = ab.Slice(r * k, k);
            if (flip == 0) src.CopyTo(dst);
            else for (int i = 0; i < k; i++) dst[i] = (byte)(src[i] ^ flip);
            dst.Slice(k).Clear();
            if (zeroPoints)
            {
                int s = 0;
                for (int i = 0; i < k; i++) s += dst[i];
                rowSums[r] = s;
            }
        }
        var path = IntegerPaths.Current;
        Span<long> rows16 = default;
        if (QGemm.NeedsWideRows(path))
        {
            rows16 = QuantScratch<long>.Get(0, rows8.Length);
            QGemm.WidenRows(rows8, unsigned: true, rows16);
        }

        Span<int> tile = stackalloc int[QGemm.TileRows * QGemm.TileCols];
        int done = 0;
        if (m == 1 && path == IntegerPath.AvxVnni && AvxVnni.IsSupported)
        {
            // A single row (a classifier's input vector): 64 columns per pass instead of 4-row tiles that would
            // repeat the one row four times.
            Span<int> wide = stackalloc int[QGemm.WideCols];
            for (; done + QGemm.WideCols <= ldb; done += QGemm.WideCols)
            {
                if (panels) QGemm.RowVnni(rows8.Slice(0, kq), packedB.Slice(done * kq, kq * QGemm.WideCols), QGemm.WideCols, 0, wide);
                else QGemm.RowVnni(rows8.Slice(0, kq), packedB, ldb, done, wide);
                for (int c = 0; c < QGemm.WideCols && done + c < n; c += QGemm.TileCols)
                {
                    int cc = Math.Min(QGemm.TileCols, n - done - c);
                    sink.StoreColumnRows(wide.Slice(c), 1, cc, done + c, columnTerms.Slice(done + c, cc),
                        zeroPoints ? bZeroPoints.Slice(done + c, cc) : default, zeroPoints ? rowSums.Slice(0, 1) : default, done + c, n);
                }
            }
        }
        for (int n0 = done; n0 < n; n0 += QGemm.TileCols)
        {
            int cc = Math.Min(QGemm.TileCols, n - n0);
            for (int m0 = 0; m0 < m; m0 += QGemm.TileRows)
            {
                int rc = Math.Min(QGemm.TileRows, m - m0);
                if (panels)
                    QGemm.Tile(path, rows8, rows16, m0, kq, rc, packedB.Slice(n0 / QGemm.WideCols * QGemm.WideCols * kq, kq * QGemm.WideCols), QGemm.WideCols,
                        n0 % QGemm.WideCols, kq, rowsUnsigned: true, tile);
                else QGemm.Tile(path, rows8, rows16, m0, kq, rc, packedB, ldb, n0, kq, rowsUnsigned: true, tile);
                sink.StoreColumnRows(tile, rc, cc, n0, columnTerms.Slice(n0, cc), zeroPoints ? bZeroPoints.Slice(n0, cc) : default,
                    zeroPoints ? rowSums.Slice(m0, rc) : default, m0 * n + n0, n);
            }
        }
    }
}
