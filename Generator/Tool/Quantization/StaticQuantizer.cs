using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tool.Data;
using ModelCompiler.Tool.Onnx;
using ModelCompiler.Tool.Running;

namespace ModelCompiler.Tool.Quantization;

/// <summary>
/// Static post-training quantization to QDQ in ONNX Runtime's layout (the layout of the torch-exports *_int8_qdq
/// models): activations uint8 (or int8) asymmetric, calibrated over the data; Conv/Gemm/MatMul weights int8 symmetric
/// in [-127, 127] (int4 in [-7, 7]), zero point 0, per output channel (axis 0) for Conv with per-channel, else per
/// tensor; biases int32 with scale x_scale * w_scale and zero point 0; constant operands of Add/Mul quantized like
/// activations.
/// <para>
/// A QuantizeLinear -> DequantizeLinear pair (names <c>T_QuantizeLinear</c>, <c>T_DequantizeLinear_Output</c>,
/// <c>T_scale</c>, <c>T_zero_point</c>) follows the graph input and every output of Conv, Gemm, MatMul, Add, Mul,
/// Relu, Clip, Concat, pools, BatchNormalization, Sigmoid, HardSigmoid and HardSwish, except graph outputs (logits stay
/// float) and Conv/Gemm/MatMul outputs read only by a Relu or Clip (the activation's output is quantized instead, as
/// ONNX Runtime does for fused Conv+Relu). MaxPool, Flatten, Reshape, Transpose and other value-preserving ops keep
/// their input's grid. Weights become <c>W_quantized</c> + <c>W_scale</c> + <c>W_zero_point</c> read by
/// <c>W_DequantizeLinear</c>.
/// </para>
/// </summary>
internal static class StaticQuantizer
{
    private static readonly HashSet<string> s_wrappedOps = new()
    {
        "Conv", "Gemm", "MatMul", "Add", "Mul", "Relu", "Clip", "Concat", "AveragePool", "GlobalAveragePool",
        "BatchNormalization", "Sigmoid", "HardSigmoid", "HardSwish",
    };
    private static readonly HashSet<string> s_passThrough = new() { "MaxPool", "Flatten", "Reshape", "Transpose", "Identity", "Squeeze", "Unsqueeze", "Split", "Slice" };

    /// <summary>The float tensors that get a Q -> DQ pair, in graph order.</summary>
    public static List<string> WrappedTensors(OnnxModel model, Dictionary<string, Value> values)
    {
        var consumers = model.Consumers();
        var outputs = model.Graph.Output.Select(o => o.Name).ToHashSet();
        bool IsFloatActivation(string t) => t.Length > 0 && values.TryGetValue(t, out var v) && v.Type == DataType.Float && !v.IsConstant && model.Initializer(t) is null;
        var wrap = model.RealInputs.Select(i => i.Name).Where(IsFloatActivation).ToList();
        foreach (var n in model.Graph.Node.Where(n => n.Domain is "" or "ai.onnx" && s_wrappedOps.Contains(n.OpType)))
        {
            string o = n.Output[0];
            if (!IsFloatActivation(o) || outputs.Contains(o)) continue;
            var readers = consumers.TryGetValue(o, out var r) ? r : new List<NodeProto>();
            if (n.OpType is "Conv" or "Gemm" or "MatMul" && readers.Count > 0 && readers.All(c => c.OpType is "Relu" or "Clip")) continue;
            if (!wrap.Contains(o)) wrap.Add(o);
        }
        return wrap;
    }

    public static void Quantize(ToolContext ctx, OnnxModel model, ModelInput input, DataSet calibration, QuantizeOptions options, string? inputShape)
    {
        if (model.Graph.Node.Any(n => n.OpType is "QuantizeLinear" or "DequantizeLinear" or "QLinearConv" or "QLinearMatMul"))
            throw new ToolException($"{model.Name} is already quantized");
        Opsets.Raise(model, options.Int4Weights ? 21 : 13);
        var values = GraphShapes.Infer(model, inputShape);
        var wrap = WrappedTensors(model, values);
        var calibrator = Calibrate(ctx, model, input, calibration, wrap, options);
        var g = model.Graph;
        var producers = model.Producers();
        var activationType = options.SignedActivations ? DataType.Int8 : DataType.UInt8;

        // Grids: wrapped tensors their own; pass-through outputs their input's.
        var grids = new Dictionary<string, (float Scale, long Zp)>();
        foreach (var t in wrap)
        {
            var (lo, hi) = calibrator.Has(t) ? calibrator.Range(t) : (0, 0);
            grids[t] = QuantMath.Activation(lo, hi, options.SignedActivations);
        }
        (float Scale, long Zp)? GridOf(string t)
        {
            for (int guard = 0; guard < 1000; guard++)
            {
                if (grids.TryGetValue(t, out var grid)) return grid;
                if (!producers.TryGetValue(t, out var p) || !s_passThrough.Contains(p.OpType)) return null;
                t = p.Input[0];
            }
            return null;
        }

        string Init(TensorProto t)
        {
            g.Initializer.Add(t);
            return t.Name;
        }
        NodeProto Dq(string q, string scale, string zp, string output, string name, int? axis)
        {
            var d = OnnxModel.Node("DequantizeLinear", name, new[] { q, scale, zp }, new[] { output });
            if (axis is { } a) d.Attribute.Add(OnnxModel.IntAttribute("axis", a));
            return d;
        }

        // Weights and biases.
        var weightNodes = new List<NodeProto>();
        var weightScales = new Dictionary<string, float[]>();
        var dequantized = new Dictionary<string, string>();
        foreach (var n in g.Node.Where(n => n.Domain is "" or "ai.onnx").ToList())
        {
            if (n.OpType is "Conv" or "Gemm" or "MatMul" && n.Input.Count > 1 && model.Initializer(n.Input[1]) is { DataType: (int)TensorProto.Types.DataType.Float } wInit)
            {
                if (n.OpType == "MatMul" && wInit.Dims.Count != 2) continue;
                string wName = n.Input[1];
                int[] shape = OnnxModel.Dims(wInit);
                bool perChannel = options.PerChannel && n.OpType == "Conv";
                if (!dequantized.TryGetValue(wName, out string? wOut))
                {
                    var (q, scales) = QuantMath.Symmetric(model.FloatInitializer(wName)!, shape, perChannel ? 0 : -1, options.Int4Weights ? 7 : 127);
                    var qType = options.Int4Weights ? DataType.Int4 : DataType.Int8;
                    string qName = Init(OnnxModel.IntegerTensor(model.UniqueName(wName + "_quantized"), qType, shape, q));
                    string sName = Init(OnnxModel.FloatTensor(model.UniqueName(wName + "_scale"), perChannel ? new[] { scales.Length } : Array.Empty<int>(), scales));
                    string zName = Init(OnnxModel.IntegerTensor(model.UniqueName(wName + "_zero_point"), qType, perChannel ? new[] { scales.Length } : Array.Empty<int>(), new long[scales.Length]));
                    wOut = model.UniqueName(wName + "_dequantized");
                    weightNodes.Add(Dq(qName, sName, zName, wOut, model.UniqueName(wName + "_DequantizeLinear"), perChannel ? 0 : null));
                    dequantized[wName] = wOut;
                    weightScales[wOut] = scales;
                }
                if (n.OpType != "MatMul" && n.Input.Count > 2 && model.Initializer(n.Input[2]) is { DataType: (int)TensorProto.Types.DataType.Float } bInit
                    && GridOf(n.Input[0]) is { } xGrid && !dequantized.ContainsKey(n.Input[2]) && model.ReaderCount(n.Input[2]) == 1)
                {
                    var b = model.FloatInitializer(n.Input[2])!;
                    var ws = weightScales[wOut];
                    if (ws.Length == 1 || ws.Length == b.Length)
                    {
                        var (bq, bs) = QuantMath.Bias(b, xGrid.Scale, ws);
                        string bName = n.Input[2];
                        int[] bShape = OnnxModel.Dims(bInit);
                        string qName = Init(OnnxModel.IntegerTensor(model.UniqueName(bName + "_quantized"), DataType.Int32, bShape, bq));
                        string sName = Init(OnnxModel.FloatTensor(model.UniqueName(bName + "_scale"), bs.Length == 1 ? Array.Empty<int>() : new[] { bs.Length }, bs));
                        string zName = Init(OnnxModel.IntegerTensor(model.UniqueName(bName + "_zero_point"), DataType.Int32, bs.Length == 1 ? Array.Empty<int>() : new[] { bs.Length }, new long[bs.Length]));
                        string bOut = model.UniqueName(bName + "_dequantized");
                        weightNodes.Add(Dq(qName, sName, zName, bOut, model.UniqueName(bName + "_DequantizeLinear"), bs.Length == 1 ? null : 0));
                        dequantized[bName] = bOut;
                    }
                }
            }
            else if (n.OpType is "Add" or "Mul")
            {
                for (int i = 0; i < 2 && i < n.Input.Count; i++)
                {
                    if (model.Initializer(n.Input[i]) is not { DataType: (int)TensorProto.Types.DataType.Float } cInit || dequantized.ContainsKey(n.Input[i])) continue;
                    var c = model.FloatInitializer(n.Input[i])!;
                    var (s, z) = QuantMath.Activation(c.Min(), c.Max(), options.SignedActivations);
                    long lo = options.SignedActivations ? -128 : 0, hi = options.SignedActivations ? 127 : 255;
                    string cName = n.Input[i];
                    string qName = Init(OnnxModel.IntegerTensor(model.UniqueName(cName + "_quantized"), activationType, OnnxModel.Dims(cInit), c.Select(v => QuantMath.Quantize(v, s, z, lo, hi)).ToArray()));
                    string sName = Init(OnnxModel.FloatTensor(model.UniqueName(cName + "_scale"), Array.Empty<int>(), new[] { s }));
                    string zName = Init(OnnxModel.IntegerTensor(model.UniqueName(cName + "_zero_point"), activationType, Array.Empty<int>(), new[] { z }));
                    string cOut = model.UniqueName(cName + "_dequantized");
                    weightNodes.Add(Dq(qName, sName, zName, cOut, model.UniqueName(cName + "_DequantizeLinear"), null));
                    dequantized[cName] = cOut;
                }
            }
        }

        // Activation pairs: Q -> DQ right after the producer; readers switch to the DQ output.
        var pairs = new Dictionary<string, NodeProto[]>();
        foreach (var t in wrap)
        {
            var (s, z) = grids[t];
            string scale = Init(OnnxModel.FloatTensor(model.UniqueName(t + "_scale"), Array.Empty<int>(), new[] { s }));
            string zp = Init(OnnxModel.IntegerTensor(model.UniqueName(t + "_zero_point"), activationType, Array.Empty<int>(), new[] { z }));
            string qOut = model.UniqueName(t + "_QuantizeLinear_Output"), dqOut = model.UniqueName(t + "_DequantizeLinear_Output");
            var q = OnnxModel.Node("QuantizeLinear", model.UniqueName(t + "_QuantizeLinear"), new[] { t, scale, zp }, new[] { qOut });
            pairs[t] = new[] { q, Dq(qOut, scale, zp, dqOut, model.UniqueName(t + "_DequantizeLinear"), null) };
            dequantized[t] = dqOut;
        }
        foreach (var n in g.Node)
            for (int i = 0; i < n.Input.Count; i++)
                if (dequantized.TryGetValue(n.Input[i], out var replacement)) n.Input[i] = replacement;
        foreach (var o in g.Output.Where(o => dequantized.ContainsKey(o.Name) && pairs.ContainsKey(o.Name)))
            throw new InvalidOperationException($"graph output '{o.Name}' was wrapped");

        var nodes = new List<NodeProto>(weightNodes);
        foreach (var i in g.Input) if (pairs.TryGetValue(i.Name, out var p)) nodes.AddRange(p);
        foreach (var n in g.Node)
        {
            nodes.Add(n);
            foreach (var o in n.Output) if (pairs.TryGetValue(o, out var p)) nodes.AddRange(p);
        }
        g.Node.Clear();
        g.Node.AddRange(nodes);
        model.RemoveUnusedInitializers();
    }

    /// <summary>Runs the float model over the calibration data with every wrapped tensor as an extra output.</summary>
    private static Calibrator Calibrate(ToolContext ctx, OnnxModel model, ModelInput input, DataSet data, List<string> wrap, QuantizeOptions options)
    {
        var calibrator = new Calibrator(options.Method, options.Percentile);
        var intermediate = wrap.Where(t => t != input.Name).ToList();
        var wrapped = wrap.ToHashSet();
        using var runner = new OrtRunner(model, input, extraOutputs: intermediate);
        var names = runner.OutputNames;
        void Pass(Action<string, float[]> observe, Action step)
        {
            foreach (var sample in data.Samples)
            {
                var outputs = runner.Run(sample);
                observe(input.Name, sample);
                for (int k = 0; k < outputs.Length; k++)
                    if (wrapped.Contains(names[k])) observe(names[k], outputs[k]);
                step();
            }
        }
        int passes = calibrator.NeedsSecondPass ? 2 : 1;
        ctx.Progress($"calibrating ({options.Method.ToString().ToLowerInvariant()}) on {data.Count} samples", data.Count * passes, step =>
        {
            Pass(calibrator.Observe, step);
            if (calibrator.NeedsSecondPass) Pass(calibrator.ObserveHistogram, step);
        });
        return calibrator;
    }
}
