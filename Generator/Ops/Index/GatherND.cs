using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Index;

/// <summary>
/// ONNX GatherND (opset 11/12/13): the last dimension of indices holds m coordinates into data (after the
/// first batch_dims dimensions, opset 12, which data and indices share); each tuple picks a slice of data.
/// Output shape: indices.shape[:-1] + data.shape[batch_dims + m:]. Any element type; int64 (or int32) indices,
/// negative ones counting from the end. Folds when data and indices are constant.
/// </summary>
internal sealed class GatherNDOp : OpSchema
{
    public override string OpType => "GatherND";
    protected override bool HasFolding => true;

    internal sealed record Layout(int Batches, int SlicesPerBatch, int[] IndexedDims, int[] IndexedStrides, int BatchStride, int SliceSize, int[] OutShape);

    internal static Layout Plan(int[] x, int[] idx, int batchDims, string op, bool gather)
    {
        if (idx.Length == 0) throw new ModelError("indices must have rank 1 or more");
        int m = idx[idx.Length - 1];
        if (batchDims < 0 || batchDims >= System.Math.Min(x.Length, idx.Length)) throw new ModelError($"batch_dims {batchDims} must be less than both ranks ({x.Length}, {idx.Length})");
        for (int d = 0; d < batchDims; d++)
            if (x[d] != idx[d]) throw new ModelError($"batch dimension {d} differs: data has {x[d]}, indices {idx[d]}");
        if (m < 1 || batchDims + m > x.Length) throw new ModelError($"indices' last dimension ({m}) must be between 1 and data's rank minus batch_dims ({x.Length - batchDims})");
        var strides = ShapeText.Strides(x);
        var outShape = idx.Take(idx.Length - 1).Concat(x.Skip(batchDims + m)).ToArray();
        return new Layout(
            (int)ShapeText.Product(x, 0, batchDims),
            (int)ShapeText.Product(idx, batchDims, idx.Length - 1),
            x.Skip(batchDims).Take(m).ToArray(),
            strides.Skip(batchDims).Take(m).ToArray(),
            (int)ShapeText.Product(x, batchDims, x.Length),
            (int)ShapeText.Product(x, batchDims + m, x.Length),
            outShape);
    }

    /// <summary>For each slice (in indices order), its first flat data position.</summary>
    internal static int[] SliceStarts(Layout l, long[] indices)
    {
        int q = l.IndexedDims.Length;
        var starts = new int[l.Batches * l.SlicesPerBatch];
        for (int b = 0, s = 0; b < l.Batches; b++)
            for (int t = 0; t < l.SlicesPerBatch; t++, s++)
            {
                int offset = b * l.BatchStride;
                for (int j = 0; j < q; j++) offset += IndexArgs.Wrap(indices[s * q + j], l.IndexedDims[j]) * l.IndexedStrides[j];
                starts[s] = offset;
            }
        return starts;
    }

    internal static void CheckIndices(OpContext c, Layout l, string op)
    {
        int q = l.IndexedDims.Length;
        IndexArgs.CheckConstantIndices(c, 1, i => l.IndexedDims[(int)(i % q)], op);
    }

    private static int BatchDims(OpContext c) => c.Opset >= 12 ? (int)c.Int("batch_dims", 0) : 0;

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(1, IndexArgs.IsIndexType, "int64 indices");
        var l = Plan(c.Shape(0), c.Shape(1), BatchDims(c), OpType, gather: true);
        CheckIndices(c, l, OpType);
        c.SetOutput(0, c.Type(0), l.OutShape);
    }

    public override bool CanFold(OpContext c) => base.CanFold(c) && c.Type(0).BitSize() >= 8;

    public override Tensor[] Fold(OpContext c)
    {
        var l = Plan(c.Shape(0), c.Shape(1), BatchDims(c), OpType, gather: true);
        var starts = SliceStarts(l, c.Const(1)!.ToLongs());
        var map = starts.SelectMany(s => Enumerable.Range(s, l.SliceSize)).ToArray();
        return new[] { Folding.Gather(c.Const(0)!, l.OutShape, map) };
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        string? t = c.Type(0).CSharpName();
        if (t is null) return null;
        var l = Plan(c.Shape(0), c.Shape(1), BatchDims(c), OpType, gather: true);
        return new CallKernel(c.Node, w => w.Line(
            $"{IndexArgs.Runtime}.GatherND<{t}, {w.T(1)}>({w.In(0)}, {w.In(1)}, {w.Out(0)}, batches: {l.Batches}, slicesPerBatch: {l.SlicesPerBatch}, " +
            $"indexedDims: {IndexArgs.Shape(l.IndexedDims)}, indexedStrides: {IndexArgs.Shape(l.IndexedStrides)}, batchStride: {l.BatchStride}, sliceSize: {l.SliceSize});"),
            $"{l.Batches * l.SlicesPerBatch} slices of {l.SliceSize}");
    }
}
