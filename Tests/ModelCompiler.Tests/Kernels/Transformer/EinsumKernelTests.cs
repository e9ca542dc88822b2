using System;
using System.Linq;
using ModelCompiler.Ops.Transformer;
using ModelCompiler.Runtime;
using Xunit;
using static ModelCompiler.Tests.Kernels.KernelTestData;

namespace ModelCompiler.Tests.Kernels.Transformer;

/// <summary>
/// Einsum plans and both run-time paths against loops written here for each equation: the strided contraction
/// (transposes, diagonals, sums, numpy broadcasting of the ellipsis dimensions, which ONNX Runtime's shape
/// inference rejects) and the batched-product fast path (row multiply-adds, dot products, strided).
/// 1e-5 absolute + 1e-4 relative.
/// </summary>
public sealed class EinsumKernelTests
{
    [Fact]
    public void Broadcast_ellipsis_dimensions_contract_like_numpy()
    {
        // a [2,1,3,4] and b [3,4,5]: the ellipsis dims [2,1] and [3] broadcast to [2,3].
        var plan = EinsumPlan.Parse("...ij,...jk->...ik", new[] { new[] { 2, 1, 3, 4 }, new[] { 3, 4, 5 } });
        Assert.Equal(new[] { 2, 3, 3, 5 }, plan.OutShape);
        Assert.Null(plan.Product);
        float[] a = Random(24, 71), b = Random(60, 72);
        var expected = new float[90];
        for (int p = 0; p < 2; p++)
            for (int q = 0; q < 3; q++)
                for (int i = 0; i < 3; i++)
                    for (int k = 0; k < 5; k++)
                    {
                        double s = 0;
                        for (int j = 0; j < 4; j++) s += a[(p * 3 + i) * 4 + j] * (double)b[(q * 4 + j) * 5 + k];
                        expected[((p * 3 + q) * 3 + i) * 5 + k] = (float)s;
                    }
        var y = new float[90];
        Einsum.Contract<float>(a, b, y, plan.Dims, plan.OutputRank, plan.Strides[0], plan.Strides[1]);
        AssertClose(expected, y, "...ij,...jk->...ik with broadcast");
    }

    [Fact]
    public void Diagonals_transposes_and_sums_contract_by_strides()
    {
        float[] a = Random(48, 73);
        // "bii->ib" on [3,4,4]: the diagonal of each matrix, transposed.
        var plan = EinsumPlan.Parse("bii->ib", new[] { new[] { 3, 4, 4 } });
        var y = new float[12];
        Einsum.Contract<float>(a, default, y, plan.Dims, plan.OutputRank, plan.Strides[0], default);
        AssertClose(Enumerable.Range(0, 12).Select(n => a[(n % 3) * 16 + (n / 3) * 5]).ToArray(), y, "bii->ib");
        // Without "->" the output is the labels used once, in alphabetical order: "kji" gives "ijk".
        var implicitPlan = EinsumPlan.Parse("kji", new[] { new[] { 2, 3, 8 } });
        Assert.Equal(new[] { 8, 3, 2 }, implicitPlan.OutShape);
        // "ij->" sum of everything, in double to compare.
        var sumPlan = EinsumPlan.Parse("ij->", new[] { new[] { 6, 8 } });
        var s = new double[1];
        Einsum.Contract<double>(a.Select(v => (double)v).ToArray(), default, s, sumPlan.Dims, sumPlan.OutputRank, sumPlan.Strides[0], default);
        Assert.True(Math.Abs(s[0] - a.Sum(v => (double)v)) <= 1e-12, "ij-> sums everything");
    }

    [Theory]
    [InlineData("bhqd,bhkd->bhqk", "2,3,5,8", "2,3,7,8")]
    [InlineData("bij,bjk->bik", "3,4,6", "3,6,5")]
    [InlineData("ij,jk->ik", "1,9", "9,17")]
    [InlineData("abc,cd->abd", "2,3,6", "6,1")]
    [InlineData("bji,bjk->bik", "2,6,4", "2,6,5")]
    public void Batched_products_take_the_fast_path_and_match_loops(string equation, string aShape, string bShape)
    {
        int[] sa = Ints(aShape), sb = Ints(bShape);
        var plan = EinsumPlan.Parse(equation, new[] { sa, sb });
        Assert.NotNull(plan.Product);
        var p = plan.Product!;
        float[] a = Random(sa.Aggregate(1, (x, y) => x * y), 74), b = Random(sb.Aggregate(1, (x, y) => x * y), 75);
        // The reference: the generic contraction written as loops over every label (slow, obviously right).
        var expected = Naive(equation, a, sa, b, sb, plan.OutShape);
        var y = Enumerable.Repeat(float.NaN, expected.Length).ToArray();
        Einsum.BatchedProduct<float>(a, b, y, p.Batch, p.M, p.N, p.K, p.ABatch, p.ARow, p.ADepth, p.BBatch, p.BDepth, p.BCol);
        AssertClose(expected, y, equation);
    }

    [Fact]
    public void A_diagonal_or_a_one_sided_sum_is_not_a_product()
    {
        Assert.Null(EinsumPlan.Parse("bii,bij->bj", new[] { new[] { 2, 3, 3 }, new[] { 2, 3, 4 } }).Product);
        Assert.Null(EinsumPlan.Parse("ij,kl->ik", new[] { new[] { 2, 3 }, new[] { 4, 5 } }).Product);
        Assert.Null(EinsumPlan.Parse("ij,jk->ki", new[] { new[] { 2, 3 }, new[] { 3, 4 } }).Product);
    }

    /// <summary>Explicit two-operand einsum: every assignment of the labels, summing what the output lacks.</summary>
    private static float[] Naive(string equation, float[] a, int[] sa, float[] b, int[] sb, int[] outShape)
    {
        string[] sides = equation.Split("->");
        string[] terms = sides[0].Split(',');
        string output = sides[1];
        string labels = new string((terms[0] + terms[1]).Distinct().ToArray());
        var size = labels.ToDictionary(ch => ch, ch => terms[0].Contains(ch) ? sa[terms[0].IndexOf(ch)] : sb[terms[1].IndexOf(ch)]);
        var y = new double[outShape.Aggregate(1, (x, z) => x * z)];
        var index = labels.ToDictionary(ch => ch, _ => 0);
        int Flat(string term, int[] shape) { int f = 0; for (int i = 0; i < term.Length; i++) f = f * shape[i] + index[term[i]]; return f; }
        int total = labels.Aggregate(1, (x, ch) => x * size[ch]);
        for (int n = 0; n < total; n++)
        {
            int rest = n;
            for (int i = labels.Length - 1; i >= 0; i--) { index[labels[i]] = rest % size[labels[i]]; rest /= size[labels[i]]; }
            y[Flat(output, outShape)] += a[Flat(terms[0], sa)] * (double)b[Flat(terms[1], sb)];
        }
        return y.Select(v => (float)v).ToArray();
    }
}
