using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Ops.Nn;

namespace ModelCompiler.Ops.Quantization;

/// <summary>
/// com.microsoft MatMulIntegerToFloat: Y = (A - a_zero_point)(B - b_zero_point) x (a_scale x b_scale) + bias, the
/// product in int32 (uint8/int8 inputs), one float32 multiplier per output column (a_scale per tensor, b_scale
/// per tensor or per column) and an optional float32 bias per column. ONNX Runtime's dynamic quantization
/// emits it, and the QDQ pass makes it of a Gemm whose float output is not quantized again (a classifier's
/// logits). A constant B is packed at build time as for MatMulInteger; otherwise the product runs at run time.
/// </summary>
internal sealed class MatMulIntegerToFloatOp : OpSchema
{
    public override string OpType => "MatMulIntegerToFloat";
    public override string Domain => "com.microsoft";

    public override void Infer(OpContext c)
    {
        c.RequireInputs(4);
        Quant.RequireEightBit(c, 0, "A");
        Quant.RequireEightBit(c, 1, "B");
        if (c.Type(2) != DataType.Float) throw new ModelError($"a_scale has type {c.Type(2).OnnxName()}; expected float32");
        Quant.RequireType(c, 3, DataType.Float, "b_scale");
        Quant.RequireType(c, 4, c.Type(0), "a_zero_point");
        Quant.RequireType(c, 5, c.Type(1), "b_zero_point");
        Quant.RequireType(c, 6, DataType.Float, "bias");
        var p = MatMulPlan.Of(c.Shape(0), c.Shape(1));
        Quant.CheckSingle(c, 2, "a_scale");
        Quant.CheckSingle(c, 4, "a_zero_point");
        Quant.CheckPerChannel(c, 3, "b_scale", p.N);
        Quant.CheckPerChannel(c, 5, "b_zero_point", p.N);
        if (c.Has(6) && ShapeText.Product(c.Shape(6)) != p.N)
            throw new ModelError($"bias (input 6) has shape {ShapeText.Format(c.Shape(6))}; expected [{p.N}], one value per output column");
        c.SetOutput(0, DataType.Float, p.OutShape);
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        var p = MatMulPlan.Of(c.Shape(0), c.Shape(1));
        string ta = c.Type(0).CSharpName()!, tb = c.Type(1).CSharpName()!;
        long macs = (long)p.AOffsets.Length * p.M * p.N * p.K;
        string summary = $"{c.Type(0).OnnxName()} x {c.Type(1).OnnxName()} ({Quant.Granularity(c, 3)}) -> float32, {QuantMatMul.Describe(p)}";
        bool buildTime = QuantMatMul.SharedB(p) && Quant.AllConstant(c, 1, 2, 3, 4, 5, 6);
        if (!buildTime)
        {
            return new CallKernel(c.Node, w => w.Line(
                $"{Quant.Runtime}QuantizedMatMul.MatMulIntegerToFloatDynamic<{ta}, {tb}>({w.In(0)}, {w.In(2)}, {Quant.InOrDefault(w, 4)}, {w.In(1)}, {w.In(3)}, {Quant.InOrDefault(w, 5)}, {Quant.InOrDefault(w, 6)}, {w.Out(0)}, " +
                $"m: {p.M}, n: {p.N}, k: {p.K}, {Literals.IntSpan(p.AOffsets)}, {Literals.IntSpan(p.BOffsets)});"),
                summary + ", parameters at run time", macs);
        }
        float aScale = (float)c.Const(2)!.GetDouble(0);
        long az = c.Has(4) ? c.Const(4)!.GetLong(0) : 0;
        // a_scale x b_scale in float32, as ONNX Runtime forms the multiplier.
        var scales = Quant.FloatTensor(Quant.Floats(c.Const(3)!).Select(bs => aScale * bs).ToArray());
        var bias = c.Has(6) ? Quant.FloatTensor(Quant.Floats(c.Const(6)!)) : null;
        var prepared = QuantMatMul.Prepare(p, c.Const(1)!, c.Const(5), az, c.Type(0) == DataType.Int8);
        var packed = Quant.Int8Tensor(prepared.Packed);
        var terms = Quant.Int32Tensor(prepared.Terms);
        var zeroPoints = prepared.ZeroPoints is null ? null : Quant.Int32Tensor(prepared.ZeroPoints);
        int rows = p.AOffsets.Length * p.M;
        return new CallKernel(c.Node, w =>
        {
            string zps = zeroPoints is null ? "default" : w.Weight(zeroPoints);
            string b = bias is null ? "default" : w.Weight(bias);
            w.Line($"{Quant.Runtime}QuantizedMatMul.MatMulIntegerToFloat<{ta}>({w.In(0)}, {az}, {w.Weight(packed)}, {zps}, {w.Weight(terms)}, {w.Weight(scales)}, {b}, {w.Out(0)}, m: {rows}, n: {p.N}, k: {p.K}{QuantMatMul.PanelsArgument(p)});");
        }, summary, macs);
    }
}
