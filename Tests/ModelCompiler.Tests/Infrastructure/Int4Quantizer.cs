using System;
using System.Linq;
using Google.Protobuf;
using ModelCompiler.Onnx.Proto;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>
/// Weight-only 4-bit quantization of an MLP's Gemm layers, as "DequantizeLinear(int4, block_size) -> MatMul/Gemm"
/// (opset 21, IR 10): each weight is split in blocks of <c>blockSize</c> along the reduction axis K, each
/// block quantized with its own float32 scale (symmetric int4 in [-8, 7], or asymmetric uint4 with a uint4
/// zero point), the integers packed two per byte, low nibble first. Activations stay float32.
/// </summary>
internal static class Int4Quantizer
{
    /// <param name="asMatMul">Rewrite each Gemm(transB) as MatMul with B [K, N] blocked along axis 0 plus Add (ORT's
    /// MatMulNBits pattern); otherwise keep Gemm with B [N, K] blocked along axis 1.</param>
    public static byte[] Quantize(byte[] floatModel, int blockSize, bool asymmetric, bool asMatMul)
    {
        var proto = ModelProto.Parser.ParseFrom(floatModel);
        proto.IrVersion = Math.Max(proto.IrVersion, 10);
        var main = proto.OpsetImport.First(o => o.Domain is "" or "ai.onnx");
        main.Version = Math.Max(main.Version, 21);
        var g = proto.Graph;
        var initializers = g.Initializer.ToDictionary(i => i.Name);
        var nodes = g.Node.ToList();
        g.Node.Clear();
        foreach (var n in nodes)
        {
            bool transB = n.Attribute.Any(a => a.Name == "transB" && a.I != 0);
            if (n.OpType != "Gemm" || !transB || !initializers.TryGetValue(n.Input[1], out var wInit)) { g.Node.Add(n); continue; }
            int rows = (int)wInit.Dims[0], cols = (int)wInit.Dims[1]; // [N, K]
            var w = Floats(wInit);
            float[] matrix = w;
            int axis = 1;
            int[] shape = { rows, cols };
            if (asMatMul)
            {
                matrix = new float[w.Length]; // [K, N]
                for (int i = 0; i < rows; i++)
                    for (int j = 0; j < cols; j++) matrix[j * rows + i] = w[i * cols + j];
                shape = new[] { cols, rows };
                axis = 0;
            }
            var (packed, scales, zeroPoints, scaleShape) = Blocked(matrix, shape, axis, blockSize, asymmetric);
            string name = n.Input[1] + "_int4";
            var type = asymmetric ? TensorProto.Types.DataType.Uint4 : TensorProto.Types.DataType.Int4;
            g.Initializer.Add(Tensor(name, type, shape, packed));
            g.Initializer.Add(Tensor(name + "_scale", TensorProto.Types.DataType.Float, scaleShape, scales.SelectMany(BitConverter.GetBytes).ToArray()));
            var dq = new NodeProto { OpType = "DequantizeLinear", Name = name + "_DequantizeLinear" };
            dq.Input.AddRange(new[] { name, name + "_scale" });
            if (zeroPoints is not null)
            {
                g.Initializer.Add(Tensor(name + "_zero_point", type, scaleShape, zeroPoints));
                dq.Input.Add(name + "_zero_point");
            }
            dq.Output.Add(name + "_dequantized");
            dq.Attribute.Add(OnnxModelBuilder.Int("axis", axis));
            dq.Attribute.Add(OnnxModelBuilder.Int("block_size", blockSize));
            g.Node.Add(dq);
            g.Initializer.Remove(wInit);
            if (!asMatMul)
            {
                n.Input[1] = name + "_dequantized";
                g.Node.Add(n);
                continue;
            }
            var mm = new NodeProto { OpType = "MatMul", Name = n.Name + "_MatMul" };
            mm.Input.AddRange(new[] { n.Input[0], name + "_dequantized" });
            string product = n.Output[0] + "_product";
            mm.Output.Add(n.Input.Count > 2 ? product : n.Output[0]);
            g.Node.Add(mm);
            if (n.Input.Count > 2)
            {
                var add = new NodeProto { OpType = "Add", Name = n.Name + "_bias" };
                add.Input.AddRange(new[] { product, n.Input[2] });
                add.Output.Add(n.Output[0]);
                g.Node.Add(add);
            }
        }
        return proto.ToByteArray();
    }

    /// <summary>Blocked 4-bit quantization of a 2-D matrix along <paramref name="axis"/>; returns packed bytes, scales, packed zero points and the scale shape.</summary>
    public static (byte[] Packed, float[] Scales, byte[]? ZeroPoints, int[] ScaleShape) Blocked(float[] m, int[] shape, int axis, int blockSize, bool asymmetric)
    {
        int rows = shape[0], cols = shape[1];
        int blocks = ((axis == 0 ? rows : cols) + blockSize - 1) / blockSize;
        int[] scaleShape = axis == 0 ? new[] { blocks, cols } : new[] { rows, blocks };
        int scaleCount = scaleShape[0] * scaleShape[1];
        int ScaleIndex(int r, int c) => axis == 0 ? (r / blockSize) * cols + c : r * blocks + c / blockSize;
        var lo = Enumerable.Repeat(float.PositiveInfinity, scaleCount).ToArray();
        var hi = Enumerable.Repeat(float.NegativeInfinity, scaleCount).ToArray();
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                int s = ScaleIndex(r, c);
                lo[s] = Math.Min(lo[s], m[r * cols + c]);
                hi[s] = Math.Max(hi[s], m[r * cols + c]);
            }
        var scales = new float[scaleCount];
        var zps = new long[scaleCount];
        for (int s = 0; s < scaleCount; s++)
        {
            if (asymmetric)
            {
                float l = Math.Min(lo[s], 0), h = Math.Max(hi[s], 0);
                scales[s] = h > l ? (h - l) / 15f : 1f;
                zps[s] = Math.Clamp((long)Math.Round(-l / scales[s], MidpointRounding.ToEven), 0, 15);
            }
            else
            {
                float a = Math.Max(Math.Abs(lo[s]), Math.Abs(hi[s]));
                scales[s] = a > 0 ? a / 7f : 1f;
            }
        }
        var q = new long[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                int s = ScaleIndex(r, c);
                long v = (long)Math.Round((double)(m[r * cols + c] / scales[s]), MidpointRounding.ToEven) + zps[s];
                q[r * cols + c] = asymmetric ? Math.Clamp(v, 0, 15) : Math.Clamp(v, -8, 7);
            }
        return (Pack(q), scales, asymmetric ? Pack(zps) : null, scaleShape);
    }

    public static byte[] Pack(long[] values)
    {
        var b = new byte[(values.Length + 1) / 2];
        for (int i = 0; i < values.Length; i++) b[i >> 1] |= (byte)((values[i] & 0xF) << ((i & 1) * 4));
        return b;
    }

    private static TensorProto Tensor(string name, TensorProto.Types.DataType type, int[] shape, byte[] raw) => OnnxModelBuilder.Tensor(name, (int)type, shape, raw);

    private static float[] Floats(TensorProto t)
    {
        if (t.FloatData.Count > 0) return t.FloatData.ToArray();
        var raw = t.RawData.ToByteArray();
        var f = new float[raw.Length / 4];
        Buffer.BlockCopy(raw, 0, f, 0, raw.Length);
        return f;
    }
}
