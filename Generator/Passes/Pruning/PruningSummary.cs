using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Diagnostics;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Kernels;
using ModelCompiler.Kernels.Sparse;

namespace ModelCompiler.Passes.Pruning;

/// <summary>What <see cref="StructuredPruning"/> removed: output channels, multiply-accumulates, weight bytes (float32), and the layers it changed.</summary>
internal sealed record PruningSummary(int ChannelsRemoved, long MacsRemoved, long WeightBytesRemoved, IReadOnlyList<string> Layers)
{
    public static readonly PruningSummary None = new(0, 0, 0, System.Array.Empty<string>());

    /// <summary>
    /// A model whose convolution and fully connected weights are at least this fraction exact zeros counts as pruned
    /// even when no channel goes and no layer runs sparse (trained dense weights have next to no exact zeros).
    /// </summary>
    public const double PrunedZeroFraction = 0.3;

    /// <summary>
    /// The build message for a pruned model (channels removed, layers running sparse, or mostly zero weights), or null for any other:
    /// MACs and weight bytes before and after, the layers that run sparse, the channels removed, the weights of dense
    /// layers the blob keeps as their non-zeros (<paramref name="decoded"/>: the tensors generated code expands on first use).
    /// </summary>
    public CompilerDiagnostic? Diagnostic(ModelGraph graph, KernelPlan kernels, long macsAfter, long weightBytesAfter, IReadOnlyList<DecodedWeight> decoded)
    {
        var sparse = kernels.Layers.OfType<SparseRowsKernel>().ToList();
        long weights = 0, zeros = 0;
        foreach (var n in graph.Nodes)
            if (WeightSparsity.Of(n) is { } s) { weights += s.Weights; zeros += s.Zeros; }
        double zeroFraction = weights == 0 ? 0 : (double)zeros / weights;
        if (ChannelsRemoved == 0 && sparse.Count == 0 && zeroFraction < PrunedZeroFraction) return null;
        // Sparse layers keep only their non-zeros: their dense float32 weights are what the blob would hold otherwise.
        long sparseSaved = sparse.Sum(k => k.DenseBytes - k.StoredBytes);
        // Dense layers' mostly-zero weights (packed as their kernels read them) kept as their non-zeros.
        var nonZeros = decoded.Where(d => d.NonZeros).ToList();
        long nonZerosSaved = nonZeros.Sum(d => d.DecodedBytes - d.StoredBytes);
        long effective = macsAfter - sparse.Sum(k => k.Macs - k.EffectiveMacs);
        string sparseText = sparse.Count == 0 ? "no layer runs sparse"
            : $"{sparse.Count} layer{(sparse.Count == 1 ? "" : "s")} run sparse ({string.Join(", ", sparse.Take(8).Select(k => "'" + k.Node.Name + "'"))}{(sparse.Count > 8 ? ", ..." : "")}), {Literals.Count(effective)} MACs multiply non-zero weights";
        if (nonZeros.Count > 0)
            sparseText += $"; {nonZeros.Count} dense layer weight{(nonZeros.Count == 1 ? " is" : "s are")} stored as non-zeros ({Literals.Size(nonZeros.Sum(d => d.DecodedBytes))} -> {Literals.Size(nonZeros.Sum(d => d.StoredBytes))}) and expanded on first use";
        string channelText = ChannelsRemoved == 0 ? "no dead channel removed"
            : $"{ChannelsRemoved} dead channel{(ChannelsRemoved == 1 ? "" : "s")} removed from {Layers.Count} layer{(Layers.Count == 1 ? "" : "s")}";
        return CompilerDiagnostic.Create(DiagnosticDescriptors.PrunedModel,
            Literals.Count(macsAfter + MacsRemoved), Literals.Count(macsAfter),
            Literals.Size(weightBytesAfter + WeightBytesRemoved + sparseSaved + nonZerosSaved), Literals.Size(weightBytesAfter),
            WeightSparsity.Percent(zeroFraction), channelText, sparseText);
    }

    /// <summary>The header line of a pruned model's generated code, or null.</summary>
    public string? HeaderText(long macsAfter) => ChannelsRemoved == 0 ? null
        : $"Structured pruning: {ChannelsRemoved} dead channels removed from {Layers.Count} layers, MACs {Literals.Count(macsAfter + MacsRemoved)} -> {Literals.Count(macsAfter)}, {Literals.Size(WeightBytesRemoved)} of float32 weights dropped";
}
