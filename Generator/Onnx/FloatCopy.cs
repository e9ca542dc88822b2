using System;
using System.Collections.Generic;
using System.Linq;
using Google.Protobuf;
using ModelCompiler.Graph;
using ModelCompiler.Onnx.Proto;

namespace ModelCompiler.Onnx;

/// <summary>
/// Writes the float32 network behind a quantized model: the same graph and the same weights, computed in float.
/// It answers "what did quantization buy?" on one network (speed and size against the int8 model, and how far
/// the int8 results drift from float), which a separately trained float model cannot.
/// <list type="bullet">
/// <item>Quantized weights and biases become float initializers: <c>(q - zero point) * scale</c>, per tensor or
/// per channel (a QLinearConv bias is <c>b * x_scale * w_scale</c>).</item>
/// <item>Each QOperator op becomes its float op followed by <c>Clip</c> to the range its output type can hold
/// (<c>(qmin - zp) * scale .. (qmax - zp) * scale</c>): the saturation the int8 model applies, which is also
/// where a QOperator model keeps its fused ReLU/ReLU6. Rounding to the quantization grid is what is left out.</item>
/// <item>A QuantizeLinear of an activation becomes that Clip; a DequantizeLinear of an activation an Identity;
/// a DequantizeLinear of a constant its float values. Every value keeps its name.</item>
/// </list>
/// Ops that produce integers for float consumers without a scale (ConvInteger, MatMulInteger, ...) have no
/// float counterpart here and are reported, all of them at once, with their node names.
/// </summary>
internal static class FloatCopy
{
    /// <summary>The float model's bytes, or the problems that stopped it (then <c>Model</c> is null).</summary>
    public sealed record Result(byte[]? Model, IReadOnlyList<string> Problems);

    /// <summary>QOperator ops and the float op each one computes.</summary>
    private static readonly Dictionary<string, string> s_floatOp = new()
    {
        ["QLinearConv"] = "Conv",
        ["QLinearMatMul"] = "MatMul",
        ["QLinearAdd"] = "Add",
        ["QLinearMul"] = "Mul",
        ["QLinearAveragePool"] = "AveragePool",
        ["QLinearGlobalAveragePool"] = "GlobalAveragePool",
        ["QLinearConcat"] = "Concat",
        ["QLinearSigmoid"] = "Sigmoid",
        ["QLinearLeakyRelu"] = "LeakyRelu",
    };

    private static readonly HashSet<string> s_noFloatForm = new()
    {
        "ConvInteger", "MatMulInteger", "DynamicQuantizeLinear", "MatMulIntegerToFloat", "QLinearSoftmax",
        "QLinearReduceMean", "QLinearWhere", "QGemm", "QAttention", "DynamicQuantizeMatMul", "QLinearLookup",
    };

    public static Result Make(byte[] bytes)
    {
        ModelProto model;
        try { model = ModelProto.Parser.ParseFrom(bytes); }
        catch (InvalidProtocolBufferException e) { return new Result(null, new[] { "the file is not an ONNX model: " + e.Message }); }
        if (model.Graph is null) return new Result(null, new[] { "the model contains no graph" });

        try
        {
            var problems = new List<string>();
            var rewriter = new Rewriter(model, problems);
            rewriter.Run();
            return problems.Count > 0 ? new Result(null, problems) : new Result(model.ToByteArray(), problems);
        }
        catch (ModelError e)
        {
            return new Result(null, new[] { e.Message });
        }
    }

    private sealed class Rewriter
    {
        private readonly ModelProto _model;
        private readonly GraphProto _g;
        private readonly List<string> _problems;
        private readonly Dictionary<string, TensorProto> _initializers = new();
        private readonly Dictionary<string, TensorProto> _constants = new();
        private readonly HashSet<string> _usedNames = new();
        private readonly int _opset;
        private readonly List<NodeProto> _nodes = new();
        private readonly List<TensorProto> _newInitializers = new();

        public Rewriter(ModelProto model, List<string> problems)
        {
            _model = model;
            _g = model.Graph;
            _problems = problems;
            foreach (var t in _g.Initializer) _initializers[t.Name] = t;
            foreach (var n in _g.Node)
                if (IsDefault(n.Domain) && n.OpType == "Constant" && n.Output.Count == 1
                    && n.Attribute.FirstOrDefault(a => a.Name == "value")?.T is { } value)
                    _constants[n.Output[0]] = value;
            foreach (var n in _g.Node) { _usedNames.UnionWith(n.Output); _usedNames.Add(n.Name); }
            _usedNames.UnionWith(_initializers.Keys);
            _usedNames.UnionWith(_g.Input.Select(i => i.Name));
            _opset = (int)(model.OpsetImport.Where(o => IsDefault(o.Domain)).Select(o => o.Version).DefaultIfEmpty(1).Max());
        }

        private static bool IsDefault(string domain) => domain is "" or "ai.onnx";

        private Tensor? ConstantOf(string name)
        {
            if (name.Length == 0) return null;
            if (_initializers.TryGetValue(name, out var t) || _constants.TryGetValue(name, out t)) return TensorReader.Read(t);
            return null;
        }

        public void Run()
        {
            foreach (var input in _g.Input)
                if (!_initializers.ContainsKey(input.Name) && input.Type?.TensorType is { } tt && IsQuantized((DataType)tt.ElemType))
                    _problems.Add($"input '{input.Name}' is {((DataType)tt.ElemType).OnnxName()}: a float copy needs float inputs (the int8 model's QuantizeLinear inside the graph)");

            foreach (var node in _g.Node)
            {
                string what = $"{node.OpType} '{node.Name}'";
                if (s_noFloatForm.Contains(node.OpType))
                {
                    _problems.Add($"{what}: {node.OpType} has no float form here (only QLinear* ops, QuantizeLinear and DequantizeLinear are rewritten)");
                    continue;
                }
                try { Rewrite(node); }
                catch (ModelError e) { _problems.Add($"{what}: {e.Message}"); }
                catch (ExternalDataSource.Refused e) { _problems.Add($"{what}: tensor '{e.Tensor}' is stored outside the file ({e.Location})"); }
                catch (LimitExceeded e) { _problems.Add($"{what}: {e.Message}"); }
                catch (ArgumentOutOfRangeException) { _problems.Add($"{what}: the node has fewer inputs than its op needs"); }
            }
            if (_problems.Count > 0) return;

            foreach (var t in _newInitializers) _initializers[t.Name] = t;

            // Keep what the new graph reads; quantized weights, scales and zero points fall away.
            var read = new HashSet<string>(_nodes.SelectMany(n => n.Input));
            read.UnionWith(_g.Output.Select(o => o.Name));
            _g.Node.Clear();
            _g.Node.AddRange(_nodes.Where(n => !(IsDefault(n.Domain) && n.OpType == "Constant" && !n.Output.Any(read.Contains))));
            var kept = _g.Initializer.Concat(_newInitializers).Where(t => read.Contains(t.Name)).GroupBy(t => t.Name).Select(g => g.Last()).ToList();
            _g.Initializer.Clear();
            _g.Initializer.AddRange(kept);
            var inputs = _g.Input.Where(i => !_initializers.ContainsKey(i.Name) || read.Contains(i.Name)).ToList();
            _g.Input.Clear();
            _g.Input.AddRange(inputs);
            foreach (var i in _g.Input)
                if (_initializers.TryGetValue(i.Name, out var init) && i.Type?.TensorType is { } itt) itt.ElemType = init.DataType;

            // Intermediate types changed from 8-bit to float; let consumers infer them again.
            _g.ValueInfo.Clear();
            foreach (var o in _g.Output)
                if (o.Type?.TensorType is { } ot && IsQuantized((DataType)ot.ElemType)) ot.ElemType = (int)DataType.Float;
            _model.DocString = ("Float32 copy of a quantized model, written by ModelCompiler (modelc float-copy). " + _model.DocString).Trim();
        }

        private static bool IsQuantized(DataType t) => t is DataType.UInt8 or DataType.Int8 or DataType.UInt4 or DataType.Int4 or DataType.UInt16 or DataType.Int16;

        private void Rewrite(NodeProto node)
        {
            bool msOrDefault = IsDefault(node.Domain) || node.Domain == "com.microsoft";
            if (IsDefault(node.Domain) && node.OpType == "Constant") { _nodes.Add(node); return; } // dropped below if nothing reads it any more
            if (msOrDefault && node.OpType == "DequantizeLinear") { RewriteDequantize(node); return; }
            if (msOrDefault && node.OpType == "QuantizeLinear") { RewriteQuantize(node); return; }
            if (msOrDefault && s_floatOp.TryGetValue(node.OpType, out string? floatOp)) { RewriteQLinear(node, floatOp); return; }
            if (!IsDefault(node.Domain))
                throw new ModelError($"op of domain '{node.Domain}' has no float form here");
            _nodes.Add(node); // a float op, or one that only moves data (Reshape, Transpose, MaxPool, Shape, ...)
        }

        // ------------------------------------------------------------------ Q / DQ

        private void RewriteDequantize(NodeProto node)
        {
            var x = ConstantOf(node.Input[0]);
            if (x is not null)
            {
                var q = Params(node, 1, 2, x.Shape.Length);
                AddInitializer(node.Output[0], x.Shape, QdqDequantize(x, q));
                return;
            }
            _nodes.Add(Node("Identity", node.Name, new[] { node.Input[0] }, node.Output[0]));
        }

        private void RewriteQuantize(NodeProto node)
        {
            if (ConstantOf(node.Input[0]) is not null)
                throw new ModelError("quantizes a constant; expected a float activation");
            var (scale, zp, type) = OutputGrid(node, 1, 2, node.Attribute.FirstOrDefault(a => a.Name == "output_dtype")?.I);
            AddClip(node.Name, node.Input[0], node.Output[0], scale, zp, type);
        }

        // ------------------------------------------------------------------ QLinear ops

        private void RewriteQLinear(NodeProto node, string floatOp)
        {
            // Where each op keeps its quantized data inputs (value, scale, zero point) and its output grid.
            (int X, int S, int Z)[] data;
            (int S, int Z) output;
            switch (node.OpType)
            {
                case "QLinearConv": data = new[] { (0, 1, 2), (3, 4, 5) }; output = (6, 7); break;
                case "QLinearMatMul": case "QLinearAdd": case "QLinearMul": data = new[] { (0, 1, 2), (3, 4, 5) }; output = (6, 7); break;
                case "QLinearAveragePool": case "QLinearGlobalAveragePool": case "QLinearSigmoid": case "QLinearLeakyRelu":
                    data = new[] { (0, 1, 2) }; output = (3, 4); break;
                case "QLinearConcat":
                    data = Enumerable.Range(0, (node.Input.Count - 2) / 3).Select(i => (2 + 3 * i, 3 + 3 * i, 4 + 3 * i)).ToArray();
                    output = (0, 1); break;
                default: throw new ModelError("unexpected op");
            }
            if (node.Attribute.Any(a => a.Name == "channels_last" && a.I != 0))
                throw new ModelError("channels_last=1 has no float form here (NCHW only)");

            var inputs = new List<string>();
            foreach (var (xi, si, zi) in data)
            {
                string name = xi < node.Input.Count ? node.Input[xi] : "";
                if (ConstantOf(name) is { } constant)
                {
                    var q = Params(node, si, zi, constant.Shape.Length, axis: node.OpType == "QLinearConv" && xi == 3 ? 0 : null);
                    string floatName = Fresh(name + "_float");
                    AddInitializer(floatName, constant.Shape, QdqDequantize(constant, q));
                    inputs.Add(floatName);
                }
                else inputs.Add(name);
            }
            if (node.OpType == "QLinearConv" && node.Input.Count > 8 && node.Input[8].Length > 0)
                inputs.Add(ConvBias(node));

            var (scale, zp, type) = OutputGrid(node, output.S, output.Z, null);
            string raw = Fresh(node.Output[0] + "_unclipped");
            var floatNode = Node(floatOp, Fresh(node.Name + "_float"), inputs, raw);
            floatNode.Attribute.AddRange(node.Attribute.Where(a => a.Name != "channels_last").Select(a => a.Clone()));
            _nodes.Add(floatNode);
            AddClip(node.Name, raw, node.Output[0], scale, zp, type);
        }

        /// <summary>int32 bias b becomes b * x_scale * w_scale[c] (the scale QLinearConv gives it).</summary>
        private string ConvBias(NodeProto node)
        {
            var b = ConstantOf(node.Input[8]) ?? throw new ModelError("the bias is not a constant");
            var xs = ConstantOf(node.Input[1]) ?? throw new ModelError("x_scale is not a constant");
            var ws = ConstantOf(node.Input[4]) ?? throw new ModelError("w_scale is not a constant");
            var values = new float[b.ElementCount];
            for (int c = 0; c < values.Length; c++)
                values[c] = (float)(b.GetLong(c) * ((double)xs.GetFloat(0) * ws.GetFloat(ws.ElementCount == 1 ? 0 : c)));
            string name = Fresh(node.Input[8] + "_float");
            AddInitializer(name, b.Shape, values);
            return name;
        }

        // ------------------------------------------------------------------ helpers

        private QuantParams Params(NodeProto node, int scaleIndex, int zpIndex, int rank, int? axis = null)
        {
            var scale = ConstantOf(scaleIndex < node.Input.Count ? node.Input[scaleIndex] : "") ?? throw new ModelError("its scale is not a constant");
            var zp = zpIndex < node.Input.Count ? ConstantOf(node.Input[zpIndex]) : null;
            int blockSize = (int)(node.Attribute.FirstOrDefault(a => a.Name == "block_size")?.I ?? 0);
            int a = axis ?? (int)(node.Attribute.FirstOrDefault(x => x.Name == "axis")?.I ?? 1);
            if (a < 0) a += rank;
            return new QuantParams(scale, zp, scale.ElementCount == 1 && blockSize == 0 ? null : a, blockSize);
        }

        private (float Scale, long ZeroPoint, DataType Type) OutputGrid(NodeProto node, int scaleIndex, int zpIndex, long? dtype)
        {
            var scale = ConstantOf(scaleIndex < node.Input.Count ? node.Input[scaleIndex] : "") ?? throw new ModelError("its output scale is not a constant");
            if (scale.ElementCount != 1) throw new ModelError("per-channel output quantization has no single float range here");
            var zp = zpIndex < node.Input.Count ? ConstantOf(node.Input[zpIndex]) : null;
            var type = zp?.Type ?? (dtype is > 0 ? (DataType)dtype.Value : DataType.UInt8);
            return (scale.GetFloat(0), zp?.GetLong(0) ?? 0, type);
        }

        private static float[] QdqDequantize(Tensor x, QuantParams q) => Passes.QdqFusion.Dequantize(x, q);

        /// <summary>Clip to what the quantized type represents: the int8 model's saturation, in float.</summary>
        private void AddClip(string name, string input, string output, float scale, long zp, DataType type)
        {
            if (type is not (DataType.UInt8 or DataType.Int8 or DataType.UInt16 or DataType.Int16 or DataType.UInt4 or DataType.Int4))
                throw new ModelError($"output type {type.OnnxName()} is not a quantized integer type");
            long qmin = Ops.Quantization.Quant.Min(type), qmax = Ops.Quantization.Quant.Max(type);
            float lo = (float)((qmin - zp) * (double)scale), hi = (float)((qmax - zp) * (double)scale);
            var clip = Node("Clip", name, new[] { input }, output);
            if (_opset < 11)
            {
                clip.Attribute.Add(new AttributeProto { Name = "min", Type = AttributeProto.Types.AttributeType.Float, F = lo });
                clip.Attribute.Add(new AttributeProto { Name = "max", Type = AttributeProto.Types.AttributeType.Float, F = hi });
            }
            else
            {
                string min = Fresh(output + "_min"), max = Fresh(output + "_max");
                AddInitializer(min, Array.Empty<int>(), new[] { lo });
                AddInitializer(max, Array.Empty<int>(), new[] { hi });
                clip.Input.Add(min);
                clip.Input.Add(max);
            }
            _nodes.Add(clip);
        }

        private static NodeProto Node(string op, string name, IEnumerable<string> inputs, string output)
        {
            var n = new NodeProto { OpType = op, Name = name };
            n.Input.AddRange(inputs);
            n.Output.Add(output);
            return n;
        }

        private void AddInitializer(string name, int[] shape, float[] values)
        {
            var t = new TensorProto { Name = name, DataType = (int)DataType.Float };
            t.Dims.AddRange(shape.Select(d => (long)d));
            var raw = new byte[values.Length * 4];
            Buffer.BlockCopy(values, 0, raw, 0, raw.Length); // ONNX raw_data is little-endian, as .NET on every supported CPU
            t.RawData = ByteString.CopyFrom(raw);
            _newInitializers.Add(t);
            _constants[name] = t;
            _usedNames.Add(name);
        }

        private string Fresh(string name)
        {
            string candidate = name;
            for (int i = 2; _usedNames.Contains(candidate); i++) candidate = name + "_" + i;
            _usedNames.Add(candidate);
            return candidate;
        }
    }
}
