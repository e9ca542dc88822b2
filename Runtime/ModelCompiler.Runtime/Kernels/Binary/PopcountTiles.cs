using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelCompiler.Runtime;

/// <summary>
/// The inner product of binary convolutions, tiled: <see cref="Block"/> output positions (the lanes of a vector) times
/// one weight panel of 8 channels. Patches are word-major ([word][position], rows <c>stride</c> long, see
/// <see cref="BinaryPatches"/>), so one load gives a word of 8 (AVX-512) or 4 (AVX2) positions, and each panel
/// weight word is broadcast against it: the patch words are read once per panel, the weights once per tile, and the
/// counts come out with positions in the lanes, which is the output's (NCHW) order, so the epilogue (scale and bias,
/// or the folded next binarization) runs on whole vectors. dot = valid - 2 * popcount((a ^ w) &amp; mask).
/// </summary>
[SkipLocalsInit]
internal static unsafe class PopcountTiles
{
    /// <summary>Positions per tile; patch rows are padded to a multiple of it.</summary>
    public const int Block = 8;

    /// <summary>Byte counts reach at most 8 per word, so 31 words fit a byte before the horizontal sum.</summary>
    private const int WordsPerByteSum = 31;

    public static void Run(ulong* a, ulong* mask, int* valid, int stride, int positions, int words, ulong* w, int channels, float* y,
        in BinaryLayers.Output output, BinaryIsa isa)
    {
        var path = PopcountGemm.Resolve(isa);
        bool carrySave = path == BinaryIsa.Avx512 && isa != BinaryIsa.Avx512Lookup && words >= Group;
        int panels = (channels + BinaryLayers.Panel - 1) / BinaryLayers.Panel;
        for (int p = 0; p < positions; p += Block)
        {
            int lanes = Math.Min(Block, positions - p);
            for (int panel = 0; panel < panels; panel++)
            {
                ulong* wp = w + (long)panel * words * BinaryLayers.Panel;
                int first = panel * BinaryLayers.Panel, count = Math.Min(BinaryLayers.Panel, channels - first);
                float* yt = y + (long)first * positions + p;
                ulong* mt = mask == null ? null : mask + p;
                switch (path)
                {
                    case BinaryIsa.Avx512 when carrySave:
                        Tile512Hs(a + p, mt, stride, words, wp, valid + p, yt, positions, lanes, first, count, output);
                        break;
                    case BinaryIsa.Avx512:
                        Tile512(a + p, mt, stride, words, wp, valid + p, yt, positions, lanes, first, count, output);
                        break;
                    case BinaryIsa.Avx2:
                        for (int half = 0; half < 2; half++)
                            for (int q = 0; q < Block && q < lanes; q += 4)
                                Tile256(a + p + q, mt == null ? null : mt + q, stride, words, wp + 4 * half, valid + p + q, yt + q + (long)4 * half * positions,
                                    positions, Math.Min(4, lanes - q), first + 4 * half, count - 4 * half, output);
                        break;
                    default:
                        TileScalar(a + p, mt, stride, words, wp, valid + p, yt, positions, lanes, first, count, output);
                        break;
                }
            }
        }
    }

    // Popcounts of 0..15, repeated in every 128-bit lane (vpshufb looks up within lanes).
    private static Vector128<byte> NibbleCounts => Vector128.Create((byte)0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Pop(Vector512<ulong> v, Vector512<byte> table, Vector512<byte> low) =>
        Avx512BW.Shuffle(table, v.AsByte() & low) + Avx512BW.Shuffle(table, Vector512.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & low);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Sum(Vector512<byte> bytes) => Avx512BW.SumAbsoluteDifferences(bytes, Vector512<byte>.Zero).AsUInt64();

    /// <summary>8 positions x 8 channels: eight byte accumulators, the patch word loaded once for all eight.</summary>
    private static void Tile512(ulong* a, ulong* m, int stride, int words, ulong* w, int* valid, float* y, int positions, int lanes,
        int first, int count, in BinaryLayers.Output output)
    {
        var table = Vector512.Create(Vector256.Create(NibbleCounts, NibbleCounts), Vector256.Create(NibbleCounts, NibbleCounts));
        var low = Vector512.Create((byte)0x0F);
        Vector512<ulong> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        for (int start = 0; start < words; start += WordsPerByteSum)
        {
            int end = Math.Min(words, start + WordsPerByteSum);
            Vector512<byte> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
            if (m == null)
                for (int i = start; i < end; i++)
                {
                    var av = Vector512.Load(a + (long)i * stride);
                    ulong* wi = w + (long)i * 8;
                    b0 += Pop(av ^ Vector512.Create(wi[0]), table, low);
                    b1 += Pop(av ^ Vector512.Create(wi[1]), table, low);
                    b2 += Pop(av ^ Vector512.Create(wi[2]), table, low);
                    b3 += Pop(av ^ Vector512.Create(wi[3]), table, low);
                    b4 += Pop(av ^ Vector512.Create(wi[4]), table, low);
                    b5 += Pop(av ^ Vector512.Create(wi[5]), table, low);
                    b6 += Pop(av ^ Vector512.Create(wi[6]), table, low);
                    b7 += Pop(av ^ Vector512.Create(wi[7]), table, low);
                }
            else
                for (int i = start; i < end; i++)
                {
                    var av = Vector512.Load(a + (long)i * stride);
                    var mv = Vector512.Load(m + (long)i * stride);
                    ulong* wi = w + (long)i * 8;
                    // (a ^ w) & mask in one vpternlogq: truth table (0xF0 ^ 0xCC) & 0xAA.
                    b0 += Pop(Avx512F.TernaryLogic(av, Vector512.Create(wi[0]), mv, 0x28), table, low);
                    b1 += Pop(Avx512F.TernaryLogic(av, Vector512.Create(wi[1]), mv, 0x28), table, low);
                    b2 += Pop(Avx512F.TernaryLogic(av, Vector512.Create(wi[2]), mv, 0x28), table, low);
                    b3 += Pop(Avx512F.TernaryLogic(av, Vector512.Create(wi[3]), mv, 0x28), table, low);
                    b4 += Pop(Avx512F.TernaryLogic(av, Vector512.Create(wi[4]), mv, 0x28), table, low);
                    b5 += Pop(Avx512F.TernaryLogic(av, Vector512.Create(wi[5]), mv, 0x28), table, low);
                    b6 += Pop(Avx512F.TernaryLogic(av, Vector512.Create(wi[6]), mv, 0x28), table, low);
                    b7 += Pop(Avx512F.TernaryLogic(av, Vector512.Create(wi[7]), mv, 0x28), table, low);
                }
            s0 += Sum(b0); s1 += Sum(b1); s2 += Sum(b2); s3 += Sum(b3);
            s4 += Sum(b4); s5 += Sum(b5); s6 += Sum(b6); s7 += Sum(b7);
        }
        var v = Vector256.Load(valid);
        Emit(v, s0, 0, first, count, y, positions, lanes, output);
        Emit(v, s1, 1, first, count, y, positions, lanes, output);
        Emit(v, s2, 2, first, count, y, positions, lanes, output);
        Emit(v, s3, 3, first, count, y, positions, lanes, output);
        Emit(v, s4, 4, first, count, y, positions, lanes, output);
        Emit(v, s5, 5, first, count, y, positions, lanes, output);
        Emit(v, s6, 6, first, count, y, positions, lanes, output);
        Emit(v, s7, 7, first, count, y, positions, lanes, output);
    }

    /// <summary>Words per carry-save group: seven words reduce to ones, twos and fours (four adders, eight vpternlogq).</summary>
    private const int Group = 7;

    /// <summary>Four groups of seven: each byte gains at most 56 per group, 224 in all, before the horizontal sum.</summary>
    private const int WordsPerGroupedSum = 28;

    /// <summary>
    /// The same tile with a Harley-Seal carry-save tree: seven words of one channel fold into ones, twos and fours
    /// (full adders as vpternlogq 0x96 and 0xE8), whose nibble lookups use tables of 1x, 2x and 4x the counts, so
    /// three lookups count seven words. Four channels per pass (the seven patch words stay in registers).
    /// </summary>
    private static void Tile512Hs(ulong* a, ulong* m, int stride, int words, ulong* w, int* valid, float* y, int positions, int lanes,
        int first, int count, in BinaryLayers.Output output)
    {
        var v = Vector256.Load(valid);
        var table = Vector512.Create(Vector256.Create(NibbleCounts, NibbleCounts), Vector256.Create(NibbleCounts, NibbleCounts));
        var table2 = Vector512.Create(Vector256.Create(NibbleCounts2, NibbleCounts2), Vector256.Create(NibbleCounts2, NibbleCounts2));
        var table4 = Vector512.Create(Vector256.Create(NibbleCounts4, NibbleCounts4), Vector256.Create(NibbleCounts4, NibbleCounts4));
        var low = Vector512.Create((byte)0x0F);
        ulong* ones = stackalloc ulong[8];
        long ms = stride;
        if (m == null)
        {
            for (int j = 0; j < 8; j++) ones[j] = ulong.MaxValue;
            m = ones;
            ms = 0;
        }
        for (int half = 0; half < 8 && half < count; half += 4)
        {
            ulong* wh = w + half;
            Vector512<ulong> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int start = 0; start < words; start += WordsPerGroupedSum)
            {
                int end = Math.Min(words, start + WordsPerGroupedSum);
                Vector512<byte> b0 = default, b1 = default, b2 = default, b3 = default;
                int i = start;
                for (; i + Group <= end; i += Group)
                {
                    ulong* ai = a + (long)i * stride, mi = m + i * ms, wi = wh + (long)i * 8;
                    b0 += Count7(ai, mi, stride, ms, wi + 0, table, table2, table4, low);
                    b1 += Count7(ai, mi, stride, ms, wi + 1, table, table2, table4, low);
                    b2 += Count7(ai, mi, stride, ms, wi + 2, table, table2, table4, low);
                    b3 += Count7(ai, mi, stride, ms, wi + 3, table, table2, table4, low);
                }
                for (; i < end; i++)
                {
                    var av = Vector512.Load(a + (long)i * stride);
                    var mv = Vector512.Load(m + i * ms);
                    ulong* wi = wh + (long)i * 8;
                    b0 += Pop(Avx512F.TernaryLogic(av, Vector512.Create(wi[0]), mv, 0x28), table, low);
                    b1 += Pop(Avx512F.TernaryLogic(av, Vector512.Create(wi[1]), mv, 0x28), table, low);
                    b2 += Pop(Avx512F.TernaryLogic(av, Vector512.Create(wi[2]), mv, 0x28), table, low);
                    b3 += Pop(Avx512F.TernaryLogic(av, Vector512.Create(wi[3]), mv, 0x28), table, low);
                }
                s0 += Sum(b0); s1 += Sum(b1); s2 += Sum(b2); s3 += Sum(b3);
            }
            Emit(v, s0, half + 0, first, count, y, positions, lanes, output);
            Emit(v, s1, half + 1, first, count, y, positions, lanes, output);
            Emit(v, s2, half + 2, first, count, y, positions, lanes, output);
            Emit(v, s3, half + 3, first, count, y, positions, lanes, output);
        }
    }

    // Twice and four times the nibble counts: the twos and fours of the carry-save tree weigh 2 and 4.
    private static Vector128<byte> NibbleCounts2 => Vector128.Create((byte)0, 2, 2, 4, 2, 4, 4, 6, 2, 4, 4, 6, 4, 6, 6, 8);
    private static Vector128<byte> NibbleCounts4 => Vector128.Create((byte)0, 4, 4, 8, 4, 8, 8, 12, 4, 8, 8, 12, 8, 12, 12, 16);

    /// <summary>Byte counts of seven words of one channel (w: its weight in the first word, panel-strided) through a carry-save tree.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Count7(ulong* a, ulong* m, long stride, long ms, ulong* w,
        Vector512<byte> table, Vector512<byte> table2, Vector512<byte> table4, Vector512<byte> low)
    {
        var x0 = Avx512F.TernaryLogic(Vector512.Load(a), Vector512.Create(w[0]), Vector512.Load(m), 0x28);
        var x1 = Avx512F.TernaryLogic(Vector512.Load(a + stride), Vector512.Create(w[8]), Vector512.Load(m + ms), 0x28);
        var x2 = Avx512F.TernaryLogic(Vector512.Load(a + 2 * stride), Vector512.Create(w[16]), Vector512.Load(m + 2 * ms), 0x28);
        var o1 = Avx512F.TernaryLogic(x0, x1, x2, 0x96);
        var t1 = Avx512F.TernaryLogic(x0, x1, x2, 0xE8);
        var x3 = Avx512F.TernaryLogic(Vector512.Load(a + 3 * stride), Vector512.Create(w[24]), Vector512.Load(m + 3 * ms), 0x28);
        var x4 = Avx512F.TernaryLogic(Vector512.Load(a + 4 * stride), Vector512.Create(w[32]), Vector512.Load(m + 4 * ms), 0x28);
        var o2 = Avx512F.TernaryLogic(o1, x3, x4, 0x96);
        var t2 = Avx512F.TernaryLogic(o1, x3, x4, 0xE8);
        var x5 = Avx512F.TernaryLogic(Vector512.Load(a + 5 * stride), Vector512.Create(w[40]), Vector512.Load(m + 5 * ms), 0x28);
        var x6 = Avx512F.TernaryLogic(Vector512.Load(a + 6 * stride), Vector512.Create(w[48]), Vector512.Load(m + 6 * ms), 0x28);
        var o3 = Avx512F.TernaryLogic(o2, x5, x6, 0x96);
        var t3 = Avx512F.TernaryLogic(o2, x5, x6, 0xE8);
        var twos = Avx512F.TernaryLogic(t1, t2, t3, 0x96);
        var fours = Avx512F.TernaryLogic(t1, t2, t3, 0xE8);
        return Pop(o3, table, low) + Pop(twos, table2, low) + Pop(fours, table4, low);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Emit(Vector256<int> valid, Vector512<ulong> counts, int c, int first, int count, float* y, int positions, int lanes,
        in BinaryLayers.Output output)
    {
        if (c >= count) return;
        // Each 64-bit count is below 2^31: vpmovqd narrows it exactly.
        var dot = valid - Avx512F.ConvertToVector256Int32(counts.AsInt64()) * 2;
        Store(Result(dot, first + c, output), y + (long)c * positions, lanes);
    }

    /// <summary>What the dots of one channel become: scale * dot + bias, or Value times +1 / 0 / -1 (the scalar rule, to the bit).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Result(Vector256<int> dot, int channel, in BinaryLayers.Output output)
    {
        if (output.Ranges.IsEmpty)
            return Vector256.ConvertToSingle(dot) * Vector256.Create(output.Scale[channel]) + Vector256.Create(output.Bias[channel]);
        var r = output.Ranges.Slice(channel * 4, 4);
        var plus = Vector256.GreaterThanOrEqual(dot, Vector256.Create(r[0])) & Vector256.LessThanOrEqual(dot, Vector256.Create(r[1]));
        var zero = Vector256.GreaterThanOrEqual(dot, Vector256.Create(r[2])) & Vector256.LessThanOrEqual(dot, Vector256.Create(r[3]));
        var sign = Vector256.ConditionalSelect(plus.AsSingle(), Vector256.Create(1f),
            Vector256.ConditionalSelect(zero.AsSingle(), Vector256<float>.Zero, Vector256.Create(-1f)));
        return Vector256.Create(output.Value) * sign;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<float> r, float* y, int lanes)
    {
        if (lanes == 8)
        {
            r.Store(y);
            return;
        }
        for (int j = 0; j < lanes; j++) y[j] = r.GetElement(j);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Pop(Vector256<ulong> v, Vector256<byte> table, Vector256<byte> low) =>
        Avx2.Shuffle(table, v.AsByte() & low) + Avx2.Shuffle(table, Vector256.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & low);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Sum(Vector256<byte> bytes) => Avx2.SumAbsoluteDifferences(bytes, Vector256<byte>.Zero).AsUInt64();

    /// <summary>4 positions x 4 channels (the AVX2 register file holds that many accumulators); w points at the panel's first of them.</summary>
    private static void Tile256(ulong* a, ulong* m, int stride, int words, ulong* w, int* valid, float* y, int positions, int lanes,
        int first, int count, in BinaryLayers.Output output)
    {
        if (count <= 0) return;
        var table = Vector256.Create(NibbleCounts, NibbleCounts);
        var low = Vector256.Create((byte)0x0F);
        Vector256<ulong> s0 = default, s1 = default, s2 = default, s3 = default;
        for (int start = 0; start < words; start += WordsPerByteSum)
        {
            int end = Math.Min(words, start + WordsPerByteSum);
            Vector256<byte> b0 = default, b1 = default, b2 = default, b3 = default;
            for (int i = start; i < end; i++)
            {
                var av = Vector256.Load(a + (long)i * stride);
                var mv = m == null ? Vector256<ulong>.AllBitsSet : Vector256.Load(m + (long)i * stride);
                ulong* wi = w + (long)i * 8;
                b0 += Pop((av ^ Vector256.Create(wi[0])) & mv, table, low);
                b1 += Pop((av ^ Vector256.Create(wi[1])) & mv, table, low);
                b2 += Pop((av ^ Vector256.Create(wi[2])) & mv, table, low);
                b3 += Pop((av ^ Vector256.Create(wi[3])) & mv, table, low);
            }
            s0 += Sum(b0); s1 += Sum(b1); s2 += Sum(b2); s3 += Sum(b3);
        }
        var v = Vector128.Load(valid);
        Emit(v, s0, 0, first, count, y, positions, lanes, output);
        Emit(v, s1, 1, first, count, y, positions, lanes, output);
        Emit(v, s2, 2, first, count, y, positions, lanes, output);
        Emit(v, s3, 3, first, count, y, positions, lanes, output);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Emit(Vector128<int> valid, Vector256<ulong> counts, int c, int first, int count, float* y, int positions, int lanes,
        in BinaryLayers.Output output)
    {
        if (c >= count) return;
        // The low halves of the four 64-bit counts (each below 2^31), gathered in order.
        var low = Avx2.PermuteVar8x32(counts.AsInt32(), Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7)).GetLower();
        var dot = valid - low * 2;
        var r = Result(Vector256.Create(dot, dot), first + c, output).GetLower();
        float* yc = y + (long)c * positions;
        if (lanes == 4) r.Store(yc);
        else for (int j = 0; j < lanes; j++) yc[j] = r.GetElement(j);
    }

    /// <summary>Any machine: BitOperations.PopCount (POPCNT where there is one) per word, the same tile.</summary>
    private static void TileScalar(ulong* a, ulong* m, int stride, int words, ulong* w, int* valid, float* y, int positions, int lanes,
        int first, int count, in BinaryLayers.Output output)
    {
        for (int c = 0; c < count; c++)
            for (int j = 0; j < lanes; j++)
            {
                int ones = 0;
                for (int i = 0; i < words; i++)
                {
                    ulong x = a[(long)i * stride + j] ^ w[(long)i * 8 + c];
                    if (m != null) x &= m[(long)i * stride + j];
                    ones += BitOperations.PopCount(x);
                }
                y[(long)c * positions + j] = output.Of(valid[j] - 2 * ones, first + c);
            }
    }
}
