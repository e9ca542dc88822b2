using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelCompiler.Runtime;

/// <summary>Which popcount loop the binary kernels run (tests force each; Auto takes the best this machine has).</summary>
internal enum BinaryIsa
{
    Auto,
    /// <summary>Nibble-table popcount with <c>vpshufb</c> on 512-bit vectors (AVX-512BW), byte counts summed with <c>vpsadbw</c> every 31 words.</summary>
    Avx512,
    /// <summary>Convolutions: the AVX-512 nibble tables without the carry-save tree (for A/B runs and tests; matrix products run Avx512).</summary>
    Avx512Lookup,
    /// <summary>The same on 256-bit vectors (AVX2).</summary>
    Avx2,
    /// <summary><c>BitOperations.PopCount</c> on 64-bit words, eight channels interleaved.</summary>
    Scalar,
}

/// <summary>
/// The inner product of binary matrix products (convolutions run <see cref="PopcountTiles"/>): for every row p and output channel c,
/// dot = valid[p] - 2 * popcount((a[p] ^ w[c]) &amp; mask[p]) over the packed words (mask null: all bits, the
/// unused tail bits being zero in both operands). Weights come in panels of 8 channels, [panel][word][8].
/// </summary>
[SkipLocalsInit]
internal static unsafe class PopcountGemm
{
    /// <summary>
    /// What Auto runs: the nibble-table loop at the widest width the machine has. In a development A/B on this
    /// project's Zen 5 VM (in-process, interleaved, best of 7; noisy, not a BenchmarkDotNet run) per call:
    /// 64 -> 64 channels 3x3 on 16x16 scalar 110 us, AVX2 76 us, AVX-512 72 us; 256 -> 256 3x3 on 8x8 AVX2 147 us,
    /// AVX-512 118 us (scalar 277-485 us); a 1024 x 1024 matrix-vector product scalar 9.3 us, AVX2 5.3 us, AVX-512 4.7 us;
    /// 16 -> 48 3x3 on 8x8 scalar 12.1 us, AVX2 10.2 us, AVX-512 10.3 us. Scalar POPCNT stays the portable path.
    /// </summary>
    public static BinaryIsa Resolve(BinaryIsa isa) => isa switch
    {
        BinaryIsa.Avx512 or BinaryIsa.Avx512Lookup when Avx512BW.IsSupported => BinaryIsa.Avx512,
        BinaryIsa.Avx2 when Avx2.IsSupported => BinaryIsa.Avx2,
        BinaryIsa.Auto => Avx512BW.IsSupported && Vector512.IsHardwareAccelerated ? BinaryIsa.Avx512 : Avx2.IsSupported ? BinaryIsa.Avx2 : BinaryIsa.Scalar,
        _ => BinaryIsa.Scalar,
    };

    public static void Run(ulong* a, ulong* mask, int* valid, int positions, int words, ulong* w, int channels, float* y,
        int channelStride, int positionStride, in BinaryLayers.Output output, BinaryIsa isa)
    {
        int panels = (channels + BinaryLayers.Panel - 1) / BinaryLayers.Panel;
        int* counts = stackalloc int[BinaryLayers.Panel];
        var path = Resolve(isa);
        for (int p = 0; p < positions; p++)
        {
            ulong* ap = a + (long)p * words;
            ulong* mp = mask == null ? null : mask + (long)p * words;
            for (int panel = 0; panel < panels; panel++)
            {
                ulong* wp = w + (long)panel * words * BinaryLayers.Panel;
                switch (path)
                {
                    case BinaryIsa.Avx512: Count512(ap, mp, wp, words, counts); break;
                    case BinaryIsa.Avx2: Count256(ap, mp, wp, words, counts); break;
                    default: CountScalar(ap, mp, wp, words, counts); break;
                }
                int first = panel * BinaryLayers.Panel, last = System.Math.Min(channels, first + BinaryLayers.Panel);
                for (int c = first; c < last; c++)
                    y[(long)c * channelStride + (long)p * positionStride] = output.Of(valid[p] - 2 * counts[c - first], c);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CountScalar(ulong* a, ulong* mask, ulong* w, int words, int* counts)
    {
        int c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0;
        for (int i = 0; i < words; i++, w += 8)
        {
            ulong av = a[i], m = mask == null ? ulong.MaxValue : mask[i];
            c0 += BitOperations.PopCount((av ^ w[0]) & m);
            c1 += BitOperations.PopCount((av ^ w[1]) & m);
            c2 += BitOperations.PopCount((av ^ w[2]) & m);
            c3 += BitOperations.PopCount((av ^ w[3]) & m);
            c4 += BitOperations.PopCount((av ^ w[4]) & m);
            c5 += BitOperations.PopCount((av ^ w[5]) & m);
            c6 += BitOperations.PopCount((av ^ w[6]) & m);
            c7 += BitOperations.PopCount((av ^ w[7]) & m);
        }
        counts[0] = c0; counts[1] = c1; counts[2] = c2; counts[3] = c3;
        counts[4] = c4; counts[5] = c5; counts[6] = c6; counts[7] = c7;
    }

    // Popcounts of 0..15, repeated in every 128-bit lane (vpshufb looks up within lanes).
    private static Vector128<byte> NibbleCounts => Vector128.Create((byte)0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);

    /// <summary>Byte counts reach at most 8 per word, so 31 words fit a byte before the horizontal sum.</summary>
    private const int WordsPerByteSum = 31;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Count512(ulong* a, ulong* mask, ulong* w, int words, int* counts)
    {
        var table = Vector512.Create(Vector256.Create(NibbleCounts, NibbleCounts), Vector256.Create(NibbleCounts, NibbleCounts));
        var low = Vector512.Create((byte)0x0F);
        var sums = Vector512<ulong>.Zero;
        for (int start = 0; start < words; start += WordsPerByteSum)
        {
            int end = System.Math.Min(words, start + WordsPerByteSum);
            var bytes = Vector512<byte>.Zero;
            for (int i = start; i < end; i++)
            {
                var v = Vector512.Create(a[i]) ^ Vector512.Load(w + (long)i * 8);
                if (mask != null) v &= Vector512.Create(mask[i]);
                var lo = v.AsByte() & low;
                var hi = Vector512.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & low;
                bytes += Avx512BW.Shuffle(table, lo) + Avx512BW.Shuffle(table, hi);
            }
            sums += Avx512BW.SumAbsoluteDifferences(bytes, Vector512<byte>.Zero).AsUInt64();
        }
        // The eight 64-bit sums narrowed to ints in one go (vpmovqd), stored for the epilogue.
        Avx512F.ConvertToVector256Int32(sums).Store(counts);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Count256(ulong* a, ulong* mask, ulong* w, int words, int* counts)
    {
        var table = Vector256.Create(NibbleCounts, NibbleCounts);
        var low = Vector256.Create((byte)0x0F);
        Vector256<ulong> sums0 = Vector256<ulong>.Zero, sums1 = Vector256<ulong>.Zero;
        for (int start = 0; start < words; start += WordsPerByteSum)
        {
            int end = System.Math.Min(words, start + WordsPerByteSum);
            Vector256<byte> bytes0 = Vector256<byte>.Zero, bytes1 = Vector256<byte>.Zero;
            for (int i = start; i < end; i++)
            {
                var av = Vector256.Create(a[i]);
                var v0 = av ^ Vector256.Load(w + (long)i * 8);
                var v1 = av ^ Vector256.Load(w + (long)i * 8 + 4);
                if (mask != null)
                {
                    var m = Vector256.Create(mask[i]);
                    v0 &= m;
                    v1 &= m;
                }
                bytes0 += Avx2.Shuffle(table, v0.AsByte() & low) + Avx2.Shuffle(table, Vector256.ShiftRightLogical(v0.AsUInt16(), 4).AsByte() & low);
                bytes1 += Avx2.Shuffle(table, v1.AsByte() & low) + Avx2.Shuffle(table, Vector256.ShiftRightLogical(v1.AsUInt16(), 4).AsByte() & low);
            }
            sums0 += Avx2.SumAbsoluteDifferences(bytes0, Vector256<byte>.Zero).AsUInt64();
            sums1 += Avx2.SumAbsoluteDifferences(bytes1, Vector256<byte>.Zero).AsUInt64();
        }
        // Each 64-bit sum is below 2^31: its low half, the even int lanes gathered in order, is the count.
        var evens = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
        Avx2.PermuteVar8x32(sums0.AsInt32(), evens).GetLower().Store(counts);
        Avx2.PermuteVar8x32(sums1.AsInt32(), evens).GetLower().Store(counts + 4);
    }
}
