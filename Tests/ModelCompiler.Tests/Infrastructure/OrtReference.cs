using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>Runs a model with ONNX Runtime (CPU, one thread, all graph optimizations off) to get reference outputs.</summary>
public static class OrtReference
{
    /// <summary>
    /// ONNX Runtime insists on declared fixed dims; when a test pins other ones (as InputShape may), the
    /// reference model's input dims are made symbolic so it accepts the same shapes.
    /// </summary>
    private static byte[] WithSymbolicInputDims(byte[] model)
    {
        var proto = ModelCompiler.Onnx.Proto.ModelProto.Parser.ParseFrom(model);
        var initializers = proto.Graph.Initializer.Select(i => i.Name).ToHashSet();
        int k = 0;
        foreach (var input in proto.Graph.Input.Where(i => !initializers.Contains(i.Name)))
            if (input.Type?.TensorType?.Shape is { } shape)
                foreach (var dim in shape.Dim) dim.DimParam = "pinned_" + k++;
        return Google.Protobuf.MessageExtensions.ToByteArray(proto);
    }

    /// <summary>
    /// ONNX Runtime 1.31 no longer runs some opset-6 kernels (Gemm-6). For the reference run only, such a
    /// model is relabelled opset 7 and the attributes opset 7 removed (Gemm/Add... 'broadcast' and 'axis',
    /// BatchNormalization 'is_test', 'spatial', 'consumed_inputs') are dropped; their opset-6 meaning in
    /// these models (numpy-style broadcast, inference mode) is what opset 7 specifies.
    /// </summary>
    private static byte[] WithoutOpset6(byte[] model)
    {
        var proto = ModelCompiler.Onnx.Proto.ModelProto.Parser.ParseFrom(model);
        var main = proto.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx");
        if (main is null || main.Version >= 7) return model;
        main.Version = 7;
        var legacy = new HashSet<string> { "broadcast", "axis", "is_test", "spatial", "consumed_inputs" };
        foreach (var node in proto.Graph.Node.Where(n => n.OpType is "Gemm" or "Add" or "Sub" or "Mul" or "Div" or "BatchNormalization" or "Dropout"))
            foreach (var a in node.Attribute.Where(a => legacy.Contains(a.Name) && !(node.OpType == "BatchNormalization" && a.Name == "axis")).ToList())
                node.Attribute.Remove(a);
        return Google.Protobuf.MessageExtensions.ToByteArray(proto);
    }

    /// <summary>Float inputs by name (in graph order when names are null); returns float outputs in graph order.</summary>
    public static float[][] Run(byte[] model, IReadOnlyList<float[]> inputs, IReadOnlyList<int[]>? shapes = null)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        if (shapes is not null) model = WithSymbolicInputDims(model);
        model = WithoutOpset6(model);
        using var session = new InferenceSession(model, options);
        var names = session.InputNames;
        var values = new List<OrtValue>();
        try
        {
            for (int i = 0; i < inputs.Count; i++)
            {
                var meta = session.InputMetadata[names[i]];
                long[] shape = (shapes?[i] ?? meta.Dimensions).Select(d => (long)d).ToArray();
                values.Add(OrtValue.CreateTensorValueFromMemory(inputs[i], shape));
            }
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, names, values, session.OutputNames);
            return results.Select(r => r.GetTensorDataAsSpan<float>().ToArray()).ToArray();
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    /// <summary>
    /// Typed inputs in graph order (float, integer, bool arrays); returns every output as a typed tensor.
    /// <paramref name="level"/> chooses ONNX Runtime's graph optimizations: the default runs the graph as
    /// written; <see cref="GraphOptimizationLevel.ORT_ENABLE_ALL"/> lets it fuse QDQ groups into its integer
    /// kernels (QLinearConv, QGemm...), the reference for integer-exact comparisons.
    /// </summary>
    public static TestTensor[] RunTyped(byte[] model, IReadOnlyList<TestTensor> inputs, GraphOptimizationLevel level = GraphOptimizationLevel.ORT_DISABLE_ALL)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = level };
        model = WithoutOpset6(model);
        using var session = new InferenceSession(model, options);
        var names = session.InputNames;
        var values = new List<OrtValue>();
        try
        {
            for (int i = 0; i < inputs.Count; i++)
            {
                long[] shape = inputs[i].Shape.Select(d => (long)d).ToArray();
                values.Add(inputs[i].Data switch
                {
                    float[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
                    double[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
                    sbyte[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
                    byte[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
                    short[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
                    ushort[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
                    int[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
                    uint[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
                    long[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
                    ulong[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
                    bool[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
                    _ => throw new NotSupportedException($"input {i}: {inputs[i].Data.GetType().Name}"),
                });
            }
            using var runOptions = new RunOptions();
            var outputNames = session.OutputNames;
            using var results = session.Run(runOptions, names, values, outputNames);
            var list = new List<TestTensor>();
            for (int k = 0; k < results.Count; k++)
            {
                var r = results[k];
                var info = r.GetTensorTypeAndShape();
                int[] shape = info.Shape.Select(d => (int)d).ToArray();
                (ModelCompiler.Graph.DataType type, Array data) = info.ElementDataType switch
                {
                    TensorElementType.Float => (ModelCompiler.Graph.DataType.Float, (Array)r.GetTensorDataAsSpan<float>().ToArray()),
                    TensorElementType.Double => (ModelCompiler.Graph.DataType.Double, r.GetTensorDataAsSpan<double>().ToArray()),
                    TensorElementType.Int8 => (ModelCompiler.Graph.DataType.Int8, r.GetTensorDataAsSpan<sbyte>().ToArray()),
                    TensorElementType.UInt8 => (ModelCompiler.Graph.DataType.UInt8, r.GetTensorDataAsSpan<byte>().ToArray()),
                    TensorElementType.Int16 => (ModelCompiler.Graph.DataType.Int16, r.GetTensorDataAsSpan<short>().ToArray()),
                    TensorElementType.UInt16 => (ModelCompiler.Graph.DataType.UInt16, r.GetTensorDataAsSpan<ushort>().ToArray()),
                    TensorElementType.Int32 => (ModelCompiler.Graph.DataType.Int32, r.GetTensorDataAsSpan<int>().ToArray()),
                    TensorElementType.Int64 => (ModelCompiler.Graph.DataType.Int64, r.GetTensorDataAsSpan<long>().ToArray()),
                    TensorElementType.Bool => (ModelCompiler.Graph.DataType.Bool, r.GetTensorDataAsSpan<bool>().ToArray()),
                    var t => throw new NotSupportedException($"output {k}: element type {t}"),
                };
                list.Add(new TestTensor(outputNames[k], (int)type, shape, data));
            }
            return list.ToArray();
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }
}
