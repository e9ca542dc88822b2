using System;
using System.Collections.Generic;
using System.Linq;
using Google.Protobuf;
using ModelCompiler.Onnx.Proto;

namespace ModelCompiler.Fuzz;

/// <summary>
/// Seeds built in code, used when the shared test material is absent: small networks that reach the passes the
/// real models reach (BatchNorm folding, packed Conv and Gemm kernels, pooling, Resize, activations with
/// attributes, shape subgraphs folded at build time).
/// </summary>
internal static class BuiltInSeeds
{
    public static IReadOnlyList<SeedModel> All() => new[]
    {
        new SeedModel("builtin/cnn.onnx", null, Cnn()),
        new SeedModel("builtin/mlp.onnx", null, Mlp()),
        new SeedModel("builtin/resize.onnx", null, ResizeNet()),
        new SeedModel("builtin/reshape.onnx", null, ReshapeNet()),
    };

    /// <summary>Conv -> BatchNormalization -> Relu -> MaxPool -> Flatten -> Gemm -> Softmax, 1x3x8x8 in.</summary>
    private static byte[] Cnn()
    {
        var g = new Graph();
        string x = g.Input("x", 1, 3, 8, 8);
        string c = g.Node("Conv", new[] { x, g.Floats("w", 4, 3, 3, 3), g.Floats("b", 4) }, ("pads", new long[] { 1, 1, 1, 1 }), ("kernel_shape", new long[] { 3, 3 }));
        string bn = g.Node("BatchNormalization", new[] { c, g.Floats("scale", 4), g.Floats("bias", 4), g.Floats("mean", 4), g.Positive("var", 4) }, ("epsilon", 1e-5f));
        string r = g.Node("Relu", new[] { bn });
        string p = g.Node("MaxPool", new[] { r }, ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }));
        string f = g.Node("Flatten", new[] { p }, ("axis", 1L));
        string gemm = g.Node("Gemm", new[] { f, g.Floats("fc", 10, 64), g.Floats("fcb", 10) }, ("transB", 1L), ("alpha", 1f), ("beta", 1f));
        g.Output(g.Node("Softmax", new[] { gemm }, ("axis", 1L)));
        return g.Build();
    }

    /// <summary>MatMul -> Add -> LeakyRelu -> MatMul -> Elu -> Clip, 2x16 in.</summary>
    private static byte[] Mlp()
    {
        var g = new Graph();
        string x = g.Input("x", 2, 16);
        string h = g.Node("Add", new[] { g.Node("MatMul", new[] { x, g.Floats("w1", 16, 32) }), g.Floats("b1", 32) });
        h = g.Node("LeakyRelu", new[] { h }, ("alpha", 0.1f));
        h = g.Node("MatMul", new[] { h, g.Floats("w2", 32, 8) });
        h = g.Node("Elu", new[] { h }, ("alpha", 1f));
        g.Output(g.Node("Clip", new[] { h, g.Scalar("lo", -1f), g.Scalar("hi", 1f) }));
        return g.Build();
    }

    /// <summary>Conv -> Resize (scales 2, nearest) -> AveragePool -> GlobalAveragePool, 1x2x6x6 in.</summary>
    private static byte[] ResizeNet()
    {
        var g = new Graph();
        string x = g.Input("x", 1, 2, 6, 6);
        string c = g.Node("Conv", new[] { x, g.Floats("w", 2, 1, 3, 3) }, ("group", 2L), ("pads", new long[] { 1, 1, 1, 1 }));
        string scales = g.Initializer("scales", DataType.Float, new long[] { 4 }, new[] { 1f, 1f, 2f, 2f }.SelectMany(BitConverter.GetBytes).ToArray());
        string rs = g.Node("Resize", new[] { c, "", scales }, ("mode", "nearest"));
        string ap = g.Node("AveragePool", new[] { rs }, ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 }), ("count_include_pad", 0L));
        g.Output(g.Node("GlobalAveragePool", new[] { ap }));
        return g.Build();
    }

    /// <summary>Shape -> Gather -> Unsqueeze -> Concat -> Reshape (folded at build time), then Transpose and Slice.</summary>
    private static byte[] ReshapeNet()
    {
        var g = new Graph();
        string x = g.Input("x", 1, 4, 6);
        string shape = g.Node("Shape", new[] { x });
        string batch = g.Node("Gather", new[] { shape, g.Int64s("i0", Array.Empty<long>(), 0) }, ("axis", 0L));
        string un = g.Node("Unsqueeze", new[] { batch, g.Int64s("ax", new long[] { 1 }, 0) });
        string target = g.Node("Concat", new[] { un, g.Int64s("rest", new long[] { 1 }, -1) }, ("axis", 0L));
        string r = g.Node("Reshape", new[] { x, target });
        string t = g.Node("Transpose", new[] { g.Node("Reshape", new[] { r, g.Int64s("s3", new long[] { 3 }, 1, 4, 6) }) }, ("perm", new long[] { 0, 2, 1 }));
        g.Output(g.Node("Slice", new[] { t, g.Int64s("st", new long[] { 1 }, 1), g.Int64s("en", new long[] { 1 }, 5), g.Int64s("axs", new long[] { 1 }, 1) }));
        return g.Build();
    }

    private enum DataType { Float = 1, Int64 = 7 }

    /// <summary>Just enough of a graph builder for the seeds above.</summary>
    private sealed class Graph
    {
        private readonly GraphProto _g = new() { Name = "seed" };
        private int _n;
        private uint _random = 12345;

        public string Input(string name, params long[] dims)
        {
            var tt = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float, Shape = new TensorShapeProto() };
            foreach (long d in dims) tt.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
            _g.Input.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tt } });
            return name;
        }

        public void Output(string name) =>
            _g.Output.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float } } });

        public string Initializer(string name, DataType type, long[] dims, byte[] raw)
        {
            var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(raw) };
            t.Dims.AddRange(dims);
            _g.Initializer.Add(t);
            return name;
        }

        public string Floats(string name, params long[] dims) =>
            Initializer(name, DataType.Float, dims, Enumerable.Range(0, (int)dims.Aggregate(1L, (a, b) => a * b)).SelectMany(_ => BitConverter.GetBytes(NextFloat())).ToArray());

        public string Positive(string name, params long[] dims) =>
            Initializer(name, DataType.Float, dims, Enumerable.Range(0, (int)dims.Aggregate(1L, (a, b) => a * b)).SelectMany(_ => BitConverter.GetBytes(Math.Abs(NextFloat()) + 0.5f)).ToArray());

        public string Scalar(string name, float v) => Initializer(name, DataType.Float, Array.Empty<long>(), BitConverter.GetBytes(v));

        public string Int64s(string name, long[] dims, params long[] values) =>
            Initializer(name, DataType.Int64, dims, values.SelectMany(BitConverter.GetBytes).ToArray());

        public string Node(string op, string[] inputs, params (string Name, object Value)[] attributes)
        {
            string output = $"{op.ToLowerInvariant()}_{_n}";
            var node = new NodeProto { OpType = op, Name = $"{op}_{_n++}" };
            node.Input.AddRange(inputs);
            node.Output.Add(output);
            foreach (var (name, value) in attributes)
            {
                var a = new AttributeProto { Name = name };
                switch (value)
                {
                    case long l: a.Type = AttributeProto.Types.AttributeType.Int; a.I = l; break;
                    case float f: a.Type = AttributeProto.Types.AttributeType.Float; a.F = f; break;
                    case string s: a.Type = AttributeProto.Types.AttributeType.String; a.S = ByteString.CopyFromUtf8(s); break;
                    case long[] ls: a.Type = AttributeProto.Types.AttributeType.Ints; a.Ints.AddRange(ls); break;
                    default: throw new ArgumentException(name);
                }
                node.Attribute.Add(a);
            }
            _g.Node.Add(node);
            return output;
        }

        public byte[] Build()
        {
            var model = new ModelProto { IrVersion = 8, ProducerName = "modelc-fuzz", Graph = _g };
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
            return model.ToByteArray();
        }

        private float NextFloat()
        {
            _random ^= _random << 13; _random ^= _random >> 17; _random ^= _random << 5;
            return (_random >> 8) / (float)(1 << 24) - 0.5f;
        }
    }
}
