using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tool.Onnx;

namespace ModelCompiler.Tool.Quantization;

/// <summary>
/// Dynamic quantization, as ONNX Runtime's quantize_dynamic lays it out with standard ONNX ops: weights are quantized
/// once, activations at run time by DynamicQuantizeLinear (uint8, the range of each call), and the integer product
/// is scaled back to float:
/// <list type="bullet">
/// <item>MatMul and Gemm (transA = 0): DynamicQuantizeLinear -> MatMulInteger (int8 symmetric weights, Gemm's B
/// transposed to [K, N] and alpha folded in) -> Cast -> Mul(x_scale * w_scale) -> Add(beta * bias);</item>
/// <item>Conv: DynamicQuantizeLinear -> ConvInteger -> Cast -> Mul -> Add(bias), with uint8 weights symmetric around
/// the zero point 128 (ONNX Runtime's ConvInteger takes uint8 weights and one weight zero point only).</item>
/// </list>
/// Per-channel gives Conv weights one scale per output channel and Gemm/MatMul weights one scale per output column;
/// otherwise one per tensor.
/// </summary>
internal static class DynamicQuantizer
{
    public static int Quantize(OnnxModel model, bool perChannel, Transforms.LayerSelection layers)
    {
        if (model.Graph.Node.Any(n => n.OpType is "QuantizeLinear" or "DequantizeLinear" or "QLinearConv" or "DynamicQuantizeLinear"))
            throw new ToolException($"{model.Name} is already quantized");
        Opsets.Raise(model, 11);
        var g = model.Graph;
        int done = 0;
        foreach (var n in g.Node.Where(n => n.Domain is "" or "ai.onnx" && n.OpType is "MatMul" or "Gemm" or "Conv" && n.Input.Count > 1).ToList())
        {
            if (!layers.Selects(n)) continue;
            if (model.Initializer(n.Input[1]) is not { DataType: (int)TensorProto.Types.DataType.Float } wInit || model.ReaderCount(n.Input[1]) != 1) continue;
            int[] shape = OnnxModel.Dims(wInit);
            var w = model.FloatInitializer(n.Input[1])!;
            string x = n.Input[0], y = n.Output[0], name = n.Name.Length > 0 ? n.Name : y;
            var nodes = new List<NodeProto>();
            string xq = model.UniqueName(x + "_quantized"), xs = model.UniqueName(x + "_scale"), xz = model.UniqueName(x + "_zero_point");
            nodes.Add(OnnxModel.Node("DynamicQuantizeLinear", model.UniqueName(name + "_DynamicQuantizeLinear"), new[] { x }, new[] { xq, xs, xz }));
            string integer = model.UniqueName(y + "_int32"), asFloat = model.UniqueName(y + "_int32_float"), scaleName = model.UniqueName(y + "_scale");
            string? bias = null;
            int[] scaleShape;
            float[] weightScales;

            if (n.OpType == "Conv")
            {
                if (shape.Length != 4) continue;
                // ONNX Runtime's ConvInteger takes uint8 weights with one zero point: symmetric around 128, scales per channel or tensor.
                var (q, s) = QuantMath.Symmetric(w, shape, perChannel ? 0 : -1, 127);
                string wq = Add(model, OnnxModel.IntegerTensor(model.UniqueName(n.Input[1] + "_quantized"), DataType.UInt8, shape, q.Select(v => v + 128).ToArray()));
                string wz = Add(model, OnnxModel.IntegerTensor(model.UniqueName(n.Input[1] + "_zero_point"), DataType.UInt8, System.Array.Empty<int>(), new long[] { 128 }));
                var conv = OnnxModel.Node("ConvInteger", model.UniqueName(name + "_ConvInteger"), new[] { xq, wq, xz, wz }, new[] { integer });
                conv.Attribute.AddRange(n.Attribute.Select(a => a.Clone()));
                nodes.Add(conv);
                weightScales = s;
                scaleShape = perChannel ? new[] { s.Length, 1, 1 } : System.Array.Empty<int>();
                if (n.Input.Count > 2 && n.Input[2].Length > 0 && model.FloatInitializer(n.Input[2]) is { } b)
                    bias = Add(model, OnnxModel.FloatTensor(model.UniqueName(n.Input[2] + "_reshaped"), new[] { b.Length, 1, 1 }, b));
            }
            else
            {
                if (shape.Length != 2) continue;
                if (n.OpType == "Gemm" && OnnxModel.IntAttr(n, "transA", 0) != 0) continue;
                bool transB = n.OpType == "Gemm" && OnnxModel.IntAttr(n, "transB", 0) != 0;
                float alpha = n.OpType == "Gemm" ? OnnxModel.FloatAttr(n, "alpha", 1f) : 1f, beta = n.OpType == "Gemm" ? OnnxModel.FloatAttr(n, "beta", 1f) : 1f;
                int k = transB ? shape[1] : shape[0], cols = transB ? shape[0] : shape[1];
                var m = new float[k * cols];
                for (int i = 0; i < k; i++)
                    for (int j = 0; j < cols; j++) m[i * cols + j] = alpha * (transB ? w[j * k + i] : w[i * cols + j]);
                var (q, s) = QuantMath.Symmetric(m, new[] { k, cols }, perChannel ? 1 : -1, 127);
                string wq = Add(model, OnnxModel.IntegerTensor(model.UniqueName(n.Input[1] + "_quantized"), DataType.Int8, new[] { k, cols }, q));
                string wz = Add(model, OnnxModel.IntegerTensor(model.UniqueName(n.Input[1] + "_zero_point"), DataType.Int8, System.Array.Empty<int>(), new long[1]));
                nodes.Add(OnnxModel.Node("MatMulInteger", model.UniqueName(name + "_MatMulInteger"), new[] { xq, wq, xz, wz }, new[] { integer }));
                weightScales = s;
                scaleShape = perChannel ? new[] { s.Length } : System.Array.Empty<int>();
                if (n.OpType == "Gemm" && n.Input.Count > 2 && n.Input[2].Length > 0)
                {
                    if (model.FloatInitializer(n.Input[2]) is not { } b) continue;
                    bias = Add(model, OnnxModel.FloatTensor(model.UniqueName(n.Input[2] + "_scaled"), OnnxModel.Dims(model.Initializer(n.Input[2])!), b.Select(v => v * beta).ToArray()));
                }
            }
            var cast = OnnxModel.Node("Cast", model.UniqueName(name + "_Cast"), new[] { integer }, new[] { asFloat });
            cast.Attribute.Add(OnnxModel.IntAttribute("to", (int)TensorProto.Types.DataType.Float));
            nodes.Add(cast);
            string ws = Add(model, OnnxModel.FloatTensor(model.UniqueName(n.Input[1] + "_scale"), scaleShape, weightScales));
            nodes.Add(OnnxModel.Node("Mul", model.UniqueName(name + "_scale_Mul"), new[] { xs, ws }, new[] { scaleName }));
            string scaled = bias is null ? y : model.UniqueName(y + "_unbiased");
            nodes.Add(OnnxModel.Node("Mul", model.UniqueName(name + "_output_Mul"), new[] { asFloat, scaleName }, new[] { scaled }));
            if (bias is not null) nodes.Add(OnnxModel.Node("Add", model.UniqueName(name + "_bias_Add"), new[] { scaled, bias }, new[] { y }));
            int at = g.Node.IndexOf(n);
            g.Node.RemoveAt(at);
            for (int i = 0; i < nodes.Count; i++) g.Node.Insert(at + i, nodes[i]);
            done++;
        }
        model.RemoveUnusedInitializers();
        return done;
    }

    private static string Add(OnnxModel model, TensorProto t)
    {
        model.Graph.Initializer.Add(t);
        return t.Name;
    }
}

