using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelCompiler.Shared;

namespace ModelCompiler.Runtime;

/// <summary>Which integer dot-product loop the low-bit kernels run (tests force each).</summary>
internal enum LowBitIsa { Auto, Avx512, Avx2, Scalar }

/// <summary>
/// Fully connected layers on 2-8-bit integers (QONNX Quant activations times Quant weights): the weights sit in the
/// weight blob as 2 or 4 bits per code (8 for wider ones), packed little-end first, and are widened once per process
/// to int16 rows; each call quantizes its input row by the activation Quant's own rule (<c>QonnxScalar.QuantCode</c>)
/// and sums code products exactly in int32 (<c>vpmaddwd</c>). y = scale[n] * sum + bias[n], scale being the
/// activation scale times the weight scale of column n.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[SkipLocalsInit]
public static unsafe class LowBitLayers
{
    /// <summary>Codes per row are padded to a multiple of this: one 512-bit vector of int16 lanes.</summary>
    public const int RowAlignment = 32;

    /// <summary>k rounded up to <see cref="RowAlignment"/>.</summary>
    public static int PaddedK(int k) => (k + RowAlignment - 1) / RowAlignment * RowAlignment;

    /// <summary>
    /// Widens <paramref name="n"/> rows of <paramref name="k"/> codes of <paramref name="bits"/> bits (2, 4 or 8; two's
    /// complement when <paramref name="signed"/>) minus <paramref name="zeroPoint"/> into int16 rows of PaddedK(k),
    /// returned as ints (two int16 each) for the generated code's table cache.
    /// </summary>
    public static int[] WidenCodes(ReadOnlySpan<byte> packed, int bits, bool signed, int zeroPoint, int n, int k)
    {
        if (bits is not (2 or 4 or 8)) throw new ArgumentException("Codes are 2, 4 or 8 bits wide.", nameof(bits));
        if (packed.Length < ((long)n * k * bits + 7) / 8) throw new ArgumentException("The packed codes are too short.", nameof(packed));
        int kp = PaddedK(k);
        var table = new int[(long)n * kp / 2];
        var codes = MemoryMarshal.Cast<int, short>(table.AsSpan());
        int perByte = 8 / bits, mask = (1 << bits) - 1;
        for (int r = 0; r < n; r++)
            for (int i = 0; i < k; i++)
            {
                long j = (long)r * k + i;
                int v = (packed[(int)(j / perByte)] >> (int)(j % perByte * bits)) & mask;
                if (signed && v >= 1 << (bits - 1)) v -= 1 << bits;
                codes[r * kp + i] = (short)(v - zeroPoint);
            }
        return table;
    }

    /// <summary>y[m, n] = scale[n] * sum_k a(x[m, k]) * w[n, k] + bias[n], a the activation code minus its zero point.</summary>
    public static void Dense(ReadOnlySpan<float> x, ReadOnlySpan<int> weights, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias,
        float actScale, float actZeroPoint, float actMin, float actMax, int rounding, Span<float> y, int m, int n, int k) =>
        Dense(x, weights, scale, bias, actScale, actZeroPoint, actMin, actMax, rounding, y, m, n, k, LowBitIsa.Auto);

    internal static void Dense(ReadOnlySpan<float> x, ReadOnlySpan<int> weights, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias,
        float actScale, float actZeroPoint, float actMin, float actMax, int rounding, Span<float> y, int m, int n, int k, LowBitIsa isa)
    {
        if (m <= 0 || n <= 0 || k <= 0) throw new ArgumentException("Matrix sizes must be positive.");
        int kp = PaddedK(k);
        if (x.Length != (long)m * k) throw new ArgumentException($"X has {x.Length} elements; {m}x{k} needs {(long)m * k}.", nameof(x));
        if (y.Length != (long)m * n) throw new ArgumentException($"Y has {y.Length} elements; {m}x{n} needs {(long)m * n}.", nameof(y));
        if (weights.Length != (long)n * kp / 2) throw new ArgumentException("The widened weights do not match n x k.", nameof(weights));
        if (scale.Length != n || bias.Length != n) throw new ArgumentException("One scale and one bias per column are needed.", nameof(scale));
        var codes = MemoryMarshal.Cast<int, short>(weights);
        short* a = (short*)KernelScratch.Get(KernelScratch.LayerSlot, (long)kp * 2);
        var path = isa == LowBitIsa.Auto ? (Avx512BW.IsSupported ? LowBitIsa.Avx512 : Avx2.IsSupported ? LowBitIsa.Avx2 : LowBitIsa.Scalar)
            : isa == LowBitIsa.Avx512 && !Avx512BW.IsSupported ? LowBitIsa.Scalar : isa == LowBitIsa.Avx2 && !Avx2.IsSupported ? LowBitIsa.Scalar : isa;
        fixed (short* w = codes)
        {
            for (int r = 0; r < m; r++)
            {
                for (int i = 0; i < k; i++)
                    a[i] = (short)(QonnxScalar.QuantCode(x[r * k + i], actScale, actZeroPoint, false, actMin, actMax, rounding) - actZeroPoint);
                for (int i = k; i < kp; i++) a[i] = 0;
                for (int c = 0; c < n; c++)
                {
                    short* wr = w + (long)c * kp;
                    int sum = path switch
                    {
                        LowBitIsa.Avx512 => Dot512(a, wr, kp),
                        LowBitIsa.Avx2 => Dot256(a, wr, kp),
                        _ => DotScalar(a, wr, kp),
                    };
                    y[r * n + c] = scale[c] * sum + bias[c];
                }
            }
        }
    }

    private static int DotScalar(short* a, short* w, int k)
    {
        int s = 0;
        for (int i = 0; i < k; i++) s += a[i] * w[i];
        return s;
    }

    private static int Dot256(short* a, short* w, int k)
    {
        var acc = Vector256<int>.Zero;
        for (int i = 0; i < k; i += 16) acc += Avx2.MultiplyAddAdjacent(Vector256.Load(a + i), Vector256.Load(w + i));
        return Vector256.Sum(acc);
    }

    private static int Dot512(short* a, short* w, int k)
    {
        var acc = Vector512<int>.Zero;
        for (int i = 0; i < k; i += 32) acc += Avx512BW.MultiplyAddAdjacent(Vector512.Load(a + i), Vector512.Load(w + i));
        return Vector512.Sum(acc);
    }
}
