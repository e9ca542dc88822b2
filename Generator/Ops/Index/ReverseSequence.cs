using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Index;

/// <summary>
/// ONNX ReverseSequence (opset 10): for each batch entry b the first sequence_lens[b] steps along time_axis are
/// reversed, the rest copied. time_axis and batch_axis are 0 and 1 in either order (defaults 0 and 1);
/// sequence_lens is an int64 [batch] tensor, read at run time. Any element type.
/// </summary>
internal sealed class ReverseSequenceOp : OpSchema
{
    public override string OpType => "ReverseSequence";

    private static bool TimeMajor(OpContext c)
    {
        long time = c.Int("time_axis", 0), batch = c.Int("batch_axis", 1);
        if (!(time == 0 && batch == 1 || time == 1 && batch == 0)) throw new ModelError($"time_axis ({time}) and batch_axis ({batch}) must be 0 and 1 in either order");
        return time == 0;
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(1, IndexArgs.IsIndexType, "int64 sequence lengths");
        int[] x = c.Shape(0);
        if (x.Length < 2) throw new ModelError("the input must have rank 2 or more");
        int batch = x[TimeMajor(c) ? 1 : 0];
        if (c.Shape(1).Length != 1 || c.Shape(1)[0] != batch) throw new ModelError($"sequence_lens must have shape [{batch}] but has {ShapeText.Format(c.Shape(1))}");
        c.SetOutput(0, c.Type(0), x);
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        string? t = c.Type(0).CSharpName();
        if (t is null) return null;
        int[] x = c.Shape(0);
        bool timeMajor = TimeMajor(c);
        int batch = x[timeMajor ? 1 : 0], time = x[timeMajor ? 0 : 1];
        int inner = (int)ShapeText.Product(x, 2, x.Length);
        return new CallKernel(c.Node, w => w.Line(
            $"{IndexArgs.Runtime}.ReverseSequence<{t}, {w.T(1)}>({w.In(0)}, {w.In(1)}, {w.Out(0)}, timeMajor: {(timeMajor ? "true" : "false")}, batch: {batch}, time: {time}, inner: {inner});"),
            timeMajor ? "time-major" : "batch-major");
    }
}
