using System;
using System.Globalization;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Shared;

namespace ModelCompiler.Ops.Qonnx;

/// <summary>
/// QONNX <c>Quant</c> (qonnx <c>intquant.py</c>): y = (q - zeropt) * scale with q = round(clamp(x / scale + zeropt))
/// to the integer range of <c>bit_width</c> bits (<c>signed</c> default 1, <c>narrow</c> default 1 as in qonnx's
/// attribute table, <c>rounding_mode</c> default ROUND, i.e. half to even); a signed 1-bit Quant is bipolar
/// (x / scale + zeropt &gt;= 0 gives 1, else -1). Scale, zero point and bit width must be constants. A Quant of a
/// constant (a weight) folds at build time, and when its zero point is an integer the folded weight keeps its
/// integer codes (int4 up to 4 bits, int8/uint8 up to 8), so the weight blob stores it narrow.
/// </summary>
internal sealed class QuantFamily : QonnxFamily
{
    protected override OpSchema Create(string domain) => new QuantOp(domain);
}

internal sealed class QuantOp : OpSchema
{
    public QuantOp(string domain) => Domain = domain;

    public override string OpType => "Quant";
    public override string Domain { get; }
    protected override bool HasFolding => true;

    /// <summary>What a Quant node computes, read from its constant inputs and attributes.</summary>
    internal sealed class Spec
    {
        public bool Signed, Narrow, Bipolar;
        public int Bits, Rounding;
        public float Min, Max;
        public ParamBroadcast Params = null!;
        public float[] Scale => Params.Values[0];
        public float[] ZeroPoint => Params.Values[1];
    }

    public static Spec Read(OpContext c)
    {
        c.RequireInputs(4);
        c.RequireType(0, t => t == DataType.Float, "float32");
        var scale = c.RequireConst(1, "the scale");
        var zeroPoint = c.RequireConst(2, "the zero point");
        var bitWidth = c.RequireConst(3, "the bit width");
        if (bitWidth.ElementCount != 1) throw new ModelError($"the bit width must be a scalar, not of shape {ShapeText.Format(bitWidth.Shape)}");
        double bits = bitWidth.GetDouble(0);
        if (bits != Math.Floor(bits) || bits < 1 || bits > 24)
            throw new ModelError($"bit width {bits.ToString(CultureInfo.InvariantCulture)} is not supported: ModelCompiler runs integer bit widths from 1 to 24 (float32 holds their integers exactly)");
        int rounding = QonnxScalar.ParseRounding(c.Str("rounding_mode", "ROUND"));
        if (rounding < 0) throw new ModelError($"unknown rounding_mode '{c.Str("rounding_mode", "")}' (ROUND, HALF_EVEN, CEIL, FLOOR, UP, DOWN, HALF_UP, HALF_DOWN)");
        var spec = new Spec
        {
            Signed = c.Int("signed", 1) != 0,
            Narrow = c.Int("narrow", 1) != 0,
            Bits = (int)bits,
            Rounding = rounding,
        };
        spec.Bipolar = spec.Bits == 1 && spec.Signed;
        spec.Min = (float)QonnxScalar.MinInt(spec.Signed, spec.Narrow, spec.Bits);
        spec.Max = (float)QonnxScalar.MaxInt(spec.Signed, spec.Narrow, spec.Bits);
        if (!spec.Bipolar && spec.Min > spec.Max) throw new ModelError($"an empty integer range ({spec.Bits} bit, signed {(spec.Signed ? 1 : 0)}, narrow {(spec.Narrow ? 1 : 0)})");
        spec.Params = ParamBroadcast.Of(c.Shape(0), new[] { "scale", "zero point" }, scale, zeroPoint);
        return spec;
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
        var codes = new long[x.Length];
        int inner = s.Params.Inner, length = s.Params.Length;
        for (int i = 0; i < x.Length; i++)
        {
            int p = (int)(i / inner % length);
            float q = QonnxScalar.QuantCode(x[i], s.Scale[p], s.ZeroPoint[p], s.Bipolar, s.Min, s.Max, s.Rounding);
            y[i] = (q - s.ZeroPoint[p]) * s.Scale[p];
            codes[i] = float.IsNaN(q) ? long.MinValue : (long)q;
        }
        var result = Tensor.FromFloats(c.Shape(0), y);
        return new[] { NarrowEncoding.Attach(result, codes, s, c.Shape(0), c.Const(1)!, c.Const(2)!) ?? result };
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        var s = Read(c);
        var scale = Tensor.FromFloats(new[] { s.Params.Length }, s.Scale);
        var zeroPoint = Tensor.FromFloats(new[] { s.Params.Length }, s.ZeroPoint);
        string what = s.Bipolar ? "bipolar (1-bit signed)" : $"{s.Bits}-bit {(s.Signed ? "signed" : "unsigned")}{(s.Narrow ? " narrow" : "")} [{LayerWriter.F(s.Min)}, {LayerWriter.F(s.Max)}]";
        return new CallKernel(c.Node, w => w.Line(
            $"global::ModelCompiler.Runtime.QonnxOps.Quant({w.In(0)}, {w.Out(0)}, {w.Weight(scale)}, {w.Weight(zeroPoint)}, inner: {s.Params.Inner}, " +
            $"bipolar: {(s.Bipolar ? "true" : "false")}, min: {LayerWriter.F(s.Min)}, max: {LayerWriter.F(s.Max)}, rounding: {s.Rounding});"),
            $"{what}, {(s.Params.Length == 1 ? "per tensor" : $"{s.Params.Length} parameters")}, rounding {c.Str("rounding_mode", "ROUND")}")
        { InPlaceInputs = new[] { 0 } };
    }
}
