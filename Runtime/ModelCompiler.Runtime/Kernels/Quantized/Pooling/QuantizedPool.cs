using System;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.ComponentModel;

namespace ModelCompiler.Runtime;

/// <summary>
/// com.microsoft QLinearGlobalAveragePool and QLinearAveragePool, computed as ONNX Runtime does:
/// <list type="bullet">
/// <item>Global (and an average pool whose window is the whole unpadded image): the int32 sum minus
/// zero_point x size, requantized with multiplier x_scale / (y_scale x size) in float32.</item>
/// <item>Other windows: each input dequantized to float32 (x_scale (x - x_zp)), summed in window order,
/// divided by the count (the kernel size with count_include_pad), then round(v / y_scale + y_zp) saturated.</item>
/// </list>
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class QuantizedPool
{
    /// <summary>Global average over <paramref name="size"/> elements per (n, c); channels-last when <paramref name="channels"/> &gt; 0 is given with NHWC data.</summary>
    public static void QLinearGlobalAveragePool<T>(ReadOnlySpan<T> x, ReadOnlySpan<float> xScale, ReadOnlySpan<T> xZeroPoint,
        ReadOnlySpan<float> yScale, ReadOnlySpan<T> yZeroPoint, Span<T> y, int batch, int channels, int size, bool channelsLast) where T : unmanaged
    {
        if (x.Length != batch * channels * size || y.Length != batch * channels) throw new ArgumentException("QLinearGlobalAveragePool: wrong lengths");
        int xz = xZeroPoint.IsEmpty ? 0 : Requantize.Widen(xZeroPoint[0]);
        int yz = yZeroPoint.IsEmpty ? 0 : Requantize.Widen(yZeroPoint[0]);
        float multiplier = xScale[0] / (yScale[0] * size);
        int bias = -xz * size;
        int min = Requantize.Min<T>(), max = Requantize.Max<T>();
        for (int n = 0; n < batch; n++)
        {
            if (!channelsLast)
            {
                // Plane sums first, then one vectorized requantization of all channels (the same arithmetic as
                // Requantize.One, 16 at a time).
                Span<int> sums = QuantScratch<int>.Get(0, channels);
                for (int c = 0; c < channels; c++)
                    sums[c] = bias + SumPlane(MemoryMarshal.AsBytes(x.Slice((n * channels + c) * size, size)), typeof(T) == typeof(sbyte));
                Requantize.Store(sums, multiplier, yz, y.Slice(n * channels, channels));
                continue;
            }
            for (int c = 0; c < channels; c++)
            {
                int sum = bias;
                var xs = x.Slice(n * channels * size);
                for (int i = 0; i < size; i++) sum += Requantize.Widen(xs[i * channels + c]);
                y[n * channels + c] = Quantization.FromInt<T>(Requantize.One(sum, multiplier, yz, min, max));
            }
        }
    }

    /// <summary>
    /// The sum of one channel's 8-bit values (int8 when <paramref name="signed"/>): <c>vpsadbw</c> against zero sums
    /// 32 bytes per instruction, a plane that is not a multiple of 32 ends with an overlapping load whose repeated
    /// bytes are masked off (MobileNet's 7x7 planes: two loads, not 49 scalar adds). int8 values are flipped to
    /// u8 (+128) and the 128s taken off at the end; planes of 16 to 31 bytes take two 16-byte loads the same way.
    /// Exact: integer sums.
    /// </summary>
    private static int SumPlane(ReadOnlySpan<byte> plane, bool signed)
    {
        int len = plane.Length, i = 0;
        long sum = 0;
        if (Avx2.IsSupported && len >= 32)
        {
            ref byte p = ref MemoryMarshal.GetReference(plane);
            var flip = Vector256.Create(signed ? (byte)0x80 : (byte)0);
            var acc = Vector256<ulong>.Zero;
            for (; i + 32 <= len; i += 32)
                acc += Avx2.SumAbsoluteDifferences(Vector256.LoadUnsafe(ref p, (nuint)i) ^ flip, Vector256<byte>.Zero).AsUInt64();
            if (i < len)
            {
                // The last 32 bytes; the first 32 - (len - i) were summed already.
                var keep = Vector256.GreaterThanOrEqual(Vector256.Create((byte)0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31), Vector256.Create((byte)(32 - (len - i))));
                acc += Avx2.SumAbsoluteDifferences((Vector256.LoadUnsafe(ref p, (nuint)(len - 32)) ^ flip) & keep, Vector256<byte>.Zero).AsUInt64();
                i = len;
            }
            sum = (long)Vector256.Sum(acc) - (signed ? 128L * len : 0);
        }
        else if (Sse2.IsSupported && len >= 16)
        {
            // 16 to 31 bytes (MobileNet 0.5x at 160: 5x5 planes): one load and a masked overlapping one.
            ref byte p = ref MemoryMarshal.GetReference(plane);
            var flip = Vector128.Create(signed ? (byte)0x80 : (byte)0);
            var acc = Sse2.SumAbsoluteDifferences(Vector128.LoadUnsafe(ref p) ^ flip, Vector128<byte>.Zero).AsUInt64();
            var keep = Vector128.GreaterThanOrEqual(Vector128.Create((byte)0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                Vector128.Create((byte)(32 - len)));
            acc += Sse2.SumAbsoluteDifferences((Vector128.LoadUnsafe(ref p, (nuint)(len - 16)) ^ flip) & keep, Vector128<byte>.Zero).AsUInt64();
            sum = (long)Vector128.Sum(acc) - (signed ? 128L * len : 0);
            i = len;
        }
        for (; i < len; i++) sum += signed ? (sbyte)plane[i] : plane[i];
        return (int)sum;
    }

    /// <summary>
    /// Average pooling of quantized NCHW data (2-D; 1-D uses height 1). Windows start at o * stride - pad and are
    /// clipped to the input; the divisor is the window's size inside the input, or the kernel size with
    /// <paramref name="countIncludePad"/>.
    /// </summary>
    public static void QLinearAveragePool<T>(ReadOnlySpan<T> x, ReadOnlySpan<float> xScale, ReadOnlySpan<T> xZeroPoint,
        ReadOnlySpan<float> yScale, ReadOnlySpan<T> yZeroPoint, Span<T> y, in PoolGeometry g, bool countIncludePad) where T : unmanaged
    {
        int planes = g.batch * g.channels;
        int inPlane = g.inHeight * g.inWidth, outPlane = g.outHeight * g.outWidth;
        if (x.Length != planes * inPlane || y.Length != planes * outPlane) throw new ArgumentException("QLinearAveragePool: wrong lengths");
        float xs = xScale[0], ys = yScale[0];
        int xz = xZeroPoint.IsEmpty ? 0 : Requantize.Widen(xZeroPoint[0]);
        int yz = yZeroPoint.IsEmpty ? 0 : Requantize.Widen(yZeroPoint[0]);
        int min = Requantize.Min<T>(), max = Requantize.Max<T>();
        Span<float> table = stackalloc float[256];
        for (int i = 0; i < 256; i++)
        {
            int v = typeof(T) == typeof(sbyte) ? (sbyte)(byte)i : i;
            table[i] = xs * (v - xz);
        }
        ReadOnlySpan<byte> xb = System.Runtime.InteropServices.MemoryMarshal.AsBytes(x);
        int kernelSize = g.kernelHeight * g.kernelWidth;
        for (int p = 0; p < planes; p++)
        {
            ReadOnlySpan<byte> plane = xb.Slice(p * inPlane, inPlane);
            for (int oh = 0; oh < g.outHeight; oh++)
            {
                int h0 = oh * g.strideHeight - g.padTop;
                int h1 = Math.Min(h0 + g.kernelHeight, g.inHeight);
                h0 = Math.Max(h0, 0);
                for (int ow = 0; ow < g.outWidth; ow++)
                {
                    int w0 = ow * g.strideWidth - g.padLeft;
                    int w1 = Math.Min(w0 + g.kernelWidth, g.inWidth);
                    w0 = Math.Max(w0, 0);
                    float sum = 0;
                    for (int h = h0; h < h1; h++)
                        for (int w = w0; w < w1; w++) sum += table[plane[h * g.inWidth + w]];
                    int count = countIncludePad ? kernelSize : Math.Max(0, h1 - h0) * Math.Max(0, w1 - w0);
                    sum /= count;
                    float v = sum / ys + yz;
                    int r = float.IsNaN(v) ? min : (int)Math.Clamp(MathF.Round(v), min, max);
                    y[p * outPlane + oh * g.outWidth + ow] = Quantization.FromInt<T>(r);
                }
            }
        }
    }
}
