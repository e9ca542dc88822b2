using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Ops;

namespace ModelCompiler.Passes.Pruning;

/// <summary>
/// For every float value, per channel (axis 1): the value the channel holds at every position whatever the graph's
/// inputs, or null when it is not such a constant. A Conv output channel whose filter is all zero holds its bias; the
/// facts then flow through the ops of <see cref="ChannelRoles"/> (an element-wise op computes them with the op's own
/// constant folding, so Relu6(b), HardSwish(b), Sigmoid(0) = 0.5 come out exactly as the op computes them).
/// </summary>
internal static class ChannelFacts
{
    public static Dictionary<Value, double?[]> Compute(ModelGraph graph, IReadOnlyDictionary<Node, ChannelRole> roles)
    {
        var facts = new Dictionary<Value, double?[]>();
        foreach (var n in graph.Nodes)
        {
            var role = roles[n];
            if (role == ChannelRole.Opaque || role == ChannelRole.Gemm || role == ChannelRole.MatMul) continue;
            var y = n.Output(0)!;
            double?[]? f = role switch
            {
                ChannelRole.Conv => ConvFacts(n),
                ChannelRole.Depthwise => DepthwiseFacts(n, In(facts, n.Input(0)!)),
                ChannelRole.ElementWise => ElementWiseFacts(n, facts),
                ChannelRole.BatchNorm => BatchNormFacts(n, In(facts, n.Input(0)!)),
                ChannelRole.Concat => n.Inputs.SelectMany(x => In(facts, x!)).ToArray(),
                ChannelRole.Pool => PoolFacts(n, In(facts, n.Input(0)!)),
                ChannelRole.Flatten => In(facts, n.Input(0)!),
                _ => null,
            };
            if (f is null || f.Length != y.Shape![1]) continue;
            for (int c = 0; c < f.Length; c++)
                if (f[c] is { } v && (double.IsNaN(v) || double.IsInfinity(v))) f[c] = null;
            facts[y] = f;
        }
        return facts;
    }

    /// <summary>The facts of a value, all unknown when none were computed.</summary>
    public static double?[] In(Dictionary<Value, double?[]> facts, Value v) =>
        facts.TryGetValue(v, out var f) ? f : new double?[v.Shape![1]];

    /// <summary>Whether output channel <paramref name="c"/>'s filter (row c of W) is all zero.</summary>
    public static bool ZeroFilter(float[] w, int filters, int c)
    {
        int per = w.Length / filters;
        for (int k = c * per; k < (c + 1) * per; k++) if (w[k] != 0) return false;
        return true;
    }

    private static double?[] ConvFacts(Node n)
    {
        var w = n.Input(1)!.Constant!;
        var wf = w.ToFloats();
        var bias = n.Input(2)?.Constant?.ToFloats();
        var f = new double?[w.Shape[0]];
        for (int c = 0; c < f.Length; c++)
            if (ZeroFilter(wf, f.Length, c)) f[c] = bias?[c] ?? 0;
        return f;
    }

    private static double?[] DepthwiseFacts(Node n, double?[] x)
    {
        var w = n.Input(1)!.Constant!;
        var wf = w.ToFloats();
        var bias = n.Input(2)?.Constant?.ToFloats();
        bool unpadded = ChannelRoles.Unpadded(n);
        int per = wf.Length / x.Length;
        var f = new double?[x.Length];
        for (int c = 0; c < f.Length; c++)
        {
            double b = bias?[c] ?? 0;
            if (ZeroFilter(wf, f.Length, c) || x[c] == 0) f[c] = b;
            else if (x[c] is { } k && unpadded)
            {
                // Every window sees k at each tap: k * sum(filter) + bias.
                double sum = 0;
                for (int i = c * per; i < (c + 1) * per; i++) sum += wf[i];
                f[c] = k * sum + b;
            }
        }
        return f;
    }

    private static double?[] BatchNormFacts(Node n, double?[] x)
    {
        var scale = n.Input(1)!.Constant!.ToFloats();
        var shift = n.Input(2)!.Constant!.ToFloats();
        var mean = n.Input(3)!.Constant!.ToFloats();
        var variance = n.Input(4)!.Constant!.ToFloats();
        float epsilon = n.GetFloat("epsilon", 1e-5f);
        var f = new double?[x.Length];
        for (int c = 0; c < f.Length; c++)
            if (x[c] is { } k) f[c] = (k - mean[c]) / Math.Sqrt(variance[c] + epsilon) * scale[c] + shift[c];
        return f;
    }

    private static double?[] PoolFacts(Node n, double?[] x)
    {
        // A window of constant k gives k, except an average over padding counted as zeros.
        bool countsPadding = n.OpType == "AveragePool" && n.GetInt("count_include_pad", 0) != 0 && !ChannelRoles.Unpadded(n);
        return x.Select(k => countsPadding && k != 0 ? null : k).ToArray();
    }

    /// <summary>The op on one vector per non-constant input (one entry per channel), with its own constant folding.</summary>
    private static double?[]? ElementWiseFacts(Node n, Dictionary<Value, double?[]> facts)
    {
        var y = n.Output(0)!;
        int channels = y.Shape![1];
        var known = new bool[channels];
        for (int c = 0; c < channels; c++) known[c] = true;
        var probe = new Node(n.Name, n.OpType, n.Domain) { Opset = n.Opset };
        foreach (var a in n.Attributes) probe.Attributes[a.Key] = a.Value;
        foreach (var x in n.Inputs)
        {
            if (x is null || x.Constant is not null) { probe.Inputs.Add(x); continue; }
            var f = In(facts, x);
            for (int c = 0; c < channels; c++) known[c] &= f[c].HasValue;
            var values = f.Select(v => (float)(v ?? 0)).ToArray();
            probe.Inputs.Add(new Value("probe_" + probe.Inputs.Count) { Type = DataType.Float, Shape = new[] { channels }, Constant = Tensor.FromFloats(new[] { channels }, values) });
        }
        if (!known.Any(k => k)) return null;
        probe.Outputs.Add(new Value("probe_out"));
        var schema = OpRegistry.Find(n.Domain, n.OpType)!;
        try
        {
            var ctx = new OpContext(probe);
            schema.Infer(ctx);
            if (!schema.CanFold(ctx) || probe.Outputs[0]!.Type != DataType.Float || probe.Outputs[0]!.ElementCount != channels) return null;
            var result = schema.Fold(ctx)[0].ToFloats();
            return Enumerable.Range(0, channels).Select(c => known[c] ? (double?)result[c] : null).ToArray();
        }
        catch (ModelError) { return null; }
        catch (NotSupportedException) { return null; }
    }
}
