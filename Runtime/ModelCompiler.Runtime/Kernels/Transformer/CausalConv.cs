using System;
using System.ComponentModel;

namespace ModelCompiler.Runtime;

/// <summary>
/// CausalConvWithState (opset 27) on float32: a depthwise 1-D convolution of each channel of [batch, channels,
/// length] over the sequence left-padded with the past state (zeros when absent), then an optional SiLU; the
/// present state is the last k - 1 positions of that padded sequence.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class CausalConv
{
    /// <summary>One call: output and (when not empty) the present state; bias and past state may be empty.</summary>
    public static void Run(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, ReadOnlySpan<float> pastState,
        Span<float> y, Span<float> presentState, int batch, int channels, int length, int kernel, bool silu)
    {
        int carry = kernel - 1;
        long n = (long)batch * channels * length;
        if (kernel <= 0) throw new ArgumentException("The kernel size must be positive.", nameof(kernel));
        if (x.Length < n || y.Length < n) throw new ArgumentException($"Input and output need {n} elements.", x.Length < n ? nameof(x) : nameof(y));
        if (weight.Length < channels * kernel) throw new ArgumentException($"The weight needs {channels * kernel} values.", nameof(weight));
        if (!bias.IsEmpty && bias.Length < channels) throw new ArgumentException($"The bias needs {channels} values.", nameof(bias));
        if (!pastState.IsEmpty && pastState.Length < (long)batch * channels * carry) throw new ArgumentException("The past state needs batch x channels x (k - 1) values.", nameof(pastState));
        if (!presentState.IsEmpty && presentState.Length < (long)batch * channels * carry) throw new ArgumentException("The present state needs batch x channels x (k - 1) values.", nameof(presentState));
        for (int b = 0; b < batch; b++)
        {
            for (int c = 0; c < channels; c++)
            {
                int row = b * channels + c;
                ReadOnlySpan<float> xr = x.Slice(row * length, length), w = weight.Slice(c * kernel, kernel);
                ReadOnlySpan<float> past = pastState.IsEmpty ? default : pastState.Slice(row * carry, carry);
                if (!presentState.IsEmpty)
                    for (int p = 0; p < carry; p++) presentState[row * carry + p] = Padded(past, xr, carry, length + p);
                Span<float> yr = y.Slice(row * length, length);
                float b0 = bias.IsEmpty ? 0f : bias[c];
                for (int t = 0; t < length; t++)
                {
                    float s = b0;
                    for (int j = 0; j < kernel; j++) s += w[j] * Padded(past, xr, carry, t + j);
                    yr[t] = silu ? s / (1f + MathF.Exp(-s)) : s;
                }
            }
        }
    }

    /// <summary>Element p of the padded sequence: the past state (or zero) for p &lt; k - 1, then the input.</summary>
    private static float Padded(ReadOnlySpan<float> past, ReadOnlySpan<float> x, int carry, int p) =>
        p < carry ? (past.IsEmpty ? 0f : past[p]) : x[p - carry];
}
