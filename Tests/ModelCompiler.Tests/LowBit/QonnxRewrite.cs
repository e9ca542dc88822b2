using System;
using System.Linq;
using Google.Protobuf;
using ModelCompiler.Onnx.Proto;

namespace ModelCompiler.Tests.LowBit;

/// <summary>
/// The test's own translation of QONNX <c>Quant</c> and <c>BipolarQuant</c> into standard ONNX ops, written from
/// the public qonnx reference (<c>intquant.py</c>, <c>bipolar_quant.py</c>), so that ONNX Runtime can run a QONNX
/// model as a reference: Quant = Mul(Sub(round(Min(Max(Add(Div(x, scale), zeropt), min), max)), zeropt), scale)
/// with ROUND as ONNX Round (half to even, as numpy) and FLOOR/CEIL as Floor/Ceil; a signed 1-bit Quant and
/// BipolarQuant become Where(Less(v, 0), -1, 1) (times scale); MultiThreshold (NCHW) a sum of Cast(Not(Less(x, T[:, s]))) times
/// out_scale plus out_bias. The default opset is raised to 11 for Round.
/// </summary>
internal static class QonnxRewrite
{
    private static readonly string[] Domains = { "qonnx.custom_op.general", "finn.custom_op.general", "finn", "onnx.brevitas" };

    public static byte[] ToStandardOnnx(byte[] model)
    {
        var proto = ModelProto.Parser.ParseFrom(model);
        var g = proto.Graph;
        var main = proto.OpsetImport.First(o => o.Domain is "" or "ai.onnx");
        main.Version = Math.Max(main.Version, 11);
        foreach (var o in proto.OpsetImport.Where(o => Domains.Contains(o.Domain)).ToList()) proto.OpsetImport.Remove(o);

        var constants = g.Initializer.ToDictionary(t => t.Name);
        foreach (var n in g.Node.Where(n => n.OpType == "Constant"))
            constants[n.Output[0]] = n.Attribute.First(a => a.Name == "value").T;
        int k = 0;
        string Scalar(float v)
        {
            var t = new TensorProto { Name = $"qonnx_rewrite_c{k++}", DataType = (int)TensorProto.Types.DataType.Float };
            t.FloatData.Add(v);
            g.Initializer.Add(t);
            return t.Name;
        }
        var result = new System.Collections.Generic.List<NodeProto>();
        foreach (var n in g.Node)
        {
            if (!Domains.Contains(n.Domain)) { result.Add(n); continue; }
            string Tmp() => $"{n.Output[0]}__r{k++}";
            NodeProto Op(string type, string output, params string[] inputs)
            {
                var node = new NodeProto { OpType = type, Name = output };
                node.Input.AddRange(inputs);
                node.Output.Add(output);
                result.Add(node);
                return node;
            }
            string Bipolar(string v, string output)
            {
                string less = Tmp();
                Op("Less", less, v, Scalar(0));
                Op("Where", output, less, Scalar(-1), Scalar(1));
                return output;
            }
            if (n.OpType == "BipolarQuant")
            {
                string sign = Bipolar(n.Input[0], Tmp());
                Op("Mul", n.Output[0], sign, n.Input[1]);
                continue;
            }
            if (n.OpType == "MultiThreshold")
            {
                // Sum over steps of (x >= T[:, step]), thresholds shaped [C, 1, ...] to broadcast along axis 1 (NCHW).
                var t = constants[n.Input[1]];
                int channels = (int)t.Dims[0], steps = (int)t.Dims[1];
                var values = t.FloatData.Count > 0 ? t.FloatData.ToArray() : Enumerable.Range(0, channels * steps).Select(i => BitConverter.ToSingle(t.RawData.ToByteArray(), 4 * i)).ToArray();
                int rank = g.Input.Concat(g.ValueInfo).FirstOrDefault(v => v.Name == n.Input[0])?.Type.TensorType.Shape.Dim.Count ?? 2;
                float Attribute(string name, float fallback) => n.Attribute.FirstOrDefault(a => a.Name == name)?.F ?? fallback;
                string sum = "";
                for (int step = 0; step < steps; step++)
                {
                    var column = new TensorProto { Name = $"qonnx_rewrite_t{k++}", DataType = (int)TensorProto.Types.DataType.Float };
                    column.Dims.Add(channels);
                    for (int d = 2; d < rank; d++) column.Dims.Add(1);
                    column.FloatData.AddRange(Enumerable.Range(0, channels).Select(c => values[c * steps + step]));
                    g.Initializer.Add(column);
                    string less = Tmp(), ge = Tmp(), f = Tmp();
                    Op("Less", less, n.Input[0], column.Name);
                    Op("Not", ge, less);
                    Op("Cast", f, ge).Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (int)TensorProto.Types.DataType.Float });
                    if (sum.Length == 0) sum = f;
                    else { string next = Tmp(); Op("Add", next, sum, f); sum = next; }
                }
                string scaled = Tmp();
                Op("Mul", scaled, sum, Scalar(Attribute("out_scale", 1f)));
                Op("Add", n.Output[0], scaled, Scalar(Attribute("out_bias", 0f)));
                continue;
            }
            if (n.OpType != "Quant") throw new NotSupportedException($"the test rewrite has no translation of {n.OpType}");
            long Attr(string name, long fallback) => n.Attribute.FirstOrDefault(a => a.Name == name)?.I ?? fallback;
            bool signed = Attr("signed", 1) != 0, narrow = Attr("narrow", 1) != 0;
            string mode = n.Attribute.FirstOrDefault(a => a.Name == "rounding_mode")?.S.ToStringUtf8().ToUpperInvariant() ?? "ROUND";
            int bits = (int)Value(constants[n.Input[3]]);
            string div = Tmp(), add = Tmp(), q = Tmp(), sub = Tmp(), scale = Tmp(), zeroPoint = Tmp();
            // Parameters of another type (the jet tagger's int64 zero points) take part as float32, as in numpy.
            Op("Cast", scale, n.Input[1]).Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (int)TensorProto.Types.DataType.Float });
            Op("Cast", zeroPoint, n.Input[2]).Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (int)TensorProto.Types.DataType.Float });
            Op("Div", div, n.Input[0], scale);
            Op("Add", add, div, zeroPoint);
            if (bits == 1 && signed) Bipolar(add, q);
            else
            {
                double min = !signed ? 0 : narrow ? -Math.Pow(2, bits - 1) + 1 : -Math.Pow(2, bits - 1);
                double max = signed ? Math.Pow(2, bits - 1) - 1 : narrow ? Math.Pow(2, bits) - 2 : Math.Pow(2, bits) - 1;
                string lo = Tmp(), hi = Tmp();
                Op("Max", lo, add, Scalar((float)min));
                Op("Min", hi, lo, Scalar((float)max));
                Op(mode switch { "ROUND" or "HALF_EVEN" => "Round", "FLOOR" => "Floor", "CEIL" => "Ceil", _ => throw new NotSupportedException(mode) }, q, hi);
            }
            Op("Sub", sub, q, zeroPoint);
            Op("Mul", n.Output[0], sub, scale);
        }
        g.Node.Clear();
        g.Node.AddRange(result);
        return proto.ToByteArray();
    }

    private static double Value(TensorProto t) =>
        t.RawData.Length > 0
            ? t.DataType switch
            {
                (int)TensorProto.Types.DataType.Float => BitConverter.ToSingle(t.RawData.ToByteArray(), 0),
                (int)TensorProto.Types.DataType.Double => BitConverter.ToDouble(t.RawData.ToByteArray(), 0),
                (int)TensorProto.Types.DataType.Int64 => BitConverter.ToInt64(t.RawData.ToByteArray(), 0),
                _ => throw new NotSupportedException($"bit width of type {t.DataType}"),
            }
            : t.FloatData.Count > 0 ? t.FloatData[0] : t.DoubleData.Count > 0 ? t.DoubleData[0] : t.Int64Data[0];
}
