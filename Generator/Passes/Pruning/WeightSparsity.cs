using System.Globalization;
using ModelCompiler.Graph;

namespace ModelCompiler.Passes.Pruning;

/// <summary>
/// How pruned a layer's float32 weights are: the fraction of exact zeros and the filters (output channels of a Conv,
/// output features of a Gemm/MatMul) whose weights are all zero. Shown in the layer comment and summed in the header.
/// </summary>
internal sealed record WeightSparsity(long Weights, long Zeros, int Filters, int ZeroFilters)
{
    public double ZeroFraction => Weights == 0 ? 0 : (double)Zeros / Weights;

    /// <summary>The sparsity of a Conv, Gemm or MatMul's constant float weights (input 1), or null for other layers.</summary>
    public static WeightSparsity? Of(Node n)
    {
        if (n.Domain.Length != 0 || n.Input(1)?.Constant is not { Type: DataType.Float } w || w.ElementCount == 0) return null;
        // Output unit u's weights: Conv rows W[u]; Gemm rows of B when transposed, else columns; MatMul columns of B [K, N].
        bool rowsAreFilters;
        switch (n.OpType)
        {
            case "Conv": rowsAreFilters = true; break;
            case "Gemm" when w.Rank == 2: rowsAreFilters = n.GetInt("transB", 0) != 0; break;
            case "MatMul" when w.Rank == 2: rowsAreFilters = false; break;
            default: return null;
        }
        var f = w.ToFloats();
        int rows = w.Shape[0];
        int per = (int)(f.Length / rows);
        int filters = rowsAreFilters ? rows : per;
        var nonZero = new bool[filters];
        long zeros = 0;
        for (long i = 0; i < f.Length; i++)
        {
            if (f[i] == 0) { zeros++; continue; }
            nonZero[rowsAreFilters ? i / per : i % per] = true;
        }
        int zeroFilters = 0;
        foreach (bool b in nonZero) if (!b) zeroFilters++;
        return new WeightSparsity(f.Length, zeros, filters, zeroFilters);
    }

    /// <summary>"62.5%" (invariant, no space).</summary>
    public static string Percent(double fraction) => (fraction * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    /// <summary>"62.5% zeros, 3 of 16 filters all zero" (the filter part only when some are).</summary>
    public override string ToString() =>
        Percent(ZeroFraction) + " zeros"
        + (ZeroFilters > 0 ? $", {ZeroFilters} of {Filters} filters all zero" : "");
}
