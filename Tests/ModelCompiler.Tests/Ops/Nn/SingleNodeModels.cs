using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Google.Protobuf;
using ModelCompiler.Graph;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tests.Infrastructure;

namespace ModelCompiler.Tests.Ops.Nn;

/// <summary>
/// One-node ONNX models of any opset (made by <see cref="OnnxModelBuilder.OneNode"/>), so tests can check
/// opset-specific semantics that the ONNX node tests do not cover, written as node-test directories
/// (model.onnx + test_data_set_0) that <see cref="NodeTests.CompiledGroup"/> compiles and runs.
/// </summary>
internal static class SingleNodeModels
{
    /// <summary>A graph input with random data, a constant initializer, or an omitted optional input ("").</summary>
    public sealed record Input(string Name, DataType Type, int[] Shape, Array? Constant, bool Omitted = false)
    {
        public static Input Data(string name, DataType type, params int[] shape) => new(name, type, shape, null);
        public static Input Floats(string name, params float[] values) => new(name, DataType.Float, new[] { values.Length }, values);
        public static Input Longs(string name, params long[] values) => new(name, DataType.Int64, new[] { values.Length }, values);
        public static Input Const(string name, int[] shape, float[] values) => new(name, DataType.Float, shape, values);
        public static Input None => new("", DataType.Undefined, Array.Empty<int>(), null, Omitted: true);
        public bool IsData => !Omitted && Constant is null;
    }

    /// <summary>The one-node model: graph "g", the node named after the op, outputs y0, y1...</summary>
    public static ModelProto Model(int opset, string opType, IReadOnlyList<Input> inputs, IReadOnlyList<DataType> outputs, IEnumerable<(string Name, object Value)> attributes)
    {
        var b = new OnnxModelBuilder(opset, irVersion: opset >= 21 ? 10 : 7, producerVersion: null, graphName: "g");
        b.OneNode(opType, opType.ToLowerInvariant(), inputs.Select(i => new OnnxModelBuilder.NodeInput(i.Name, (int)i.Type, i.Shape, i.Constant)),
            OnnxModelBuilder.Outputs(outputs.Select(t => (int)t)), attributes);
        return b.Model;
    }

    /// <summary>Random data for a graph input: floats in [-2, 2), integers in the type's small range.</summary>
    public static Array RandomData(DataType type, int[] shape, Random random)
    {
        int n = (int)ShapeText.Product(shape);
        return type switch
        {
            DataType.Float => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray(),
            DataType.Int64 => Enumerable.Range(0, n).Select(_ => (long)random.Next(-50, 50)).ToArray(),
            DataType.Int32 => Enumerable.Range(0, n).Select(_ => random.Next(-50, 50)).ToArray(),
            DataType.UInt8 => Enumerable.Range(0, n).Select(_ => (byte)random.Next(0, 256)).ToArray(),
            DataType.Int8 => Enumerable.Range(0, n).Select(_ => (sbyte)random.Next(-128, 128)).ToArray(),
            DataType.Bool => Enumerable.Range(0, n).Select(_ => random.Next(2) == 1).ToArray(),
            _ => throw new ArgumentException($"no random data for {type}"),
        };
    }

    /// <summary>Writes a node-test directory: model.onnx and test_data_set_0/input_N.pb, output_N.pb.</summary>
    public static void WriteCase(string dir, ModelProto model, IReadOnlyList<TensorProto> inputs, IReadOnlyList<TensorProto> outputs)
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        string data = Path.Combine(dir, "test_data_set_0");
        Directory.CreateDirectory(data);
        File.WriteAllBytes(Path.Combine(dir, "model.onnx"), model.ToByteArray());
        for (int i = 0; i < inputs.Count; i++) File.WriteAllBytes(Path.Combine(data, $"input_{i}.pb"), inputs[i].ToByteArray());
        for (int i = 0; i < outputs.Count; i++) File.WriteAllBytes(Path.Combine(data, $"output_{i}.pb"), outputs[i].ToByteArray());
    }
}
