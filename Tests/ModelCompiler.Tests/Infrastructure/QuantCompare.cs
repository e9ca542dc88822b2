using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Google.Protobuf;
using ModelCompiler.Onnx.Proto;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>
/// Helpers for comparing quantized models with ONNX Runtime: expose every QuantizeLinear output (and every
/// other 8-bit tensor) as a graph output so both runtimes report them, and measure differences in
/// quantization steps.
/// </summary>
internal static class QuantCompare
{
    /// <summary>Which input of a quantizing op is its output zero point (whose type is the output type).</summary>
    private static readonly Dictionary<string, int> s_outputZeroPoint = new()
    {
        ["QuantizeLinear"] = 2, ["QLinearConv"] = 7, ["QLinearMatMul"] = 7, ["QLinearAdd"] = 7, ["QLinearMul"] = 7,
        ["QLinearAveragePool"] = 4, ["QLinearGlobalAveragePool"] = 4, ["QLinearSigmoid"] = 4, ["QLinearLeakyRelu"] = 4, ["QLinearConcat"] = 1,
    };

    /// <summary>
    /// The model with the outputs of its QuantizeLinear and QLinear* nodes added as graph outputs (uint8/int8,
    /// the type of the op's output zero point; uint8 when it is absent).
    /// </summary>
    public static byte[] ExposeQuantized(byte[] model)
    {
        var proto = ModelProto.Parser.ParseFrom(model);
        var existing = proto.Graph.Output.Select(o => o.Name).ToHashSet();
        var initializers = proto.Graph.Initializer.ToDictionary(i => i.Name);
        foreach (var n in proto.Graph.Node)
        {
            if (!s_outputZeroPoint.TryGetValue(n.OpType, out int zpIndex) || existing.Contains(n.Output[0])) continue;
            int type = (int)TensorProto.Types.DataType.Uint8;
            if (n.Input.Count > zpIndex && initializers.TryGetValue(n.Input[zpIndex], out var zp)) type = zp.DataType;
            proto.Graph.Output.Add(OnnxModelBuilder.ValueInfo(n.Output[0], type, null));
            existing.Add(n.Output[0]);
        }
        return proto.ToByteArray();
    }

    /// <summary>Largest |a - e| over integer tensors, and how many elements differ.</summary>
    public static (long MaxSteps, int Differing) Steps(Array expected, Array actual)
    {
        long max = 0;
        int differing = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            long e = Convert.ToInt64(expected.GetValue(i), CultureInfo.InvariantCulture), a = Convert.ToInt64(actual.GetValue(i), CultureInfo.InvariantCulture);
            if (e != a) { differing++; max = Math.Max(max, Math.Abs(e - a)); }
        }
        return (max, differing);
    }

    /// <summary>Seeded inputs in [lo, hi).</summary>
    public static float[] Uniform(int count, uint seed, float lo = 0, float hi = 1) =>
        OnnxModelBuilder.RandomFloats(count, seed).Select(v => lo + (v + 1) / 2 * (hi - lo)).ToArray();
}
