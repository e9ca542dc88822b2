using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Transformer;

/// <summary>
/// ONNX RotaryEmbedding (opset 23). The input is [batch, heads, sequence, head] or [batch, sequence, hidden] with
/// num_heads; the first rotary_embedding_dim values of each head row (all of them by default) are rotated by the
/// cos/sin of the token's position: caches [max position, rotary/2] indexed by position_ids [batch, sequence], or
/// without position ids caches of [batch, sequence, rotary/2]. Pairs are halves, or neighbours when interleaved.
/// </summary>
internal sealed class RotaryEmbeddingOp : OpSchema
{
    public override string OpType => "RotaryEmbedding";

    private sealed record Geometry(int Batch, int Heads, int Sequence, int Head, int Rotary, bool Packed);

    private static Geometry View(OpContext c)
    {
        int[] x = c.Shape(0);
        int batch, heads, sequence, head;
        bool packed = x.Length == 3;
        if (x.Length == 4) (batch, heads, sequence, head) = (x[0], x[1], x[2], x[3]);
        else if (packed)
        {
            heads = (int)c.Int("num_heads", 0);
            if (heads <= 0) throw new ModelError("num_heads is required for a 3-D input");
            if (x[2] % heads != 0) throw new ModelError($"the hidden size {x[2]} does not divide into {heads} heads");
            (batch, sequence, head) = (x[0], x[1], x[2] / heads);
        }
        else throw new ModelError($"the input must be 3-D or 4-D but has shape {ShapeText.Format(x)}");
        int rotary = (int)c.Int("rotary_embedding_dim", 0);
        if (rotary == 0) rotary = head;
        if (rotary < 0 || rotary > head || rotary % 2 != 0)
            throw new ModelError($"rotary_embedding_dim {rotary} must be even and at most the head size {head}");
        return new Geometry(batch, heads, sequence, head, rotary, packed);
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(3);
        c.RequireType(0, t => t.IsFloat(), "a floating-point type");
        var g = View(c);
        int half = g.Rotary / 2;
        for (int i = 1; i <= 2; i++)
        {
            if (c.Type(i) != c.Type(0)) throw new ModelError($"input {i} has type {c.Type(i).OnnxName()}, the input has {c.Type(0).OnnxName()}");
            int[] cache = c.Shape(i);
            bool ok = c.Has(3) ? cache.Length == 2 && cache[1] == half
                : cache.Length == 3 && cache[0] == g.Batch && cache[1] == g.Sequence && cache[2] == half;
            if (!ok)
                throw new ModelError($"input {i} has shape {ShapeText.Format(cache)}; expected " +
                    (c.Has(3) ? $"[positions, {half}] with position_ids" : $"[{g.Batch}, {g.Sequence}, {half}] without position_ids"));
        }
        if (c.Has(3))
        {
            c.RequireType(3, t => t == DataType.Int64, "int64");
            if (!ShapeText.SameShape(c.Shape(3), new[] { g.Batch, g.Sequence }))
                throw new ModelError($"position_ids must be [{g.Batch}, {g.Sequence}] but has shape {ShapeText.Format(c.Shape(3))}");
        }
        c.SetOutput(0, c.Type(0), c.Shape(0));
    }

    public override string? WhyNoKernel(OpContext c) => " (RotaryEmbedding runs on float32)";

    public override Kernel? CreateKernel(OpContext c)
    {
        if (c.Type(0) != DataType.Float) return null;
        var g = View(c);
        bool interleaved = c.Int("interleaved", 0) != 0;
        return new CallKernel(c.Node, w =>
        {
            string ids = w.HasInput(3) ? w.In(3) : "default";
            w.Line($"{RuntimeText.Prefix}Rotary.Rotate({w.In(0)}, {w.In(1)}, {w.In(2)}, {ids}, {w.Out(0)}, batch: {g.Batch}, heads: {g.Heads}, sequence: {g.Sequence}, " +
                $"head: {g.Head}, rotary: {g.Rotary}, interleaved: {(interleaved ? "true" : "false")}, packedHeads: {(g.Packed ? "true" : "false")});");
        }, $"{g.Rotary} of {g.Head} per head rotated{(interleaved ? ", interleaved pairs" : "")}") { InPlaceInputs = new[] { 0 } };
    }
}
