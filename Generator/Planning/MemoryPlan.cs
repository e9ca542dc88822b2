using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Kernels;

namespace ModelCompiler.Planning;

/// <summary>
/// Where every intermediate tensor lives during <c>Predict</c>: one per-thread arena whose size is fixed
/// at build time. Two tensors share bytes only when their lifetimes (from the layer that writes one to
/// the last layer that reads it) do not overlap. Placement is greedy by size (largest first, lowest
/// offset that fits), which is near-optimal for the chain-like graphs CNNs produce.
/// <para>
/// Before placement, values that need no memory of their own are folded into another value's memory
/// (their <i>root</i>), at an element offset:
/// </para>
/// <list type="bullet">
/// <item>views: the output of an alias kernel (Reshape, Flatten...) is its input's memory;</item>
/// <item>in place: an element-wise layer (<see cref="Emit.Kernel.CanRunInPlace"/>) whose input dies at that
/// layer and has the output's type and length writes its output over that input;</item>
/// <item>concat slices: when Concat joins along its outermost non-1 axis, each input is one contiguous
/// slice of the output, so the layers producing the inputs write straight into their slices and the
/// Concat itself emits no code. Only when every input is an intermediate tensor that nothing but the
/// Concat reads.</item>
/// </list>
/// </summary>
internal sealed class MemoryPlan
{
    public const int Alignment = 64;

    private readonly Dictionary<Value, (Value Parent, long Offset)> _parent = new();
    private readonly Dictionary<Value, long> _offsets = new();
    private readonly HashSet<Node> _inPlace = new();
    private readonly HashSet<Node> _elided = new();
    private readonly Dictionary<Node, long> _scratch = new();

    public long ArenaBytes { get; private set; }

    /// <summary>The value whose memory <paramref name="v"/> uses (itself unless it is a view, in-place output or concat slice).</summary>
    public Value Root(Value v) => Locate(v).Root;

    /// <summary>The value whose memory <paramref name="v"/> uses, and where in it <paramref name="v"/> starts (in elements).</summary>
    public (Value Root, long ElementOffset) Locate(Value v)
    {
        long offset = 0;
        while (_parent.TryGetValue(v, out var p))
        {
            offset += p.Offset;
            v = p.Parent;
        }
        return (v, offset);
    }

    /// <summary>Byte offset in the arena of a root value (one that <see cref="Root"/> returns for itself).</summary>
    public bool TryGetOffset(Value v, out long offset) => _offsets.TryGetValue(Root(v), out offset);

    /// <summary>The layer writes its output over one of its inputs.</summary>
    public bool IsInPlace(Node n) => _inPlace.Contains(n);

    /// <summary>A Concat whose inputs were all written into their slices of its output: it emits no code.</summary>
    public bool IsElided(Node n) => _elided.Contains(n);

    /// <summary>Byte offset in the arena of the scratch region <paramref name="n"/>'s kernel asked for.</summary>
    public bool TryGetScratch(Node n, out long offset) => _scratch.TryGetValue(n, out offset);

    public static MemoryPlan Build(ModelGraph graph, KernelPlan kernels)
    {
        var plan = new MemoryPlan();
        var index = new Dictionary<Node, int>();
        for (int i = 0; i < graph.Nodes.Count; i++) index[graph.Nodes[i]] = i;

        // Views: alias outputs point at their input; a graph output never aliases (it is the caller's span).
        foreach (var n in graph.Nodes)
            if (kernels[n].IsAlias && n.Output(0) is { } o && !graph.IsGraphOutput(o))
                plan._parent[o] = (n.RequiredInput(0), 0);

        plan.PlanInPlace(graph, kernels, index);
        plan.PlanConcatSlices(graph, kernels, index);
        plan.Place(graph, kernels);
        return plan;
    }

    /// <summary>A value that lives in the arena: not a constant, graph input or graph output.</summary>
    private static bool IsIntermediate(ModelGraph graph, Value v) => !v.IsConstant && !graph.IsGraphInput(v) && !graph.IsGraphOutput(v);

    /// <summary>
    /// In graph order, lets element-wise outputs take over an input whose memory (all the values sharing its
    /// root) is read for the last time by this layer. Deciding in order keeps each decision valid: the group
    /// an output joins is dead after this layer except through that output.
    /// </summary>
    private void PlanInPlace(ModelGraph graph, KernelPlan kernels, Dictionary<Node, int> index)
    {
        // The last layer reading each root's memory, through any value that shares it.
        var lastRead = new Dictionary<Value, int>();
        void Read(Value v, int at)
        {
            var r = Root(v);
            lastRead[r] = Math.Max(lastRead.TryGetValue(r, out int l) ? l : -1, at);
        }
        foreach (var n in graph.Nodes)
            foreach (var input in n.Inputs)
                if (input is not null) Read(input, index[n]);

        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            var n = graph.Nodes[i];
            var kernel = kernels[n];
            if (kernel.IsAlias) continue;
            if (n.Output(0) is not { } y || !IsIntermediate(graph, y) || _parent.ContainsKey(y)) continue;
            for (int k = 0; k < n.Inputs.Count; k++)
            {
                var x = n.Inputs[k];
                if (x is null || !kernel.CanRunInPlace(k)) continue;
                var (r, offset) = Locate(x);
                if (!IsIntermediate(graph, r) || offset != 0) continue;
                if (x.Type != y.Type || x.ElementCount != y.ElementCount || r.ByteSize != y.ByteSize) continue;
                if (lastRead[r] != i) continue; // read again later: its memory is still needed
                _parent[y] = (x, 0);
                _inPlace.Add(n);
                // y's readers (and its views' readers) now read r's memory.
                if (lastRead.TryGetValue(y, out int yLast))
                {
                    lastRead[r] = Math.Max(lastRead[r], yLast);
                    lastRead.Remove(y);
                }
                break;
            }
        }
    }

    /// <summary>Lets the producers of a Concat's inputs write into their slices of its output when that is safe.</summary>
    private void PlanConcatSlices(ModelGraph graph, KernelPlan kernels, Dictionary<Node, int> index)
    {
        foreach (var n in graph.Nodes)
        {
            if (n.OpType != "Concat" || n.Domain.Length != 0 || kernels[n].IsAlias) continue;
            if (n.Output(0) is not { Shape: { } shape } c || c.IsConstant || graph.IsGraphInput(c) || _parent.ContainsKey(c)) continue;
            if (c.Type.BitSize() % 8 != 0) continue; // slices of packed sub-byte types do not start on a byte
            int axis = ConcatAxis(n, shape.Length);
            if (axis < 0 || ShapeText.Product(shape, 0, axis) != 1) continue; // slices are contiguous only on the outermost non-1 axis

            var inputs = n.Inputs.Where(v => v is not null).Select(v => v!).ToList();
            var roots = new List<Value>();
            foreach (var x in inputs)
            {
                var (r, offset) = Locate(x);
                if (!IsIntermediate(graph, r) || offset != 0 || r.ByteSize != x.ByteSize || r.Type != x.Type) break;
                if (roots.Contains(r) || !OnlyReader(graph, r, n, index)) break;
                roots.Add(r);
            }
            if (roots.Count != inputs.Count) continue;

            long at = 0;
            for (int k = 0; k < roots.Count; k++)
            {
                _parent[roots[k]] = (c, at);
                at += inputs[k].ElementCount;
            }
            _elided.Add(n);
        }
    }

    private static int ConcatAxis(Node n, int rank)
    {
        if (!n.Attributes.ContainsKey("axis")) return -1;
        long axis = n.GetInt("axis", 0);
        if (axis < 0) axis += rank;
        return axis >= 0 && axis < rank ? (int)axis : -1;
    }

    /// <summary>
    /// True when <paramref name="concat"/> is the only layer reading root <paramref name="r"/>'s memory, apart
    /// from the layers that produce another value in that memory (views of it, in-place updates of it).
    /// </summary>
    private bool OnlyReader(ModelGraph graph, Value r, Node concat, Dictionary<Node, int> index)
    {
        var members = graph.Values.Values.Where(v => v.Producer is not null && Root(v) == r).ToList();
        if (!members.Contains(r)) members.Add(r);
        // Layers writing into this memory may read it (an in-place update, a view, an elided inner Concat reading its slices).
        var producers = new HashSet<Node>(members.Where(m => m.Producer is not null).Select(m => m.Producer!));
        // Nothing may write this memory after the Concat: once it is a slice, the Concat's readers need it intact.
        if (producers.Any(p => index[p] > index[concat])) return false;
        int readsByConcat = concat.Inputs.Count(v => v is not null && members.Contains(v));
        if (readsByConcat != 1) return false;
        foreach (var m in members)
        {
            if (graph.IsGraphOutput(m)) return false;
            foreach (var reader in m.Consumers)
                if (reader != concat && !producers.Contains(reader)) return false;
        }
        return true;
    }

    /// <summary>Liveness of each root (and each layer's scratch) over layer indices, then greedy placement by size.</summary>
    private void Place(ModelGraph graph, KernelPlan kernels)
    {
        var first = new Dictionary<Value, int>();
        var last = new Dictionary<Value, int>();
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            var n = graph.Nodes[i];
            foreach (var o in n.Outputs)
            {
                if (o is null) continue;
                var r = Root(o);
                if (!first.ContainsKey(r)) first[r] = i;
                last[r] = Math.Max(last.TryGetValue(r, out int l) ? l : i, i);
            }
            foreach (var input in n.Inputs)
            {
                if (input is null) continue;
                var r = Root(input);
                if (first.ContainsKey(r)) last[r] = Math.Max(last[r], i);
            }
        }

        // A tensor, or a layer's scratch region (Node set), with its lifetime.
        var buffers = first.Keys
            .Where(v => IsIntermediate(graph, v))
            .Select(v => (Value: (Value?)v, Layer: (Node?)null, Start: first[v], End: last[v], Size: Align(v.ByteSize), Name: v.Name))
            .Concat(graph.Nodes.Select((n, i) => (Value: (Value?)null, Layer: (Node?)n, Start: i, End: i, Size: Align(kernels[n].ScratchBytes), Name: "scratch of L" + i))
                .Where(b => kernels[b.Layer!].ScratchBytes > 0 && !IsElided(b.Layer!)))
            .OrderByDescending(b => b.Size).ThenBy(b => b.Start).ThenBy(b => b.Name, StringComparer.Ordinal)
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
            if (b.Value is not null) _offsets[b.Value] = offset;
            else _scratch[b.Layer!] = offset;
            ArenaBytes = Math.Max(ArenaBytes, offset + b.Size);
        }
    }

    private static long Align(long bytes) => Math.Max(Alignment, (bytes + Alignment - 1) / Alignment * Alignment);
}
