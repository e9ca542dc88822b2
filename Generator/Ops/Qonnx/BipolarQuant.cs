using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Shared;

namespace ModelCompiler.Ops.Qonnx;

/// <summary>
/// QONNX <c>BipolarQuant</c> (qonnx <c>bipolar_quant.py</c>): y = (x &gt;= 0 ? 1 : -1) * scale, the scale a constant
/// that broadcasts. A constant input (a binary weight) folds at build time.
/// </summary>
internal sealed class BipolarQuantFamily : QonnxFamily
{
    protected override OpSchema Create(string domain) => new BipolarQuantOp(domain);
}

internal sealed class BipolarQuantOp : OpSchema
{
    public BipolarQuantOp(string domain) => Domain = domain;

    public override string OpType => "BipolarQuant";
    public override string Domain { get; }
    protected override bool HasFolding => true;

    public static ParamBroadcast Read(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(0, t => t == DataType.Float, "float32");
        return ParamBroadcast.Of(c.Shape(0), new[] { "scale" }, c.RequireConst(1, "the scale"));
    }

    public override void Infer(OpContext c)
    {
        Read(c);
        c.SetOutput(0, DataType.Float, c.Shape(0));
    }

    public override Tensor[] Fold(OpContext c)
    {
        var p = Read(c);
        var x = c.Const(0)!.ToFloats();
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = QonnxScalar.Bipolar(x[i], p.Values[0][i / p.Inner % p.Length]);
        return new[] { Tensor.FromFloats(c.Shape(0), y) };
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        var p = Read(c);
        var scale = Tensor.FromFloats(new[] { p.Length }, p.Values[0]);
        return new CallKernel(c.Node, w => w.Line($"global::ModelCompiler.Runtime.QonnxOps.BipolarQuant({w.In(0)}, {w.Out(0)}, {w.Weight(scale)}, inner: {p.Inner});"),
            p.Length == 1 ? $"x >= 0 ? {LayerWriter.F(p.Values[0][0])} : {LayerWriter.F(-p.Values[0][0])}" : $"x >= 0 ? scale : -scale, {p.Length} scales")
        { InPlaceInputs = new[] { 0 } };
    }
}
