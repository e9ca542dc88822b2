using System;
using System.ComponentModel;
using System.Numerics;

namespace ModelCompiler.Runtime;

/// <summary>
/// The ai.onnx.ml operators on numeric tensors: Binarizer, ArrayFeatureExtractor and TreeEnsemble (opset 5).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class MlOps
{
    /// <summary>Binarizer: 1 where x &gt; threshold, else 0 (NaN gives 0).</summary>
    public static void Binarizer<T>(ReadOnlySpan<T> x, Span<T> y, T threshold) where T : INumber<T>
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > threshold ? T.One : T.Zero;
    }

    /// <summary>
    /// ArrayFeatureExtractor: x viewed as [outer, n]; y [outer, indices.Length] takes x[o, indices[j]]. An index
    /// outside [0, n) throws.
    /// </summary>
    public static void ArrayFeatureExtractor<T>(ReadOnlySpan<T> x, ReadOnlySpan<long> indices, Span<T> y, int outer, int n) where T : unmanaged
    {
        int k = indices.Length;
        for (int j = 0; j < k; j++)
            if ((ulong)indices[j] >= (ulong)n) throw new ArgumentOutOfRangeException(nameof(indices), $"ArrayFeatureExtractor: index {indices[j]} is outside [0, {n})");
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < k; j++) y[o * k + j] = x[o * n + (int)indices[j]];
    }

    /// <summary>The most targets a TreeEnsemble may have (its sums live on the stack).</summary>
    public const int MaxTreeTargets = 1024;

    /// <summary>Values of <c>TreeEnsemble</c>'s node table, <see cref="TreeNodeStride"/> ints per node.</summary>
    public const int TreeNodeStride = 7;

    /// <summary>
    /// TreeEnsemble (ai.onnx.ml opset 5) on x [rows, features]: each tree (a root reference) is walked to a leaf,
    /// whose weight goes to its target; y [rows, targets] aggregates them (0: average, 1: sum, 2: min, 3: max;
    /// min/max start from <paramref name="start"/>). A reference is a node index, or ~leaf for a leaf. Node i's ints
    /// at i * 7: feature, mode (0 &lt;=, 1 &lt;, 2 &gt;=, 3 &gt;, 4 ==, 5 !=, 6 member of a set), true reference, false
    /// reference, NaN goes true (0/1), first set member and member count in <paramref name="members"/>.
    /// </summary>
    public static void TreeEnsemble<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> roots, ReadOnlySpan<int> nodes, ReadOnlySpan<double> splits,
        ReadOnlySpan<double> members, ReadOnlySpan<int> leafTargets, ReadOnlySpan<double> leafWeights, int rows, int features, int targets,
        int aggregate, double start) where T : IFloatingPointIeee754<T>
    {
        Span<double> sums = stackalloc double[targets]; // targets <= MaxTreeTargets, checked at build time
        for (int r = 0; r < rows; r++)
        {
            sums.Fill(aggregate >= 2 ? start : 0);
            var row = x.Slice(r * features, features);
            for (int t = 0; t < roots.Length; t++)
            {
                int leaf = ~Walk(row, roots[t], nodes, splits, members);
                double w = leafWeights[leaf];
                ref double s = ref sums[leafTargets[leaf]];
                s = aggregate switch { 2 => Math.Min(s, w), 3 => Math.Max(s, w), _ => s + w };
            }
            for (int j = 0; j < targets; j++)
                y[r * targets + j] = T.CreateTruncating(aggregate == 0 ? sums[j] / roots.Length : sums[j]);
        }
    }

    private static int Walk<T>(ReadOnlySpan<T> row, int reference, ReadOnlySpan<int> nodes, ReadOnlySpan<double> splits, ReadOnlySpan<double> members)
        where T : IFloatingPointIeee754<T>
    {
        while (reference >= 0)
        {
            var node = nodes.Slice(reference * TreeNodeStride, TreeNodeStride);
            double v = double.CreateTruncating(row[node[0]]), split = splits[reference];
            bool goesTrue = node[1] switch
            {
                0 => v <= split,
                1 => v < split,
                2 => v >= split,
                3 => v > split,
                4 => v == split,
                5 => v != split,
                _ => members.Slice(node[5], node[6]).IndexOf(v) >= 0,
            } || (node[4] != 0 && double.IsNaN(v));
            reference = goesTrue ? node[2] : node[3];
        }
        return reference;
    }
}
