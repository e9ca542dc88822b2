using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using ModelCompiler.Graph;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tests.Elementwise;
using ModelCompiler.Tests.Infrastructure;

namespace ModelCompiler.Tests.Quantization;

/// <summary>Deterministic pseudo-random numbers (xorshift32), independent of System.Random's algorithm.</summary>
internal sealed class Rng
{
    private uint _s;
    public Rng(uint seed) => _s = seed == 0 ? 0x9E3779B9u : seed;

    public uint Next()
    {
        _s ^= _s << 13; _s ^= _s >> 17; _s ^= _s << 5;
        return _s;
    }

    /// <summary>An integer in [min, max].</summary>
    public int Int(int min, int max) => min + (int)(Next() % (uint)(max - min + 1));
    public float Float(float lo, float hi) => lo + (Next() >> 8) / (float)(1 << 24) * (hi - lo);

    public Array Ints(DataType type, int count) => type switch
    {
        DataType.UInt8 => Enumerable.Range(0, count).Select(_ => (byte)Int(0, 255)).ToArray(),
        DataType.Int8 => Enumerable.Range(0, count).Select(_ => (sbyte)Int(-128, 127)).ToArray(),
        DataType.UInt16 => Enumerable.Range(0, count).Select(_ => (ushort)Int(0, 65535)).ToArray(),
        DataType.Int16 => Enumerable.Range(0, count).Select(_ => (short)Int(-32768, 32767)).ToArray(),
        DataType.Int32 => Enumerable.Range(0, count).Select(_ => Int(-1000000, 1000000)).ToArray(),
        _ => throw new NotSupportedException(type.ToString()),
    };

    public float[] Floats(int count, float lo, float hi) => Enumerable.Range(0, count).Select(_ => Float(lo, hi)).ToArray();
}

/// <summary>Small constructors for test tensors.</summary>
internal static class T
{
    public static TensorData Of(string name, DataType type, int[] shape, Array data) => new(name, (int)type, shape, data);
    public static TensorData Scalar(string name, float v) => new(name, (int)DataType.Float, Array.Empty<int>(), new[] { v });
    public static TensorData ZeroPoint(string name, DataType type, int v) => type switch
    {
        DataType.UInt8 => new(name, (int)type, Array.Empty<int>(), new[] { (byte)v }),
        DataType.Int8 => new(name, (int)type, Array.Empty<int>(), new[] { (sbyte)v }),
        DataType.UInt16 => new(name, (int)type, Array.Empty<int>(), new[] { (ushort)v }),
        DataType.Int16 => new(name, (int)type, Array.Empty<int>(), new[] { (short)v }),
        DataType.Int32 => new(name, (int)type, Array.Empty<int>(), new[] { v }),
        _ => throw new NotSupportedException(type.ToString()),
    };

    public static TensorData ZeroPoints(string name, DataType type, int[] v) => type switch
    {
        DataType.UInt8 => new(name, (int)type, new[] { v.Length }, v.Select(x => (byte)x).ToArray()),
        DataType.Int8 => new(name, (int)type, new[] { v.Length }, v.Select(x => (sbyte)x).ToArray()),
        _ => throw new NotSupportedException(type.ToString()),
    };

    public static TensorData Floats(string name, int[] shape, float[] v) => new(name, (int)DataType.Float, shape, v);
    public static TensorData Ints(string name, int[] v) => new(name, (int)DataType.Int32, new[] { v.Length }, v);
}

/// <summary>
/// A single-node model for comparing with ONNX Runtime: inputs named as given (null for an omitted optional
/// one), those listed in <see cref="Constant"/> stored as initializers (the build-time paths), the others fed
/// at run time.
/// </summary>
internal sealed record QCase(string Name, string Op, string Domain, int Opset, IReadOnlyList<TensorData?> Inputs, DataType Output,
    IReadOnlyDictionary<string, object>? Attributes = null, IReadOnlyCollection<int>? Constant = null)
{
    public override string ToString() => Name;

    public QCase AllConstantButFirst() => this with { Name = Name + "_const", Constant = Enumerable.Range(1, Inputs.Count - 1).ToArray() };
    public QCase AllRuntime() => this with { Name = Name + "_runtime", Constant = Array.Empty<int>() };

    private bool IsConstant(int i) => Constant?.Contains(i) ?? false;

    public IEnumerable<TensorData> RuntimeInputs() => Inputs.Where((t, i) => t is not null && !IsConstant(i)).Select(t => t!);

    public byte[] Model()
    {
        var b = new OnnxModelBuilder(Domain.Length == 0 ? Opset : 13, producerVersion: null, graphName: Name);
        if (Domain.Length > 0) b.Opset(Domain, Opset);
        b.OneNode(Op, Op + "_node", Inputs.Select((t, i) => t is null ? null : new OnnxModelBuilder.NodeInput(t.Name, t.ElementType, t.Shape, IsConstant(i) ? t.Data : null)),
            new[] { ("y", (int)Output) }, (Attributes ?? new Dictionary<string, object>()).Select(a => (a.Key, a.Value)), Domain);
        return b.Build();
    }

    /// <summary>ONNX Runtime's output (CPU, one thread, no graph optimizations), or null with why it cannot run the case.</summary>
    public (Array? Output, string? Missing) RunOnnxRuntime()
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        InferenceSession session;
        try { session = new InferenceSession(Model(), options); }
        catch (OnnxRuntimeException e) when (e.Message.Contains("NOT_IMPLEMENTED", StringComparison.Ordinal) || e.Message.Contains("Could not find an implementation", StringComparison.Ordinal))
        {
            return (null, e.Message);
        }
        using (session)
        {
            var inputs = RuntimeInputs().ToList();
            var helper = new OrtCase(Name, Op, Opset, inputs, new[] { (int)Output });
            var values = inputs.Select(helper.OrtInput).ToList();
            try
            {
                using var run = new RunOptions();
                using var results = session.Run(run, inputs.Select(i => i.Name).ToList(), values, new[] { "y" });
                var v = results[0];
                Array output = Output switch
                {
                    DataType.Float => v.GetTensorDataAsSpan<float>().ToArray(),
                    DataType.UInt8 => v.GetTensorDataAsSpan<byte>().ToArray(),
                    DataType.Int8 => v.GetTensorDataAsSpan<sbyte>().ToArray(),
                    DataType.UInt16 => v.GetTensorDataAsSpan<ushort>().ToArray(),
                    DataType.Int16 => v.GetTensorDataAsSpan<short>().ToArray(),
                    DataType.Int32 => v.GetTensorDataAsSpan<int>().ToArray(),
                    _ => throw new NotSupportedException(Output.ToString()),
                };
                return (output, null);
            }
            finally
            {
                foreach (var v in values) v.Dispose();
            }
        }
    }
}

/// <summary>Many single-node cases compiled into one assembly (as node-test groups are), run with typed arrays.</summary>
internal sealed class QCaseSuite
{
    private readonly Lazy<(Assembly? Assembly, Dictionary<string, string> Failures, Dictionary<string, (string Ns, int OutLength)> Cases)> _built;

    public QCaseSuite(string name, IEnumerable<QCase> cases)
    {
        var list = cases.ToList();
        _built = new(() => Build(name, list));
    }

    private static (Assembly?, Dictionary<string, string>, Dictionary<string, (string, int)>) Build(string suite, List<QCase> cases)
    {
        var failures = new Dictionary<string, string>();
        var ok = new Dictionary<string, (string, int)>();
        var units = new Dictionary<string, List<InMemoryCompiler.Unit>>();
        foreach (var c in cases)
        {
            string ns = suite + "." + new string(c.Name.Select(ch => char.IsLetterOrDigit(ch) ? ch : '_').ToArray());
            var (result, unit) = InMemoryCompiler.Generate(c.Model(), ns, fileName: c.Name + ".onnx");
            if (unit is null) { failures[c.Name] = "ModelCompiler reported: " + string.Join("; ", result.Diagnostics); continue; }
            var adapter = Adapter.Source(ns, "Model", result.Inputs.Select(i => i.Type.CSharpName()!).ToList(), result.Outputs.Select(o => o.Type.CSharpName()!).ToList());
            units[c.Name] = new() { unit, new(ns + ".Adapter", adapter) };
            ok[c.Name] = (ns, (int)result.Outputs[0].Length);
        }
        var compiled = InMemoryCompiler.Compile(units.Values.SelectMany(u => u), suite.Replace('.', '_'));
        if (compiled.Assembly is null)
        {
            foreach (var k in units.Keys) failures[k] = "generated C# has diagnostics: " + string.Join("; ", compiled.Errors.Take(5));
            ok.Clear();
        }
        return (compiled.Assembly, failures, ok);
    }

    /// <summary>Runs a case; throws with ModelCompiler's diagnostics when it did not compile.</summary>
    public Array Run(QCase c)
    {
        var (assembly, failures, cases) = _built.Value;
        if (failures.TryGetValue(c.Name, out var f)) throw new Xunit.Sdk.XunitException($"{c.Name}: {f}");
        var (ns, length) = cases[c.Name];
        var output = Adapter.NewArray(c.Output.CSharpName()!, length);
        Adapter.Run(assembly!, ns, c.RuntimeInputs().Select(i => (object)i.Data).ToArray(), new object[] { output });
        return output;
    }
}
