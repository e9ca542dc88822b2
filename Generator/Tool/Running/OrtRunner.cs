using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ModelCompiler.Tool.Data;
using ModelCompiler.Tool.Onnx;

namespace ModelCompiler.Tool.Running;

/// <summary>
/// A model run by ONNX Runtime 1.31 (CPU, one thread) on one float input: the reference the compiled model and
/// every rewritten model are checked against. Its outputs come back as float32 (integer outputs converted).
/// </summary>
internal sealed class OrtRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly long[] _shape;

    /// <param name="optimize">Let ONNX Runtime fuse and rewrite the graph (its fastest path); off runs the graph as written.</param>
    public OrtRunner(OnnxModel model, ModelInput input, bool optimize = false, IReadOnlyList<string>? extraOutputs = null)
    // extraOutputs: float intermediate tensors to return too (calibration reads every activation).
    {
        var proto = model.Proto.Clone();
        // ONNX Runtime rejects a declared fixed dim that differs from the tensor; pinned (symbolic) dims are made free.
        int pinned = 0;
        foreach (var i in proto.Graph.Input.Where(i => i.Name == input.Name))
            if (i.Type?.TensorType?.Shape is { } shape)
                foreach (var d in shape.Dim.Where(d => d.DimParam.Length > 0 || d.DimValue <= 0)) d.DimParam = "pinned_" + pinned++.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (extraOutputs is not null)
        {
            var existing = proto.Graph.Output.Select(o => o.Name).ToHashSet();
            foreach (var name in extraOutputs.Where(n => !existing.Contains(n)))
                proto.Graph.Output.Add(new ModelCompiler.Onnx.Proto.ValueInfoProto
                {
                    Name = name,
                    Type = new ModelCompiler.Onnx.Proto.TypeProto { TensorType = new ModelCompiler.Onnx.Proto.TypeProto.Types.Tensor { ElemType = (int)ModelCompiler.Graph.DataType.Float } },
                });
        }
        using var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            GraphOptimizationLevel = optimize ? GraphOptimizationLevel.ORT_ENABLE_ALL : GraphOptimizationLevel.ORT_DISABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        try { _session = new InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(proto), options); }
        catch (OnnxRuntimeException e) { throw new ToolException($"ONNX Runtime cannot load {model.Name}: {e.Message}"); }
        var realInputs = _session.InputNames;
        if (realInputs.Count != 1 || realInputs[0] != input.Name)
            throw new ToolException($"{model.Name} has inputs {string.Join(", ", realInputs)}; modelc feeds one float input ('{input.Name}')");
        _shape = input.Shape.Select(d => (long)d).ToArray();
        OutputNames = _session.OutputNames.ToArray();
        Input = input;
    }

    public ModelInput Input { get; }
    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>Every output for one sample, in <see cref="OutputNames"/> order.</summary>
    public float[][] Run(float[] sample)
    {
        if (sample.Length != Input.Length) throw new ToolException($"a sample has {sample.Length} values; the input '{Input.Name}' {Input.ShapeText} needs {Input.Length}");
        using var value = OrtValue.CreateTensorValueFromMemory(sample, _shape);
        IDisposableReadOnlyCollection<OrtValue> results;
        try { results = _session.Run(_runOptions, new[] { Input.Name }, new[] { value }, _session.OutputNames); }
        catch (OnnxRuntimeException e) { throw new ToolException($"ONNX Runtime failed: {e.Message}"); }
        using (results)
            return results.Select(ToFloats).ToArray();
    }

    /// <summary>The first output of each sample.</summary>
    public float[][] RunAll(IReadOnlyList<float[]> samples, Action? step = null)
    {
        var outputs = new float[samples.Count][];
        for (int i = 0; i < samples.Count; i++)
        {
            outputs[i] = Run(samples[i])[0];
            step?.Invoke();
        }
        return outputs;
    }

    private static float[] ToFloats(OrtValue v)
    {
        if (!v.IsTensor) return Array.Empty<float>();
        var info = v.GetTensorTypeAndShape();
        return info.ElementDataType switch
        {
            TensorElementType.Float => v.GetTensorDataAsSpan<float>().ToArray(),
            TensorElementType.Double => v.GetTensorDataAsSpan<double>().ToArray().Select(x => (float)x).ToArray(),
            TensorElementType.Float16 => v.GetTensorDataAsSpan<Float16>().ToArray().Select(x => (float)(Half)BitConverter.UInt16BitsToHalf(x.value)).ToArray(),
            TensorElementType.Int64 => v.GetTensorDataAsSpan<long>().ToArray().Select(x => (float)x).ToArray(),
            TensorElementType.Int32 => v.GetTensorDataAsSpan<int>().ToArray().Select(x => (float)x).ToArray(),
            TensorElementType.Int8 => v.GetTensorDataAsSpan<sbyte>().ToArray().Select(x => (float)x).ToArray(),
            TensorElementType.UInt8 => v.GetTensorDataAsSpan<byte>().ToArray().Select(x => (float)x).ToArray(),
            TensorElementType.Bool => v.GetTensorDataAsSpan<bool>().ToArray().Select(x => x ? 1f : 0f).ToArray(),
            _ => Array.Empty<float>(),
        };
    }

    public void Dispose()
    {
        _runOptions.Dispose();
        _session.Dispose();
    }
}
