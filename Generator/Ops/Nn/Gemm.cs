using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Nn;

/// <summary>ONNX Gemm: Y = alpha * A' * B' + beta * C, A' and B' optionally transposed, C broadcast to [M, N].</summary>
internal sealed class GemmOp : OpSchema
{
    public override string OpType => "Gemm";

    /// <summary>Its kernels apply a fused epilogue (activations, a residual Add) as they store.</summary>
    public override OpTraits Traits { get; } = new() { AppliesEpilogue = true };

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(0, t => t == DataType.Float, "float32");
        int[] a = c.Shape(0), b = c.Shape(1);
        if (a.Length != 2 || b.Length != 2) throw new ModelError($"A and B must be matrices but have shapes {ShapeText.Format(a)} and {ShapeText.Format(b)}");
        bool ta = c.Int("transA", 0) != 0, tb = c.Int("transB", 0) != 0;
        int m = ta ? a[1] : a[0], k = ta ? a[0] : a[1];
        int kb = tb ? b[1] : b[0], n = tb ? b[0] : b[1];
        if (k != kb) throw new ModelError($"inner dimensions differ: A' is {m}x{k}, B' is {kb}x{n}");
        if (c.Has(2))
        {
            int[] cs = c.Shape(2);
            if (cs.Length > 2 || ShapeText.Broadcast(cs, new[] { m, n }) is var r && (r[0] != m || r[1] != n))
                throw new ModelError($"C of shape {ShapeText.Format(cs)} does not broadcast to {m}x{n}");
        }
        c.SetOutput(0, DataType.Float, new[] { m, n });
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        int[] a = c.Shape(0), b = c.Shape(1);
        bool ta = c.Int("transA", 0) != 0, tb = c.Int("transB", 0) != 0;
        int m = ta ? a[1] : a[0], k = ta ? a[0] : a[1], n = tb ? b[0] : b[1];
        float alpha = c.Float("alpha", 1f), beta = c.Float("beta", 1f);
        string summary = $"{m}x{k} * {k}x{n}{(ta ? ", A transposed" : "")}{(tb ? ", B transposed" : "")}";
        return new CallKernel(c.Node, w =>
        {
            w.Line($"global::ModelCompiler.Runtime.Gemm.Multiply({w.In(0)}, {w.In(1)}, {w.Out(0)}, m: {m}, n: {n}, k: {k}, transA: {(ta ? "true" : "false")}, transB: {(tb ? "true" : "false")}, alpha: {LayerWriter.F(alpha)});");
            if (w.HasInput(2) && beta != 0)
            {
                int[] cs = w.InShape(2);
                int rows = cs.Length == 2 ? cs[0] : 1, cols = cs.Length == 0 ? 1 : cs[cs.Length - 1];
                w.Line($"global::ModelCompiler.Runtime.Gemm.AddBias({w.In(2)}, cRows: {rows}, cCols: {cols}, {w.Out(0)}, m: {m}, n: {n}, beta: {LayerWriter.F(beta)});");
            }
            ConvOp.EmitUnfusedEpilogue(w);
        }, ConvOp.WithFusion(c, summary), (long)m * n * k);
    }
}
