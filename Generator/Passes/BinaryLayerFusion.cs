using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Kernels.Binary;
using ModelCompiler.Ops;
using ModelCompiler.Ops.Nn;
using ModelCompiler.Ops.Qdq;
using ModelCompiler.Ops.Qonnx;

namespace ModelCompiler.Passes;

/// <summary>
/// Finds binary layers and rewrites them into <see cref="BinaryLayerOp"/> nodes that run as XNOR-popcount:
/// <list type="number">
/// <item>a Conv (2-D, one group), Gemm or MatMul whose constant weights are +-alpha per output channel and whose
/// input comes from a binarizer: QONNX BipolarQuant or signed 1-bit Quant (zero point 0, positive scale),
/// MultiThreshold with one step and symmetric outputs, ONNX Sign (0 stays 0: the kernel masks it out), or
/// Where(GreaterOrEqual(x, t), a, -a). The new node reads x before binarization; the binarizer stays only if
/// something else reads it.</item>
/// <item>per-channel affine layers after a binary layer (BatchNormalization; Mul, Div, Add, Sub by constants) are
/// folded into its per-channel scale and bias; when what follows is another binarization (a binarizer node, or the
/// next binary layers' input rule, also across a MaxPool when every channel's scale is positive, since max commutes
/// with a non-decreasing map), that too is folded in, as integer ranges of the popcount dot per channel: the layer
/// then writes the binarized values themselves.</item>
/// <item>a MaxPool whose output only binary convolutions read is folded into their input packing
/// (<see cref="BinaryPoolFolding"/>).</item>
/// </list>
/// Runs after QDQ fusion and before BatchNorm folding and epilogue fusion.
/// </summary>
internal static class BinaryLayerFusion
{
    public static void Run(ModelGraph graph)
    {
        bool changed = false;
        foreach (var layer in graph.Nodes.ToList())
            if (TryConvert(graph, layer)) changed = true;
        if (!changed) return;
        RemoveDead(graph);
        foreach (var layer in graph.Nodes.Where(IsBinary).ToList())
            FoldFollowers(graph, layer);
        RemoveDead(graph);
        if (BinaryPoolFolding.Run(graph)) RemoveDead(graph);
    }

    private static bool IsBinary(Node n) => n.Domain == QLinearLookupOp.DomainName && n.OpType is "BinaryConv" or "BinaryDense";

    /// <summary>How a binarizer maps x: +Magnitude where x &gt;= Threshold[channel] (or x &gt; 0 with Sign3), else -Magnitude (0 with Sign3 at 0).</summary>
    private sealed record Binarizer(Value Input, bool Sign3, float[]? Thresholds, float Magnitude);

    private static Binarizer? AsBinarizer(Node? n)
    {
        if (n is null || n.Outputs.Count != 1) return null;
        var x = n.Input(0);
        if (x is null || x.Shape is null) return null;
        if (x.Type != DataType.Float && n.OpType != "Where") return null; // Where's input 0 is the comparison's bool
        float? Scalar(int i) => n.Input(i)?.Constant is { ElementCount: 1 } t ? t.GetFloat(0) : null;
        if (QonnxDomains.Is(n, "BipolarQuant") && Scalar(1) is { } s && s > 0 && !float.IsInfinity(s))
            return new Binarizer(x, false, null, s);
        if (QonnxDomains.Is(n, "Quant") && n.GetInt("signed", 1) != 0 && Scalar(3) == 1f && Scalar(2) == 0f && Scalar(1) is { } qs && qs > 0 && !float.IsInfinity(qs))
            return new Binarizer(x, false, null, qs);
        if (n.Domain.Length == 0 && n.OpType == "Sign") return new Binarizer(x, true, null, 1f);
        if (QonnxDomains.Is(n, "MultiThreshold") && n.Input(1)?.Constant is { Rank: 2 } t && t.Shape[1] == 1 && x.Shape.Length >= 2
            && n.GetString("data_layout", "NCHW") is var layout && layout.Length > 0 && layout[layout.Length - 1] != 'C')
        {
            float os = n.GetFloat("out_scale", 1f), ob = n.GetFloat("out_bias", 0f);
            if (os == 0 || os != -2 * ob || (t.Shape[0] != 1 && t.Shape[0] != x.Shape[1])) return null;
            var thresholds = t.Shape[0] == 1 ? Enumerable.Repeat(t.GetFloat(0), x.Shape[1]).ToArray() : t.ToFloats();
            return new Binarizer(x, false, thresholds, os / 2);
        }
        if (n.Domain.Length == 0 && n.OpType == "Where" && n.Input(0)?.Producer is { OpType: "GreaterOrEqual", Domain: "" } ge
            && ge.Input(1)?.Constant is { ElementCount: 1, Type: DataType.Float } threshold && ge.Input(0) is { Type: DataType.Float, Shape: { Length: >= 1 } } gx
            && Scalar(1) is { } plus && Scalar(2) is { } minus && plus == -minus && plus != 0 && !float.IsInfinity(plus)
            && n.Input(1)!.Type == DataType.Float && n.Input(1)!.Shape!.Length <= gx.Shape.Length && n.Input(2)!.Shape!.Length <= gx.Shape.Length)
        {
            float t0 = threshold.GetFloat(0);
            float[]? thresholds = t0 == 0 ? null : gx.Shape.Length >= 2 ? Enumerable.Repeat(t0, gx.Shape[1]).ToArray() : null;
            if (t0 != 0 && thresholds is null) return null;
            return new Binarizer(gx, false, thresholds, plus);
        }
        return null;
    }

    private static bool TryConvert(ModelGraph graph, Node layer)
    {
        if (layer.Domain.Length != 0 || layer.OpType is not ("Conv" or "Gemm" or "MatMul")) return false;
        var input = layer.Input(0);
        if (input?.Producer is not { } producer || AsBinarizer(producer) is not { } bin) return false;
        if (layer.Input(1)?.Constant is not { Type: DataType.Float } weights || layer.Output(0) is not { Shape: { } yShape } y) return false;
        var x = bin.Input.Shape!;
        var w = weights.ToFloats();
        Node? created = layer.OpType == "Conv" ? Conv(graph, layer, bin, weights, w, x, yShape) : Dense(graph, layer, bin, weights, w, x, yShape);
        if (created is null) return false;
        created.Outputs.Add(y);
        created.Attributes["shape"] = Ints("shape", yShape.Select(d => (long)d));
        created.Attributes["source"] = new Graph.Attribute("source", AttributeKind.String) { S = layer.OpType };
        graph.Nodes[graph.Nodes.IndexOf(layer)] = created;
        graph.RebuildLinks();
        return true;
    }

    private static Node? Conv(ModelGraph graph, Node layer, Binarizer bin, Tensor weights, float[] w, int[] x, int[] yShape)
    {
        if (x.Length != 4 || weights.Rank != 4 || layer.GetInt("group", 1) != 1 || weights.Shape[1] != x[1]) return null;
        if (layer.Input(2) is { } b && b.Constant is null) return null;
        var g = SpatialGeometry.Compute(new OpContext(layer), x.Skip(2).ToArray(), weights.Shape.Skip(2).ToArray());
        int n = weights.Shape[0], c = x[1], kh = weights.Shape[2], kw = weights.Shape[3];
        long perChannel = (long)c * kh * kw;
        // Patch order is (ky, kx, c); ONNX stores [n, c, ky, kx].
        long At(int o, long i) { long ch = i % c, tap = i / c; return ((long)o * c + ch) * kh * kw + tap; }
        var alpha = BinaryWeights.Alphas(w, n, perChannel, At);
        if (alpha is null) return null;
        var bias = layer.Input(2)?.Constant?.ToFloats() ?? new float[n];
        var node = NewNode(graph, layer, "BinaryConv", bin, BinaryWeights.Pack(w, n, perChannel, At), alpha.Select(a => a * bin.Magnitude).ToArray(), bias, n, perChannel);
        node.Attributes["kernel_shape"] = Ints("kernel_shape", new long[] { kh, kw });
        node.Attributes["strides"] = Ints("strides", g.Strides.Select(v => (long)v));
        node.Attributes["dilations"] = Ints("dilations", g.Dilations.Select(v => (long)v));
        node.Attributes["pads"] = Ints("pads", new long[] { g.PadsBegin[0], g.PadsBegin[1], g.PadsEnd[0], g.PadsEnd[1] });
        return node;
    }

    private static Node? Dense(ModelGraph graph, Node layer, Binarizer bin, Tensor weights, float[] w, int[] x, int[] yShape)
    {
        if (weights.Rank != 2 || x.Length < 1) return null;
        bool gemm = layer.OpType == "Gemm";
        if (gemm && (layer.GetInt("transA", 0) != 0 || x.Length != 2)) return null;
        bool transB = gemm && layer.GetInt("transB", 0) != 0;
        int k = transB ? weights.Shape[1] : weights.Shape[0], n = transB ? weights.Shape[0] : weights.Shape[1];
        if (x[x.Length - 1] != k) return null;
        if (bin.Thresholds is not null && (x.Length != 2 || bin.Thresholds.Length != k)) return null; // per-channel thresholds on the K axis only
        long At(int o, long i) => transB ? (long)o * k + i : i * n + o;
        var alpha = BinaryWeights.Alphas(w, n, k, At);
        if (alpha is null) return null;
        float gemmAlpha = gemm ? layer.GetFloat("alpha", 1f) : 1f;
        var bias = gemm ? GemmBias(layer, n) : new float[n];
        if (bias is null) return null;
        return NewNode(graph, layer, "BinaryDense", bin, BinaryWeights.Pack(w, n, k, At), alpha.Select(a => a * bin.Magnitude * gemmAlpha).ToArray(), bias, n, k);
    }

    private static Node NewNode(ModelGraph graph, Node layer, string op, Binarizer bin, Tensor packed, float[] scale, float[] bias, int n, long k)
    {
        var node = new Node(layer.Name, op, QLinearLookupOp.DomainName) { Opset = 1 };
        node.Inputs.Add(bin.Input);
        node.Inputs.Add(Constant(graph, layer.Name + "_bits", packed));
        node.Inputs.Add(Constant(graph, layer.Name + "_scale", Tensor.FromFloats(new[] { n }, scale)));
        node.Inputs.Add(Constant(graph, layer.Name + "_bias", Tensor.FromFloats(new[] { n }, bias)));
        node.Inputs.Add(bin.Thresholds is null ? null : Constant(graph, layer.Name + "_thresholds", Tensor.FromFloats(new[] { bin.Thresholds.Length }, bin.Thresholds)));
        node.Attributes["sign3"] = new Graph.Attribute("sign3", AttributeKind.Int) { I = bin.Sign3 ? 1 : 0 };
        node.Attributes["channels"] = new Graph.Attribute("channels", AttributeKind.Int) { I = n };
        node.Attributes["k"] = new Graph.Attribute("k", AttributeKind.Int) { I = k };
        return node;
    }

    /// <summary>A new constant value of the graph (a name not yet used, from <paramref name="name"/>).</summary>
    internal static Value Constant(ModelGraph graph, string name, Tensor t)
    {
        var v = graph.GetOrAddValue(graph.UniqueName(name));
        v.Constant = t;
        v.Type = t.Type;
        v.Shape = t.Shape;
        return v;
    }

    /// <summary>
    /// beta * C of a Gemm as one value per output column (zeros without C), or null when C is not a constant scalar
    /// or row of <paramref name="n"/>.
    /// </summary>
    internal static float[]? GemmBias(Node gemm, int n)
    {
        var bias = new float[n];
        float beta = gemm.GetFloat("beta", 1f);
        if (gemm.Input(2) is not { } cValue || beta == 0) return bias;
        if (cValue.Constant is not { } ct) return null;
        bool perColumn = ct.ElementCount == 1 || (ct.Shape[ct.Rank - 1] == n && ct.Shape.Take(ct.Rank - 1).All(d => d == 1));
        if (!perColumn) return null;
        var cv = ct.ToFloats();
        for (int j = 0; j < n; j++) bias[j] = beta * cv[cv.Length == 1 ? 0 : j];
        return bias;
    }

    private static Graph.Attribute Ints(string name, IEnumerable<long> values) => new(name, AttributeKind.Ints) { Ints = values.ToArray() };

    /// <summary>Removes nodes whose outputs nobody reads (binarizers the binary layers no longer need).</summary>
    private static void RemoveDead(ModelGraph graph)
    {
        graph.RebuildLinks();
        for (bool removed = true; removed;)
        {
            removed = false;
            for (int i = graph.Nodes.Count - 1; i >= 0; i--)
            {
                var n = graph.Nodes[i];
                if (n.Outputs.Any(o => o is not null && (o.Consumers.Count > 0 || graph.IsGraphOutput(o)))) continue;
                graph.Nodes.RemoveAt(i);
                removed = true;
            }
            if (removed) graph.RebuildLinks();
        }
    }

    private static void FoldFollowers(ModelGraph graph, Node layer)
    {
        if (layer.Input(5) is not null) return;
        int n = (int)layer.GetInt("channels", 0);
        long k = layer.GetInt("k", 0);
        bool conv = layer.OpType == "BinaryConv";
        var scale = layer.Input(2)!.Constant!.ToFloats();
        var bias = layer.Input(3)!.Constant!.ToFloats();
        var value = layer.Output(0)!;
        var folded = new List<Node>();
        // 1. Per-channel affine layers.
        while (value.Consumers.Count == 1 && !graph.IsGraphOutput(value) && Affine(value.Consumers[0], value, n, conv) is { } ab)
        {
            for (int c = 0; c < n; c++)
            {
                scale[c] = ab.A[c] * scale[c];
                bias[c] = ab.A[c] * bias[c] + ab.B[c];
            }
            folded.Add(value.Consumers[0]);
            value = value.Consumers[0].Output(0)!;
        }
        // 2. The next binarization, possibly across a MaxPool.
        var after = value;
        Node? pool = null;
        if (conv && after.Consumers.Count == 1 && !graph.IsGraphOutput(after) && after.Consumers[0] is { OpType: "MaxPool", Domain: "" } mp
            && mp.Outputs.Count(o => o is not null) == 1 && scale.All(s => s > 0))
        {
            pool = mp;
            after = mp.Output(0)!;
        }
        Binarizer? rule = null;
        Node? binarizerNode = null;
        if (!graph.IsGraphOutput(after) && after.Consumers.Count > 0)
        {
            if (after.Consumers.Count == 1 && AsBinarizer(after.Consumers[0]) is { } b && b.Input == after)
                (rule, binarizerNode) = (b, after.Consumers[0]);
            else if (after.Consumers.All(IsBinary) && after.Consumers.All(c => c.Input(0) == after) && SameRule(after.Consumers))
            {
                var first = after.Consumers[0];
                rule = new Binarizer(after, first.GetInt("sign3", 0) != 0, first.Input(4)?.Constant?.ToFloats(), 1f);
            }
        }
        if (rule is not null && rule.Thresholds is not null && rule.Thresholds.Length != n) rule = null;

        if (rule is null)
        {
            // Only the affine layers fold: the output stays scale * dot + bias.
            if (folded.Count == 0) return;
            layer.Inputs[2] = Constant(graph, layer.Name + "_scale", Tensor.FromFloats(new[] { n }, scale));
            layer.Inputs[3] = Constant(graph, layer.Name + "_bias", Tensor.FromFloats(new[] { n }, bias));
            layer.Outputs[0] = value;
            foreach (var f in folded)
            {
                f.Inputs.Clear();
                for (int i = 0; i < f.Outputs.Count; i++) f.Outputs[i] = null;
            }
            graph.RebuildLinks();
            return;
        }

        var ranges = new long[4 * n];
        for (int c = 0; c < n; c++)
        {
            var r = Ranges(scale[c], bias[c], rule.Sign3, rule.Thresholds?[c] ?? 0f, k);
            Array.Copy(r, 0, ranges, 4 * c, 4);
        }
        layer.Inputs[2] = null;
        layer.Inputs[3] = null;
        while (layer.Inputs.Count < 6) layer.Inputs.Add(null);
        layer.Inputs[5] = Constant(graph, layer.Name + "_ranges", Tensor.FromLongs(DataType.Int32, new[] { 4 * n }, ranges));
        if (binarizerNode is not null)
        {
            // The layer writes the binarizer's output itself (through the pool, when there is one).
            layer.Attributes["out_value"] = new Graph.Attribute("out_value", AttributeKind.Float) { F = rule.Magnitude };
            var binarized = binarizerNode.Output(0)!;
            if (pool is null) layer.Outputs[0] = binarized;
            else
            {
                layer.Outputs[0] = value;
                pool.Outputs[0] = binarized;
            }
            binarizerNode.Outputs[0] = null;
            binarizerNode.Inputs.Clear();
        }
        else
        {
            // The next binary layers read +-1 (and 0 for Sign) written by this one: their rule becomes x >= 0 or Sign.
            layer.Attributes["out_value"] = new Graph.Attribute("out_value", AttributeKind.Float) { F = 1f };
            layer.Outputs[0] = value;
            foreach (var next in after.Consumers.ToList()) next.Inputs[4] = null;
        }
        foreach (var f in folded)
        {
            f.Inputs.Clear();
            for (int i = 0; i < f.Outputs.Count; i++) f.Outputs[i] = null;
        }
        graph.RebuildLinks();
        layer.Attributes["shape"] = Ints("shape", layer.Output(0)!.Shape!.Select(d => (long)d));
    }

    private static bool SameRule(List<Node> layers)
    {
        var first = layers[0];
        var t = first.Input(4)?.Constant?.ToFloats();
        return layers.All(l => l.GetInt("sign3", 0) == first.GetInt("sign3", 0)
            && ((l.Input(4)?.Constant?.ToFloats() is { } u && t is not null && u.SequenceEqual(t)) || (l.Input(4) is null && t is null)));
    }

    /// <summary>
    /// The dot ranges (plus: [0], [1]; zero: [2], [3]) that make the binarization of scale * dot + bias: x &gt;= t
    /// gives plus, or with Sign, x &gt; 0 plus and x == 0 zero. Empty ranges are [1, 0].
    /// </summary>
    internal static long[] Ranges(float scale, float bias, bool sign3, float threshold, long k)
    {
        long min = int.MinValue, max = int.MaxValue;
        long[] Make(long plo, long phi, long zlo = 1, long zhi = 0) => new[] { plo, phi, zlo, zhi };
        if (!sign3)
        {
            if (scale == 0) return bias >= threshold ? Make(min, max) : Make(1, 0);
            double r = ((double)threshold - bias) / scale;
            return scale > 0 ? Make(Clamp(Math.Ceiling(r), k), max) : Make(min, Clamp(Math.Floor(r), k));
        }
        if (scale == 0) return bias > 0 ? Make(min, max) : bias == 0 ? Make(1, 0, min, max) : Make(1, 0);
        double z = -(double)bias / scale;
        bool exact = z == Math.Floor(z) && Math.Abs(z) <= k;
        long zl = exact ? (long)z : 1, zh = exact ? (long)z : 0;
        return scale > 0 ? Make(Clamp(Math.Floor(z) + 1, k), max, zl, zh) : Make(min, Clamp(Math.Ceiling(z) - 1, k), zl, zh);
    }

    private static long Clamp(double v, long k) => (long)Math.Max(-k - 1, Math.Min(k + 1, v));

    /// <summary>A per-channel affine map y = A[c] x + B[c] of <paramref name="x"/>, or null.</summary>
    private static (float[] A, float[] B)? Affine(Node node, Value x, int n, bool conv)
    {
        if (node.Domain.Length != 0 || node.Outputs.Count(o => o is not null) != 1) return null;
        var shape = x.Shape!;
        if (node.OpType == "BatchNormalization")
        {
            if (node.Input(0) != x || node.GetInt("training_mode", 0) != 0 || shape.Length < 2 || shape[1] != n) return null;
            var p = Enumerable.Range(1, 4).Select(i => node.Input(i)?.Constant?.ToFloats()).ToArray();
            if (p.Any(t => t is null || t.Length != n)) return null;
            float eps = node.GetFloat("epsilon", 1e-5f);
            var a = new float[n];
            var b = new float[n];
            for (int c = 0; c < n; c++)
            {
                a[c] = p[0]![c] / (float)Math.Sqrt(p[3]![c] + eps);
                b[c] = p[1]![c] - p[2]![c] * a[c];
            }
            return (a, b);
        }
        if (node.OpType is not ("Mul" or "Div" or "Add" or "Sub")) return null;
        int xi = node.Input(0) == x ? 0 : node.Input(1) == x ? 1 : -1;
        if (xi < 0 || node.Input(1 - xi)?.Constant is not { Type: DataType.Float } ct) return null;
        if (node.OpType == "Div" && xi != 0) return null;
        var v = PerChannel(ct, shape, n, conv);
        if (v is null) return null;
        var A = new float[n];
        var B = new float[n];
        for (int c = 0; c < n; c++)
        {
            switch (node.OpType)
            {
                case "Mul": A[c] = v[c]; break;
                case "Div": A[c] = 1f / v[c]; break;
                case "Add": A[c] = 1; B[c] = v[c]; break;
                default: A[c] = xi == 0 ? 1 : -1; B[c] = xi == 0 ? -v[c] : v[c]; break;
            }
        }
        return (A, B);
    }

    /// <summary>A constant's values per output channel when it is a scalar or varies along the channel axis only (and does not grow the shape).</summary>
    private static float[]? PerChannel(Tensor t, int[] shape, int n, bool conv)
    {
        var values = t.ToFloats();
        if (t.ElementCount == 1) return Enumerable.Repeat(values[0], n).ToArray();
        if (t.Rank > shape.Length) return null;
        int axis = conv ? 1 : shape.Length - 1;
        var aligned = Enumerable.Repeat(1, shape.Length - t.Rank).Concat(t.Shape).ToArray();
        for (int d = 0; d < shape.Length; d++)
            if (aligned[d] != 1 && (d != axis || aligned[d] != n)) return null;
        return values.Length == n ? values : null;
    }
}
