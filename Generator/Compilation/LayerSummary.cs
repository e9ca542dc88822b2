using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Planning;

namespace ModelCompiler.Compilation;

/// <summary>
/// What one compiled layer is, read-only, for tools (<c>modelc inspect</c>, <c>modelc report</c>): the layer as
/// emitted (index = the generated method <c>L{Index}_...</c> and <c>PredictProfiled</c>'s slot), the kernel
/// selection chose for it, and where its tensors live. Built by <see cref="LayerSummaries.Of"/>, the one place
/// that reads kernels and the memory plan for this purpose.
/// </summary>
internal sealed record LayerSummary(
    int Index,
    string Name,
    string OpType,
    string Domain,
    string Kernel,
    string KernelSummary,
    long Macs,
    LayerStorage Storage,
    ImmutableArray<TensorSummary> Inputs,
    ImmutableArray<TensorSummary> Outputs);

/// <summary>How a layer's output is stored beyond an ordinary write.</summary>
internal enum LayerStorage
{
    /// <summary>Writes its own output memory.</summary>
    Normal,
    /// <summary>Writes its output over an input that dies at this layer.</summary>
    InPlace,
    /// <summary>A view of its input (Reshape, Flatten...): no code.</summary>
    View,
    /// <summary>A Concat whose inputs were written into their slices of its output: no code.</summary>
    Elided,
}

/// <summary>Where a tensor lives while <c>Predict</c> runs.</summary>
internal enum TensorPlace { Constant, GraphInput, GraphOutput, Arena }

/// <summary>
/// One input or output of a layer. For arena tensors, <see cref="ArenaOffset"/> is its first byte in the per-thread
/// arena and [<see cref="LiveFrom"/>, <see cref="LiveTo"/>] the layers during which that memory is taken (by this
/// tensor or a value sharing it: a view, an in-place output, a concat slice); -1 elsewhere.
/// </summary>
internal sealed record TensorSummary(
    string Name,
    DataType Type,
    ImmutableArray<int> Shape,
    TensorPlace Place,
    long Bytes,
    long ArenaOffset,
    int LiveFrom,
    int LiveTo,
    ConstantSummary? Constant);

/// <summary>A constant input: element count, fraction of exact zeros, and bits per element as the weight blob stores it.</summary>
internal sealed record ConstantSummary(long Elements, double ZeroFraction, int StoredBits);

internal static class LayerSummaries
{
    public static ImmutableArray<LayerSummary> Of(ModelGraph graph, Kernels.KernelPlan kernels, MemoryPlan plan)
    {
        var index = new Dictionary<Node, int>();
        for (int i = 0; i < graph.Nodes.Count; i++) index[graph.Nodes[i]] = i;

        // The layers during which each root's memory is taken: from its first writer to its last reader.
        var live = new Dictionary<Value, (int From, int To)>();
        void Touch(Value v, int at)
        {
            var root = plan.Root(v);
            live[root] = live.TryGetValue(root, out var r) ? (System.Math.Min(r.From, at), System.Math.Max(r.To, at)) : (at, at);
        }
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            foreach (var o in graph.Nodes[i].Outputs) if (o is not null) Touch(o, i);
            foreach (var x in graph.Nodes[i].Inputs) if (x is not null && !x.IsConstant) Touch(x, i);
        }

        TensorSummary Describe(Value v)
        {
            var place = v.IsConstant ? TensorPlace.Constant : graph.IsGraphInput(v) ? TensorPlace.GraphInput : graph.IsGraphOutput(v) ? TensorPlace.GraphOutput : TensorPlace.Arena;
            long offset = -1;
            int from = -1, to = -1;
            if (place == TensorPlace.Arena)
            {
                var (root, at) = plan.Locate(v);
                if (plan.TryGetOffset(root, out long rootOffset)) offset = rootOffset + v.Type.ByteSize(at);
                if (live.TryGetValue(root, out var span)) (from, to) = span;
            }
            ConstantSummary? constant = v.Constant is { } t
                ? new ConstantSummary(t.ElementCount, t.ZeroFraction, (t.Encoding?.Source.Type ?? t.Type).BitSize())
                : null;
            return new TensorSummary(v.Name, v.Type, (v.Shape ?? System.Array.Empty<int>()).ToImmutableArray(), place,
                v.Shape is null ? 0 : v.Type.ByteSize(v.ElementCount), offset, from, to, constant);
        }

        var result = ImmutableArray.CreateBuilder<LayerSummary>(graph.Nodes.Count);
        foreach (var n in graph.Nodes)
        {
            var kernel = kernels[n];
            var storage = plan.IsElided(n) ? LayerStorage.Elided
                : kernel.IsAlias && n.Output(0) is { } o && !graph.IsGraphOutput(o) ? LayerStorage.View
                : plan.IsInPlace(n) ? LayerStorage.InPlace
                : LayerStorage.Normal;
            result.Add(new LayerSummary(index[n], n.Name, n.OpType, n.Domain, KernelName(kernel), kernel.Summary, kernel.Macs, storage,
                n.Inputs.Where(x => x is not null).Select(x => Describe(x!)).ToImmutableArray(),
                n.Outputs.Where(x => x is not null).Select(x => Describe(x!)).ToImmutableArray()));
        }
        return result.MoveToImmutable();
    }

    /// <summary>
    /// The kernel's name as tools show it: the run-time method the plan names (with its build-time variant), else the
    /// kernel class without "Kernel"; an op's own straightforward kernel is "default".
    /// </summary>
    private static string KernelName(Emit.Kernel kernel)
    {
        if (kernel.Name is { } method) return kernel.Variant is { } variant ? method + " (" + variant + ")" : method;
        if (kernel is Emit.CallKernel) return "default";
        string name = kernel.GetType().Name;
        return name.EndsWith("Kernel", System.StringComparison.Ordinal) && name.Length > "Kernel".Length ? name.Substring(0, name.Length - "Kernel".Length) : name;
    }
}
