using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ModelCompiler.Graph;
using ModelCompiler.Tests.Infrastructure;

namespace ModelCompiler.Tests.Elementwise;

/// <summary>One named tensor: an ONNX element type, a shape and the elements as a typed array (Half[] for float16).</summary>
public sealed record TensorData(string Name, int ElementType, int[] Shape, Array Data)
{
    internal DataType Type => (DataType)ElementType;
}

/// <summary>
/// A single-node ONNX model with its inputs, built in memory: what ONNX Runtime computes for it is the
/// reference the element-wise kernels (and their build-time folding) are compared with.
/// </summary>
public sealed class OrtCase
{
    public OrtCase(string name, string op, int opset, IReadOnlyList<TensorData> inputs, IReadOnlyList<int> outputTypes, IReadOnlyDictionary<string, object>? attributes = null)
    {
        Name = name;
        Op = op;
        Opset = opset;
        Inputs = inputs;
        OutputTypes = outputTypes;
        Attributes = attributes ?? new Dictionary<string, object>();
    }

    public string Name { get; }
    public string Op { get; }
    public int Opset { get; }
    public IReadOnlyList<TensorData> Inputs { get; }
    public IReadOnlyList<int> OutputTypes { get; }
    public IReadOnlyDictionary<string, object> Attributes { get; }

    public override string ToString() => Name;

    /// <summary>The inputs fed at run time when inputs from <paramref name="firstConstant"/> on are initializers.</summary>
    public IEnumerable<TensorData> RuntimeInputs(int firstConstant) => Inputs.Take(firstConstant).Where(i => i.Name.Length > 0);

    /// <summary>The model; inputs at or after <paramref name="firstConstant"/> become initializers holding their data.</summary>
    public byte[] Model(int firstConstant)
    {
        var b = new OnnxModelBuilder(Opset, irVersion: 10, producerVersion: null, graphName: Name);
        b.OneNode(Op, Op + "_0", Inputs.Select((t, k) => new OnnxModelBuilder.NodeInput(t.Name, t.ElementType, t.Shape, k >= firstConstant ? t.Data : null)),
            OnnxModelBuilder.Outputs(OutputTypes), Attributes.Select(a => (a.Key, a.Value)));
        return b.Build();
    }

    /// <summary>The outputs ONNX Runtime computes, or null with the reason when it has no kernel for this case.</summary>
    public (List<Array>? Outputs, string? Missing) RunOnnxRuntime()
    {
        InferenceSession session;
        try { session = new InferenceSession(Model(Inputs.Count)); }
        catch (OnnxRuntimeException e) when (e.Message.Contains("NOT_IMPLEMENTED", StringComparison.Ordinal) || e.Message.Contains("Could not find an implementation", StringComparison.Ordinal))
        {
            return (null, e.Message);
        }
        using (session)
        {
            var present = Inputs.Where(i => i.Name.Length > 0).ToList();
            var names = present.Select(i => i.Name).ToList();
            var values = present.Select(OrtInput).ToList();
            try
            {
                using var options = new RunOptions();
                using var results = session.Run(options, names, values, Enumerable.Range(0, OutputTypes.Count).Select(k => "y" + k).ToList());
                return (results.Select(Read).ToList(), null);
            }
            finally
            {
                foreach (var v in values) v.Dispose();
            }
        }
    }

    private static Array Read(OrtValue v)
    {
        var info = v.GetTensorTypeAndShape();
        return info.ElementDataType switch
        {
            TensorElementType.Float => v.GetTensorDataAsSpan<float>().ToArray(),
            TensorElementType.Double => v.GetTensorDataAsSpan<double>().ToArray(),
            TensorElementType.Float16 => v.GetTensorDataAsSpan<Float16>().ToArray().Select(h => BitConverter.UInt16BitsToHalf(h.value)).ToArray(),
            TensorElementType.Int8 => v.GetTensorDataAsSpan<sbyte>().ToArray(),
            TensorElementType.UInt8 => v.GetTensorDataAsSpan<byte>().ToArray(),
            TensorElementType.Int16 => v.GetTensorDataAsSpan<short>().ToArray(),
            TensorElementType.UInt16 => v.GetTensorDataAsSpan<ushort>().ToArray(),
            TensorElementType.Int32 => v.GetTensorDataAsSpan<int>().ToArray(),
            TensorElementType.UInt32 => v.GetTensorDataAsSpan<uint>().ToArray(),
            TensorElementType.Int64 => v.GetTensorDataAsSpan<long>().ToArray(),
            TensorElementType.UInt64 => v.GetTensorDataAsSpan<ulong>().ToArray(),
            TensorElementType.Bool => v.GetTensorDataAsSpan<bool>().ToArray(),
            _ => throw new NotSupportedException(info.ElementDataType.ToString()),
        };
    }

    // OrtValue creation for each element type (float16 goes through its bits).
    internal OrtValue OrtInput(TensorData t)
    {
        long[] shape = t.Shape.Select(d => (long)d).ToArray();
        // The CLR lets byte[] pass as sbyte[] (and ushort[] as short[]...), so unsigned types are tested first.
        return t.Data switch
        {
            float[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
            double[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
            Half[] a => OrtValue.CreateTensorValueFromMemory(a.Select(h => new Float16(BitConverter.HalfToUInt16Bits(h))).ToArray(), shape),
            bool[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
            _ when t.Data.GetType() == typeof(byte[]) => OrtValue.CreateTensorValueFromMemory((byte[])t.Data, shape),
            _ when t.Data.GetType() == typeof(ushort[]) => OrtValue.CreateTensorValueFromMemory((ushort[])t.Data, shape),
            _ when t.Data.GetType() == typeof(uint[]) => OrtValue.CreateTensorValueFromMemory((uint[])t.Data, shape),
            _ when t.Data.GetType() == typeof(ulong[]) => OrtValue.CreateTensorValueFromMemory((ulong[])t.Data, shape),
            sbyte[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
            short[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
            int[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
            long[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
            _ => throw new NotSupportedException(t.Data.GetType().Name),
        };
    }
}
