using System;
using System.Linq;
using ModelCompiler.Onnx.Proto;

namespace ModelCompiler.Tests.Quantization;

/// <summary>
/// The quantization parameters at a QOperator model's edges, read from the file: the QuantizeLinear that
/// quantizes each float input and the DequantizeLinear that produces each float output.
/// </summary>
internal static class QuantModelInfo
{
    /// <summary>(scale, zero point, signed) of the QuantizeLinear reading graph input <paramref name="input"/>, or null.</summary>
    public static (float Scale, int ZeroPoint, bool Signed)? InputQuantization(byte[] model, int input = 0)
    {
        var m = ModelProto.Parser.ParseFrom(model);
        var inits = m.Graph.Initializer.Select(i => i.Name).ToHashSet();
        string name = m.Graph.Input.Where(i => !inits.Contains(i.Name)).ElementAt(input).Name;
        var q = m.Graph.Node.FirstOrDefault(n => n.OpType == "QuantizeLinear" && n.Input[0] == name);
        return q is null ? null : Params(m, q);
    }

    /// <summary>The scale of the DequantizeLinear producing graph output <paramref name="output"/>, or null.</summary>
    public static float? OutputScale(byte[] model, int output = 0)
    {
        var m = ModelProto.Parser.ParseFrom(model);
        string name = m.Graph.Output[output].Name;
        // The output may come through Squeeze/Reshape/Flatten after the DequantizeLinear, or the other way round.
        for (int hops = 0; hops < 8; hops++)
        {
            var producer = m.Graph.Node.FirstOrDefault(n => n.Output.Contains(name));
            if (producer is null) return null;
            if (producer.OpType == "DequantizeLinear") return Params(m, producer).Scale;
            name = producer.Input[0];
        }
        return null;
    }

    private static (float Scale, int ZeroPoint, bool Signed) Params(ModelProto m, NodeProto n)
    {
        var scale = m.Graph.Initializer.First(i => i.Name == n.Input[1]);
        var zp = n.Input.Count > 2 ? m.Graph.Initializer.FirstOrDefault(i => i.Name == n.Input[2]) : null;
        float s = scale.FloatData.Count > 0 ? scale.FloatData[0] : BitConverter.ToSingle(scale.RawData.ToByteArray(), 0);
        bool signed = zp is not null && zp.DataType == (int)TensorProto.Types.DataType.Int8;
        int z = 0;
        if (zp is not null) z = zp.Int32Data.Count > 0 ? zp.Int32Data[0] : signed ? (sbyte)zp.RawData[0] : zp.RawData[0];
        return (s, z, signed);
    }
}
