using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using static ModelCompiler.Ops.Elementwise.ElementwiseSupport;

namespace ModelCompiler.Ops.Transformer;

/// <summary>
/// ONNX Einsum (opset 12) of one or two operands of any numeric type: transposes, diagonals, reductions, inner
/// and outer products, batched matrix products (the latter as vectorized row products). Three or more operands
/// are reported as unsupported.
/// </summary>
internal sealed class EinsumOp : OpSchema
{
    public override string OpType => "Einsum";

    private static EinsumPlan Plan(OpContext c) =>
        EinsumPlan.Parse(c.Str("equation", ""), Enumerable.Range(0, c.InputCount).Select(c.Shape).ToArray());

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        if (!c.Node.HasAttribute("equation")) throw new ModelError("the equation attribute is required");
        c.RequireType(0, Numeric, NumericText);
        for (int i = 1; i < c.InputCount; i++)
            if (c.Type(i) != c.Type(0)) throw new ModelError($"input {i} has type {c.Type(i).OnnxName()}, input 0 has {c.Type(0).OnnxName()}");
        c.SetOutput(0, c.Type(0), Plan(c).OutShape);
    }

    public override string? WhyNoKernel(OpContext c) =>
        c.InputCount > 2 ? " (Einsum of more than two operands: split it into pairwise Einsums)" : NoRuntimeType(c.Type(0));

    public override Kernel? CreateKernel(OpContext c)
    {
        if (c.InputCount > 2 || NoRuntimeType(c.Type(0)) is not null) return null;
        var p = Plan(c);
        string equation = c.Str("equation", "");
        if (p.Product is { } m)
            return new CallKernel(c.Node, w =>
                w.Line($"{Runtime}Einsum.BatchedProduct({w.In(0)}, {w.In(1)}, {w.Out(0)}, batch: {m.Batch}, m: {m.M}, n: {m.N}, k: {m.K}, " +
                    $"aBatch: {m.ABatch}, aRow: {m.ARow}, aDepth: {m.ADepth}, bBatch: {m.BBatch}, bDepth: {m.BDepth}, bCol: {m.BCol});"),
                $"'{equation}' as {m.Batch} x {m.M}x{m.K} * {m.K}x{m.N}", p.Work);
        return new CallKernel(c.Node, w =>
        {
            string b = c.InputCount == 2 ? w.In(1) : "default", bStrides = c.InputCount == 2 ? Literals.IntSpan(p.Strides[1]) : "default";
            w.Line($"{Runtime}Einsum.Contract({w.In(0)}, {b}, {w.Out(0)}, dims: {Literals.IntSpan(p.Dims)}, outputRank: {p.OutputRank}, " +
                $"aStrides: {Literals.IntSpan(p.Strides[0])}, bStrides: {bStrides});");
        }, $"'{equation}'", c.InputCount == 2 ? p.Work : 0);
    }
}
