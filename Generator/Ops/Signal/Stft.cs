using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Signal;

/// <summary>
/// ONNX STFT (opset 17): signal [batch, length, 1 or 2]; frames of frame_length samples (input 3, or the
/// window's length) every frame_step samples (input 1); each frame times the window (input 2, optional, a
/// constant or a run-time tensor) is transformed; output [batch, frames, bins, 2] with bins frame_length / 2 + 1
/// when onesided (the default) or frame_length. frame_step and frame_length decide the shape: constants.
/// </summary>
internal sealed class StftOp : OpSchema
{
    public override string OpType => "STFT";

    private sealed record Plan(int Batch, int SignalLength, bool Complex, int Frames, int Step, int FrameLength, int Bins);

    private static int Scalar(OpContext c, int input, string what)
    {
        var t = c.RequireConst(input, what);
        if (t.ElementCount != 1) throw new ModelError($"{what.TrimEnd(',')} must be a single value");
        return ShapeText.CheckedInt(t.GetLong(0));
    }

    private static Plan Compute(OpContext c)
    {
        int[] x = c.Shape(0);
        if (x.Length != 3 || x[2] is not (1 or 2)) throw new ModelError($"the signal must be [batch, length, 1 or 2] but has shape {ShapeText.Format(x)}");
        int step = Scalar(c, 1, "frame_step, which decides the output shape,");
        int? windowLength = c.Has(2) ? (c.Shape(2).Length == 1 ? c.Shape(2)[0] : throw new ModelError("the window must be 1-D")) : null;
        int frameLength = c.Has(3) ? Scalar(c, 3, "frame_length, which decides the output shape,") : windowLength ?? x[1];
        if (windowLength is { } wl && wl != frameLength) throw new ModelError($"the window has {wl} values but frame_length is {frameLength}");
        if (step < 1 || frameLength < 1 || frameLength > x[1]) throw new ModelError($"frame_step ({step}) must be positive and frame_length ({frameLength}) between 1 and the signal length ({x[1]})");
        bool oneSided = c.Int("onesided", 1) != 0;
        int frames = 1 + (x[1] - frameLength) / step;
        return new Plan(x[0], x[1], x[2] == 2, frames, step, frameLength, oneSided ? frameLength / 2 + 1 : frameLength);
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(0, t => t is DataType.Float or DataType.Double or DataType.Float16, "float32, float64 or float16");
        if (c.Has(2) && c.Type(2) != c.Type(0)) throw new ModelError("the window must have the signal's type");
        var p = Compute(c);
        c.SetOutput(0, c.Type(0), new[] { p.Batch, p.Frames, p.Bins, 2 });
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        string t = c.Type(0).CSharpName()!;
        var p = Compute(c);
        var twiddles = DftOp.Twiddles(p.FrameLength);
        return new CallKernel(c.Node, w => w.Line(
            $"global::ModelCompiler.Runtime.Signal.Stft<{t}>({w.In(0)}, {(c.Has(2) ? w.In(2) : "default")}, {w.Out(0)}, {w.Weight(twiddles)}, batch: {p.Batch}, signalLength: {p.SignalLength}, " +
            $"complexInput: {(p.Complex ? "true" : "false")}, frames: {p.Frames}, step: {p.Step}, frameLength: {p.FrameLength}, bins: {p.Bins});"),
            $"{p.Frames} frames of {p.FrameLength}, step {p.Step}", macs: (long)p.Batch * p.Frames * p.Bins * p.FrameLength);
    }
}
