using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Planning;

/// <summary>
/// Where every intermediate tensor lives during <c>Predict</c>: one per-thread arena whose size is fixed
/// at build time. Two tensors share bytes only when their lifetimes (from the layer that writes one to
/// the last layer that reads it) do not overlap. Placement is greedy by size (largest first, lowest
/// offset that fits), which is near-optimal for the chain-like graphs CNNs produce. Alias kernels
/// (Reshape, Flatten...) create no tensor: their output is their input's memory.
/// </summary>
internal sealed class MemoryPlan
{
    public const int Alignment = 64;

    private readonly Dictionary<Value, long> _offsets = new();
    private readonly Dictionary<Value, Value> _aliasOf = new();

    public long ArenaBytes { get; private set; }

    /// <summary>The value whose memory <paramref name="v"/> uses (itself unless it is an alias output).</summary>
    public Value Root(Value v)
    {
        while (_aliasOf.TryGetValue(v, out var r)) v = r;
        return v;
    }

    public bool TryGetOffset(Value v, out long offset) => _offsets.TryGetValue(Root(v), out offset);

    public static MemoryPlan Build(ModelGraph graph)
    {
        var plan = new MemoryPlan();
        var index = new Dictionary<Node, int>();
        for (int i = 0; i < graph.Nodes.Count; i++) index[graph.Nodes[i]] = i;

        // Alias outputs point at their input; a graph output never aliases (it is the caller's span).
        foreach (var n in graph.Nodes)
            if (n.Kernel is { IsAlias: true } && n.Output(0) is { } o && !graph.IsGraphOutput(o))
                plan._aliasOf[o] = n.RequiredInput(0);

        var first = new Dictionary<Value, int>();
        var last = new Dictionary<Value, int>();
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            var n = graph.Nodes[i];
            foreach (var o in n.Outputs)
            {
                if (o is null) continue;
                var r = plan.Root(o);
                if (!first.ContainsKey(r)) first[r] = i;
                last[r] = Math.Max(last.TryGetValue(r, out int l) ? l : i, i);
            }
            foreach (var input in n.Inputs)
            {
                if (input is null) continue;
                var r = plan.Root(input);
                if (first.ContainsKey(r)) last[r] = Math.Max(last[r], i);
            }
        }

        var buffers = first.Keys
            .Where(v => !v.IsConstant && !graph.IsGraphOutput(v) && !graph.IsGraphInput(v))
            .Select(v => (Value: v, Start: first[v], End: last[v], Size: Align(v.ByteSize)))
            .OrderByDescending(b => b.Size).ThenBy(b => b.Start).ThenBy(b => b.Value.Name, StringComparer.Ordinal)
            .ToList();

        var placed = new List<(int Start, int End, long Offset, long Size)>();
        foreach (var b in buffers)
        {
            long offset = 0;
            foreach (var p in placed.Where(p => p.Start <= b.End && b.Start <= p.End).OrderBy(p => p.Offset))
            {
                if (offset + b.Size <= p.Offset) break;
                offset = Math.Max(offset, p.Offset + p.Size);
            }
            placed.Add((b.Start, b.End, offset, b.Size));
            plan._offsets[b.Value] = offset;
            plan.ArenaBytes = Math.Max(plan.ArenaBytes, offset + b.Size);
        }
        return plan;
    }

    private static long Align(long bytes) => Math.Max(Alignment, (bytes + Alignment - 1) / Alignment * Alignment);
}
