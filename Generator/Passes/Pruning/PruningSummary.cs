using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Diagnostics;
using ModelCompiler.Emit;
using ModelCompiler.Kernels;
using ModelCompiler.Kernels.Sparse;

namespace ModelCompiler.Passes.Pruning;

/// <summary>What <see cref="StructuredPruning"/> removed: output channels, multiply-accumulates, weight bytes (float32), and the layers it changed.</summary>
internal sealed record PruningSummary(int ChannelsRemoved, long MacsRemoved, long WeightBytesRemoved, IReadOnlyList<string> Layers)
{
    public static readonly PruningSummary None = new(0, 0, 0, new string[0]);

    /// <summary>
    /// The build message for a pruned model (channels removed or layers running sparse), or null for any other:
    /// MACs and weight bytes before and after, the layers that run sparse, the channels removed.
    /// </summary>
    public CompilerDiagnostic? Diagnostic(KernelPlan kernels, long macsAfter, long weightBytesAfter)
    {
        var sparse = kernels.Layers.OfType<SparseRowsKernel>().ToList();
        if (ChannelsRemoved == 0 && sparse.Count == 0) return null;
        // Sparse layers keep only their non-zeros: their dense float32 weights are what the blob would hold otherwise.
        long sparseSaved = sparse.Sum(k => k.DenseBytes - k.StoredBytes);
        long effective = macsAfter - sparse.Sum(k => k.Macs - k.EffectiveMacs);
        string sparseText = sparse.Count == 0 ? "no layer runs sparse"
            : $"{sparse.Count} layer{(sparse.Count == 1 ? "" : "s")} run sparse ({string.Join(", ", sparse.Take(8).Select(k => "'" + k.Node.Name + "'"))}{(sparse.Count > 8 ? ", ..." : "")}), {Literals.Count(effective)} MACs multiply non-zero weights";
        string channelText = ChannelsRemoved == 0 ? "no dead channel removed"
            : $"{ChannelsRemoved} dead channel{(ChannelsRemoved == 1 ? "" : "s")} removed from {Layers.Count} layer{(Layers.Count == 1 ? "" : "s")}";
        return CompilerDiagnostic.Create(DiagnosticDescriptors.PrunedModel,
            Literals.Count(macsAfter + MacsRemoved), Literals.Count(macsAfter),
            Literals.Size(weightBytesAfter + WeightBytesRemoved + sparseSaved), Literals.Size(weightBytesAfter),
            channelText, sparseText);
    }

    /// <summary>The header line of a pruned model's generated code, or null.</summary>
    public string? HeaderText(long macsAfter) => ChannelsRemoved == 0 ? null
        : $"Structured pruning: {ChannelsRemoved} dead channels removed from {Layers.Count} layers, MACs {Literals.Count(macsAfter + MacsRemoved)} -> {Literals.Count(macsAfter)}, {Literals.Size(WeightBytesRemoved)} of float32 weights dropped";
}
