using System;
using System.Globalization;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Shared;

namespace ModelCompiler.Ops.Qonnx;

/// <summary>
/// QONNX <c>Trunc</c> (qonnx <c>trunc.py</c>), both versions, told apart by their inputs: v1 (x, scale, zeropt,
/// input_bit_width, output_bit_width) divides round(x / scale + zeropt) by 2^(input bits - output bits), rounds
/// with <c>rounding_mode</c> (default FLOOR) and maps back with zeropt and scale; v2 (x, scale, zeropt,
/// input_bit_width, output_scale, output_bit_width) divides by the power of two nearest output_scale / scale,
/// clamps to the output range (<c>signed</c> default 1, <c>narrow</c> default 0), rounds, and maps back with
/// zeropt / that power and output_scale. All parameters must be constants; they may broadcast.
/// </summary>
internal sealed class TruncFamily : QonnxFamily
{
    protected override OpSchema Create(string domain) => new TruncOp(domain);
}

internal sealed class TruncOp : OpSchema
{
    public TruncOp(string domain) => Domain = domain;

    public override string OpType => "Trunc";
    public override string Domain { get; }
    protected override bool HasFolding => true;

    private sealed class Spec
    {
        public bool V2, Clamp;
        public int Rounding;
        public float Min, Max;
        public ParamBroadcast Params = null!; // scale, zeropt, truncScale, outZeroPoint, outScale
    }

    private static Spec Read(OpContext c)
    {
        bool v2 = c.InputCount >= 6;
        c.RequireInputs(v2 ? 6 : 5);
        c.RequireType(0, t => t == DataType.Float, "float32");
        int rounding = QonnxScalar.ParseRounding(c.Str("rounding_mode", "FLOOR"));
        if (rounding < 0) throw new ModelError($"unknown rounding_mode '{c.Str("rounding_mode", "")}'");
        c.RequireConst(1, "the scale");
        var zeroPoint = c.RequireConst(2, "the zero point");
        int inBits = Bits(c, 3, "the input bit width");
        int outBits = Bits(c, v2 ? 5 : 4, "the output bit width");
        var spec = new Spec { V2 = v2, Clamp = v2, Rounding = rounding };
        var shape = c.Shape(0);
        if (!v2)
        {
            float truncScale = (float)Math.Pow(2, inBits - outBits);
            var p = ParamBroadcast.Of(shape, new[] { "scale", "zero point" }, c.Const(1)!, zeroPoint);
            spec.Params = Expand(p.Values[0], p.Values[1], Fill(p.Length, truncScale), p.Values[1], p.Values[0], p.Inner);
            return spec;
        }
        bool signed = c.Int("signed", 1) != 0, narrow = c.Int("narrow", 0) != 0;
        spec.Min = (float)QonnxScalar.MinInt(signed, narrow, outBits);
        spec.Max = (float)QonnxScalar.MaxInt(signed, narrow, outBits);
        var q = ParamBroadcast.Of(shape, new[] { "scale", "zero point", "output scale" }, c.Const(1)!, zeroPoint, c.RequireConst(4, "the output scale"));
        var ts = new float[q.Length];
        var outZp = new float[q.Length];
        for (int i = 0; i < q.Length; i++)
        {
            // 2 ** round(log2(output_scale / scale)) in float32, as numpy evaluates it on float32 tensors.
            ts[i] = (float)Math.Pow(2, Math.Round(Math.Log((float)(q.Values[2][i] / q.Values[0][i]), 2), MidpointRounding.ToEven));
            outZp[i] = q.Values[1][i] / ts[i];
        }
        spec.Params = Expand(q.Values[0], q.Values[1], ts, outZp, q.Values[2], q.Inner);
        return spec;
    }

    private static int Bits(OpContext c, int input, string what)
    {
        var t = c.RequireConst(input, what);
        if (t.ElementCount != 1) throw new ModelError($"{what} must be a scalar");
        double b = t.GetDouble(0);
        if (b != Math.Floor(b) || b < 1 || b > 32) throw new ModelError($"{what} {b.ToString(CultureInfo.InvariantCulture)} is not an integer from 1 to 32");
        return (int)b;
    }

    private static float[] Fill(int n, float v)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = v;
        return a;
    }

    private static ParamBroadcast Expand(float[] scale, float[] zp, float[] ts, float[] outZp, float[] outScale, int inner) =>
        ParamBroadcast.FromValues(new[] { scale, zp, ts, outZp, outScale }, inner);

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
        var v = s.Params.Values;
        for (int i = 0; i < x.Length; i++)
        {
            int p = i / s.Params.Inner % s.Params.Length;
            y[i] = QonnxScalar.Trunc(x[i], v[0][p], v[1][p], v[2][p], v[3][p], v[4][p], s.Clamp, s.Min, s.Max, s.Rounding);
        }
        return new[] { Tensor.FromFloats(c.Shape(0), y) };
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        var s = Read(c);
        var t = Array.ConvertAll(s.Params.Values, a => Tensor.FromFloats(new[] { a.Length }, a));
        return new CallKernel(c.Node, w => w.Line(
            $"global::ModelCompiler.Runtime.QonnxOps.Trunc({w.In(0)}, {w.Out(0)}, {w.Weight(t[0])}, {w.Weight(t[1])}, {w.Weight(t[2])}, {w.Weight(t[3])}, {w.Weight(t[4])}, " +
            $"inner: {s.Params.Inner}, clamp: {(s.Clamp ? "true" : "false")}, min: {LayerWriter.F(s.Min)}, max: {LayerWriter.F(s.Max)}, rounding: {s.Rounding});"),
            $"Trunc v{(s.V2 ? 2 : 1)}, divide by {LayerWriter.F(s.Params.Values[2][0])}{(s.Params.Length > 1 ? $" ({s.Params.Length} parameters)" : "")}, rounding {c.Str("rounding_mode", "FLOOR")}")
        { InPlaceInputs = new[] { 0 } };
    }
}
