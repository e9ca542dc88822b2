using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Transformer;

/// <summary>
/// An Einsum equation resolved against its operands' static shapes (numpy semantics): labels and their sizes, the
/// output labels (given after "->", or the labels used once in alphabetical order, after the ellipsis dimensions),
/// the summed labels, each operand's element stride per label, and, for two operands that form a batched matrix
/// product, the sizes and strides of that product.
/// </summary>
internal sealed class EinsumPlan
{
    private EinsumPlan(int[] outShape, int[] dims, int outputRank, int[][] strides, long work)
    {
        OutShape = outShape;
        Dims = dims;
        OutputRank = outputRank;
        Strides = strides;
        Work = work;
    }

    public int[] OutShape { get; }

    /// <summary>Output labels' sizes then the summed labels' sizes.</summary>
    public int[] Dims { get; }
    public int OutputRank { get; }

    /// <summary>Per operand, its stride for each label of <see cref="Dims"/> (0 when absent or broadcast).</summary>
    public int[][] Strides { get; }

    /// <summary>Multiply-adds: the product of every label's size.</summary>
    public long Work { get; }

    /// <summary>The batched matrix product this equation is, or null.</summary>
    public BatchedProduct? Product { get; private set; }

    /// <summary>y[batch, m, n] = Σ_k a[...] b[...], with element strides.</summary>
    internal sealed record BatchedProduct(int Batch, int M, int N, int K, int ABatch, int ARow, int ADepth, int BBatch, int BDepth, int BCol);

    private const char Ellipsis = '.';

    public static EinsumPlan Parse(string equation, int[][] shapes)
    {
        string eq = new string(equation.Where(ch => !char.IsWhiteSpace(ch)).ToArray());
        int arrow = eq.IndexOf("->", StringComparison.Ordinal);
        string lhs = arrow < 0 ? eq : eq.Substring(0, arrow);
        string? rhs = arrow < 0 ? null : eq.Substring(arrow + 2);
        string[] terms = lhs.Split(',');
        if (terms.Length != shapes.Length)
            throw new ModelError($"the equation '{equation}' names {terms.Length} operand(s) but the node has {shapes.Length}");

        var parsed = terms.Select(t => Tokens(t, equation)).ToArray();
        int ellipsisRank = 0;
        for (int i = 0; i < shapes.Length; i++)
        {
            int letters = parsed[i].Count(ch => ch != Ellipsis);
            bool hasEllipsis = parsed[i].Contains(Ellipsis);
            int rest = shapes[i].Length - letters;
            if (rest < 0 || (!hasEllipsis && rest != 0))
                throw new ModelError($"operand {i} has rank {shapes[i].Length} but the equation term '{terms[i]}' has {letters} label(s){(hasEllipsis ? " and an ellipsis" : "")}");
            if (hasEllipsis) ellipsisRank = Math.Max(ellipsisRank, rest);
        }
        // The ellipsis dimensions become labels of their own, right-aligned across operands (numpy broadcasting).
        char EllipsisLabel(int k) => (char)(0x100 + k);
        var operandLabels = new List<char>[shapes.Length];
        var sizes = new Dictionary<char, int>();
        for (int i = 0; i < shapes.Length; i++)
        {
            int rest = shapes[i].Length - parsed[i].Count(ch => ch != Ellipsis);
            var labels = new List<char>();
            foreach (char ch in parsed[i])
            {
                if (ch == Ellipsis) for (int k = ellipsisRank - rest; k < ellipsisRank; k++) labels.Add(EllipsisLabel(k));
                else labels.Add(ch);
            }
            operandLabels[i] = labels;
            for (int axis = 0; axis < labels.Count; axis++)
            {
                int size = shapes[i][axis];
                if (!sizes.TryGetValue(labels[axis], out int known) || known == 1) sizes[labels[axis]] = size;
                else if (size != known && size != 1)
                    throw new ModelError($"label '{Show(labels[axis])}' has size {known} in one place and {size} in another");
            }
        }

        List<char> output;
        if (rhs is null)
        {
            var counts = operandLabels.SelectMany(l => l).Where(ch => ch < 0x100).GroupBy(ch => ch).Where(g => g.Count() == 1).Select(g => g.Key);
            output = Enumerable.Range(0, ellipsisRank).Select(EllipsisLabel).Concat(counts.OrderBy(ch => ch)).ToList();
        }
        else
        {
            output = new List<char>();
            foreach (char ch in Tokens(rhs, equation))
            {
                if (ch == Ellipsis) output.AddRange(Enumerable.Range(0, ellipsisRank).Select(EllipsisLabel));
                else output.Add(ch);
            }
            foreach (var g in output.GroupBy(ch => ch).Where(g => g.Count() > 1))
                throw new ModelError($"the output of '{equation}' repeats label '{Show(g.Key)}'");
            foreach (char ch in output)
                if (!sizes.ContainsKey(ch)) throw new ModelError($"the output label '{Show(ch)}' of '{equation}' is not an input label");
        }
        var summed = operandLabels.SelectMany(l => l).Distinct().Where(ch => !output.Contains(ch)).ToList();
        var all = output.Concat(summed).ToList();
        int[] dims = all.Select(ch => sizes[ch]).ToArray();
        var strides = new int[shapes.Length][];
        for (int i = 0; i < shapes.Length; i++)
        {
            int[] own = ShapeText.Strides(shapes[i]);
            strides[i] = all.Select(ch =>
            {
                int s = 0;
                for (int axis = 0; axis < operandLabels[i].Count; axis++)
                    if (operandLabels[i][axis] == ch && !(shapes[i][axis] == 1 && sizes[ch] != 1)) s += own[axis];
                return s;
            }).ToArray();
        }
        long work = dims.Aggregate(1L, (p, d) => p * d);
        var plan = new EinsumPlan(output.Select(ch => sizes[ch]).ToArray(), dims, output.Count, strides, work);
        if (shapes.Length == 2) plan.Product = AsProduct(operandLabels, shapes, output, sizes);
        return plan;
    }

    private static string Show(char label) => label < 0x100 ? label.ToString() : "...";

    private static List<char> Tokens(string term, string equation)
    {
        var result = new List<char>();
        for (int i = 0; i < term.Length; i++)
        {
            char ch = term[i];
            if (ch == '.')
            {
                if (i + 2 >= term.Length || term[i + 1] != '.' || term[i + 2] != '.' || result.Contains(Ellipsis))
                    throw new ModelError($"'{equation}' has a malformed ellipsis");
                result.Add(Ellipsis);
                i += 2;
            }
            else if (ch is >= 'a' and <= 'z' or >= 'A' and <= 'Z') result.Add(ch);
            else throw new ModelError($"'{equation}' contains '{ch}', which is not a label (letters a-z, A-Z) or an ellipsis");
        }
        return result;
    }

    /// <summary>
    /// The batched matrix product form: every label is a batch label (both operands and the output), an M label
    /// (A and output), an N label (B and output) or a K label (both operands, summed); the output lists batch, M,
    /// then N labels; within each class, consecutive labels are contiguous in every tensor holding them, so each
    /// class is one stride. No repeated labels in an operand, no broadcasting.
    /// </summary>
    private static BatchedProduct? AsProduct(List<char>[] labels, int[][] shapes, List<char> output, Dictionary<char, int> sizes)
    {
        List<char> a = labels[0], b = labels[1];
        if (a.Distinct().Count() != a.Count || b.Distinct().Count() != b.Count) return null;
        for (int i = 0; i < 2; i++)
            for (int axis = 0; axis < labels[i].Count; axis++)
                if (shapes[i][axis] != sizes[labels[i][axis]]) return null;
        var batch = output.Where(ch => a.Contains(ch) && b.Contains(ch)).ToList();
        var m = output.Where(ch => a.Contains(ch) && !b.Contains(ch)).ToList();
        var n = output.Where(ch => b.Contains(ch) && !a.Contains(ch)).ToList();
        var k = a.Where(ch => b.Contains(ch) && !output.Contains(ch)).ToList();
        if (a.Concat(b).Any(ch => !output.Contains(ch) && !k.Contains(ch))) return null; // a label summed out of one operand only
        if (!output.SequenceEqual(batch.Concat(m).Concat(n))) return null;

        int[] outShape = output.Select(ch => sizes[ch]).ToArray();
        int[] aStrides = ShapeText.Strides(shapes[0]), bStrides = ShapeText.Strides(shapes[1]), oStrides = ShapeText.Strides(outShape);
        int Stride(List<char> tensor, int[] strides, char ch) => strides[tensor.IndexOf(ch)];
        // One class as (size, stride per tensor), or null when its labels do not merge into one stride.
        (int Size, int[] Strides)? Merge(List<char> cls, params (List<char> Labels, int[] Strides)[] tensors)
        {
            if (cls.Count == 0) return (1, new int[tensors.Length]);
            int size = 1;
            foreach (char ch in cls) size *= sizes[ch];
            var merged = new int[tensors.Length];
            for (int t = 0; t < tensors.Length; t++)
            {
                for (int i = 0; i + 1 < cls.Count; i++)
                    if (Stride(tensors[t].Labels, tensors[t].Strides, cls[i]) != Stride(tensors[t].Labels, tensors[t].Strides, cls[i + 1]) * sizes[cls[i + 1]]) return null;
                merged[t] = Stride(tensors[t].Labels, tensors[t].Strides, cls[cls.Count - 1]);
            }
            return (size, merged);
        }
        var bt = Merge(batch, (a, aStrides), (b, bStrides), (output, oStrides));
        var mt = Merge(m, (a, aStrides), (output, oStrides));
        var nt = Merge(n, (b, bStrides), (output, oStrides));
        var kt = Merge(k, (a, aStrides), (b, bStrides));
        if (bt is null || mt is null || nt is null || kt is null) return null;
        return new BatchedProduct(bt.Value.Size, mt.Value.Size, nt.Value.Size, kt.Value.Size,
            bt.Value.Strides[0], mt.Value.Strides[0], kt.Value.Strides[0], bt.Value.Strides[1], kt.Value.Strides[1], nt.Value.Strides[0]);
    }
}
