using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Qonnx;

/// <summary>
/// QONNX <c>MultiThreshold</c> (qonnx <c>multithreshold.py</c>): y = out_scale * (how many of its channel's
/// thresholds x is &gt;= to) + out_bias, thresholds a constant [channels or 1, steps]; the channel axis is 1, or the
/// last one when <c>data_layout</c> ends in C (NHWC, NC...). <c>out_dtype</c> names the integer type of the count
/// for FINN; the tensor stays float32, as in the reference.
/// </summary>
internal sealed class MultiThresholdFamily : QonnxFamily
{
    protected override OpSchema Create(string domain) => new MultiThresholdOp(domain);
}

internal sealed class MultiThresholdOp : OpSchema
{
    public MultiThresholdOp(string domain) => Domain = domain;

    public override string OpType => "MultiThreshold";
    public override string Domain { get; }
    protected override bool HasFolding => true;

    internal sealed class Spec
    {
        public float[] Thresholds = null!;
        public int Channels, Steps, Inner;
        public float OutScale, OutBias;
    }

    public static Spec Read(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(0, t => t == DataType.Float, "float32");
        var t = c.RequireConst(1, "the thresholds");
        int[] x = c.Shape(0);
        if (t.Rank != 2) throw new ModelError($"the thresholds must be [channels, steps], not of shape {ShapeText.Format(t.Shape)}");
        if (x.Length < 2) throw new ModelError($"the input needs a batch and a channel axis, not shape {ShapeText.Format(x)}");
        string layout = c.Str("data_layout", "NCHW");
        bool channelsLast = layout.Length > 0 && layout[layout.Length - 1] == 'C';
        int axis = channelsLast ? x.Length - 1 : 1;
        int channels = t.Shape[0];
        if (channels != 1 && channels != x[axis])
            throw new ModelError($"{channels} threshold rows for {x[axis]} channels (axis {axis}, data_layout {layout}): one row per channel or one for all are needed");
        return new Spec
        {
            Thresholds = t.ToFloats(),
            Channels = channels,
            Steps = t.Shape[1],
            Inner = channels == 1 ? 1 : (int)ShapeText.Product(x.Skip(axis + 1).ToArray()),
            OutScale = c.Float("out_scale", 1f),
            OutBias = c.Float("out_bias", 0f),
        };
    }

    public override void Infer(OpContext c)
    {
        Read(c);
        c.SetOutput(0, DataType.Float, c.Shape(0));
    }

    public override Tensor[] Fold(OpContext c)
    {
        var s = Read(c);
        var x = c.Const(0)!.ToFloats();
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int ch = i / s.Inner % s.Channels, count = 0;
            for (int k = 0; k < s.Steps; k++) if (x[i] >= s.Thresholds[ch * s.Steps + k]) count++;
            y[i] = s.OutScale * count + s.OutBias;
        }
        return new[] { Tensor.FromFloats(c.Shape(0), y) };
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        var s = Read(c);
        return new CallKernel(c.Node, w => w.Line(
            $"global::ModelCompiler.Runtime.QonnxOps.MultiThreshold({w.In(0)}, {w.Out(0)}, {w.In(1)}, channels: {s.Channels}, steps: {s.Steps}, inner: {s.Inner}, " +
            $"outScale: {LayerWriter.F(s.OutScale)}, outBias: {LayerWriter.F(s.OutBias)});"),
            $"{s.Steps} thresholds {(s.Channels == 1 ? "for all channels" : $"per channel ({s.Channels})")}, out_dtype {c.Str("out_dtype", "?")}")
        { InPlaceInputs = new[] { 0 } };
    }
}
