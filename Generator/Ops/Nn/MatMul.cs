using System;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Nn;

/// <summary>
/// ONNX MatMul with numpy semantics: 1-D operands are promoted (and the added axis removed again), batch
/// dimensions broadcast. The run-time kernel receives each batch's start offsets, computed here.
/// </summary>
internal sealed class MatMulOp : OpSchema
{
    public override string OpType => "MatMul";

    /// <summary>Its kernels apply a fused epilogue (activations, a residual Add) as they store.</summary>
    public override OpTraits Traits { get; } = new() { AppliesEpilogue = true };

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        // float16 is widened to float32 around the layer by Float16Widening after shape inference.
        c.RequireType(0, t => t is DataType.Float or DataType.Float16, "float32 or float16");
        if (c.Type(1) != c.Type(0)) throw new ModelError("inputs have different types");
        c.SetOutput(0, c.Type(0), MatMulPlan.Of(c.Shape(0), c.Shape(1)).OutShape);
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        var p = MatMulPlan.Of(c.Shape(0), c.Shape(1));
        long macs = (long)p.AOffsets.Length * p.M * p.N * p.K;
        string batch = p.AOffsets.Length > 1 ? $"{p.AOffsets.Length} x " : "";
        return new CallKernel(c.Node, w =>
        {
            if (p.AOffsets.Length == 1)
                w.Line($"global::ModelCompiler.Runtime.Gemm.Multiply({w.In(0)}, {w.In(1)}, {w.Out(0)}, m: {p.M}, n: {p.N}, k: {p.K}, transA: false, transB: false, alpha: 1f);");
            else
                w.Line($"global::ModelCompiler.Runtime.Gemm.BatchedMatMul({w.In(0)}, {w.In(1)}, {w.Out(0)}, m: {p.M}, n: {p.N}, k: {p.K}, {Literals.IntSpan(p.AOffsets)}, {Literals.IntSpan(p.BOffsets)});");
            if (c.Node.Epilogue?.Bias is not null)
            {
                // A fused Add of a constant [.., N] bias: the same for every row of every batch.
                int rows = (int)(ShapeText.Product(c.Node.Output(0)!.Shape!) / p.N);
                w.Line($"global::ModelCompiler.Runtime.Gemm.AddBias({w.In(2)}, cRows: 1, cCols: {p.N}, {w.Out(0)}, m: {rows}, n: {p.N}, beta: 1f);");
            }
            ConvOp.EmitUnfusedEpilogue(w);
        }, ConvOp.WithFusion(c, $"{batch}{p.M}x{p.K} * {p.K}x{p.N}"), macs);
    }
}

/// <summary>
/// Numpy matmul shapes, shared by MatMul and the quantized matrix products: M, N, K, the output shape and each
/// output batch's A and B element offsets (1-D operands promoted, batch dimensions broadcast).
/// </summary>
internal sealed record MatMulPlan(int M, int N, int K, int[] OutShape, int[] AOffsets, int[] BOffsets)
{
    public static MatMulPlan Of(int[] a0, int[] b0)
    {
        if (a0.Length == 0 || b0.Length == 0) throw new ModelError("matrix product inputs must have at least one dimension");
        int[] a = a0.Length == 1 ? new[] { 1, a0[0] } : a0;
        int[] b = b0.Length == 1 ? new[] { b0[0], 1 } : b0;
        int m = a[a.Length - 2], k = a[a.Length - 1], kb = b[b.Length - 2], n = b[b.Length - 1];
        if (k != kb) throw new ModelError($"inner dimensions differ: {ShapeText.Format(a0)} x {ShapeText.Format(b0)}");
        int[] aBatch = a.Take(a.Length - 2).ToArray(), bBatch = b.Take(b.Length - 2).ToArray();
        int[] batch = ShapeText.Broadcast(aBatch, bBatch);
        var ia = Folding.BroadcastIndex(aBatch, batch).Select(i => i * m * k).ToArray();
        var ib = Folding.BroadcastIndex(bBatch, batch).Select(i => i * k * n).ToArray();
        var outShape = batch.ToList();
        if (a0.Length > 1) outShape.Add(m);
        if (b0.Length > 1) outShape.Add(n);
        return new MatMulPlan(m, n, k, outShape.ToArray(), ia, ib);
    }
}
