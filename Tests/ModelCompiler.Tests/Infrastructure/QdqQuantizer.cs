using System;
using System.Collections.Generic;
using System.Linq;
using Google.Protobuf;
using ModelCompiler.Compilation;
using ModelCompiler.Graph;
using ModelCompiler.Onnx.Proto;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>
/// Turns a float ONNX model into a QDQ model the way ONNX Runtime's static quantizer lays it out (and the
/// torch-exports README documents): activations uint8 asymmetric (or int8 with <see cref="Options.SignedActivations"/>)
/// with MinMax calibration over given inputs, the range widened to include 0; Conv weights int8 symmetric in
/// [-127, 127] per output channel (axis 0); Gemm/MatMul weights int8 symmetric per tensor (or per output channel);
/// biases int32 with scale x_scale * w_scale and zero point 0; constant operands of Add/Mul quantized like
/// activations. Q -> DQ wraps the graph inputs and the outputs of Conv, Gemm, MatMul, Add, Mul, Relu, Clip, Concat,
/// AveragePool, GlobalAveragePool and Sigmoid, except graph outputs and Conv/Gemm/MatMul outputs read only by a
/// Relu/Clip (whose output is quantized instead); MaxPool, Reshape, Flatten, Transpose, Squeeze, Unsqueeze and Pad keep
/// their input's grid. Models below opset 13 are moved to opset 13 (Squeeze/Unsqueeze axes become inputs).
/// </summary>
internal static class QdqQuantizer
{
    public sealed record Options(bool SignedActivations = false, bool PerChannel = true, IReadOnlyList<int[]>? InputShapes = null);

    private static readonly HashSet<string> s_wrapped = new() { "Conv", "Gemm", "MatMul", "Add", "Mul", "Relu", "Clip", "Concat", "AveragePool", "GlobalAveragePool", "Sigmoid" };
    private static readonly HashSet<string> s_passThrough = new() { "MaxPool", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Pad" };

    /// <summary>Pins input shapes and moves the model to opset 13 where needed (both change nothing else).</summary>
    public static byte[] Prepare(byte[] model, IReadOnlyList<int[]>? inputShapes = null)
    {
        var proto = ModelProto.Parser.ParseFrom(model);
        var initializers = proto.Graph.Initializer.Select(i => i.Name).ToHashSet();
        var inputs = proto.Graph.Input.Where(i => !initializers.Contains(i.Name)).ToList();
        if (inputShapes is not null)
            for (int k = 0; k < inputs.Count && k < inputShapes.Count; k++)
            {
                var shape = inputs[k].Type.TensorType.Shape;
                shape.Dim.Clear();
                foreach (int d in inputShapes[k]) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
            }
        // Outputs with symbolic batch dims: drop their shapes (shape inference recomputes them).
        foreach (var o in proto.Graph.Output) o.Type.TensorType.Shape = null;
        var main = proto.OpsetImport.First(o => o.Domain is "" or "ai.onnx");
        if (main.Version < 13)
        {
            main.Version = 13;
            foreach (var node in proto.Graph.Node.Where(n => n.OpType is "Squeeze" or "Unsqueeze").ToList())
            {
                var axes = node.Attribute.FirstOrDefault(a => a.Name == "axes");
                if (axes is null) continue;
                node.Attribute.Remove(axes);
                string name = node.Name + "_axes";
                var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
                t.Dims.Add(axes.Ints.Count);
                t.Int64Data.AddRange(axes.Ints);
                proto.Graph.Initializer.Add(t);
                node.Input.Add(name);
            }
            if (proto.Graph.Node.Any(n => n.OpType is "Split" or "ReduceSum" or "Pad" or "Clip" or "Resize" or "Upsample" or "Slice" or "TopK"))
                throw new NotSupportedException("the model needs opset conversion beyond Squeeze/Unsqueeze");
        }
        if (proto.IrVersion < 7) proto.IrVersion = 7;
        return proto.ToByteArray();
    }

    /// <summary>Quantizes <paramref name="model"/> (already <see cref="Prepare"/>d) with MinMax ranges over <paramref name="calibration"/> input sets.</summary>
    public static byte[] Quantize(byte[] model, IReadOnlyList<float[][]> calibration, Options options)
    {
        var proto = ModelProto.Parser.ParseFrom(model);
        var graphInfo = Analyze(model);
        var ranges = Calibrate(model, calibration, graphInfo);
        var g = proto.Graph;
        var originalInitializers = g.Initializer.Select(i => i.Name).ToHashSet();
        // Weights computed from initializers at build time (a Reshape of a constant...) become initializers themselves.
        foreach (var n in g.Node)
            foreach (var i in n.Input)
                if (i.Length > 0 && !g.Initializer.Any(t => t.Name == i) && graphInfo.TryGetValue(i, out var cv) && cv.Constant is { Type: DataType.Float } ct && ct.ElementCount > 1)
                {
                    var t = new TensorProto { Name = i, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(ct.Raw) };
                    t.Dims.AddRange(ct.Shape.Select(d => (long)d));
                    g.Initializer.Add(t);
                }
        foreach (var n in g.Node.Where(n => n.Output.All(o => g.Initializer.Any(t => t.Name == o))).ToList()) g.Node.Remove(n);
        var initializers = g.Initializer.ToDictionary(i => i.Name);
        var consumers = new Dictionary<string, List<NodeProto>>();
        foreach (var n in g.Node)
            foreach (var i in n.Input.Where(i => i.Length > 0))
                (consumers.TryGetValue(i, out var l) ? l : consumers[i] = new List<NodeProto>()).Add(n);
        var graphOutputs = g.Output.Select(o => o.Name).ToHashSet();
        bool IsActivation(string name) => name.Length > 0 && !initializers.ContainsKey(name) && graphInfo.TryGetValue(name, out var v) && v.Type == DataType.Float && !v.IsConstant;

        // Which float tensors get a Q -> DQ pair.
        var wrap = new HashSet<string>();
        foreach (var input in g.Input.Where(i => IsActivation(i.Name))) wrap.Add(input.Name);
        foreach (var n in g.Node.Where(n => s_wrapped.Contains(n.OpType) && n.Domain.Length == 0))
        {
            string o = n.Output[0];
            if (!IsActivation(o) || graphOutputs.Contains(o)) continue;
            var readers = consumers.TryGetValue(o, out var c) ? c : new List<NodeProto>();
            if (n.OpType is "Conv" or "Gemm" or "MatMul" && readers.Count > 0 && readers.All(r => r.OpType is "Relu" or "Clip")) continue;
            wrap.Add(o);
        }

        // The grid of every float tensor: its own when wrapped, else its pass-through input's.
        var grids = new Dictionary<string, (float Scale, long Zp)>();
        (float, long) GridOf(string t) => grids.TryGetValue(t, out var r) ? r : throw new InvalidOperationException($"tensor '{t}' has no quantization grid");
        foreach (var t in wrap) grids[t] = Activation(ranges[t].Min, ranges[t].Max, options.SignedActivations);
        foreach (var n in g.Node.Where(n => s_passThrough.Contains(n.OpType)))
            if (grids.TryGetValue(n.Input[0], out var inherited) && !wrap.Contains(n.Output[0])) grids[n.Output[0]] = inherited;

        var newNodes = new List<NodeProto>();
        var activationType = options.SignedActivations ? TensorProto.Types.DataType.Int8 : TensorProto.Types.DataType.Uint8;
        int counter = 0;
        string Fresh(string s) => s + "_" + counter++;

        string AddInitializer(string name, TensorProto.Types.DataType type, int[] shape, byte[] raw)
        {
            g.Initializer.Add(OnnxModelBuilder.Tensor(name, (int)type, shape, raw));
            return name;
        }
        string ScaleInit(string name, float[] s, bool scalar) => AddInitializer(name, TensorProto.Types.DataType.Float, scalar ? Array.Empty<int>() : new[] { s.Length }, s.SelectMany(BitConverter.GetBytes).ToArray());
        string ZpInit(string name, TensorProto.Types.DataType type, long[] z, bool scalar) => AddInitializer(name, type, scalar ? Array.Empty<int>() : new[] { z.Length },
            type == TensorProto.Types.DataType.Int32 ? z.SelectMany(v => BitConverter.GetBytes((int)v)).ToArray() : z.Select(v => unchecked((byte)v)).ToArray());
        NodeProto Dq(string input, string scale, string zp, string output, long? axis)
        {
            var d = new NodeProto { OpType = "DequantizeLinear", Name = output + "_DequantizeLinear" };
            d.Input.AddRange(new[] { input, scale, zp });
            d.Output.Add(output);
            if (axis is { } a) d.Attribute.Add(OnnxModelBuilder.Int("axis", a));
            return d;
        }

        // Activation Q -> DQ pairs, placed right after the producer (graph inputs first).
        var dqName = new Dictionary<string, string>();
        var pairs = new Dictionary<string, List<NodeProto>>();
        foreach (var t in wrap)
        {
            var (s, z) = grids[t];
            string scale = ScaleInit(t + "_scale", new[] { s }, true), zp = ZpInit(t + "_zero_point", activationType, new[] { z }, true);
            var q = new NodeProto { OpType = "QuantizeLinear", Name = t + "_QuantizeLinear" };
            q.Input.AddRange(new[] { t, scale, zp });
            q.Output.Add(t + "_QuantizeLinear_Output");
            var d = Dq(t + "_QuantizeLinear_Output", scale, zp, t + "_DequantizeLinear_Output", null);
            pairs[t] = new List<NodeProto> { q, d };
            dqName[t] = d.Output[0];
        }

        var weightNodes = new List<NodeProto>();
        foreach (var n in g.Node.ToList())
        {
            // Activation inputs read the DQ output.
            for (int i = 0; i < n.Input.Count; i++)
                if (dqName.TryGetValue(n.Input[i], out var d)) n.Input[i] = d;
            if (n.Domain.Length != 0) continue;
            string? XGridTensor() => n.Input.Count > 0 ? Original(n.Input[0], dqName) : null;
            switch (n.OpType)
            {
                case "Conv":
                case "Gemm":
                case "MatMul":
                {
                    if (n.Input.Count < 2 || !initializers.TryGetValue(n.Input[1], out var wInit)) break;
                    var w = Floats(wInit);
                    int[] wShape = wInit.Dims.Select(d => (int)d).ToArray();
                    bool transB = n.OpType == "Gemm" && n.Attribute.Any(a => a.Name == "transB" && a.I != 0);
                    int axis = n.OpType == "Conv" ? 0 : n.OpType == "Gemm" && transB ? 0 : 1;
                    bool perChannel = options.PerChannel && (n.OpType == "Conv" || wShape.Length == 2);
                    int channels = perChannel ? wShape[axis] : 1;
                    var (wq, ws) = SymmetricInt8(w, wShape, perChannel ? axis : -1);
                    string wName = Fresh(n.Input[1]);
                    AddInitializer(wName + "_quantized", TensorProto.Types.DataType.Int8, wShape, wq.Select(v => unchecked((byte)v)).ToArray());
                    string sName = ScaleInit(wName + "_scale", ws, !perChannel), zName = ZpInit(wName + "_zero_point", TensorProto.Types.DataType.Int8, new long[ws.Length], !perChannel);
                    weightNodes.Add(Dq(wName + "_quantized", sName, zName, wName + "_dequantized", perChannel ? axis : null));
                    n.Input[1] = wName + "_dequantized";
                    if (n.OpType != "MatMul" && n.Input.Count > 2 && initializers.TryGetValue(n.Input[2], out var bInit) && XGridTensor() is { } xt)
                    {
                        var b = Floats(bInit);
                        int n2 = b.Length;
                        if (n2 != channels && !(channels == 1)) break;
                        float xs = GridOf(xt).Item1;
                        var bs = Enumerable.Range(0, n2).Select(c => xs * ws[perChannel ? c : 0]).ToArray();
                        var bq = b.Select((v, c) => (long)Math.Clamp(Math.Round((double)(v / bs[c]), MidpointRounding.ToEven), int.MinValue, int.MaxValue)).ToArray();
                        string bName = Fresh(n.Input[2]);
                        AddInitializer(bName + "_quantized", TensorProto.Types.DataType.Int32, new[] { n2 }, bq.SelectMany(v => BitConverter.GetBytes((int)v)).ToArray());
                        string bsName = ScaleInit(bName + "_scale", perChannel ? bs : new[] { bs[0] }, !perChannel);
                        string bzName = ZpInit(bName + "_zero_point", TensorProto.Types.DataType.Int32, new long[perChannel ? n2 : 1], !perChannel);
                        weightNodes.Add(Dq(bName + "_quantized", bsName, bzName, bName + "_dequantized", perChannel ? 0 : null));
                        n.Input[2] = bName + "_dequantized";
                    }
                    break;
                }
                case "Add":
                case "Mul":
                    for (int i = 0; i < 2; i++)
                    {
                        if (!initializers.TryGetValue(n.Input[i], out var cInit) || cInit.DataType != (int)TensorProto.Types.DataType.Float) continue;
                        var c = Floats(cInit);
                        var (s, z) = Activation(c.Min(), c.Max(), options.SignedActivations);
                        long lo = options.SignedActivations ? -128 : 0, hi = options.SignedActivations ? 127 : 255;
                        var q = c.Select(v => Math.Clamp((long)Math.Round((double)(v / s), MidpointRounding.ToEven) + z, lo, hi)).ToArray();
                        string cName = Fresh(n.Input[i]);
                        AddInitializer(cName + "_quantized", activationType, cInit.Dims.Select(d => (int)d).ToArray(), q.Select(v => unchecked((byte)v)).ToArray());
                        string sName = ScaleInit(cName + "_scale", new[] { s }, true), zName = ZpInit(cName + "_zero_point", activationType, new[] { z }, true);
                        weightNodes.Add(Dq(cName + "_quantized", sName, zName, cName + "_dequantized", null));
                        n.Input[i] = cName + "_dequantized";
                    }
                    break;
            }
        }

        // Order: weight DQs, then each graph input's pair, then every node followed by its output's pair.
        newNodes.AddRange(weightNodes);
        foreach (var input in g.Input) if (pairs.TryGetValue(input.Name, out var p)) newNodes.AddRange(p);
        foreach (var n in g.Node)
        {
            newNodes.Add(n);
            foreach (var o in n.Output) if (pairs.TryGetValue(o, out var p)) newNodes.AddRange(p);
        }
        // The pairs' Q reads the original tensor name, which the producer still writes.
        g.Node.Clear();
        g.Node.AddRange(newNodes);
        var used = g.Node.SelectMany(n => n.Input).ToHashSet();
        foreach (var init in g.Initializer.Where(i => !used.Contains(i.Name) && !g.Output.Any(o => o.Name == i.Name)).ToList()) g.Initializer.Remove(init);
        // Old models list initializers among the graph inputs too; drop those that are gone or unused.
        foreach (var input in g.Input.Where(i => originalInitializers.Contains(i.Name) && (!used.Contains(i.Name) || !g.Initializer.Any(t => t.Name == i.Name))).ToList()) g.Input.Remove(input);
        return proto.ToByteArray();
    }

    private static string Original(string name, Dictionary<string, string> dqName) =>
        dqName.FirstOrDefault(p => p.Value == name).Key ?? name;

    /// <summary>Each value's type, shape and constness after ModelCompiler's own shape inference.</summary>
    private static Dictionary<string, Value> Analyze(byte[] model)
    {
        var diagnostics = new List<Diagnostics.CompilerDiagnostic>();
        var graph = ModelCompiler.Onnx.OnnxReader.Read(model, diagnostics) ?? throw new InvalidOperationException(string.Join("; ", diagnostics));
        ModelCompiler.Passes.InputPinning.Run(graph, new ModelOptions { FileName = "m.onnx" }, diagnostics);
        ModelCompiler.Passes.ShapeInference.Run(graph, diagnostics);
        if (diagnostics.Any(d => d.Severity == Diagnostics.Severity.Error)) throw new InvalidOperationException(string.Join("; ", diagnostics));
        return graph.Values;
    }

    /// <summary>Min and max of every float activation over the calibration inputs (ONNX Runtime, graph as written).</summary>
    private static Dictionary<string, (float Min, float Max)> Calibrate(byte[] model, IReadOnlyList<float[][]> calibration, Dictionary<string, Value> info)
    {
        var proto = ModelProto.Parser.ParseFrom(model);
        var initializers = proto.Graph.Initializer.Select(i => i.Name).ToHashSet();
        var existing = proto.Graph.Output.Select(o => o.Name).ToHashSet();
        var names = proto.Graph.Node.SelectMany(n => n.Output)
            .Where(o => o.Length > 0 && info.TryGetValue(o, out var v) && v.Type == DataType.Float && !v.IsConstant && !existing.Contains(o))
            .ToList();
        foreach (var name in names)
            proto.Graph.Output.Add(OnnxModelBuilder.ValueInfo(name, (int)TensorProto.Types.DataType.Float, null));
        var all = proto.Graph.Output.Select(o => o.Name).ToList();
        var inputNames = proto.Graph.Input.Where(i => !initializers.Contains(i.Name)).Select(i => i.Name).ToList();
        var ranges = new Dictionary<string, (float Min, float Max)>();
        byte[] bytes = proto.ToByteArray();
        foreach (var set in calibration)
        {
            var inputs = set.Select((x, k) => new TestTensor(inputNames[k], (int)DataType.Float, info[inputNames[k]].Shape!, x)).ToList();
            var outputs = OrtReference.RunTyped(bytes, inputs);
            void Track(string name, float[] v)
            {
                if (v.Length == 0) return;
                float lo = v.Min(), hi = v.Max();
                ranges[name] = ranges.TryGetValue(name, out var r) ? (Math.Min(r.Min, lo), Math.Max(r.Max, hi)) : (lo, hi);
            }
            for (int k = 0; k < outputs.Length; k++) Track(all[k], (float[])outputs[k].Data);
            for (int k = 0; k < inputs.Count; k++) Track(inputNames[k], (float[])inputs[k].Data);
        }
        return ranges;
    }

    /// <summary>ORT's MinMax parameters: the range widened to include 0, scale = range / (qmax - qmin), zp = rint(qmin - min / scale).</summary>
    public static (float Scale, long Zp) Activation(float min, float max, bool signed)
    {
        float lo = Math.Min(min, 0f), hi = Math.Max(max, 0f);
        long qmin = signed ? -128 : 0, qmax = signed ? 127 : 255;
        float scale = (hi - lo) / (qmax - qmin);
        if (scale == 0) return (1f, signed ? 0 : 0);
        long zp = (long)Math.Round(qmin - lo / scale, MidpointRounding.ToEven);
        return (scale, Math.Clamp(zp, qmin, qmax));
    }

    /// <summary>int8 symmetric in [-127, 127]: scale = max|w| / 127, per slice along <paramref name="axis"/> (or per tensor for -1).</summary>
    public static (long[] Values, float[] Scales) SymmetricInt8(float[] w, int[] shape, int axis)
    {
        int channels = axis < 0 ? 1 : shape[axis];
        int inner = axis < 0 ? w.Length : shape.Skip(axis + 1).Aggregate(1, (a, d) => a * d);
        int Channel(int i) => axis < 0 ? 0 : i / inner % channels;
        var scales = new float[channels];
        for (int i = 0; i < w.Length; i++) scales[Channel(i)] = Math.Max(scales[Channel(i)], Math.Abs(w[i]));
        for (int c = 0; c < channels; c++) scales[c] = scales[c] == 0 ? 1f : scales[c] / 127f;
        var q = w.Select((v, i) => Math.Clamp((long)Math.Round((double)(v / scales[Channel(i)]), MidpointRounding.ToEven), -127, 127)).ToArray();
        return (q, scales);
    }

    private static float[] Floats(TensorProto t)
    {
        if (t.FloatData.Count > 0) return t.FloatData.ToArray();
        var raw = t.RawData.ToByteArray();
        var f = new float[raw.Length / 4];
        Buffer.BlockCopy(raw, 0, f, 0, raw.Length);
        return f;
    }
}
