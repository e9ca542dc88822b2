using System;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Signal;

/// <summary>
/// ONNX DFT (opset 17: axis attribute, default 1; opset 20: axis input, default -2). x is [..., signal axes...,
/// components] with components 1 (real) or 2 (complex); the transform runs along 'axis' over dft_length points
/// (input 1, a constant; the signal is cut or zero-padded; default: the axis length, or 2 * (bins - 1) for an
/// inverse one-sided transform). onesided keeps bins 0..L/2 (forward) or, with inverse, reads a half spectrum
/// and returns the real signal; inverse divides by L. float32, float64 and float16.
/// </summary>
internal sealed class DftOp : OpSchema
{
    public override string OpType => "DFT";

    private sealed record Plan(int Outer, int NIn, int Inner, bool ComplexInput, int Length, int NOut, bool Inverse, bool OneSided, int[] OutShape);

    private static Plan Compute(OpContext c)
    {
        int[] x = c.Shape(0);
        int r = x.Length;
        if (r < 2 || x[r - 1] is not (1 or 2)) throw new ModelError($"the input must be [..., 1] (real) or [..., 2] (complex) with a signal axis, but has shape {ShapeText.Format(x)}");
        long axisValue = c.Opset >= 20
            ? (c.Has(2) ? (long)c.RequireConst(2, "the axis").Scalar() : -2)
            : c.Int("axis", 1);
        int axis = ShapeText.Axis(axisValue, r);
        if (axis == r - 1) throw new ModelError($"axis {axisValue} names the components dimension; it must name a signal axis");
        bool inverse = c.Int("inverse", 0) != 0, oneSided = c.Int("onesided", 0) != 0;
        int n = x[axis];
        int length;
        if (c.Has(1))
        {
            var t = c.RequireConst(1, "dft_length, which decides the output shape,");
            if (t.ElementCount != 1) throw new ModelError("dft_length must be a single value");
            length = ShapeText.CheckedInt(t.GetLong(0));
        }
        else length = inverse && oneSided ? 2 * (n - 1) : n;
        if (length < 1) throw new ModelError($"the DFT length must be positive, not {length}");
        bool realOutput = inverse && oneSided;
        int nOut = oneSided && !inverse ? length / 2 + 1 : length;
        var outShape = x.Select((d, i) => i == axis ? nOut : i == r - 1 ? (realOutput ? 1 : 2) : d).ToArray();
        return new Plan((int)ShapeText.Product(x, 0, axis), n, (int)ShapeText.Product(x, axis + 1, r - 1), x[r - 1] == 2, length, nOut, inverse, oneSided, outShape);
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        c.RequireType(0, t => t is DataType.Float or DataType.Double or DataType.Float16, "float32, float64 or float16");
        var p = Compute(c);
        if (p.Inverse && p.OneSided && p.ComplexInput == false) throw new ModelError("an inverse one-sided DFT takes a complex half spectrum ([..., 2])");
        c.SetOutput(0, c.Type(0), p.OutShape);
    }

    /// <summary>cos and sin of 2πm/L for m in [0, L), interleaved: the kernel's twiddle factors.</summary>
    internal static Tensor Twiddles(int length)
    {
        var v = new double[2 * length];
        for (int m = 0; m < length; m++)
        {
            double a = 2 * Math.PI * m / length;
            v[2 * m] = Math.Cos(a);
            v[2 * m + 1] = Math.Sin(a);
        }
        return Tensor.FromDoubles(DataType.Double, new[] { 2 * length }, v);
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        string t = c.Type(0).CSharpName()!;
        var p = Compute(c);
        var twiddles = Twiddles(p.Length);
        bool hermitian = p.Inverse && p.OneSided;
        string B(bool b) => b ? "true" : "false";
        string what = (p.Inverse ? "inverse " : "") + (p.OneSided ? "one-sided " : "") + $"length {p.Length}" + ((p.Length & (p.Length - 1)) == 0 ? " (FFT)" : " (direct sum)");
        return new CallKernel(c.Node, w => w.Line(
            $"global::ModelCompiler.Runtime.Signal.Dft<{t}>({w.In(0)}, {w.Out(0)}, {w.Weight(twiddles)}, outer: {p.Outer}, nIn: {p.NIn}, inner: {p.Inner}, complexInput: {B(p.ComplexInput)}, " +
            $"length: {p.Length}, nOut: {p.NOut}, inverse: {B(p.Inverse)}, hermitianInput: {B(hermitian)}, realOutput: {B(hermitian)});"),
            what, macs: (long)p.Outer * p.Inner * p.NOut * p.Length);
    }
}
