using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tool.Onnx;

namespace ModelCompiler.Tool.Transforms;

/// <summary>Which weights go together: single weights, blocks of 4 or 8 output channels at one input position, or whole output channels.</summary>
internal enum PruneGranularity { Unstructured, Blocks4x1, Blocks8x1, Channels }

/// <summary>What happened to one layer's weight.</summary>
internal sealed record PrunedLayer(string Node, string Op, string Weight, long Elements, double ZerosBefore, double ZerosAfter, bool BatchNorm, string? Skipped);

/// <summary>
/// Magnitude pruning of the float weights of Conv, ConvTranspose, Gemm and MatMul layers: in each selected layer the
/// <c>ceil(sparsity * n)</c> weights (or blocks, or output channels) with the smallest magnitude become exactly 0.
/// Blocks are 4 or 8 consecutive output channels at one input position (the unit SIMD kernels vectorize over), scored
/// by their L2 norm; channels by their L1 norm.
/// <para>
/// BatchNorm-aware: when a layer's output goes only into a BatchNormalization, each output channel's weights are
/// scored as BatchNorm will scale them (|gamma| / sqrt(var + eps)), and a pruned channel also gets gamma = beta = 0, so
/// that it outputs exactly 0 rather than BatchNorm's shift. Pruning whole channels zeroes the layer's bias for them too
/// (a removed channel outputs 0). At least one channel of each layer is kept.
/// </para>
/// </summary>
internal static class Pruner
{
    public static IReadOnlyList<PrunedLayer> Prune(OnnxModel model, double sparsity, PruneGranularity granularity, LayerSelection layers)
    {
        if (!(sparsity >= 0 && sparsity < 1)) throw new ToolException($"--sparsity {sparsity} must be at least 0 and below 1 (0.9 zeroes 90% of each layer's weights)");
        var consumers = model.Consumers();
        var result = new List<PrunedLayer>();
        foreach (var node in model.Graph.Node.Where(n => n.Domain is "" or "ai.onnx" && n.OpType is "Conv" or "ConvTranspose" or "Gemm" or "MatMul" && n.Input.Count > 1).ToList())
        {
            if (!layers.Selects(node)) continue;
            string weightName = node.Input[1];
            var init = model.Initializer(weightName);
            if (init is null || init.DataType != (int)TensorProto.Types.DataType.Float) continue; // activations or quantized weights
            int[] shape = OnnxModel.Dims(init);
            var w = model.FloatInitializer(weightName)!;
            double before = w.Count(v => v == 0) / (double)Math.Max(1, w.Length);
            string? skip = consumers[weightName].Count > 1 ? "weight shared with other layers"
                : shape.Length < 2 ? "weight is not a matrix or kernel"
                : node.OpType == "MatMul" && shape.Length != 2 ? "batched MatMul weight"
                : null;
            if (skip is not null)
            {
                result.Add(new PrunedLayer(node.Name, node.OpType, weightName, w.Length, before, before, false, skip));
                continue;
            }

            int axis = OutputChannelAxis(node, shape.Length);
            int channels = shape[axis];
            int inner = shape.Skip(axis + 1).Aggregate(1, (a, d) => a * d);
            int Channel(int i) => i / inner % channels;
            var bn = FollowingBatchNorm(model, node, consumers, channels);
            double[] scale = bn?.Scale ?? Enumerable.Repeat(1.0, channels).ToArray();

            var removedChannels = new HashSet<int>();
            var pruned = granularity switch
            {
                PruneGranularity.Unstructured => PruneUnits(w.Length, i => Math.Abs(w[i]) * scale[Channel(i)], sparsity, u => new[] { u }),
                PruneGranularity.Channels => PruneChannels(w, channels, Channel, scale, sparsity, removedChannels),
                _ => PruneBlocks(w, shape, axis, granularity == PruneGranularity.Blocks4x1 ? 4 : 8, scale, sparsity),
            };
            foreach (int i in pruned) w[i] = 0;
            model.SetInitializer(OnnxModel.FloatTensor(weightName, shape, w));

            if (granularity == PruneGranularity.Channels)
            {
                var dead = removedChannels;
                ZeroChannels(model, node.OpType is "Conv" or "ConvTranspose" or "Gemm" && node.Input.Count > 2 ? node.Input[2] : null, dead);
                if (bn is not null)
                {
                    ZeroChannels(model, bn.Node.Input[1], dead);
                    ZeroChannels(model, bn.Node.Input[2], dead);
                }
            }
            result.Add(new PrunedLayer(node.Name, node.OpType, weightName, w.Length, before, w.Count(v => v == 0) / (double)w.Length, bn is not null, null));
        }
        return result;
    }

    /// <summary>The weight axis that indexes output channels: Conv [M, C/g, kh, kw] 0; ConvTranspose [C, M/g, ...] 1; Gemm B[K, N] 1 (transB: [N, K] 0); MatMul [K, N] 1.</summary>
    public static int OutputChannelAxis(NodeProto node, int rank) => node.OpType switch
    {
        "Conv" => 0,
        "ConvTranspose" => 1,
        "Gemm" => OnnxModel.IntAttr(node, "transB", 0) != 0 ? 0 : 1,
        _ => rank - 1,
    };

    private sealed record BatchNorm(NodeProto Node, double[] Scale);

    /// <summary>The BatchNormalization that alone reads the layer's output, with constant statistics; null otherwise.</summary>
    private static BatchNorm? FollowingBatchNorm(OnnxModel model, NodeProto node, Dictionary<string, List<NodeProto>> consumers, int channels)
    {
        if (!consumers.TryGetValue(node.Output[0], out var readers) || readers.Count != 1) return null;
        var bn = readers[0];
        if (bn.OpType != "BatchNormalization" || bn.Input.Count < 5 || bn.Input[0] != node.Output[0]) return null;
        if (model.ReaderCount(node.Output[0]) != 1) return null;
        var gamma = model.FloatInitializer(bn.Input[1]);
        var variance = model.FloatInitializer(bn.Input[4]);
        if (gamma is null || variance is null || gamma.Length != channels || variance.Length != channels
            || model.FloatInitializer(bn.Input[2]) is not { } beta || beta.Length != channels
            || model.ReaderCount(bn.Input[1]) != 1 || model.ReaderCount(bn.Input[2]) != 1) return null;
        float eps = OnnxModel.FloatAttr(bn, "epsilon", 1e-5f);
        return new BatchNorm(bn, gamma.Select((g, c) => Math.Abs((double)g) / Math.Sqrt(variance[c] + (double)eps)).ToArray());
    }

    /// <summary>The indices of the ceil(sparsity * units) lowest-scoring units' elements (ties: lower index first).</summary>
    private static IEnumerable<int> PruneUnits(int units, Func<int, double> score, double sparsity, Func<int, IEnumerable<int>> elements, int keep = 0)
    {
        int count = Math.Min(units - keep, (int)Math.Ceiling(sparsity * units - 1e-9));
        if (count <= 0) return Array.Empty<int>();
        return Enumerable.Range(0, units).Select(u => (Unit: u, Score: score(u))).OrderBy(p => p.Score).ThenBy(p => p.Unit)
            .Take(count).SelectMany(p => elements(p.Unit)).ToList();
    }

    private static IEnumerable<int> PruneChannels(float[] w, int channels, Func<int, int> channelOf, double[] scale, double sparsity, HashSet<int> removed)
    {
        var members = new List<int>[channels];
        for (int c = 0; c < channels; c++) members[c] = new List<int>();
        for (int i = 0; i < w.Length; i++) members[channelOf(i)].Add(i);
        return PruneUnits(channels, c => members[c].Sum(i => Math.Abs((double)w[i])) * scale[c], sparsity, c =>
        {
            removed.Add(c);
            return members[c];
        }, keep: 1);
    }

    /// <summary>Blocks of <paramref name="size"/> consecutive output channels at one position of the other axes.</summary>
    private static IEnumerable<int> PruneBlocks(float[] w, int[] shape, int axis, int size, double[] scale, double sparsity)
    {
        int channels = shape[axis];
        int outer = shape.Take(axis).Aggregate(1, (a, d) => a * d), inner = shape.Skip(axis + 1).Aggregate(1, (a, d) => a * d);
        int groups = (channels + size - 1) / size;
        var blocks = new List<int[]>();
        for (int o = 0; o < outer; o++)
            for (int g = 0; g < groups; g++)
                for (int i = 0; i < inner; i++)
                    blocks.Add(Enumerable.Range(g * size, Math.Min(size, channels - g * size)).Select(c => (o * channels + c) * inner + i).ToArray());
        return PruneUnits(blocks.Count, b => Math.Sqrt(blocks[b].Sum(i => Square(w[i] * scale[i / inner % channels]))), sparsity, b => blocks[b]);
    }

    private static double Square(double v) => v * v;

    private static void ZeroChannels(OnnxModel model, string? name, HashSet<int> channels)
    {
        if (name is null || name.Length == 0 || model.FloatInitializer(name) is not { } v || model.ReaderCount(name) != 1) return;
        foreach (int c in channels) if (c < v.Length) v[c] = 0;
        model.SetInitializer(OnnxModel.FloatTensor(name, OnnxModel.Dims(model.Initializer(name)!), v));
    }
}
