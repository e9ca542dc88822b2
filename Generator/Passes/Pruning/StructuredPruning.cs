using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Passes.Pruning;

/// <summary>
/// Removes dead channels. Channels tied together by the ops between layers (element-wise ops such as a residual Add,
/// Concat, depthwise Conv, BatchNorm, pooling, Flatten: <see cref="ChannelRoles"/>) form one group; a group goes when
/// every value in it is produced and consumed by ops the pass understands and every layer that reads one of its
/// channels either multiplies it by all-zero weights or receives a constant it can fold: channels that hold the same
/// value at every position whatever the inputs (<see cref="ChannelFacts"/>: a Conv output channel whose filter is
/// all zero holds its bias, a depthwise channel with a zero filter too, whatever its input). The filter rows that
/// produced the group and the weight columns that read it go; where a removed constant is not zero, the reading
/// layer's bias absorbs it (Conv: k * sum of the filter taps, only without padding; Gemm: alpha * k * row of B;
/// MatMul has no bias, so only zero channels leave it). Graph inputs and outputs never change shape, and each value keeps at least one channel.
/// Runs after BatchNorm folding (so a folded BatchNorm's shift is the bias seen here) and before epilogue fusion.
/// </summary>
internal static class StructuredPruning
{
    public static PruningSummary Run(ModelGraph graph)
    {
        var roles = graph.Nodes.ToDictionary(n => n, ChannelRoles.Of);
        var facts = ChannelFacts.Compute(graph, roles);
        var groups = new ChannelGroups();
        foreach (var n in graph.Nodes) Link(n, roles[n], groups);

        // A group is removable until one of its values is not understood, or a layer reads one of its channels with
        // weights that are not all zero and the channel is not a constant it can take into its bias.
        var zeroColumns = new Dictionary<Node, bool[]>();
        var blocked = new HashSet<int>();
        foreach (var v in groups.Values)
        {
            bool understood = Understood(graph, v, roles);
            var f = ChannelFacts.In(facts, v);
            for (int c = 0; c < f.Length; c++)
                if (!understood || !Absorbable(v, c, f[c], roles, zeroColumns)) blocked.Add(groups.Find(v, c));
        }
        // Keep at least one channel of every value.
        for (bool changed = true; changed;)
        {
            changed = false;
            foreach (var v in groups.Values)
                // (A value without channels has none to keep: testing it would block channel 0 of another and loop forever.)
                if (v.Shape![1] > 0 && Enumerable.Range(0, v.Shape[1]).All(c => !blocked.Contains(groups.Find(v, c))))
                {
                    blocked.Add(groups.Find(v, 0));
                    changed = true;
                }
        }

        var keep = new Dictionary<Value, int[]>();
        foreach (var v in groups.Values)
        {
            var kept = Enumerable.Range(0, v.Shape![1]).Where(c => blocked.Contains(groups.Find(v, c))).ToArray();
            if (kept.Length < v.Shape[1]) keep[v] = kept;
        }
        if (keep.Count == 0) return PruningSummary.None;
        return Apply(graph, roles, facts, keep);
    }

    /// <summary>Ties the channels an op passes through (input channel c is output channel c, Concat offsets them).</summary>
    private static void Link(Node n, ChannelRole role, ChannelGroups groups)
    {
        var y = n.Output(0);
        switch (role)
        {
            case ChannelRole.Conv:
                groups.Add(n.Input(0)!);
                groups.Add(y!);
                break;
            case ChannelRole.Gemm or ChannelRole.MatMul:
                groups.Add(n.Input(0)!);
                break;
            case ChannelRole.Depthwise or ChannelRole.BatchNorm or ChannelRole.Pool or ChannelRole.Flatten:
                groups.Union(n.Input(0)!, 0, y!, 0, y!.Shape![1]);
                break;
            case ChannelRole.ElementWise:
                foreach (var x in n.Inputs.Where(x => x is { Constant: null })) groups.Union(x!, 0, y!, 0, y!.Shape![1]);
                break;
            case ChannelRole.Concat:
                int offset = 0;
                foreach (var x in n.Inputs)
                {
                    groups.Union(x!, 0, y!, offset, x!.Shape![1]);
                    offset += x.Shape[1];
                }
                break;
        }
    }

    /// <summary>Produced by output 0 of an understood op, read only where the pass understands it, not a graph input or output.</summary>
    private static bool Understood(ModelGraph graph, Value v, IReadOnlyDictionary<Node, ChannelRole> roles)
    {
        if (v.Type != DataType.Float || v.Shape is not { Length: >= 2 } || graph.IsGraphInput(v) || graph.IsGraphOutput(v)) return false;
        if (v.Producer is not { } p || p.Output(0) != v || roles[p] is ChannelRole.Opaque or ChannelRole.Gemm or ChannelRole.MatMul) return false;
        foreach (var n in v.Consumers)
        {
            var role = roles[n];
            for (int i = 0; i < n.Inputs.Count; i++)
                if (n.Inputs[i] == v && !ChannelRoles.ReadsChannelsAt(role, n, i)) return false;
        }
        return true;
    }

    /// <summary>
    /// Whether every layer that reads channel <paramref name="c"/> of <paramref name="v"/> as its input (Conv, Gemm,
    /// MatMul; the linked ops carry the channel on and are judged by their own outputs) can do without it: its
    /// weights for the channel are all zero, or the channel holds constant <paramref name="k"/> that the layer's bias
    /// can take (Conv without padding: border windows of a padded one see zeros, not k; MatMul has no bias).
    /// </summary>
    private static bool Absorbable(Value v, int c, double? k, IReadOnlyDictionary<Node, ChannelRole> roles, Dictionary<Node, bool[]> zeroColumns)
    {
        foreach (var n in v.Consumers)
        {
            var role = roles[n];
            if (role is not (ChannelRole.Conv or ChannelRole.Gemm or ChannelRole.MatMul)) continue;
            if (!zeroColumns.TryGetValue(n, out var zero)) zeroColumns[n] = zero = ZeroColumns(n, role);
            if (zero[c]) continue;
            if (k is not { } constant) return false;
            if (constant == 0) continue;
            if (role == ChannelRole.MatMul || (role == ChannelRole.Conv && !ChannelRoles.Unpadded(n))) return false;
        }
        return true;
    }

    /// <summary>Per input channel of a Conv, Gemm or MatMul: whether every weight that multiplies it is zero.</summary>
    private static bool[] ZeroColumns(Node n, ChannelRole role)
    {
        var w = n.Input(1)!.Constant!;
        var f = w.ToFloats();
        int rows = w.Shape[0], columns = w.Shape[1];
        int taps = (int)(f.Length / ((long)rows * columns));
        // Conv W [out, in, taps...] and Gemm's transposed B [N, K] read input c in column c; B [K, N] in row c.
        bool byColumn = role == ChannelRole.Conv || (role == ChannelRole.Gemm && n.GetInt("transB", 0) != 0);
        int inputs = byColumn ? columns : rows;
        var zero = Enumerable.Repeat(true, inputs).ToArray();
        for (long i = 0; i < f.Length; i++)
        {
            if (f[i] == 0) continue;
            zero[byColumn ? (int)(i / taps % columns) : (int)(i / columns)] = false;
        }
        return zero;
    }

    private static PruningSummary Apply(ModelGraph graph, IReadOnlyDictionary<Node, ChannelRole> roles, Dictionary<Value, double?[]> facts, Dictionary<Value, int[]> keep)
    {
        long macsBefore = 0, macsAfter = 0, weightsRemoved = 0;
        var layers = new List<string>();
        foreach (var n in graph.Nodes)
        {
            var role = roles[n];
            if (role is not (ChannelRole.Conv or ChannelRole.Depthwise or ChannelRole.BatchNorm or ChannelRole.Gemm or ChannelRole.MatMul)) continue;
            var x = n.Input(0)!;
            var y = n.Output(0)!;
            bool inChanged = keep.ContainsKey(x), outChanged = role is (ChannelRole.Conv or ChannelRole.Depthwise or ChannelRole.BatchNorm) && keep.ContainsKey(y);
            if (!inChanged && !outChanged) continue;
            Compilation.NodeTrace.At(n);
            long before = LayerMacs(n, role, x.Shape!, y.Shape!, x.Shape![1], y.Shape![1]);
            long weightsBefore = n.Inputs.Skip(1).Sum(i => i?.Constant?.ElementCount ?? 0);
            switch (role)
            {
                case ChannelRole.Conv: PruneConv(graph, n, keep.TryGetValue(x, out var ki) ? ki : null, keep.TryGetValue(y, out var ko) ? ko : null, ChannelFacts.In(facts, x)); break;
                case ChannelRole.Depthwise: PruneDepthwise(graph, n, keep[y]); break;
                case ChannelRole.BatchNorm: PruneBatchNorm(graph, n, keep[x]); break;
                case ChannelRole.Gemm: PruneGemm(graph, n, keep[x], ChannelFacts.In(facts, x)); break;
                case ChannelRole.MatMul: n.Inputs[1] = Replace(graph, n.Input(1)!, Rows(n.Input(1)!.Constant!, keep[x])); break;
            }
            long weightsAfter = n.Inputs.Skip(1).Sum(i => i?.Constant?.ElementCount ?? 0);
            int inAfter = keep.TryGetValue(x, out var kx) ? kx.Length : x.Shape[1];
            int outAfter = keep.TryGetValue(y, out var ky) ? ky.Length : y.Shape[1];
            macsBefore += before;
            macsAfter += LayerMacs(n, role, x.Shape, y.Shape, inAfter, outAfter);
            weightsRemoved += weightsBefore - weightsAfter;
            layers.Add(n.Name);
        }
        int removed = 0;
        foreach (var entry in keep)
        {
            var v = entry.Key;
            var kept = entry.Value;
            if (v.Producer is { } p && roles[p] == ChannelRole.Conv) removed += v.Shape![1] - kept.Length;
            var shape = (int[])v.Shape!.Clone();
            shape[1] = kept.Length;
            v.Shape = shape;
        }
        graph.RebuildLinks();
        Compilation.NodeTrace.At(null);
        return new PruningSummary(removed, macsBefore - macsAfter, weightsRemoved * 4, layers);
    }

    /// <summary>Multiply-accumulates of a Conv/Gemm/MatMul layer with <paramref name="inC"/> input and <paramref name="outC"/> output channels (0 for BatchNorm).</summary>
    private static long LayerMacs(Node n, ChannelRole role, int[] x, int[] y, int inC, int outC)
    {
        switch (role)
        {
            case ChannelRole.Conv or ChannelRole.Depthwise:
                long taps = ShapeText.Product(n.Input(1)!.Constant!.Shape.Skip(2).ToArray());
                long positions = (long)y[0] * ShapeText.Product(y.Skip(2).ToArray());
                return positions * outC * taps * (role == ChannelRole.Conv ? inC : 1);
            case ChannelRole.Gemm or ChannelRole.MatMul:
                return (long)x[0] * inC * y[1];
            default:
                return 0;
        }
    }

    private static void PruneConv(ModelGraph graph, Node n, int[]? inKeep, int[]? outKeep, double?[] inFacts)
    {
        var w = n.Input(1)!.Constant!;
        var wf = w.ToFloats();
        int outs = w.Shape[0], ins = w.Shape[1];
        int taps = (int)(wf.Length / ((long)outs * ins));
        inKeep ??= Enumerable.Range(0, ins).ToArray();
        outKeep ??= Enumerable.Range(0, outs).ToArray();
        var bias = n.Input(2)?.Constant?.ToFloats();
        // Removed input channels holding k != 0 contribute k * sum of their taps to every output position (no padding).
        var removedIn = Enumerable.Range(0, ins).Except(inKeep).Where(c => inFacts[c] is { } k && k != 0).ToArray();
        if (removedIn.Length > 0)
        {
            bias ??= new float[outs];
            for (int o = 0; o < outs; o++)
            {
                double sum = bias[o];
                foreach (int c in removedIn)
                {
                    double taps0 = 0;
                    for (int t = 0; t < taps; t++) taps0 += wf[((long)o * ins + c) * taps + t];
                    sum += inFacts[c]!.Value * taps0;
                }
                bias[o] = (float)sum;
            }
        }
        var nw = new float[(long)outKeep.Length * inKeep.Length * taps];
        long at = 0;
        foreach (int o in outKeep)
            foreach (int c in inKeep)
                for (int t = 0; t < taps; t++) nw[at++] = wf[((long)o * ins + c) * taps + t];
        var shape = (int[])w.Shape.Clone();
        shape[0] = outKeep.Length;
        shape[1] = inKeep.Length;
        n.Inputs[1] = Replace(graph, n.Input(1)!, Tensor.FromFloats(shape, nw));
        if (bias is not null) SetBias(graph, n, 2, outKeep.Select(o => bias[o]).ToArray());
    }

    private static void PruneDepthwise(ModelGraph graph, Node n, int[] keep)
    {
        n.Inputs[1] = Replace(graph, n.Input(1)!, Rows(n.Input(1)!.Constant!, keep));
        if (n.Input(2) is { } b) n.Inputs[2] = Replace(graph, b, Rows(b.Constant!, keep));
        n.Attributes["group"] = new Graph.Attribute("group", AttributeKind.Int) { I = keep.Length };
    }

    private static void PruneBatchNorm(ModelGraph graph, Node n, int[] keep)
    {
        for (int i = 1; i <= 4; i++) n.Inputs[i] = Replace(graph, n.Input(i)!, Rows(n.Input(i)!.Constant!.WithShape(new[] { (int)n.Input(i)!.Constant!.ElementCount }), keep));
    }

    /// <summary>Gemm y = alpha A B + beta C: drop the removed features' rows of B (columns when transposed); bias' = beta C + alpha k B[c, :], beta 1.</summary>
    private static void PruneGemm(ModelGraph graph, Node n, int[] keep, double?[] inFacts)
    {
        var b = n.Input(1)!.Constant!;
        bool transB = n.GetInt("transB", 0) != 0;
        int k = transB ? b.Shape[1] : b.Shape[0], outputs = transB ? b.Shape[0] : b.Shape[1];
        var bf = b.ToFloats();
        float B(int feature, int o) => transB ? bf[(long)o * k + feature] : bf[(long)feature * outputs + o];
        var removed = Enumerable.Range(0, k).Except(keep).Where(c => inFacts[c] is { } v && v != 0).ToArray();
        if (removed.Length > 0)
        {
            float alpha = n.GetFloat("alpha", 1), beta = n.GetFloat("beta", 1);
            var c = n.Input(2)?.Constant?.ToFloats();
            var bias = new float[outputs];
            for (int o = 0; o < outputs; o++)
            {
                double sum = c is null ? 0 : (double)beta * c[c.Length == 1 ? 0 : o];
                foreach (int f in removed) sum += (double)alpha * inFacts[f]!.Value * B(f, o);
                bias[o] = (float)sum;
            }
            SetBias(graph, n, 2, bias);
            n.Attributes["beta"] = new Graph.Attribute("beta", AttributeKind.Float) { F = 1 };
        }
        var nb = new float[(long)keep.Length * outputs];
        for (int i = 0; i < keep.Length; i++)
            for (int o = 0; o < outputs; o++)
                nb[transB ? (long)o * keep.Length + i : (long)i * outputs + o] = B(keep[i], o);
        n.Inputs[1] = Replace(graph, n.Input(1)!, Tensor.FromFloats(transB ? new[] { outputs, keep.Length } : new[] { keep.Length, outputs }, nb));
    }

    /// <summary>The kept rows (along axis 0) of a float tensor.</summary>
    private static Tensor Rows(Tensor t, int[] keep)
    {
        var f = t.ToFloats();
        int rows = t.Shape[0];
        int per = (int)(f.Length / rows);
        var result = new float[(long)keep.Length * per];
        for (int i = 0; i < keep.Length; i++) Array.Copy(f, (long)keep[i] * per, result, (long)i * per, per);
        var shape = (int[])t.Shape.Clone();
        shape[0] = keep.Length;
        return Tensor.FromFloats(shape, result);
    }

    private static void SetBias(ModelGraph graph, Node n, int slot, float[] bias)
    {
        var shape = new[] { bias.Length };
        if (n.Input(slot) is { } old) n.Inputs[slot] = Replace(graph, old, Tensor.FromFloats(shape, bias));
        else
        {
            while (n.Inputs.Count < slot) n.Inputs.Add(null);
            var v = graph.GetOrAddValue(graph.UniqueName(n.Name + "_bias_pruned"));
            v.Constant = Tensor.FromFloats(shape, bias); v.Type = DataType.Float; v.Shape = shape;
            n.Inputs.Add(v);
        }
    }

    /// <summary>A new constant value beside <paramref name="old"/> (which other nodes may still read).</summary>
    private static Value Replace(ModelGraph graph, Value old, Tensor t)
    {
        var v = graph.GetOrAddValue(graph.UniqueName(old.Name + "_pruned"));
        v.Constant = t; v.Type = DataType.Float; v.Shape = t.Shape;
        return v;
    }
}

/// <summary>Union-find over (value, channel): the channels that must be removed or kept together.</summary>
internal sealed class ChannelGroups
{
    private readonly Dictionary<Value, int> _base = new();
    private readonly List<int> _parent = new();

    /// <summary>The values whose channels are tracked, in the order they were first seen.</summary>
    public IEnumerable<Value> Values => _base.Keys;

    public void Add(Value v)
    {
        if (_base.ContainsKey(v)) return;
        _base[v] = _parent.Count;
        for (int c = 0; c < v.Shape![1]; c++) _parent.Add(_parent.Count);
    }

    public int Find(Value v, int c)
    {
        int i = _base[v] + c;
        while (_parent[i] != i) i = _parent[i] = _parent[_parent[i]];
        return i;
    }

    /// <summary>Ties channels a..a+count of <paramref name="a"/> to b..b+count of <paramref name="b"/>.</summary>
    public void Union(Value a, int aFirst, Value b, int bFirst, int count)
    {
        Add(a);
        Add(b);
        for (int c = 0; c < count; c++)
        {
            int ra = Find(a, aFirst + c), rb = Find(b, bFirst + c);
            if (ra != rb) _parent[Math.Max(ra, rb)] = Math.Min(ra, rb);
        }
    }
}
