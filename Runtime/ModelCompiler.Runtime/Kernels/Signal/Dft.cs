using System;
using System.ComponentModel;
using System.Numerics;

namespace ModelCompiler.Runtime;

/// <summary>
/// Fourier transforms for audio front ends: ONNX DFT (forward, inverse, one-sided, inverse one-sided) and STFT.
/// Each transform of length L runs in double precision in per-thread scratch: a radix-2 FFT when L is a power
/// of two, otherwise a direct sum over only the bins the output keeps. The twiddle factors
/// (cos, sin of 2πm/L for m in [0, L)) come from the weight blob, computed at build time.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class Signal
{
    /// <summary>
    /// DFT along the middle axis of x viewed as [outer, nIn, inner, components] (components 2 for complex input,
    /// 1 for real): the signal is cut or zero-padded to <paramref name="length"/>, transformed, and the first
    /// <paramref name="nOut"/> bins written to y [outer, nOut, inner, 2] (or [.., 1] with <paramref name="realOutput"/>).
    /// <paramref name="inverse"/> uses e^{+2πi jk/L} and divides by L. With <paramref name="hermitianInput"/> (an
    /// inverse one-sided DFT) x holds bins 0..L/2 of a conjugate-symmetric spectrum and the rest are mirrored.
    /// </summary>
    public static unsafe void Dft<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<double> twiddles, int outer, int nIn, int inner, bool complexInput,
        int length, int nOut, bool inverse, bool hermitianInput, bool realOutput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cIn = complexInput ? 2 : 1, cOut = realOutput ? 1 : 2;
        var scratch = new Span<double>(KernelScratch.Get(KernelScratch.LayerSlot, 4L * length * sizeof(double)), 4 * length);
        Span<double> signal = scratch.Slice(0, 2 * length), work = scratch.Slice(2 * length);
        double scale = inverse ? 1.0 / length : 1.0;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                signal.Clear();
                int taken = hermitianInput ? Math.Min(nIn, length / 2 + 1) : Math.Min(nIn, length);
                for (int j = 0; j < taken; j++)
                {
                    int at = ((o * nIn + j) * inner + i) * cIn;
                    signal[2 * j] = double.CreateTruncating(x[at]);
                    if (complexInput) signal[2 * j + 1] = double.CreateTruncating(x[at + 1]);
                }
                if (hermitianInput)
                    for (int k = length / 2 + 1; k < length; k++)
                    {
                        signal[2 * k] = signal[2 * (length - k)];
                        signal[2 * k + 1] = -signal[2 * (length - k) + 1];
                    }
                Transform(signal, work, twiddles, length, nOut, inverse);
                for (int k = 0; k < nOut; k++)
                {
                    int at = ((o * nOut + k) * inner + i) * cOut;
                    y[at] = T.CreateTruncating(signal[2 * k] * scale);
                    if (!realOutput) y[at + 1] = T.CreateTruncating(signal[2 * k + 1] * scale);
                }
            }
    }

    /// <summary>
    /// STFT: signal [batch, signalLength, components]; frame f starts at f * step and holds
    /// <paramref name="frameLength"/> samples, each multiplied by window[j] (all ones when the window is empty);
    /// y [batch, frames, bins, 2] receives the first <paramref name="bins"/> bins of each frame's DFT.
    /// </summary>
    public static unsafe void Stft<T>(ReadOnlySpan<T> signal, ReadOnlySpan<T> window, Span<T> y, ReadOnlySpan<double> twiddles,
        int batch, int signalLength, bool complexInput, int frames, int step, int frameLength, int bins)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int c = complexInput ? 2 : 1;
        var scratch = new Span<double>(KernelScratch.Get(KernelScratch.LayerSlot, 4L * frameLength * sizeof(double)), 4 * frameLength);
        Span<double> frame = scratch.Slice(0, 2 * frameLength), work = scratch.Slice(2 * frameLength);
        for (int b = 0; b < batch; b++)
            for (int f = 0; f < frames; f++)
            {
                frame.Clear();
                for (int j = 0; j < frameLength; j++)
                {
                    int at = (b * signalLength + f * step + j) * c;
                    double w = window.IsEmpty ? 1.0 : double.CreateTruncating(window[j]);
                    frame[2 * j] = double.CreateTruncating(signal[at]) * w;
                    if (complexInput) frame[2 * j + 1] = double.CreateTruncating(signal[at + 1]) * w;
                }
                Transform(frame, work, twiddles, frameLength, bins, inverse: false);
                int outBase = (b * frames + f) * bins * 2;
                for (int k = 0; k < bins; k++)
                {
                    y[outBase + 2 * k] = T.CreateTruncating(frame[2 * k]);
                    y[outBase + 2 * k + 1] = T.CreateTruncating(frame[2 * k + 1]);
                }
            }
    }

    /// <summary>
    /// The unscaled DFT of the complex signal (re, im interleaved, <paramref name="length"/> entries) in place:
    /// afterwards its first <paramref name="bins"/> entries hold the bins (the rest is undefined).
    /// </summary>
    private static void Transform(Span<double> data, Span<double> work, ReadOnlySpan<double> twiddles, int length, int bins, bool inverse)
    {
        if (length <= 1) return;
        double sign = inverse ? 1.0 : -1.0;
        if (BitOperations.IsPow2(length))
        {
            Fft(data, twiddles, length, sign);
            return;
        }
        for (int k = 0; k < bins; k++)
        {
            double re = 0, im = 0;
            int m = 0; // (j * k) mod length, stepped without overflow
            for (int j = 0; j < length; j++)
            {
                double c = twiddles[2 * m], s = sign * twiddles[2 * m + 1];
                double xr = data[2 * j], xi = data[2 * j + 1];
                re += xr * c - xi * s;
                im += xr * s + xi * c;
                m += k;
                if (m >= length) m -= length;
            }
            work[2 * k] = re;
            work[2 * k + 1] = im;
        }
        work.Slice(0, 2 * bins).CopyTo(data);
    }

    /// <summary>Iterative radix-2 decimation-in-time FFT; sign -1 forward, +1 inverse (unscaled).</summary>
    private static void Fft(Span<double> data, ReadOnlySpan<double> twiddles, int length, double sign)
    {
        int bits = BitOperations.Log2((uint)length);
        for (int i = 0; i < length; i++)
        {
            int j = (int)(ReverseBits((uint)i) >> (32 - bits));
            if (j > i)
            {
                (data[2 * i], data[2 * j]) = (data[2 * j], data[2 * i]);
                (data[2 * i + 1], data[2 * j + 1]) = (data[2 * j + 1], data[2 * i + 1]);
            }
        }
        for (int size = 2; size <= length; size <<= 1)
        {
            int half = size >> 1, stride = length / size;
            for (int start = 0; start < length; start += size)
                for (int j = 0; j < half; j++)
                {
                    double wr = twiddles[2 * j * stride], wi = sign * twiddles[2 * j * stride + 1];
                    int a = 2 * (start + j), b = 2 * (start + j + half);
                    double br = data[b] * wr - data[b + 1] * wi, bi = data[b] * wi + data[b + 1] * wr;
                    data[b] = data[a] - br;
                    data[b + 1] = data[a + 1] - bi;
                    data[a] += br;
                    data[a + 1] += bi;
                }
        }
    }

    private static uint ReverseBits(uint v)
    {
        v = ((v >> 1) & 0x55555555u) | ((v & 0x55555555u) << 1);
        v = ((v >> 2) & 0x33333333u) | ((v & 0x33333333u) << 2);
        v = ((v >> 4) & 0x0F0F0F0Fu) | ((v & 0x0F0F0F0Fu) << 4);
        v = ((v >> 8) & 0x00FF00FFu) | ((v & 0x00FF00FFu) << 8);
        return (v >> 16) | (v << 16);
    }
}
