using System.Linq;
using ModelCompiler.Contract;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Ops;
using ModelCompiler.Passes;

namespace ModelCompiler.Kernels.MatrixProduct;

/// <summary>
/// "DequantizeLinear(int4/uint4/int8/uint8 weight) -> MatMul/Gemm" with float activations (weight-only
/// quantization, and the float classifier at the end of QDQ models): when B is a constant that constant folding
/// got from a DequantizeLinear of integers (per tensor, per axis or blocked, opset 21), the product reads the
/// integers (int4 packed two per byte) and their scales straight from the weight blob (PackedWeightGemm)
/// instead of a float copy. The result is the float MatMul/Gemm of the dequantized weights.
/// </summary>
internal sealed class PackedWeightGemmKernelProvider : IKernelProvider
{
    /// <summary>Above the float packed-panel kernels (100): those would widen the integers to float at build time
    /// and the assembly would carry 4 bytes per weight instead of 1 (or half).</summary>
    public int Priority => 150;

    public Kernel? TryCreate(OpContext c)
    {
        var node = c.Node;
        if (node.Domain.Length != 0 || node.OpType is not ("MatMul" or "Gemm")) return null;
        if (!c.Has(1) || c.Const(1) is not { Encoding: { Quant: { } q } e } b) return null;
        if (!e.Source.Type.IsSubByte() && e.Source.Type is not (DataType.Int8 or DataType.UInt8)) return null;
        if (b.Rank != 2 || c.Type(0) != DataType.Float || c.Const(0) is not null) return null;
        int[] a = c.Shape(0);
        int axis = q.IsPerTensor && q.BlockSize == 0 ? -1 : q.Axis ?? 1;
        string zpType = e.Source.Type.CSharpName()!;
        string signed = e.Source.Type == DataType.Int4 ? "true" : "false";

        if (node.OpType == "MatMul")
        {
            if (a.Length < 1) return null;
            int k = b.Shape[0], n = b.Shape[1];
            int rows = a.Length == 1 ? 1 : (int)ShapeText.Product(a.Take(a.Length - 1).ToArray());
            return new CallKernel(node, w =>
            {
                w.Line(Call(w, e, q, zpType, signed, axis, rows, n, k, false, 1f));
                if (node.Epilogue?.Bias is not null) // a fused Add of a constant [.., N] bias
                    w.Line($"{RuntimeText.Prefix}{RuntimeApi.Gemm.AddBias}({w.In(2)}, cRows: 1, cCols: {n}, {w.Out(0)}, m: {rows}, n: {n}, beta: 1f);");
                Ops.Nn.ConvOp.EmitUnfusedEpilogue(w);
            }, Ops.Nn.ConvOp.WithFusion(c, $"{rows}x{k} * {k}x{n}, B {e.Source.Type.OnnxName()}{(e.Source.Type.IsSubByte() ? " packed" : "")} ({Layout(q)})"), (long)rows * n * k);
        }

        if (c.Int("transA", 0) != 0 || a.Length != 2) return null;
        bool tb = c.Int("transB", 0) != 0;
        int m = a[0], kk = a[1], nn = tb ? b.Shape[0] : b.Shape[1];
        float alpha = c.Float("alpha", 1f), beta = c.Float("beta", 1f);
        return new CallKernel(node, w =>
        {
            w.Line(Call(w, e, q, zpType, signed, axis, m, nn, kk, tb, alpha));
            if (w.HasInput(2) && beta != 0)
            {
                int[] cs = w.InShape(2);
                int cRows = cs.Length == 2 ? cs[0] : 1, cCols = cs.Length == 0 ? 1 : cs[cs.Length - 1];
                w.Line($"{RuntimeText.Prefix}{RuntimeApi.Gemm.AddBias}({w.In(2)}, cRows: {cRows}, cCols: {cCols}, {w.Out(0)}, m: {m}, n: {nn}, beta: {LayerWriter.F(beta)});");
            }
            Ops.Nn.ConvOp.EmitUnfusedEpilogue(w);
        }, Ops.Nn.ConvOp.WithFusion(c, $"{m}x{kk} * {kk}x{nn}{(tb ? ", B transposed" : "")}, B {e.Source.Type.OnnxName()}{(e.Source.Type.IsSubByte() ? " packed" : "")} ({Layout(q)})"), (long)m * nn * kk);
    }

    private static string Call(LayerWriter w, TensorEncoding e, QuantParams q, string zpType, string signed, int axis, int m, int n, int k, bool transB, float alpha)
    {
        string zp = q.ZeroPoint is { } z ? w.Weight(z) : $"global::System.ReadOnlySpan<{zpType}>.Empty";
        if (!e.Source.Type.IsSubByte())
            return $"{RuntimeText.Prefix}{RuntimeApi.PackedWeightGemm.Multiply8}({w.In(0)}, {w.Weight(e.Source)}, {w.Weight(q.Scale)}, {zp}, " +
                $"axis: {axis}, blockSize: {q.BlockSize}, {w.Out(0)}, m: {m}, n: {n}, k: {k}, transB: {(transB ? "true" : "false")}, alpha: {LayerWriter.F(alpha)});";
        return $"{RuntimeText.Prefix}{RuntimeApi.PackedWeightGemm.Multiply}({w.In(0)}, {w.PackedWeight(e.Source)}, signed: {signed}, {w.Weight(q.Scale)}, {zp}, " +
            $"axis: {axis}, blockSize: {q.BlockSize}, {w.Out(0)}, m: {m}, n: {n}, k: {k}, transB: {(transB ? "true" : "false")}, alpha: {LayerWriter.F(alpha)});";
    }

    private static string Layout(QuantParams q) =>
        q.IsPerTensor && q.BlockSize == 0 ? "per tensor" : q.BlockSize > 0 ? $"blocks of {q.BlockSize} on axis {q.Axis}" : $"per axis {q.Axis}";
}
