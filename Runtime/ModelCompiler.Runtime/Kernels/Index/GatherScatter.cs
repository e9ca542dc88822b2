using System;
using System.ComponentModel;
using System.Numerics;

namespace ModelCompiler.Runtime;

/// <summary>
/// Index-driven data movement: GatherElements/ScatterElements (one index per element, along an axis) and
/// GatherND/ScatterND (an index tuple per slice). The generator bakes shapes and strides in; indices may be
/// int32 or int64 and negative (counting from the end); an index out of range throws IndexOutOfRangeException.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class Indexing
{
    /// <summary>
    /// GatherElements: <c>y[i] = x[i with its axis coordinate replaced by indices[i]]</c>; y and indices have the
    /// shape <paramref name="indexShape"/>, x has row-major strides <paramref name="dataStrides"/> and
    /// <paramref name="axisDim"/> elements along <paramref name="axis"/>.
    /// </summary>
    public static void GatherElements<T, TIndex>(ReadOnlySpan<T> x, ReadOnlySpan<TIndex> indices, Span<T> y,
        ReadOnlySpan<int> indexShape, ReadOnlySpan<int> dataStrides, int axis, int axisDim)
        where TIndex : unmanaged, IBinaryInteger<TIndex>
    {
        if (y.IsEmpty) return;
        int rank = indexShape.Length, last = rank - 1, lastDim = indexShape[last];
        int lastStride = last == axis ? 0 : dataStrides[last], axisStride = dataStrides[axis];
        Span<int> position = stackalloc int[rank];
        position.Clear();
        int baseOffset = 0; // Σ position[d] * dataStrides[d] over the dimensions other than the axis and the last
        for (int i = 0; i < y.Length; i += lastDim)
        {
            for (int j = 0; j < lastDim; j++)
            {
                int k = IndexChecks.Normalize(indices[i + j], axisDim, "GatherElements");
                y[i + j] = x[baseOffset + j * lastStride + k * axisStride];
            }
            Advance(position, indexShape, dataStrides, axis, ref baseOffset);
        }
    }

    /// <summary>
    /// ScatterElements: y = x, then for every element i of <paramref name="updates"/> (shape
    /// <paramref name="indexShape"/>), <c>y[j] = TReduction.Combine(y[j], updates[i])</c> where j is i with its axis
    /// coordinate replaced by indices[i]. Updates apply in row-major order, so with reduction "none" the last of
    /// duplicate indices wins.
    /// </summary>
    public static void ScatterElements<T, TIndex, TReduction>(ReadOnlySpan<T> x, ReadOnlySpan<TIndex> indices, ReadOnlySpan<T> updates, Span<T> y,
        ReadOnlySpan<int> indexShape, ReadOnlySpan<int> dataStrides, int axis, int axisDim)
        where TIndex : unmanaged, IBinaryInteger<TIndex>
        where TReduction : struct, IScatterReduction<T>
    {
        x.CopyTo(y);
        if (updates.IsEmpty) return;
        int rank = indexShape.Length, last = rank - 1, lastDim = indexShape[last];
        int lastStride = last == axis ? 0 : dataStrides[last], axisStride = dataStrides[axis];
        Span<int> position = stackalloc int[rank];
        position.Clear();
        int baseOffset = 0;
        for (int i = 0; i < updates.Length; i += lastDim)
        {
            for (int j = 0; j < lastDim; j++)
            {
                int k = IndexChecks.Normalize(indices[i + j], axisDim, "ScatterElements");
                int o = baseOffset + j * lastStride + k * axisStride;
                y[o] = TReduction.Combine(y[o], updates[i + j]);
            }
            Advance(position, indexShape, dataStrides, axis, ref baseOffset);
        }
    }

    /// <summary>Steps the odometer over every dimension but the last; the axis does not move the data offset.</summary>
    private static void Advance(Span<int> position, ReadOnlySpan<int> shape, ReadOnlySpan<int> dataStrides, int axis, ref int baseOffset)
    {
        for (int d = shape.Length - 2; d >= 0; d--)
        {
            int stride = d == axis ? 0 : dataStrides[d];
            baseOffset += stride;
            if (++position[d] < shape[d]) return;
            baseOffset -= stride * shape[d];
            position[d] = 0;
        }
    }

    /// <summary>
    /// GatherND: x is [batches, ...] with <paramref name="batchStride"/> elements per batch; indices is
    /// [batches, slicesPerBatch, q]; each q-tuple picks, within its batch, the slice of <paramref name="sliceSize"/>
    /// elements at <c>Σ index[j] * indexedStrides[j]</c> (index[j] counted in [-indexedDims[j], indexedDims[j])).
    /// </summary>
    public static void GatherND<T, TIndex>(ReadOnlySpan<T> x, ReadOnlySpan<TIndex> indices, Span<T> y,
        int batches, int slicesPerBatch, ReadOnlySpan<int> indexedDims, ReadOnlySpan<int> indexedStrides, int batchStride, int sliceSize)
        where TIndex : unmanaged, IBinaryInteger<TIndex>
    {
        int q = indexedDims.Length;
        for (int b = 0, s = 0; b < batches; b++)
            for (int t = 0; t < slicesPerBatch; t++, s++)
            {
                int offset = b * batchStride;
                for (int j = 0; j < q; j++)
                    offset += IndexChecks.Normalize(indices[s * q + j], indexedDims[j], "GatherND") * indexedStrides[j];
                x.Slice(offset, sliceSize).CopyTo(y.Slice(s * sliceSize, sliceSize));
            }
    }

    /// <summary>
    /// ScatterND: y = x, then for each q-tuple of indices ([batches, slicesPerBatch, q], batches is 1: ScatterND
    /// has no batch dimensions) the slice of <paramref name="sliceSize"/> elements it addresses is combined with
    /// the matching slice of updates, in order.
    /// </summary>
    public static void ScatterND<T, TIndex, TReduction>(ReadOnlySpan<T> x, ReadOnlySpan<TIndex> indices, ReadOnlySpan<T> updates, Span<T> y,
        int slices, ReadOnlySpan<int> indexedDims, ReadOnlySpan<int> indexedStrides, int sliceSize)
        where TIndex : unmanaged, IBinaryInteger<TIndex>
        where TReduction : struct, IScatterReduction<T>
    {
        x.CopyTo(y);
        int q = indexedDims.Length;
        for (int s = 0; s < slices; s++)
        {
            int offset = 0;
            for (int j = 0; j < q; j++)
                offset += IndexChecks.Normalize(indices[s * q + j], indexedDims[j], "ScatterND") * indexedStrides[j];
            Span<T> target = y.Slice(offset, sliceSize);
            ReadOnlySpan<T> source = updates.Slice(s * sliceSize, sliceSize);
            for (int e = 0; e < sliceSize; e++) target[e] = TReduction.Combine(target[e], source[e]);
        }
    }
}
