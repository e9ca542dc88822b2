using System;
using ModelCompiler.Graph;

namespace ModelCompiler.Kernels.Binary;

/// <summary>
/// Build-time side of the binary kernels: recognizing weights that take two values +-alpha per output channel, and
/// packing their signs one bit per weight, 64 per word, in the run-time layout (<c>BinaryLayers</c>): panels of
/// 8 output channels, [panel][word][8], each channel's bits in patch order, unused bits and channels zero.
/// </summary>
internal static class BinaryWeights
{
    public const int Panel = 8;

    public static int Words(long bits) => (int)((bits + 63) >> 6);

    /// <summary>
    /// alpha[c] = |w| of channel c when every weight of the channel is exactly +alpha or -alpha (alpha &gt; 0, finite);
    /// null otherwise. <paramref name="at"/> gives the flat index of weight i of channel c.
    /// </summary>
    public static float[]? Alphas(float[] w, int channels, long perChannel, Func<int, long, long> at)
    {
        var alpha = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            float a = Math.Abs(w[at(c, 0)]);
            if (!(a > 0) || float.IsInfinity(a)) return null;
            for (long i = 1; i < perChannel; i++)
                if (Math.Abs(w[at(c, i)]) != a) return null;
            alpha[c] = a;
        }
        return alpha;
    }

    /// <summary>The packed sign bits (1 for a positive weight): weight i of channel c is <c>w[at(c, i)]</c>.</summary>
    public static Tensor Pack(float[] w, int channels, long perChannel, Func<int, long, long> at)
    {
        int words = Words(perChannel);
        int panels = (channels + Panel - 1) / Panel;
        var packed = new ulong[(long)panels * words * Panel];
        for (int c = 0; c < channels; c++)
        {
            long panelBase = (long)(c / Panel) * words * Panel + c % Panel;
            for (long i = 0; i < perChannel; i++)
                if (w[at(c, i)] > 0) packed[panelBase + (i >> 6) * Panel] |= 1UL << (int)(i & 63);
        }
        var raw = new byte[packed.Length * 8];
        Buffer.BlockCopy(packed, 0, raw, 0, raw.Length);
        return new Tensor(DataType.UInt64, new[] { packed.Length }, raw);
    }
}
