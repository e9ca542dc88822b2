using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Vision;

/// <summary>
/// ONNX Col2Im (opset 18): rearranges [N, C * prod(block_shape), L] column blocks back into images [N, C,
/// image_shape...], summing overlaps, with dilations, pads and strides; image_shape and block_shape are constants
/// (they decide the output shape). Any number of spatial axes. float32.
/// </summary>
internal sealed class Col2ImOp : OpSchema
{
    public override string OpType => "Col2Im";

    private sealed record Plan(int[] Image, int[] Block, int[] Blocks, int[] Strides, int[] PadsBegin, int[] Dilations, int Channels);

    private static Plan Compute(OpContext c)
    {
        int[] x = c.Shape(0);
        var image = c.RequireConst(1, "image_shape, which decides the output shape,").ToInts();
        var block = c.RequireConst(2, "block_shape").ToInts();
        int r = image.Length;
        if (x.Length != 3 || block.Length != r || r == 0) throw new ModelError($"input must be [N, C * prod(block), L] with image_shape and block_shape of the same length, got {ShapeText.Format(x)}");
        int[] Attr(string name, int fallback, int count)
        {
            var v = c.Ints(name)?.Select(ShapeText.CheckedInt).ToArray() ?? Enumerable.Repeat(fallback, count).ToArray();
            return v.Length == count ? v : throw new ModelError($"{name} has {v.Length} values, expected {count}");
        }
        int[] strides = Attr("strides", 1, r), dilations = Attr("dilations", 1, r), pads = Attr("pads", 0, 2 * r);
        var blocks = Enumerable.Range(0, r).Select(i => (image[i] + pads[i] + pads[i + r] - (dilations[i] * (block[i] - 1) + 1)) / strides[i] + 1).ToArray();
        long kernel = block.Aggregate(1L, (a, b) => a * b);
        if (blocks.Any(b => b < 1) || x[1] % kernel != 0 || x[2] != blocks.Aggregate(1L, (a, b) => a * b))
            throw new ModelError($"the input {ShapeText.Format(x)} does not hold {string.Join("x", blocks)} blocks of {string.Join("x", block)} values");
        return new Plan(image, block, blocks, strides, pads.Take(r).ToArray(), dilations, (int)(x[1] / kernel));
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(3);
        c.RequireType(0, t => t.IsFloat(), "a floating-point type");
        var p = Compute(c);
        c.SetOutput(0, c.Type(0), new[] { c.Shape(0)[0], p.Channels }.Concat(p.Image).ToArray());
    }

    public override string? WhyNoKernel(OpContext c) => $" (Col2Im runs on float32, not {c.Type(0).OnnxName()})";

    public override Kernel? CreateKernel(OpContext c)
    {
        if (c.Type(0) != DataType.Float) return null;
        var p = Compute(c);
        int planes = c.Shape(0)[0] * p.Channels;
        string S(int[] a) => LayerWriter.Shape(a);
        return new CallKernel(c.Node, w => w.Line(
            $"global::ModelCompiler.Runtime.Sampling.Col2Im({w.In(0)}, {w.Out(0)}, planes: {planes}, image: {S(p.Image)}, block: {S(p.Block)}, blocksPerAxis: {S(p.Blocks)}, " +
            $"strides: {S(p.Strides)}, padsBegin: {S(p.PadsBegin)}, dilations: {S(p.Dilations)});"),
            $"blocks {string.Join("x", p.Block)}");
    }
}
