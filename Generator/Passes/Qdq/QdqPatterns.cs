using System;
using System.Globalization;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Ops;

namespace ModelCompiler.Passes.Qdq;

/// <summary>
/// The pattern matchers of the QDQ pass: what a value or node is (an activation DequantizeLinear, a quantized weight,
/// an int32 bias, the QuantizeLinear a group ends in). Read-only: they look at the graph and change nothing.
/// </summary>
internal static class QdqPatterns
{
    public static bool IsDq(Node n) => n.OpType == "DequantizeLinear" && n.Domain is "" or "com.microsoft";
    public static bool IsQ(Node n) => n.OpType == "QuantizeLinear" && n.Domain is "" or "com.microsoft";

    /// <summary>The per-tensor 8-bit grid of a DQ or Q node with constant scale and zero point, or null.</summary>
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

    public static Grid? DqGrid(Node dq) => dq.Input(0) is { } x ? GridOf(dq, x) : null;
    public static Grid? QGrid(Node q) => q.Output(0) is { } y ? GridOf(q, y) : null;

    /// <summary>The integer operand behind a float value produced by an activation DQ.</summary>
    public static Operand? Activation(Value? v)
    {
        if (v?.Producer is not { } dq || !IsDq(dq) || dq.Input(0) is not { } x || x.IsConstant) return null;
        return DqGrid(dq) is { } g ? new Operand(x, g) : null;
    }

    /// <summary>The quantized constant behind a float weight, or null.</summary>
    public static Weight? WeightOf(Value? v)
    {
        if (v is null) return null;
        if (v.Constant?.Encoding is { Quant: { } q } e) return new Weight(e.Source, q);
        if (v.Producer is { } dq && IsDq(dq) && ConstantEncodings.Dequantization(dq) is { Quant: { } q2 } e2) return new Weight(e2.Source, q2);
        return null;
    }

    /// <summary>
    /// The clamp a node is, when its schema declares <see cref="OpTraits.Clamp"/> (Relu, Clip with constant bounds):
    /// <c>Known</c> says the op is a clamp at all, <c>Range</c> its bounds (null when they are not constants).
    /// </summary>
    private static (bool Known, (double Min, double Max)? Range) ClampOf(Node n) =>
        OpRegistry.Find(n.Domain, n.OpType)?.Traits.Clamp is { } clamp ? (true, clamp(n)) : (false, null);

    /// <summary>Whether a node's output goes to a Q, directly or through a clamp (a group that looks quantized).</summary>
    public static bool EndsInQ(Node node) =>
        node.Output(0) is { } o && o.Consumers.Any(c => IsQ(c) || (ClampOf(c).Known && c.Output(0)?.Consumers.Any(IsQ) == true));

    /// <summary>
    /// The Q that alone consumes the node's output, through an optional clamp (<see cref="OpTraits.Clamp"/>: Relu,
    /// Clip), which narrows the integer range left: Q(clamp(v, a, b)) = clamp(Q(v), Q(a), Q(b)) since Q is monotonic.
    /// </summary>
    public static Output? OutputOf(ModelGraph graph, Node node, ref string? failure)
    {
        var o = node.Output(0);
        if (o is null || graph.IsGraphOutput(o) || o.Consumers.Count != 1)
        {
            failure = o is not null && graph.IsGraphOutput(o) ? "its float output is a graph output" : "its output has other consumers than one QuantizeLinear";
            return null;
        }
        var next = o.Consumers[0];
        Node? activation = null;
        var clamp = ClampOf(next);
        if (clamp.Known && !ClampOf(node).Known)
        {
            var ao = next.Output(0);
            if (ao is null || graph.IsGraphOutput(ao) || ao.Consumers.Count != 1) { failure = "the activation after it has other consumers than one QuantizeLinear"; return null; }
            activation = next;
            next = ao.Consumers[0];
        }
        if (!IsQ(next)) { failure = "its output does not go to a QuantizeLinear"; return null; }
        if (QGrid(next) is not { } grid) { failure = "the QuantizeLinear after it is not a per-tensor 8-bit quantization with constant scale and zero point"; return null; }
        long low = grid.Min, high = grid.Max;
        if (activation is not null)
        {
            if (clamp.Range is not { } b) { failure = $"the {activation.OpType} after it has bounds that are not constants"; return null; }
            low = Math.Max(low, grid.Quantize(b.Min)); // an infinite bound quantizes to the type's limit
            high = Math.Min(high, grid.Quantize(b.Max));
        }
        return new Output(next, grid, activation, low, high);
    }

    /// <summary>An int32 bias whose scale is x_scale * w_scale (per channel), as the integer accumulator needs it.</summary>
    public static Tensor? BiasOf(Value b, Grid x, Weight w, int channels, ref string? failure)
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
}
