using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Onnx;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tool.Onnx;

namespace ModelCompiler.Tool.Quantization;

/// <summary>
/// Turns a QDQ model (as <see cref="StaticQuantizer"/> writes it) into ONNX Runtime's QOperator format: each
/// DequantizeLinear -> op -> QuantizeLinear group becomes one integer op reading and writing 8-bit tensors.
/// <list type="bullet">
/// <item>Conv -> QLinearConv (int32 bias; a Relu, or a Clip the output grid already implies, between the Conv and its
/// QuantizeLinear is folded into the output's saturation, as ONNX Runtime does);</item>
/// <item>MatMul -> QLinearMatMul, or com.microsoft MatMulIntegerToFloat when its output stays float;</item>
/// <item>Gemm -> com.microsoft MatMulIntegerToFloat (float output with the dequantized bias; a quantized consumer
/// quantizes it again), since ONNX has no QLinear Gemm and ModelCompiler does not run com.microsoft QGemm;</item>
/// <item>Add, Mul, GlobalAveragePool, AveragePool, Concat -> com.microsoft QLinearAdd, QLinearMul,
/// QLinearGlobalAveragePool, QLinearAveragePool, QLinearConcat;</item>
/// <item>MaxPool, Flatten, Reshape, Transpose, Squeeze, Unsqueeze on a dequantized tensor run on the 8-bit tensor
/// itself (they keep its grid).</item>
/// </list>
/// Groups that fit none of these stay in QDQ form (the model mixes both, which ONNX Runtime and ModelCompiler run).
/// </summary>
internal static class QOperatorConverter
{
    private const string Microsoft = "com.microsoft";
    private static readonly HashSet<string> s_passThrough = new() { "MaxPool", "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze" };

    private sealed record Grid(string Q, string Scale, string Zp, NodeProto Node);

    public static int Convert(OnnxModel model)
    {
        var g = model.Graph;
        int converted = 0;
        MovePassThroughOps(model);

        var outputs = g.Output.Select(o => o.Name).ToHashSet();
        foreach (var n in g.Node.Where(n => n.Domain is "" or "ai.onnx").ToList())
        {
            if (!g.Node.Contains(n)) continue;
            var producers = model.Producers();
            var consumers = model.Consumers();
            Grid? Dq(string t) => producers.TryGetValue(t, out var p) && p.OpType == "DequantizeLinear" && p.Input.Count >= 3 ? new Grid(p.Input[0], p.Input[1], p.Input[2], p) : null;
            bool PerTensor(Grid grid) => model.Initializer(grid.Scale) is { } s && s.Dims.Aggregate(1L, (a, d) => a * d) == 1;

            // The QuantizeLinear the output goes to, directly or through a Relu/Clip its grid implies.
            (NodeProto Q, NodeProto? Act)? OutputQ()
            {
                if (outputs.Contains(n.Output[0]) || !consumers.TryGetValue(n.Output[0], out var readers) || readers.Count != 1) return null;
                var r = readers[0];
                if (r.OpType == "QuantizeLinear") return (r, null);
                if (r.OpType is not ("Relu" or "Clip") || outputs.Contains(r.Output[0]) || !consumers.TryGetValue(r.Output[0], out var next) || next.Count != 1 || next[0].OpType != "QuantizeLinear") return null;
                return ActivationImplied(model, r, next[0]) ? (next[0], r) : null;
            }

            var inputs = n.Input.Where(i => i.Length > 0).Select(Dq).ToList();
            NodeProto? replacement = null;
            var removed = new List<NodeProto> { n };
            switch (n.OpType)
            {
                case "Conv" when inputs.Count >= 2 && inputs[0] is { } x && PerTensor(x) && inputs[1] is { } w && IsInt8(model, w.Q)
                                 && (inputs.Count == 2 || inputs[2] is { } bias && IsType(model, bias.Q, DataType.Int32)) && OutputQ() is { } qc:
                {
                    var ins = new List<string> { x.Q, x.Scale, x.Zp, w.Q, w.Scale, w.Zp, qc.Q.Input[1], qc.Q.Input[2] };
                    if (inputs.Count > 2) ins.Add(inputs[2]!.Q);
                    replacement = OnnxModel.Node("QLinearConv", n.Name + "_quant", ins, new[] { qc.Q.Output[0] });
                    replacement.Attribute.AddRange(n.Attribute.Select(a => a.Clone()));
                    removed.Add(qc.Q);
                    if (qc.Act is not null) removed.Add(qc.Act);
                    break;
                }
                case "MatMul" when inputs.Count == 2 && inputs[0] is { } a && PerTensor(a) && inputs[1] is { } b && IsInt8(model, b.Q) && PerTensor(b):
                    if (OutputQ() is { Act: null } qm)
                    {
                        replacement = OnnxModel.Node("QLinearMatMul", n.Name + "_quant", new[] { a.Q, a.Scale, a.Zp, b.Q, b.Scale, b.Zp, qm.Q.Input[1], qm.Q.Input[2] }, new[] { qm.Q.Output[0] });
                        removed.Add(qm.Q);
                    }
                    else replacement = OnnxModel.Node("MatMulIntegerToFloat", n.Name + "_quant", new[] { a.Q, b.Q, a.Scale, b.Scale, a.Zp, b.Zp }, new[] { n.Output[0] }, Microsoft);
                    break;
                case "Gemm" when inputs.Count >= 2 && inputs[0] is { } a && PerTensor(a) && inputs[1] is { } b && IsInt8(model, b.Q)
                                 && OnnxModel.IntAttr(n, "transA", 0) == 0 && OnnxModel.FloatAttr(n, "alpha", 1f) == 1f && OnnxModel.FloatAttr(n, "beta", 1f) == 1f
                                 && (inputs.Count == 2 || inputs[2] is not null):
                {
                    string bq = b.Q, bs = b.Scale, bz = b.Zp;
                    if (OnnxModel.IntAttr(n, "transB", 0) != 0) bq = Transposed(model, b.Q);
                    var ins = new List<string> { a.Q, bq, a.Scale, bs, a.Zp, bz };
                    if (inputs.Count > 2) ins.Add(FloatBias(model, inputs[2]!));
                    replacement = OnnxModel.Node("MatMulIntegerToFloat", n.Name + "_quant", ins, new[] { n.Output[0] }, Microsoft);
                    break;
                }
                case "Add" or "Mul" when inputs.Count == 2 && inputs.All(i => i is not null && PerTensor(i)) && OutputQ() is { Act: null } qa:
                {
                    var (p, q) = (inputs[0]!, inputs[1]!);
                    replacement = OnnxModel.Node("QLinear" + n.OpType, n.Name + "_quant", new[] { p.Q, p.Scale, p.Zp, q.Q, q.Scale, q.Zp, qa.Q.Input[1], qa.Q.Input[2] }, new[] { qa.Q.Output[0] }, Microsoft);
                    removed.Add(qa.Q);
                    break;
                }
                case "GlobalAveragePool" or "AveragePool" when inputs.Count == 1 && inputs[0] is { } x && PerTensor(x) && OutputQ() is { Act: null } qp:
                    replacement = OnnxModel.Node("QLinear" + n.OpType, n.Name + "_quant", new[] { x.Q, x.Scale, x.Zp, qp.Q.Input[1], qp.Q.Input[2] }, new[] { qp.Q.Output[0] }, Microsoft);
                    replacement.Attribute.AddRange(n.Attribute.Select(a => a.Clone()));
                    if (n.OpType == "GlobalAveragePool") replacement.Attribute.Add(OnnxModel.IntAttribute("channels_last", 0));
                    removed.Add(qp.Q);
                    break;
                case "Concat" when inputs.Count >= 1 && inputs.All(i => i is not null && PerTensor(i)) && OutputQ() is { Act: null } qcat:
                    replacement = OnnxModel.Node("QLinearConcat", n.Name + "_quant",
                        new[] { qcat.Q.Input[1], qcat.Q.Input[2] }.Concat(inputs.SelectMany(i => new[] { i!.Q, i.Scale, i.Zp })), new[] { qcat.Q.Output[0] }, Microsoft);
                    replacement.Attribute.AddRange(n.Attribute.Select(a => a.Clone()));
                    removed.Add(qcat.Q);
                    break;
            }
            if (replacement is null) continue;
            int at = g.Node.IndexOf(n);
            foreach (var r in removed) g.Node.Remove(r);
            g.Node.Insert(Math.Min(at, g.Node.Count), replacement);
            converted++;
        }
        if (g.Node.Any(n => n.Domain == Microsoft)) model.ImportDomain(Microsoft, 1);
        RemoveDeadQdq(model);
        model.SortTopologically();
        model.RemoveUnusedInitializers();
        return converted;
    }

    /// <summary>DQ(x) -> MaxPool/Flatten/... -> t becomes MaxPool/Flatten/...(x) -> DQ -> t with the same grid.</summary>
    private static void MovePassThroughOps(OnnxModel model)
    {
        var g = model.Graph;
        foreach (var n in g.Node.Where(n => n.Domain is "" or "ai.onnx" && s_passThrough.Contains(n.OpType)).ToList())
        {
            if (n.OpType == "MaxPool" && (model.Opset < 12 || n.Output.Count > 1)) continue; // 8-bit MaxPool from opset 12; no indices output
            var producers = model.Producers();
            if (!producers.TryGetValue(n.Input[0], out var dq) || dq.OpType != "DequantizeLinear" || dq.Attribute.Any(a => a.Name == "axis")) continue;
            if (model.Initializer(dq.Input[1]) is not { } scale || scale.Dims.Aggregate(1L, (a, d) => a * d) != 1) continue;
            string original = n.Output[0];
            string quantized = model.UniqueName(original + "_quantized");
            n.Input[0] = dq.Input[0];
            n.Output[0] = quantized;
            var after = OnnxModel.Node("DequantizeLinear", model.UniqueName(original + "_DequantizeLinear"), new[] { quantized, dq.Input[1], dq.Input[2] }, new[] { original });
            g.Node.Insert(g.Node.IndexOf(n) + 1, after);
        }
    }

    /// <summary>Q and DQ nodes nothing reads any more.</summary>
    private static void RemoveDeadQdq(OnnxModel model)
    {
        var g = model.Graph;
        var outputs = g.Output.Select(o => o.Name).ToHashSet();
        bool changed = true;
        while (changed)
        {
            var read = g.Node.SelectMany(n => n.Input).ToHashSet();
            var dead = g.Node.Where(n => n.OpType is "QuantizeLinear" or "DequantizeLinear" && !n.Output.Any(o => read.Contains(o) || outputs.Contains(o))).ToList();
            foreach (var n in dead) g.Node.Remove(n);
            changed = dead.Count > 0;
        }
    }

    /// <summary>True when the output grid alone already clips to what the Relu or Clip would (so it can be dropped).</summary>
    private static bool ActivationImplied(OnnxModel model, NodeProto act, NodeProto q)
    {
        if (model.Initializer(q.Input[1]) is not { } sInit || model.Initializer(q.Input[2]) is not { } zInit) return false;
        float scale = TensorReader.Read(sInit).ToFloats()[0];
        var zpTensor = TensorReader.Read(zInit);
        long zp = zpTensor.GetLong(0);
        long qmin = zpTensor.Type == DataType.Int8 ? -128 : 0, qmax = zpTensor.Type == DataType.Int8 ? 127 : 255;
        double lowest = (qmin - zp) * (double)scale, highest = (qmax - zp) * (double)scale;
        if (act.OpType == "Relu") return lowest >= 0;
        float min = ScalarInput(model, act, 1, "min", float.NegativeInfinity), max = ScalarInput(model, act, 2, "max", float.PositiveInfinity);
        return lowest >= min && highest <= max;
    }

    private static float ScalarInput(OnnxModel model, NodeProto n, int input, string attribute, float fallback)
    {
        if (n.Attribute.FirstOrDefault(a => a.Name == attribute) is { } a) return a.F;
        if (n.Input.Count <= input || n.Input[input].Length == 0) return fallback;
        string name = n.Input[input];
        if (model.Initializer(name) is { } t) return TensorReader.Read(t).ToFloats()[0];
        var producer = model.Graph.Node.FirstOrDefault(p => p.OpType == "Constant" && p.Output.Contains(name));
        if (producer?.Attribute.FirstOrDefault(x => x.Name == "value")?.T is { } value) return TensorReader.Read(value).ToFloats()[0];
        return float.NaN; // not constant: never implied
    }

    private static bool IsType(OnnxModel model, string name, DataType type) => model.Initializer(name) is { } t && t.DataType == (int)type;
    private static bool IsInt8(OnnxModel model, string name) => IsType(model, name, DataType.Int8) || IsType(model, name, DataType.UInt8);

    /// <summary>A transposed copy of a 2-D integer initializer ([N, K] -> [K, N]).</summary>
    private static string Transposed(OnnxModel model, string name)
    {
        var t = TensorReader.Read(model.Initializer(name)!);
        int n = t.Shape[0], k = t.Shape[1];
        var v = t.ToLongs();
        var tr = new long[v.Length];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < k; j++) tr[j * n + i] = v[i * k + j];
        var result = OnnxModel.IntegerTensor(model.UniqueName(name + "_transposed"), t.Type, new[] { k, n }, tr);
        model.Graph.Initializer.Add(result);
        return result.Name;
    }

    /// <summary>The float values a bias DequantizeLinear produces, as an initializer.</summary>
    private static string FloatBias(OnnxModel model, Grid bias)
    {
        var q = TensorReader.Read(model.Initializer(bias.Q)!).ToLongs();
        var s = TensorReader.Read(model.Initializer(bias.Scale)!).ToFloats();
        var z = TensorReader.Read(model.Initializer(bias.Zp)!).ToLongs();
        var values = q.Select((v, i) => (float)(v - z[s.Length == 1 ? 0 : i]) * s[s.Length == 1 ? 0 : i]).ToArray();
        var t = OnnxModel.FloatTensor(model.UniqueName(bias.Q + "_float"), new[] { values.Length }, values);
        model.Graph.Initializer.Add(t);
        return t.Name;
    }
}
