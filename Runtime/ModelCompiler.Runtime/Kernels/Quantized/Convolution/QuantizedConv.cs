using System;
using System.ComponentModel;

namespace ModelCompiler.Runtime;

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
public static partial class QuantizedConv
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

    /// <summary>
    /// QLinearConv, <see cref="QuantizedConvForm.Gemm"/> form (weights prepared at build time; see the class remarks):
    /// weights [M][K padded to 4] int8, per-channel <paramref name="columnTerms"/>, weight zero points empty when all 0.
    /// </summary>
    public static void QLinearConv<TX, TY>(ReadOnlySpan<TX> x, int xZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> weightZeroPoints,
        ReadOnlySpan<int> columnTerms, ReadOnlySpan<float> multipliers, int yZeroPoint, Span<TY> y, in ConvGeometry g)
        where TX : unmanaged where TY : unmanaged
    {
        CheckOutput(y.Length, g);
        var sink = new RequantSink<TY>(y, multipliers, yZeroPoint);
        Gemm(x, xZeroPoint, weights, weightZeroPoints, columnTerms, ref sink, g);
    }

    /// <summary>
    /// QLinearConv, <see cref="QuantizedConvForm.Windowed"/> form: <see cref="QLinearConv{TX, TY}"/>'s weights and terms
    /// (weight zero points all 0), activations packed a kernel row per int by byte permutes where the CPU has AVX-VNNI
    /// and AVX-512 VBMI (<see cref="WindowPackedConv"/>), the GEMM form elsewhere.
    /// </summary>
    public static void QLinearConvWindowed<TX, TY>(ReadOnlySpan<TX> x, int xZeroPoint, ReadOnlySpan<sbyte> weights,
        ReadOnlySpan<int> columnTerms, ReadOnlySpan<float> multipliers, int yZeroPoint, Span<TY> y, in ConvGeometry g)
        where TX : unmanaged where TY : unmanaged
    {
        CheckOutput(y.Length, g);
        if (!QuantizedConvForms.WindowedFits(g)) throw new ArgumentException("the geometry does not fit the windowed form");
        var sink = new RequantSink<TY>(y, multipliers, yZeroPoint);
        if (HasVnniWindows && WindowPackedConv.TryRun(x, xZeroPoint, weights, columnTerms, ref sink, g)) return;
        Gemm(x, xZeroPoint, weights, default, columnTerms, ref sink, g);
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
    /// QLinearConv, <see cref="QuantizedConvForm.DepthwiseDirect"/> form: weights [M][kh*kw] int8 (uint8 weights shifted
    /// by -128, their zero points too), <paramref name="weightZeroPoints"/> per channel in that shifted domain (empty:
    /// all zero), bias [M] or empty. Any depthwise shape, on every integer path.
    /// </summary>
    public static void QLinearDepthwise<TX, TY>(ReadOnlySpan<TX> x, int xZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> weightZeroPoints,
        ReadOnlySpan<int> bias, ReadOnlySpan<float> multipliers, int yZeroPoint, Span<TY> y, in ConvGeometry g)
        where TX : unmanaged where TY : unmanaged
    {
        CheckOutput(y.Length, g);
        var sink = new RequantSink<TY>(y, multipliers, yZeroPoint);
        Depthwise(x, xZeroPoint, weights, weightZeroPoints, bias, ref sink, g);
    }

    /// <summary>
    /// QLinearConv, <see cref="QuantizedConvForm.DepthwiseWindowed"/> form: <see cref="QLinearDepthwise{TX, TY}"/> with
    /// weight zero points all 0, on <see cref="DepthwiseVnni"/> where the CPU has its instructions.
    /// </summary>
    public static void QLinearDepthwiseWindowed<TX, TY>(ReadOnlySpan<TX> x, int xZeroPoint, ReadOnlySpan<sbyte> weights,
        ReadOnlySpan<int> bias, ReadOnlySpan<float> multipliers, int yZeroPoint, Span<TY> y, in ConvGeometry g)
        where TX : unmanaged where TY : unmanaged
    {
        CheckOutput(y.Length, g);
        if (HasVnniWindows)
        {
            DepthwiseVnni.Run(x, xZeroPoint, weights, bias, multipliers, yZeroPoint, y, g);
            return;
        }
        var sink = new RequantSink<TY>(y, multipliers, yZeroPoint);
        Depthwise(x, xZeroPoint, weights, default, bias, ref sink, g);
    }

    /// <summary>
    /// QLinearConv, <see cref="QuantizedConvForm.DepthwiseChannelsLast"/> form: <see cref="QLinearDepthwiseWindowed{TX, TY}"/>
    /// on <see cref="DepthwiseChannelsLast"/> where the CPU has its instructions. <paramref name="channelsLastTable"/>: what
    /// <see cref="DepthwiseChannelsLastTable{TX}"/> returned for these same weights, bias, multipliers, zero point and
    /// geometry (or empty: built per call).
    /// </summary>
    public static void QLinearDepthwiseChannelsLast<TX, TY>(ReadOnlySpan<TX> x, int xZeroPoint, ReadOnlySpan<sbyte> weights,
        ReadOnlySpan<int> bias, ReadOnlySpan<float> multipliers, int yZeroPoint, Span<TY> y, in ConvGeometry g, ReadOnlySpan<int> channelsLastTable)
        where TX : unmanaged where TY : unmanaged
    {
        if (HasVnniWindows && DepthwiseChannelsLast.IsSupported)
        {
            CheckOutput(y.Length, g);
            DepthwiseChannelsLast.Run(x, xZeroPoint, weights, bias, multipliers, yZeroPoint, y, g, channelsLastTable);
            return;
        }
        QLinearDepthwiseWindowed(x, xZeroPoint, weights, bias, multipliers, yZeroPoint, y, g);
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
    /// prepares what the build-time path precomputes, on this thread's scratch memory, then runs the form
    /// <see cref="QuantizedConvForms.Choose"/> gives (the rule the generator applies to constant weights, applied here
    /// because whether the weights are symmetric is known only now).
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
        switch (QuantizedConvForms.Choose(g, requantized: true, symmetricWeights: prepared.ZeroPoints.IsEmpty))
        {
            case QuantizedConvForm.Windowed:
                QLinearConvWindowed(x, xz, prepared.Weights, prepared.Terms, multipliers, yz, y, g);
                break;
            case QuantizedConvForm.DepthwiseChannelsLast:
                QLinearDepthwiseChannelsLast(x, xz, prepared.Weights, bias, multipliers, yz, y, g, default);
                break;
            case QuantizedConvForm.DepthwiseWindowed:
                QLinearDepthwiseWindowed(x, xz, prepared.Weights, bias, multipliers, yz, y, g);
                break;
            case QuantizedConvForm.DepthwiseDirect:
                QLinearDepthwise(x, xz, prepared.Weights, prepared.ZeroPoints, bias, multipliers, yz, y, g);
                break;
            default:
                QLinearConv(x, xz, prepared.Weights, prepared.ZeroPoints, prepared.Terms, multipliers, yz, y, g);
                break;
        }
    }

    /// <summary>
    /// The per-channel table <see cref="DepthwiseChannelsLast"/> otherwise builds on every call (tap-pair weights,
    /// starting sums, multipliers in its lane order) for <see cref="QLinearDepthwiseChannelsLast{TX, TY}"/> with these
    /// constant weights, bias, multipliers and input zero point; empty where that kernel does not run on this machine or
    /// geometry. Generated code builds it once, on first use, and passes it to every call.
    /// </summary>
    public static int[] DepthwiseChannelsLastTable<TX>(ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> bias, ReadOnlySpan<float> multipliers,
        int xZeroPoint, in ConvGeometry g) where TX : unmanaged =>
        DepthwiseChannelsLast.IsSupported && DepthwiseChannelsLast.Fits(g)
            ? DepthwiseChannelsLast.Table(weights, bias, multipliers, xZeroPoint + (typeof(TX) == typeof(sbyte) ? 128 : 0), g.inChannels)
            : Array.Empty<int>();

    /// <summary>
    /// The instructions the window forms need, on the integer path this thread takes: AVX-VNNI (the path) and AVX-512
    /// VBMI (the byte permutes). The only run-time choice the forms make.
    /// </summary>
    private static bool HasVnniWindows => IntegerPaths.Current == IntegerPath.AvxVnni && DepthwiseVnni.IsSupported;

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
        if (QuantizedConvForms.IsDepthwise(QuantizedConvForms.Choose(g, requantized: false, symmetricWeights: prepared.ZeroPoints.IsEmpty))) Depthwise(x, xz, prepared.Weights, prepared.ZeroPoints, default, ref sink, g);
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
}
