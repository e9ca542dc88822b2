using System;
using System.ComponentModel;

namespace ModelCompiler.Runtime;

/// <summary>
/// ONNX LSTM for generated code. <c>Run</c> takes weights packed at build time (<c>RecurrentLayout</c>);
/// <c>RunUnpacked</c> takes W, R, B, P in ONNX's layout (when they are graph inputs) and packs them per call into the end of the scratch.
/// Optional tensors are empty spans; <c>scratch</c> is the layer's working memory from the memory plan
/// (<c>RecurrentLayout.ScratchBytes</c>). See <see cref="RecurrentKernel"/> for the algorithm.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Lstm
{
    /// <summary>The layer with weights packed at build time.</summary>
    public static void Run(ReadOnlySpan<float> x, ReadOnlySpan<float> packedWeights, bool peepholes, ReadOnlySpan<int> sequenceLens,
        ReadOnlySpan<float> initialH, ReadOnlySpan<float> initialC, Span<float> y, Span<float> yH, Span<float> yC, Span<byte> scratch,
        in RecurrentShape shape, in RnnActivations forward, in RnnActivations reverse, float clip, bool inputForget) =>
        RecurrentKernel.Run(Call(x, sequenceLens, initialH, initialC, y, yH, yC, scratch, shape, forward, reverse, clip, inputForget, packedWeights, peepholes), VectorWidth.Auto);

    /// <summary>The layer with weights in ONNX's layout, packed into the scratch on each call.</summary>
    public static void RunUnpacked(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> r, ReadOnlySpan<float> b, ReadOnlySpan<float> p,
        ReadOnlySpan<int> sequenceLens, ReadOnlySpan<float> initialH, ReadOnlySpan<float> initialC, Span<float> y, Span<float> yH, Span<float> yC, Span<byte> scratch,
        in RecurrentShape shape, in RnnActivations forward, in RnnActivations reverse, float clip, bool inputForget) =>
        RecurrentKernel.RunUnpacked(Call(x, sequenceLens, initialH, initialC, y, yH, yC, scratch, shape, forward, reverse, clip, inputForget, default, false), w, r, b, p, VectorWidth.Auto);

    internal static RecurrentCall Call(ReadOnlySpan<float> x, ReadOnlySpan<int> sequenceLens, ReadOnlySpan<float> initialH, ReadOnlySpan<float> initialC,
        Span<float> y, Span<float> yH, Span<float> yC, Span<byte> scratch, in RecurrentShape shape, in RnnActivations forward, in RnnActivations reverse, float clip,
        bool inputForget, ReadOnlySpan<float> packed, bool peepholes) => new()
        {
            Cell = RecurrentCell.Lstm, Shape = shape, X = x, Packed = packed, SequenceLens = sequenceLens, InitialH = initialH, InitialC = initialC,
            Y = y, YH = yH, YC = yC, Scratch = scratch, Forward = forward, Reverse = reverse, Clip = clip, InputForget = inputForget, Peepholes = peepholes,
        };
}

/// <summary>ONNX GRU for generated code; see <see cref="Lstm"/> for the two entry points.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Gru
{
    /// <summary>The layer with weights packed at build time.</summary>
    public static void Run(ReadOnlySpan<float> x, ReadOnlySpan<float> packedWeights, ReadOnlySpan<int> sequenceLens, ReadOnlySpan<float> initialH,
        Span<float> y, Span<float> yH, Span<byte> scratch, in RecurrentShape shape, in RnnActivations forward, in RnnActivations reverse, float clip, bool linearBeforeReset) =>
        RecurrentKernel.Run(Call(x, sequenceLens, initialH, y, yH, scratch, shape, forward, reverse, clip, linearBeforeReset, packedWeights), VectorWidth.Auto);

    /// <summary>The layer with weights in ONNX's layout, packed into the scratch on each call.</summary>
    public static void RunUnpacked(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> r, ReadOnlySpan<float> b,
        ReadOnlySpan<int> sequenceLens, ReadOnlySpan<float> initialH, Span<float> y, Span<float> yH, Span<byte> scratch,
        in RecurrentShape shape, in RnnActivations forward, in RnnActivations reverse, float clip, bool linearBeforeReset) =>
        RecurrentKernel.RunUnpacked(Call(x, sequenceLens, initialH, y, yH, scratch, shape, forward, reverse, clip, linearBeforeReset, default), w, r, b, default, VectorWidth.Auto);

    internal static RecurrentCall Call(ReadOnlySpan<float> x, ReadOnlySpan<int> sequenceLens, ReadOnlySpan<float> initialH, Span<float> y, Span<float> yH, Span<byte> scratch,
        in RecurrentShape shape, in RnnActivations forward, in RnnActivations reverse, float clip, bool linearBeforeReset, ReadOnlySpan<float> packed) => new()
        {
            Cell = RecurrentCell.Gru, Shape = shape, X = x, Packed = packed, SequenceLens = sequenceLens, InitialH = initialH,
            Y = y, YH = yH, Scratch = scratch, Forward = forward, Reverse = reverse, Clip = clip, LinearBeforeReset = linearBeforeReset,
        };
}

/// <summary>ONNX RNN (the simple recurrent cell) for generated code; see <see cref="Lstm"/> for the two entry points.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Rnn
{
    /// <summary>The layer with weights packed at build time.</summary>
    public static void Run(ReadOnlySpan<float> x, ReadOnlySpan<float> packedWeights, ReadOnlySpan<int> sequenceLens, ReadOnlySpan<float> initialH,
        Span<float> y, Span<float> yH, Span<byte> scratch, in RecurrentShape shape, in RnnActivations forward, in RnnActivations reverse, float clip) =>
        RecurrentKernel.Run(Call(x, sequenceLens, initialH, y, yH, scratch, shape, forward, reverse, clip, packedWeights), VectorWidth.Auto);

    /// <summary>The layer with weights in ONNX's layout, packed into the scratch on each call.</summary>
    public static void RunUnpacked(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> r, ReadOnlySpan<float> b,
        ReadOnlySpan<int> sequenceLens, ReadOnlySpan<float> initialH, Span<float> y, Span<float> yH, Span<byte> scratch,
        in RecurrentShape shape, in RnnActivations forward, in RnnActivations reverse, float clip) =>
        RecurrentKernel.RunUnpacked(Call(x, sequenceLens, initialH, y, yH, scratch, shape, forward, reverse, clip, default), w, r, b, default, VectorWidth.Auto);

    internal static RecurrentCall Call(ReadOnlySpan<float> x, ReadOnlySpan<int> sequenceLens, ReadOnlySpan<float> initialH, Span<float> y, Span<float> yH, Span<byte> scratch,
        in RecurrentShape shape, in RnnActivations forward, in RnnActivations reverse, float clip, ReadOnlySpan<float> packed) => new()
        {
            Cell = RecurrentCell.Rnn, Shape = shape, X = x, Packed = packed, SequenceLens = sequenceLens, InitialH = initialH,
            Y = y, YH = yH, Scratch = scratch, Forward = forward, Reverse = reverse, Clip = clip,
        };
}
