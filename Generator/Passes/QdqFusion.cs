using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ModelCompiler.Contract;
using ModelCompiler.Diagnostics;
using ModelCompiler.Graph;
using ModelCompiler.Ops;
using ModelCompiler.Ops.Qdq;

namespace ModelCompiler.Passes;

/// <summary>
/// Runs QDQ-format models (ONNX Runtime's quantizer, PyTorch/TensorFlow QAT exports) on integers. Such a graph
/// keeps float ops and marks quantization with DequantizeLinear (DQ) before and QuantizeLinear (Q) after them;
/// this pass, after shape inference and before kernel selection, replaces each "DQ -> op -> Q" group by the
/// integer operator that computes the same thing, as ONNX Runtime's QDQ transformer does:
/// <list type="bullet">
/// <item>Conv -> QLinearConv, MatMul -> QLinearMatMul, Gemm -> com.microsoft QGemm (or, without it, a 1x1
/// QLinearConv between two reshapes), Add/Mul -> com.microsoft QLinearAdd/QLinearMul, AveragePool and
/// GlobalAveragePool -> com.microsoft QLinearAveragePool/QLinearGlobalAveragePool: int32 accumulation,
/// int32 bias (a DQ of an int32 tensor with scale x_scale * w_scale), per-tensor or per-channel weights;</item>
/// <item>a Relu or Clip between the op and Q folds into the output range: Q(clip(v, a, b)) = clamp(Q(v), Q(a), Q(b))
/// because Q is monotonic, so nothing is left when the range already saturates there (zero point at the type's
/// minimum), else an integer Clip follows;</item>
/// <item>element-wise functions (Sigmoid, Tanh, Relu, Clip, LeakyRelu, HardSwish..., and a plain DQ -> Q
/// requantization) become a 256-entry table (ai.modelcompiler QLinearLookup) computed here from the 256
/// possible inputs, exactly as DQ, the float op and Q would compute them; Concat requantizes its inputs that
/// way and concatenates integers;</item>
/// <item>data movement (Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Slice, Gather, MaxPool with a positive
/// scale, Pad) commutes with DQ, so a DQ in front of it moves behind it and the op runs on the integers.</item>
/// </list>
/// A DQ or Q that is not part of a group keeps its standard meaning. Groups that do not have the expected form
/// (weights not constant, a bias that is not int32, per-channel on the wrong axis...) run as written and get
/// warning MC1002 naming the node, what was found and what was expected. Integer tensors get their scale and
/// zero point recorded in <see cref="Value.Quant"/>.
/// </summary>
internal static class QdqFusion
{
    public static void Run(ModelGraph graph, List<CompilerDiagnostic> diagnostics)
    {
        if (!graph.Nodes.Any(n => IsDq(n) || IsQ(n))) return;
        var pass = new Pass(graph, diagnostics);
        pass.FoldConstants();
        pass.RecordGrids();
        pass.MoveDequantizeForward();
        pass.FuseGroups();
        Simplify.RemoveDeadNodes(graph);
        pass.RecordGrids();
    }

    public static bool IsDq(Node n) => n.OpType == "DequantizeLinear" && n.Domain is "" or "com.microsoft";
    public static bool IsQ(Node n) => n.OpType == "QuantizeLinear" && n.Domain is "" or "com.microsoft";

    /// <summary>Build-time DequantizeLinear, identical to the run-time decoding.</summary>
    public static float[] Dequantize(Tensor x, QuantParams q)
    {
        var (outer, axisLength, inner) = Emit.WeightTable.QuantLayout(x.Shape, q);
        int blocks = q.BlockSize > 0 ? (axisLength + q.BlockSize - 1) / q.BlockSize : 0;
        var y = new float[x.ElementCount];
        int i = 0;
        for (int o = 0; o < outer; o++)
            for (int d = 0; d < axisLength; d++)
                for (int j = 0; j < inner; j++, i++)
                {
                    int s = q.BlockSize > 0 ? (o * blocks + d / q.BlockSize) * inner + j : d;
                    y[i] = QuantizedValues.Dequantize(x.GetLong(i), q.ZeroPoint?.GetLong(s) ?? 0, q.Scale.GetFloat(s));
                }
        return y;
    }

    /// <summary>A per-tensor 8-bit quantization grid: real = (q - ZeroPoint) * Scale.</summary>
    private sealed class Grid
    {
        public Grid(float scale, long zeroPoint, DataType type)
        {
            Scale = scale;
            ZeroPoint = zeroPoint;
            Type = type;
        }

        public float Scale { get; }
        public long ZeroPoint { get; }
        public DataType Type { get; }
        public long Min => Ops.Quantization.Quant.Min(Type);
        public long Max => Ops.Quantization.Quant.Max(Type);

        public bool SameAs(Grid o) => Type == o.Type && ZeroPoint == o.ZeroPoint && BitConverterCompat.SingleToInt32Bits(Scale) == BitConverterCompat.SingleToInt32Bits(o.Scale);

        /// <summary>DequantizeLinear of one value: (float)(q - zp) * scale in float32.</summary>
        public float Dequantize(long q) => QuantizedValues.Dequantize(q, ZeroPoint, Scale);

        /// <summary>QuantizeLinear of one value (x rounded to float32 first, as the float tensor holds it).</summary>
        public long Quantize(double x) => QuantizedValues.Quantize((float)x, Scale, ZeroPoint, Min, Max);

        public Tensor ScaleTensor => Tensor.FromFloats(Array.Empty<int>(), new[] { Scale });
        public Tensor ZeroPointTensor => Tensor.FromLongs(Type, Array.Empty<int>(), new[] { ZeroPoint });
        public QuantParams Params => new(ScaleTensor, ZeroPointTensor, null, 0);

        public override string ToString() => string.Format(CultureInfo.InvariantCulture, "{0} scale {1:G9} zero point {2}", Type.OnnxName(), Scale, ZeroPoint);
    }

    /// <summary>The integer side of a DQ output: the quantized value and its grid.</summary>
    private sealed record Operand(Value Quantized, Grid Grid);

    /// <summary>A quantized constant behind a float constant (folded DQ) or a DQ of constants.</summary>
    private sealed record Weight(Tensor Values, QuantParams Quant);

    /// <summary>Where a group's result goes: the Q node, its grid, the folded activation and the integer range left.</summary>
    private sealed record Output(Node Q, Grid Grid, Node? Activation, long Low, long High)
    {
        public bool NeedsClamp => Low > Grid.Min || High < Grid.Max;
    }

    private sealed class Pass
    {
        private readonly ModelGraph _graph;
        private readonly List<CompilerDiagnostic> _diagnostics;

        public Pass(ModelGraph graph, List<CompilerDiagnostic> diagnostics)
        {
            _graph = graph;
            _diagnostics = diagnostics;
        }

        // ---------------------------------------------------------------- constants

        /// <summary>
        /// DQ nodes whose inputs are all constant (weights) become float constants that remember their
        /// integers (shape inference does this when DequantizeLinear folds; this catches what it left), and
        /// nodes that become all-constant behind them fold too.
        /// </summary>
        public void FoldConstants()
        {
            bool changed = false;
            foreach (var node in _graph.Nodes.ToList())
            {
                if (node.Outputs.Any(o => o is not null && _graph.IsGraphOutput(o))) continue;
                if (IsDq(node) && ConstantEncodings.Dequantization(node) is { } enc && enc.Quant is { } q && node.Output(0) is { Type: DataType.Float } o)
                {
                    var values = Dequantize(enc.Source, q);
                    o.Constant = Tensor.FromFloats(enc.Source.Shape, values).WithEncoding(enc);
                    o.Producer = null;
                    _graph.Nodes.Remove(node);
                    changed = true;
                    continue;
                }
                if (!changed) continue;
                var schema = OpRegistry.Find(node.Domain, node.OpType);
                var ctx = new OpContext(node);
                if (schema is null || !schema.CanFold(ctx) || node.Outputs.Any(x => x is not null && x.ElementCount > ShapeInference.MaxFoldedElements)) continue;
                try
                {
                    var results = schema.Fold(ctx);
                    ConstantEncodings.Annotate(node, results);
                    for (int i = 0; i < node.Outputs.Count; i++)
                        if (node.Outputs[i] is { } v) { v.Constant = results[i]; v.Producer = null; }
                    _graph.Nodes.Remove(node);
                }
                catch (ModelError) { }
            }
            if (changed) _graph.RebuildLinks();
        }

        // ---------------------------------------------------------------- grids

        private static Grid? GridOf(Node node, Value integer)
        {
            if (integer.Type is not (DataType.UInt8 or DataType.Int8)) return null;
            if (node.Opset >= 21 && node.GetInt("block_size", 0) != 0) return null;
            var scale = node.Input(1)?.Constant;
            if (scale is null || scale.Type != DataType.Float || scale.ElementCount != 1) return null;
            long zp = 0;
            if (node.Input(2) is { } z)
            {
                if (z.Constant is not { } zt || zt.ElementCount != 1 || zt.Type != integer.Type) return null;
                zp = zt.GetLong(0);
            }
            float s = scale.GetFloat(0);
            if (!(s > 0) || float.IsInfinity(s)) return null;
            return new Grid(s, zp, integer.Type);
        }

        private static Grid? DqGrid(Node dq) => dq.Input(0) is { } x ? GridOf(dq, x) : null;
        private static Grid? QGrid(Node q) => q.Output(0) is { } y ? GridOf(q, y) : null;

        /// <summary>Records per-tensor quantization on every 8-bit value entering a DQ or leaving a Q / integer op.</summary>
        public void RecordGrids()
        {
            foreach (var n in _graph.Nodes)
            {
                if (IsDq(n) && DqGrid(n) is { } g && n.Input(0) is { } x) x.Quant ??= g.Params;
                if (IsQ(n) && QGrid(n) is { } h && n.Output(0) is { } y) y.Quant ??= h.Params;
            }
        }

        /// <summary>The integer operand behind a float value produced by an activation DQ.</summary>
        private static Operand? Activation(Value? v)
        {
            if (v?.Producer is not { } dq || !IsDq(dq) || dq.Input(0) is not { } x || x.IsConstant) return null;
            return DqGrid(dq) is { } g ? new Operand(x, g) : null;
        }

        /// <summary>The quantized constant behind a float weight, or null.</summary>
        private static Weight? WeightOf(Value? v)
        {
            if (v is null) return null;
            if (v.Constant?.Encoding is { Quant: { } q } e) return new Weight(e.Source, q);
            if (v.Producer is { } dq && IsDq(dq) && ConstantEncodings.Dequantization(dq) is { Quant: { } q2 } e2) return new Weight(e2.Source, q2);
            return null;
        }

        /// <summary>An input as an integer operand: an activation DQ, or a per-tensor 8-bit quantized constant.</summary>
        private Operand? OperandOf(Value? v, string name)
        {
            if (Activation(v) is { } a) return a;
            if (WeightOf(v) is { } w && w.Values.Type is DataType.UInt8 or DataType.Int8 && w.Quant.IsPerTensor && w.Quant.BlockSize == 0)
            {
                float s = w.Quant.Scale.GetFloat(0);
                long zp = w.Quant.ZeroPoint?.GetLong(0) ?? 0;
                if (!(s > 0)) return null;
                return new Operand(Constant(name, w.Values), new Grid(s, zp, w.Values.Type));
            }
            return null;
        }

        // ---------------------------------------------------------------- moving DQ behind data movement

        private static readonly HashSet<string> s_movers = new(StringComparer.Ordinal)
        {
            "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Identity", "Slice", "Gather", "MaxPool", "Pad",
            "SpaceToDepth", "DepthToSpace", "Expand", "Tile",
        };

        /// <summary>
        /// DQ -> data movement becomes data movement (on the integers) -> DQ, so that the op between the DQ and
        /// the next group's op no longer hides the pattern (ShuffleNet's Reshape/Transpose/Reshape, a Flatten
        /// before the classifier, an unwrapped MaxPool).
        /// </summary>
        public void MoveDequantizeForward()
        {
            for (int index = 0; index < _graph.Nodes.Count; index++)
            {
                var node = _graph.Nodes[index];
                if (node.Domain.Length != 0 || !s_movers.Contains(node.OpType)) continue;
                if (node.Outputs.Count(o => o is not null) != 1 || node.Output(0) is not { } output) continue;
                if (node.Input(0)?.Producer is not { } dq || !IsDq(dq) || dq.Input(0) is not { } q || q.IsConstant) continue;
                if (DqGrid(dq) is not { } grid) continue;

                var oldInputs = node.Inputs.ToList();
                Value? padValue = null;
                if (node.OpType == "Pad")
                {
                    if (node.Opset < 11) continue;
                    string mode = node.GetString("mode", "constant");
                    if (mode == "constant")
                    {
                        double v = node.Input(2)?.Constant is { } pv ? pv.GetDouble(0) : 0;
                        if (node.Input(2) is not null && node.Input(2)!.Constant is null) continue;
                        long qv = grid.Quantize(v);
                        if (grid.Dequantize(qv) != (float)v) continue; // the pad value is not on the grid
                        padValue = Constant(node.Name + "_pad_value", Tensor.FromLongs(grid.Type, Array.Empty<int>(), new[] { qv }));
                    }
                }

                var integerOut = _graph.GetOrAddValue(_graph.UniqueName(output.Name + "_quantized"));
                node.Inputs[0] = q;
                if (padValue is not null)
                {
                    while (node.Inputs.Count < 3) node.Inputs.Add(null);
                    node.Inputs[2] = padValue;
                }
                node.Outputs[0] = integerOut;
                try
                {
                    OpRegistry.Find(node.Domain, node.OpType)!.Infer(new OpContext(node));
                    if (integerOut.Type != q.Type) throw new ModelError("type changed");
                }
                catch (ModelError)
                {
                    node.Inputs.Clear();
                    node.Inputs.AddRange(oldInputs);
                    node.Outputs[0] = output;
                    _graph.Values.Remove(integerOut.Name);
                    continue;
                }
                integerOut.Quant = grid.Params;
                var moved = new Node(_graph.UniqueName(dq.Name + "_after_" + node.Name), "DequantizeLinear", dq.Domain) { Opset = dq.Opset };
                foreach (var a in dq.Attributes) moved.Attributes[a.Key] = a.Value;
                moved.Inputs.Add(integerOut);
                moved.Inputs.Add(dq.Input(1));
                if (dq.Input(2) is { } z) moved.Inputs.Add(z);
                moved.Outputs.Add(output);
                output.Producer = moved;
                _graph.Nodes.Insert(index + 1, moved);
                _graph.RebuildLinks();
            }
        }

        // ---------------------------------------------------------------- groups

        private static readonly HashSet<string> s_elementwise = new(StringComparer.Ordinal)
        {
            "Relu", "Clip", "Sigmoid", "Tanh", "LeakyRelu", "HardSigmoid", "HardSwish", "Elu", "Selu", "Celu", "Softplus",
            "Softsign", "Exp", "Log", "Abs", "Neg", "Sqrt", "Reciprocal", "Erf", "Gelu", "Mish", "ThresholdedRelu",
            "Floor", "Ceil", "Round", "Sin", "Cos", "Identity", "Sign",
            // Binary ops whose other operand is a constant scalar act element-wise too.
            "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min",
        };

        public void FuseGroups()
        {
            foreach (var node in _graph.Nodes.ToList())
            {
                if (!_graph.Nodes.Contains(node)) continue; // absorbed by an earlier group
                if (node.Domain.Length != 0) continue;
                string? failure = null, expected = null;
                bool fused = node.OpType switch
                {
                    "Conv" => FuseConv(node, ref failure, ref expected),
                    "MatMul" => FuseMatMul(node, ref failure, ref expected),
                    "Gemm" => FuseGemm(node, ref failure, ref expected),
                    "Add" or "Mul" => FuseBinary(node, ref failure, ref expected) || FuseElementwise(node, ref failure, ref expected),
                    "Concat" => FuseConcat(node, ref failure, ref expected),
                    "AveragePool" or "GlobalAveragePool" => FusePool(node, ref failure, ref expected),
                    "DequantizeLinear" => FuseRequantize(node),
                    _ => s_elementwise.Contains(node.OpType) && FuseElementwise(node, ref failure, ref expected),
                };
                if (fused || failure is null) continue;
                // Only groups that look quantized (a DQ in, a Q out) deserve a warning; float regions are normal.
                bool dqIn = node.Inputs.Any(i => i?.Producer is { } p && IsDq(p));
                bool qOut = node.Output(0) is { } o && o.Consumers.Any(c => IsQ(c) || (c.OpType is "Relu" or "Clip" && c.Output(0)?.Consumers.Any(IsQ) == true));
                if (dqIn && qOut)
                    _diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.QdqGroupInFloat, node.Name, node.OpType, failure, expected ?? ""));
            }
            _graph.RebuildLinks();
        }

        /// <summary>The Q (through an optional Relu/Clip) that alone consumes the node's output.</summary>
        private Output? OutputOf(Node node, ref string? failure)
        {
            var o = node.Output(0);
            if (o is null || _graph.IsGraphOutput(o) || o.Consumers.Count != 1)
            {
                failure = o is not null && _graph.IsGraphOutput(o) ? "its float output is a graph output" : "its output has other consumers than one QuantizeLinear";
                return null;
            }
            var next = o.Consumers[0];
            Node? activation = null;
            if (next.Domain.Length == 0 && next.OpType is "Relu" or "Clip" && node.OpType is not ("Relu" or "Clip"))
            {
                var ao = next.Output(0);
                if (ao is null || _graph.IsGraphOutput(ao) || ao.Consumers.Count != 1) { failure = "the activation after it has other consumers than one QuantizeLinear"; return null; }
                activation = next;
                next = ao.Consumers[0];
            }
            if (!IsQ(next)) { failure = "its output does not go to a QuantizeLinear"; return null; }
            if (QGrid(next) is not { } grid) { failure = "the QuantizeLinear after it is not a per-tensor 8-bit quantization with constant scale and zero point"; return null; }
            long low = grid.Min, high = grid.Max;
            if (activation is not null)
            {
                if (activation.OpType == "Relu") low = Math.Max(low, grid.Quantize(0));
                else if (ClipBounds(activation) is { } b)
                {
                    low = Math.Max(low, grid.Quantize(b.Min));
                    high = Math.Min(high, grid.Quantize(b.Max));
                }
                else { failure = "the Clip after it has bounds that are not constants"; return null; }
            }
            return new Output(next, grid, activation, low, high);
        }

        private static (double Min, double Max)? ClipBounds(Node clip)
        {
            if (clip.Opset < 11) return (clip.HasAttribute("min") ? clip.GetFloat("min", 0) : double.NegativeInfinity, clip.HasAttribute("max") ? clip.GetFloat("max", 0) : double.PositiveInfinity);
            double min = double.NegativeInfinity, max = double.PositiveInfinity;
            if (clip.Input(1) is { } lo) { if (lo.Constant is not { } t) return null; min = t.GetDouble(0); }
            if (clip.Input(2) is { } hi) { if (hi.Constant is not { } t) return null; max = t.GetDouble(0); }
            return (min, max);
        }

        private bool FuseConv(Node conv, ref string? failure, ref string? expected)
        {
            expected = "DequantizeLinear(uint8/int8 x, per tensor) and DequantizeLinear(constant int8/uint8 weight, per tensor or per output channel on axis 0) " +
                "[and DequantizeLinear(constant int32 bias, scale x_scale * w_scale)] -> Conv [-> Relu/Clip] -> QuantizeLinear(per tensor)";
            if (Activation(conv.Input(0)) is not { } x) { failure = "input 0 does not come from a per-tensor 8-bit DequantizeLinear"; return false; }
            if (WeightOf(conv.Input(1)) is not { } w) { failure = "the weight is not a DequantizeLinear of a constant"; return false; }
            if (w.Values.Type is not (DataType.Int8 or DataType.UInt8)) { failure = $"the weight is {w.Values.Type.OnnxName()}"; return false; }
            if (!(w.Quant.IsPerTensor && w.Quant.BlockSize == 0) && (w.Quant.Axis != 0 || w.Quant.BlockSize != 0)) { failure = "the weight is quantized per channel on another axis than 0, or in blocks"; return false; }
            int channels = w.Values.Shape[0];
            Value? bias = null;
            if (conv.Input(2) is { } b)
            {
                if (BiasOf(b, x.Grid, w, channels, ref failure) is not { } bt) return false;
                bias = Constant(conv.Name + "_bias_int32", bt);
            }
            if (OutputOf(conv, ref failure) is not { } output) return false;

            var node = NewNode(conv, "QLinearConv", "", Math.Max(10, _graph.DefaultOpset));
            foreach (var a in conv.Attributes) node.Attributes[a.Key] = a.Value;
            node.Inputs.AddRange(new[] { x.Quantized, Scalar(conv, "x_scale", x.Grid), ZeroPoint(conv, "x_zero_point", x.Grid) });
            node.Inputs.AddRange(WeightInputs(conv, w));
            node.Inputs.AddRange(new[] { Scalar(conv, "y_scale", output.Grid), ZeroPoint(conv, "y_zero_point", output.Grid) });
            if (bias is not null) node.Inputs.Add(bias);
            Replace(conv, node, output);
            return true;
        }

        /// <summary>An int32 bias whose scale is x_scale * w_scale (per channel), as the integer accumulator needs it.</summary>
        private Tensor? BiasOf(Value b, Grid x, Weight w, int channels, ref string? failure)
        {
            if (WeightOf(b) is not { } bias || bias.Values.Type != DataType.Int32)
            {
                failure = "the bias is not a DequantizeLinear of a constant int32 tensor";
                return null;
            }
            if (bias.Values.ElementCount != channels || bias.Quant.BlockSize != 0) { failure = $"the bias has {bias.Values.ElementCount} elements for {channels} channels"; return null; }
            if (bias.Quant.ZeroPoint is { } z && Enumerable.Range(0, (int)z.ElementCount).Any(i => z.GetLong(i) != 0)) { failure = "the bias has a non-zero zero point"; return null; }
            for (int c = 0; c < channels; c++)
            {
                float ws = w.Quant.Scale.GetFloat(w.Quant.IsPerTensor ? 0 : c);
                float want = (float)(x.Scale * ws);
                float have = bias.Quant.Scale.GetFloat(bias.Quant.IsPerTensor ? 0 : c);
                if (Math.Abs(have - want) > 1e-6 * Math.Abs(want))
                {
                    failure = string.Format(CultureInfo.InvariantCulture, "the bias scale of channel {0} is {1:G9}, not x_scale * w_scale = {2:G9}", c, have, want);
                    return null;
                }
            }
            return bias.Values.WithShape(new[] { channels });
        }

        private bool FuseMatMul(Node mm, ref string? failure, ref string? expected)
        {
            expected = "DequantizeLinear(uint8/int8 A, per tensor) and DequantizeLinear(int8/uint8 B, per tensor, or a constant per column on its last axis) -> MatMul [-> Relu/Clip] -> QuantizeLinear(per tensor)";
            if (Activation(mm.Input(0)) is not { } a) { failure = "input A does not come from a per-tensor 8-bit DequantizeLinear"; return false; }
            Value[] bInputs;
            if (Activation(mm.Input(1)) is { } bAct)
                bInputs = new[] { bAct.Quantized, Scalar(mm, "b_scale", bAct.Grid), ZeroPoint(mm, "b_zero_point", bAct.Grid) };
            else if (WeightOf(mm.Input(1)) is { } w && w.Values.Type is DataType.Int8 or DataType.UInt8 && w.Values.Rank == 2
                && (w.Quant.IsPerTensor && w.Quant.BlockSize == 0 || w.Quant.Axis == 1 && w.Quant.BlockSize == 0))
                bInputs = WeightInputs(mm, w);
            else { failure = "input B is neither a per-tensor 8-bit DequantizeLinear nor a constant 2-D int8/uint8 weight quantized per tensor or per column"; return false; }
            if (OutputOf(mm, ref failure) is not { } output) return false;
            var node = NewNode(mm, "QLinearMatMul", "", Math.Max(10, _graph.DefaultOpset));
            node.Inputs.AddRange(new[] { a.Quantized, Scalar(mm, "a_scale", a.Grid), ZeroPoint(mm, "a_zero_point", a.Grid) });
            node.Inputs.AddRange(bInputs);
            node.Inputs.AddRange(new[] { Scalar(mm, "y_scale", output.Grid), ZeroPoint(mm, "y_zero_point", output.Grid) });
            Replace(mm, node, output);
            return true;
        }

        private bool FuseGemm(Node gemm, ref string? failure, ref string? expected)
        {
            expected = "DequantizeLinear(uint8/int8 A, per tensor), DequantizeLinear(constant int8/uint8 B, per tensor or per output channel) " +
                "[and DequantizeLinear(constant int32 C, scale a_scale * b_scale)] -> Gemm(alpha 1, beta 1, transA 0) [-> Relu/Clip] -> QuantizeLinear(per tensor)";
            if (gemm.GetInt("transA", 0) != 0 || gemm.GetFloat("alpha", 1) != 1 || gemm.Input(2) is not null && gemm.GetFloat("beta", 1) != 1)
            { failure = "it has transA, or alpha or beta other than 1"; return false; }
            if (Activation(gemm.Input(0)) is not { } a) { failure = "input A does not come from a per-tensor 8-bit DequantizeLinear"; return false; }
            if (WeightOf(gemm.Input(1)) is not { } w || w.Values.Type is not (DataType.Int8 or DataType.UInt8) || w.Values.Rank != 2)
            { failure = "input B is not a DequantizeLinear of a constant 2-D int8/uint8 weight"; return false; }
            bool transB = gemm.GetInt("transB", 0) != 0;
            int channelAxis = transB ? 0 : 1;
            if (!(w.Quant.IsPerTensor && w.Quant.BlockSize == 0) && (w.Quant.Axis != channelAxis || w.Quant.BlockSize != 0))
            { failure = $"the weight is quantized per channel on axis {w.Quant.Axis}, not on its output-channel axis {channelAxis}"; return false; }
            int n = w.Values.Shape[channelAxis], k = w.Values.Shape[1 - channelAxis];
            Tensor? bias = null;
            if (gemm.Input(2) is { } c)
            {
                if (c.Shape is { } cs && !(cs.Length == 1 && cs[0] == n || cs.Length == 2 && cs[0] == 1 && cs[1] == n)) { failure = $"C has shape {ShapeText.Format(cs)}, not [{n}]"; return false; }
                if (BiasOf(c, a.Grid, w, n, ref failure) is not { } bt) return false;
                bias = bt;
            }
            if (OutputOf(gemm, ref failure) is not { } output)
            {
                string? notQuantized = failure;
                if (FuseGemmFloatOutput(gemm, a, w, transB, n, bias)) return true;
                failure = notQuantized;
                return false;
            }

            if (OpRegistry.Find("com.microsoft", "QGemm") is not null)
            {
                var node = NewNode(gemm, "QGemm", "com.microsoft", 1);
                foreach (var at in gemm.Attributes) node.Attributes[at.Key] = at.Value;
                node.Inputs.AddRange(new[] { a.Quantized, Scalar(gemm, "a_scale", a.Grid), ZeroPoint(gemm, "a_zero_point", a.Grid) });
                node.Inputs.AddRange(WeightInputs(gemm, w));
                node.Inputs.Add(bias is null ? null : Constant(gemm.Name + "_bias_int32", bias));
                node.Inputs.AddRange(new[] { Scalar(gemm, "y_scale", output.Grid), ZeroPoint(gemm, "y_zero_point", output.Grid) });
                Replace(gemm, node, output);
                return true;
            }

            // Without QGemm: A[M,K] -> [M,K,1,1], a 1x1 QLinearConv with weights [N,K,1,1] and the int32 bias, -> [M,N].
            int m = a.Quantized.Shape![0];
            var wt = transB ? w.Values : Transpose2D(w.Values);
            var wq = new Weight(wt.WithShape(new[] { n, k, 1, 1 }), new QuantParams(w.Quant.Scale, w.Quant.ZeroPoint, w.Quant.IsPerTensor ? null : 0, 0));
            var x4 = Reshape(gemm, a.Quantized, new[] { m, k, 1, 1 }, a.Grid);
            var conv = NewNode(gemm, "QLinearConv", "", Math.Max(10, _graph.DefaultOpset));
            conv.Attributes["kernel_shape"] = Ints("kernel_shape", 1, 1);
            conv.Inputs.AddRange(new[] { x4, Scalar(gemm, "a_scale", a.Grid), ZeroPoint(gemm, "a_zero_point", a.Grid) });
            conv.Inputs.AddRange(WeightInputs(gemm, wq));
            conv.Inputs.AddRange(new[] { Scalar(gemm, "y_scale", output.Grid), ZeroPoint(gemm, "y_zero_point", output.Grid) });
            if (bias is not null) conv.Inputs.Add(Constant(gemm.Name + "_bias_int32", bias));
            Replace(gemm, conv, output, new[] { m, n, 1, 1 }, new[] { m, n });
            return true;
        }

        /// <summary>
        /// DQ(A) x DQ(constant B) [+ DQ(int32 C)] -> Gemm whose float output is not quantized again (a classifier's
        /// logits): com.microsoft MatMulIntegerToFloat, the product exact in int32 and one float32 multiply by
        /// a_scale x b_scale per column plus the bias (the int32 C times a_scale x b_scale), where the
        /// float graph rounds every product and partial sum. ONNX Runtime's QDQ transformer makes the same group a
        /// QGemm with a float output.
        /// </summary>
        private bool FuseGemmFloatOutput(Node gemm, Operand a, Weight w, bool transB, int n, Tensor? bias)
        {
            if (OpRegistry.Find("com.microsoft", "MatMulIntegerToFloat") is null || gemm.Output(0) is not { Shape.Length: 2 } y) return false;
            var node = NewNode(gemm, "MatMulIntegerToFloat", "com.microsoft", 1);
            var b = transB ? Transpose2D(w.Values) : w.Values;
            var bScale = w.Quant.Scale.WithShape(w.Quant.IsPerTensor ? Array.Empty<int>() : new[] { n });
            var bZero = w.Quant.ZeroPoint?.WithShape(w.Quant.IsPerTensor ? Array.Empty<int>() : new[] { n });
            node.Inputs.AddRange(new[] { a.Quantized, Constant(gemm.Name + "_b_quantized", b), Scalar(gemm, "a_scale", a.Grid), Constant(gemm.Name + "_b_scale", bScale),
                ZeroPoint(gemm, "a_zero_point", a.Grid), bZero is null ? null : Constant(gemm.Name + "_b_zero_point", bZero) });
            if (bias is not null)
            {
                var biasFloat = new float[n];
                for (int c = 0; c < n; c++) biasFloat[c] = (float)bias.GetLong(c) * (a.Grid.Scale * w.Quant.Scale.GetFloat(w.Quant.IsPerTensor ? 0 : c));
                node.Inputs.Add(Constant(gemm.Name + "_bias", Tensor.FromFloats(new[] { n }, biasFloat)));
            }
            node.Outputs.Add(y);
            int index = _graph.Nodes.IndexOf(gemm);
            _graph.Nodes[index] = node;
            _graph.RebuildLinks();
            Reinfer(node);
            return true;
        }

        private bool FuseBinary(Node node, ref string? failure, ref string? expected)
        {
            expected = "DequantizeLinear(uint8/int8, per tensor) for both inputs (or per-tensor quantized constants) -> Add/Mul [-> Relu/Clip] -> QuantizeLinear(per tensor), inputs and output of one type";
            string op = node.OpType == "Add" ? "QLinearAdd" : "QLinearMul";
            if (OpRegistry.Find("com.microsoft", op) is null) { failure = $"com.microsoft {op} is not available"; return false; }
            var a = OperandOf(node.Input(0), node.Name + "_a");
            var b = OperandOf(node.Input(1), node.Name + "_b");
            if (a is null || b is null) { failure = "an input is not a per-tensor 8-bit DequantizeLinear"; return false; }
            if (OutputOf(node, ref failure) is not { } output) return false;
            if (a.Grid.Type != output.Grid.Type || b.Grid.Type != output.Grid.Type) { failure = "inputs and output have different integer types"; return false; }
            var fused = NewNode(node, op, "com.microsoft", 1);
            fused.Inputs.AddRange(new[] { a.Quantized, Scalar(node, "a_scale", a.Grid), ZeroPoint(node, "a_zero_point", a.Grid) });
            fused.Inputs.AddRange(new[] { b.Quantized, Scalar(node, "b_scale", b.Grid), ZeroPoint(node, "b_zero_point", b.Grid) });
            fused.Inputs.AddRange(new[] { Scalar(node, "c_scale", output.Grid), ZeroPoint(node, "c_zero_point", output.Grid) });
            Replace(node, fused, output);
            return true;
        }

        private bool FusePool(Node node, ref string? failure, ref string? expected)
        {
            string op = "QLinear" + node.OpType;
            expected = $"DequantizeLinear(uint8/int8, per tensor) -> {node.OpType} [-> Relu/Clip] -> QuantizeLinear(per tensor) of the same type";
            if (OpRegistry.Find("com.microsoft", op) is null) { failure = $"com.microsoft {op} is not available"; return false; }
            if (Activation(node.Input(0)) is not { } x) { failure = "the input does not come from a per-tensor 8-bit DequantizeLinear"; return false; }
            if (OutputOf(node, ref failure) is not { } output) return false;
            if (x.Grid.Type != output.Grid.Type) { failure = "input and output have different integer types"; return false; }
            var fused = NewNode(node, op, "com.microsoft", 1);
            foreach (var a in node.Attributes) fused.Attributes[a.Key] = a.Value;
            fused.Attributes["channels_last"] = new Graph.Attribute("channels_last", AttributeKind.Int) { I = 0 };
            fused.Inputs.AddRange(new[] { x.Quantized, Scalar(node, "x_scale", x.Grid), ZeroPoint(node, "x_zero_point", x.Grid) });
            fused.Inputs.AddRange(new[] { Scalar(node, "y_scale", output.Grid), ZeroPoint(node, "y_zero_point", output.Grid) });
            Replace(node, fused, output);
            return true;
        }

        /// <summary>Concat of requantized integers: inputs on another grid (or needing the clamp) go through a table first.</summary>
        private bool FuseConcat(Node node, ref string? failure, ref string? expected)
        {
            expected = "DequantizeLinear(uint8/int8, per tensor) for every input -> Concat [-> Relu/Clip] -> QuantizeLinear(per tensor)";
            var inputs = new List<Operand>();
            for (int i = 0; i < node.Inputs.Count; i++)
            {
                if (node.Inputs[i] is null) continue;
                if (OperandOf(node.Inputs[i], node.Name + "_input" + i.ToString(CultureInfo.InvariantCulture)) is not { } op) { failure = $"input {i} is not a per-tensor 8-bit DequantizeLinear"; return false; }
                inputs.Add(op);
            }
            if (OutputOf(node, ref failure) is not { } output) return false;
            var concat = NewNode(node, "Concat", "", node.Opset);
            foreach (var a in node.Attributes) concat.Attributes[a.Key] = a.Value;
            foreach (var op in inputs)
                concat.Inputs.Add(op.Grid.SameAs(output.Grid) && !output.NeedsClamp ? op.Quantized : Lookup(node, op, output, v => v, "requantize"));
            Replace(node, concat, output, clamp: false);
            return true;
        }

        /// <summary>DQ -> element-wise f -> Q as one table over the 256 inputs.</summary>
        private bool FuseElementwise(Node node, ref string? failure, ref string? expected)
        {
            expected = $"DequantizeLinear(uint8/int8, per tensor) -> {node.OpType} (other inputs constant scalars) -> QuantizeLinear(per tensor)";
            if (Activation(node.Input(0)) is not { } x) { failure = "input 0 does not come from a per-tensor 8-bit DequantizeLinear"; return false; }
            for (int i = 1; i < node.Inputs.Count; i++)
                if (node.Inputs[i] is { } other && (other.Constant is not { } t || t.ElementCount != 1)) { failure = $"input {i} is not a constant scalar"; return false; }
            if (OutputOf(node, ref failure) is not { } output) return false;
            var schema = OpRegistry.Find(node.Domain, node.OpType)!;
            Func<float[], float[]?> f = values =>
            {
                var probe = new Node(node.Name, node.OpType, node.Domain) { Opset = node.Opset };
                foreach (var a in node.Attributes) probe.Attributes[a.Key] = a.Value;
                var input = new Value("probe") { Type = DataType.Float, Shape = new[] { values.Length }, Constant = Tensor.FromFloats(new[] { values.Length }, values) };
                probe.Inputs.Add(input);
                for (int i = 1; i < node.Inputs.Count; i++) probe.Inputs.Add(node.Inputs[i]);
                probe.Outputs.Add(new Value("probe_out"));
                try
                {
                    var ctx = new OpContext(probe);
                    schema.Infer(ctx);
                    if (!schema.CanFold(ctx) || probe.Outputs[0]!.Type != DataType.Float || probe.Outputs[0]!.ElementCount != values.Length) return null;
                    return schema.Fold(ctx)[0].ToFloats();
                }
                catch (ModelError) { return null; }
            };
            var table = Table(x.Grid, output, f);
            if (table is null) { failure = $"{node.OpType} cannot be evaluated at build time on these inputs"; return false; }
            var lookup = NewNode(node, "QLinearLookup", QLinearLookupOp.DomainName, 1);
            lookup.Attributes["function"] = new Graph.Attribute("function", AttributeKind.String) { S = node.OpType };
            lookup.Inputs.Add(x.Quantized);
            lookup.Inputs.Add(Constant(node.Name + "_table", table));
            Replace(node, lookup, output, clamp: false);
            return true;
        }

        /// <summary>A DQ whose only consumer is a Q: the same grid cancels out, another grid is a table.</summary>
        private bool FuseRequantize(Node dq)
        {
            if (dq.Input(0) is not { } x || x.IsConstant || DqGrid(dq) is not { } grid) return false;
            var o = dq.Output(0);
            if (o is null || _graph.IsGraphOutput(o) || o.Consumers.Count != 1 || !IsQ(o.Consumers[0])) return false;
            var q = o.Consumers[0];
            if (QGrid(q) is not { } outGrid || q.Output(0) is not { } y) return false;
            if (grid.SameAs(outGrid))
            {
                if (!GraphEdits.Forward(_graph, y, x)) return false;
                _graph.Nodes.Remove(q);
                _graph.RebuildLinks();
                return true;
            }
            var output = new Output(q, outGrid, null, outGrid.Min, outGrid.Max);
            var table = Table(grid, output, v => v)!;
            var lookup = NewNode(dq, "QLinearLookup", QLinearLookupOp.DomainName, 1);
            lookup.Name = _graph.UniqueName(q.Name + "_requantize");
            lookup.Attributes["function"] = new Graph.Attribute("function", AttributeKind.String) { S = "requantize" };
            lookup.Inputs.Add(x);
            lookup.Inputs.Add(Constant(q.Name + "_table", table));
            Replace(dq, lookup, output, clamp: false);
            return true;
        }

        /// <summary>table[i] = Q_out(clamp(f(DQ_in(i)))) for the 256 inputs, or null when f cannot be evaluated.</summary>
        private static Tensor? Table(Grid input, Output output, Func<float[], float[]?> f)
        {
            var x = new float[256];
            for (int i = 0; i < 256; i++) x[i] = input.Dequantize(input.Min + i);
            var y = f(x);
            if (y is null) return null;
            var q = new long[256];
            for (int i = 0; i < 256; i++) q[i] = Math.Min(output.High, Math.Max(output.Low, output.Grid.Quantize(y[i])));
            return Tensor.FromLongs(output.Grid.Type, new[] { 256 }, q);
        }

        private Value Lookup(Node at, Operand x, Output output, Func<float, float> f, string what)
        {
            var table = Table(x.Grid, output, v => v.Select(f).ToArray())!;
            var lookup = new Node(_graph.UniqueName(at.Name + "_" + what), "QLinearLookup", QLinearLookupOp.DomainName) { Opset = 1 };
            lookup.Attributes["function"] = new Graph.Attribute("function", AttributeKind.String) { S = what };
            lookup.Inputs.Add(x.Quantized);
            lookup.Inputs.Add(Constant(at.Name + "_" + what + "_table", table));
            var y = _graph.GetOrAddValue(_graph.UniqueName(at.Name + "_" + what + "d"));
            y.Type = output.Grid.Type;
            y.Shape = x.Quantized.Shape;
            y.Quant = output.Grid.Params;
            lookup.Outputs.Add(y);
            _graph.Nodes.Insert(_graph.Nodes.IndexOf(at), lookup);
            return y;
        }

        // ---------------------------------------------------------------- rewriting helpers

        private Node NewNode(Node original, string opType, string domain, int opset) =>
            new(original.Name, opType, domain) { Opset = opset };

        /// <summary>
        /// Puts <paramref name="fused"/> where <paramref name="original"/> was, writing the Q's output (through an
        /// integer Clip when the folded activation leaves a narrower range), and removes the activation and Q.
        /// With <paramref name="viewShape"/>, the fused node writes that shape and a Reshape gives the Q's shape.
        /// </summary>
        private void Replace(Node original, Node fused, Output output, int[]? viewShape = null, int[]? finalShape = null, bool clamp = true)
        {
            int index = _graph.Nodes.IndexOf(original);
            var y = output.Q.Output(0)!;
            var nodes = new List<Node> { fused };
            Value target = y;
            if (clamp && output.NeedsClamp || viewShape is not null)
                target = NewValue(original.Name + "_quantized", output.Grid, viewShape ?? y.Shape!);
            fused.Outputs.Add(target);
            if (viewShape is not null)
            {
                var shape = Constant(original.Name + "_shape", Tensor.Int64Vector(finalShape!.Select(d => (long)d).ToArray()));
                var reshape = new Node(_graph.UniqueName(original.Name + "_reshape"), "Reshape", "") { Opset = Math.Max(5, _graph.DefaultOpset) };
                var next = clamp && output.NeedsClamp ? NewValue(original.Name + "_reshaped", output.Grid, finalShape!) : y;
                reshape.Inputs.Add(target);
                reshape.Inputs.Add(shape);
                reshape.Outputs.Add(next);
                nodes.Add(reshape);
                target = next;
            }
            if (clamp && output.NeedsClamp)
            {
                var clip = new Node(_graph.UniqueName(original.Name + "_clamp"), "Clip", "") { Opset = Math.Max(13, _graph.DefaultOpset) };
                clip.Inputs.Add(target);
                clip.Inputs.Add(Constant(original.Name + "_min", Tensor.FromLongs(output.Grid.Type, Array.Empty<int>(), new[] { output.Low })));
                clip.Inputs.Add(Constant(original.Name + "_max", Tensor.FromLongs(output.Grid.Type, Array.Empty<int>(), new[] { output.High })));
                clip.Outputs.Add(y);
                nodes.Add(clip);
            }
            y.Quant = output.Grid.Params;
            _graph.Nodes.RemoveAt(index);
            _graph.Nodes.InsertRange(index, nodes);
            _graph.Nodes.Remove(output.Q);
            if (output.Activation is not null) _graph.Nodes.Remove(output.Activation);
            _graph.RebuildLinks();
            foreach (var n in nodes) Reinfer(n);
        }

        private static void Reinfer(Node n) => OpRegistry.Find(n.Domain, n.OpType)?.Infer(new OpContext(n));

        private Value NewValue(string name, Grid grid, int[] shape)
        {
            var v = _graph.GetOrAddValue(_graph.UniqueName(name));
            v.Type = grid.Type;
            v.Shape = shape;
            v.Quant = grid.Params;
            return v;
        }

        private Value Reshape(Node at, Value x, int[] shape, Grid grid)
        {
            var y = NewValue(at.Name + "_as_nchw", grid, shape);
            var reshape = new Node(_graph.UniqueName(at.Name + "_to_nchw"), "Reshape", "") { Opset = Math.Max(5, _graph.DefaultOpset) };
            reshape.Inputs.Add(x);
            reshape.Inputs.Add(Constant(at.Name + "_nchw_shape", Tensor.Int64Vector(shape.Select(d => (long)d).ToArray())));
            reshape.Outputs.Add(y);
            _graph.Nodes.Insert(_graph.Nodes.IndexOf(at), reshape);
            return y;
        }

        private Value[] WeightInputs(Node at, Weight w)
        {
            var zp = w.Quant.ZeroPoint ?? Tensor.FromLongs(w.Values.Type, w.Quant.Scale.Shape, new long[w.Quant.Scale.ElementCount]);
            var scale = w.Quant.Scale;
            if (w.Quant.IsPerTensor) { scale = scale.WithShape(Array.Empty<int>()); zp = zp.WithShape(Array.Empty<int>()); }
            return new[] { Constant(at.Name + "_w_quantized", w.Values), Constant(at.Name + "_w_scale", scale), Constant(at.Name + "_w_zero_point", zp) };
        }

        private Value Scalar(Node at, string what, Grid g) => Constant(at.Name + "_" + what, g.ScaleTensor);
        private Value ZeroPoint(Node at, string what, Grid g) => Constant(at.Name + "_" + what, g.ZeroPointTensor);

        private Value Constant(string name, Tensor t)
        {
            var v = _graph.GetOrAddValue(_graph.UniqueName(name));
            v.Constant = t;
            v.Type = t.Type;
            v.Shape = t.Shape;
            return v;
        }


        private static Graph.Attribute Ints(string name, params long[] values) => new(name, AttributeKind.Ints) { Ints = values };

        private static Tensor Transpose2D(Tensor t)
        {
            int r = t.Shape[0], c = t.Shape[1];
            var v = t.ToLongs();
            var o = new long[v.Length];
            for (int i = 0; i < r; i++)
                for (int j = 0; j < c; j++) o[j * r + i] = v[i * c + j];
            return Tensor.FromLongs(t.Type, new[] { c, r }, o);
        }
    }
}
