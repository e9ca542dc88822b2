using System;
using System.ComponentModel;

namespace ModelCompiler.Runtime;

/// <summary>
/// A 2-D MaxPool folded into the packing of a binary convolution's input (NCHW), fixed at build time: the pool's
/// input size and window. Its output size is the convolution's input size (<see cref="BinaryConvShape.Height"/>,
/// <see cref="BinaryConvShape.Width"/>). Windows cells outside the input (padding) are skipped, as MaxPool's -inf.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct BinaryPoolShape
{
    /// <summary>The pool's input size and window, as the generator computed them.</summary>
    public BinaryPoolShape(int height, int width, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth,
        int dilationHeight, int dilationWidth, int padTop, int padLeft)
    {
        Height = height; Width = width; KernelHeight = kernelHeight; KernelWidth = kernelWidth;
        StrideHeight = strideHeight; StrideWidth = strideWidth; DilationHeight = dilationHeight; DilationWidth = dilationWidth;
        PadTop = padTop; PadLeft = padLeft;
    }

    /// <summary>The pool's input height.</summary>
    public int Height { get; }
    /// <summary>The pool's input width.</summary>
    public int Width { get; }
    /// <summary>Window height.</summary>
    public int KernelHeight { get; }
    /// <summary>Window width.</summary>
    public int KernelWidth { get; }
    /// <summary>Vertical stride.</summary>
    public int StrideHeight { get; }
    /// <summary>Horizontal stride.</summary>
    public int StrideWidth { get; }
    /// <summary>Vertical dilation.</summary>
    public int DilationHeight { get; }
    /// <summary>Horizontal dilation.</summary>
    public int DilationWidth { get; }
    /// <summary>Padding rows above (skipped cells).</summary>
    public int PadTop { get; }
    /// <summary>Padding columns on the left (skipped cells).</summary>
    public int PadLeft { get; }

    /// <summary>Whether this describes a pool (the default value describes none).</summary>
    internal bool IsPool => KernelHeight > 0;

    internal void Validate()
    {
        if (Height <= 0 || Width <= 0 || KernelHeight <= 0 || KernelWidth <= 0 || StrideHeight <= 0 || StrideWidth <= 0
            || DilationHeight <= 0 || DilationWidth <= 0 || PadTop < 0 || PadLeft < 0)
            throw new ArgumentException("The folded pool's dimensions must be positive and its pads non-negative.");
    }
}

/// <summary>
/// MaxPool on packed binarized pixels ([channel word][pixel], see <see cref="BinaryPatches.PackPixels"/>). A
/// binarization b is non-decreasing (x &gt;= t, or Sign), so b(max of a window) = max of the b(x): +1 when some cell
/// is +1, which is the OR of the plus bits; with the Sign rule 0 when none is +1 and some is 0, else -1, so the
/// non-zero mask of the max is OR(plus) | AND(non-zero). Exact for any float input (NaN binarizes to -1 on both
/// sides of the fold, as the packing treats it).
/// </summary>
internal static unsafe class BinaryMaxPool
{
    /// <summary>
    /// outBits / outMask [word][outHeight * outWidth] from bits / mask [word][p.Height * p.Width] of
    /// <paramref name="channels"/> channels; masks null without the Sign rule. A window wholly in the padding gives -1
    /// (the max of nothing is -inf), and bits past the channels stay 0.
    /// </summary>
    public static void Run(ulong* bits, ulong* mask, int channels, in BinaryPoolShape p, int outHeight, int outWidth, ulong* outBits, ulong* outMask)
    {
        int inPlane = p.Height * p.Width, outPlane = outHeight * outWidth, words = BinaryLayers.Words(channels);
        for (int wi = 0; wi < words; wi++)
        {
            int count = Math.Min(64, channels - wi * 64);
            ulong all = count == 64 ? ulong.MaxValue : (1UL << count) - 1;
            ulong* b = bits + (long)wi * inPlane;
            ulong* m = mask == null ? null : mask + (long)wi * inPlane;
            ulong* ob = outBits + (long)wi * outPlane;
            ulong* om = outMask == null ? null : outMask + (long)wi * outPlane;
            for (int oy = 0; oy < outHeight; oy++)
            {
                int y0 = oy * p.StrideHeight - p.PadTop;
                for (int ox = 0; ox < outWidth; ox++)
                {
                    int x0 = ox * p.StrideWidth - p.PadLeft;
                    ulong plus = 0, nonzero = all;
                    for (int ky = 0; ky < p.KernelHeight; ky++)
                    {
                        int iy = y0 + ky * p.DilationHeight;
                        if ((uint)iy >= (uint)p.Height) continue;
                        long row = (long)iy * p.Width;
                        for (int kx = 0; kx < p.KernelWidth; kx++)
                        {
                            int ix = x0 + kx * p.DilationWidth;
                            if ((uint)ix >= (uint)p.Width) continue;
                            plus |= b[row + ix];
                            if (m != null) nonzero &= m[row + ix];
                        }
                    }
                    ob[oy * outWidth + ox] = plus;
                    if (om != null) om[oy * outWidth + ox] = plus | nonzero;
                }
            }
        }
    }
}
