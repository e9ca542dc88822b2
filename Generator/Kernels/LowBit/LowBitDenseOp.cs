using System;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Ops;
using ModelCompiler.Ops.Qdq;
using ModelCompiler.Passes;

namespace ModelCompiler.Kernels.LowBit;

/// <summary>
/// ModelCompiler's own low-bit fully connected layer (domain <c>ai.modelcompiler</c>), made by
/// <see cref="LowBitLayerFusion"/> from a QONNX activation Quant and the Gemm/MatMul with folded Quant weights it feeds.
/// Inputs: 0 the float tensor before the activation Quant, 1 the weight codes packed <c>bits</c> to a field (uint8),
/// 2 scale and 3 bias per column. Attributes: <c>bits</c>, <c>signed</c>, <c>zero_point</c> (weights), <c>k</c>,
/// <c>channels</c>, <c>shape</c>, the activation Quant's <c>act_scale</c>, <c>act_zero_point</c>, <c>act_min</c>,
/// <c>act_max</c>, <c>act_rounding</c>, <c>act_bits</c>, and the source op in <c>source</c>.
/// </summary>
internal sealed class LowBitDenseOp : OpSchema
{
    public override string OpType => "LowBitDense";
    public override string Domain => QLinearLookupOp.DomainName;

    public override void Infer(OpContext c)
    {
        c.RequireInputs(4);
        c.SetOutput(0, DataType.Float, c.Ints("shape")!.Select(d => (int)d).ToArray());
    }

    public override Kernel? CreateKernel(OpContext c) => new LowBitKernelProvider().TryCreate(c);
}

/// <summary>Runs <see cref="LowBitDenseOp"/> with <c>LowBitLayers.Dense</c>.</summary>
internal sealed class LowBitKernelProvider : IKernelProvider
{
    public int Priority => 200;

    public Kernel? TryCreate(OpContext c)
    {
        var node = c.Node;
        if (node.Domain != QLinearLookupOp.DomainName || node.OpType != "LowBitDense") return null;
        int n = (int)c.Int("channels", 0), k = (int)c.Int("k", 0), bits = (int)c.Int("bits", 8);
        bool signed = c.Int("signed", 1) != 0;
        int m = (int)(ShapeText.Product(c.Shape(0)) / k);
        return new CallKernel(node, w =>
        {
            string widen = $"global::ModelCompiler.Runtime.LowBitLayers.WidenCodes({w.In(1)}, bits: {bits}, signed: {(signed ? "true" : "false")}, zeroPoint: {c.Int("zero_point", 0)}, n: {n}, k: {k})";
            string codes = w.DerivedInts(widen, $"{node.Name}: {n}x{k} {bits}-bit weight codes widened to int16 rows");
            w.Line($"global::ModelCompiler.Runtime.LowBitLayers.Dense({w.In(0)}, {codes}, {w.In(2)}, {w.In(3)}, actScale: {LayerWriter.F(c.Float("act_scale", 1f))}, " +
                $"actZeroPoint: {LayerWriter.F(c.Float("act_zero_point", 0f))}, actMin: {LayerWriter.F(c.Float("act_min", 0f))}, actMax: {LayerWriter.F(c.Float("act_max", 0f))}, " +
                $"rounding: {c.Int("act_rounding", 0)}, {w.Out(0)}, m: {m}, n: {n}, k: {k});");
        }, $"{c.Str("source", "MatMul")} on integer codes, {m}x{k} * {k}x{n}: {c.Int("act_bits", 8)}-bit activations (quantized per call) times {bits}-bit weights ({bits} bits each in the blob), exact int32 sums",
            (long)m * n * k);
    }
}
