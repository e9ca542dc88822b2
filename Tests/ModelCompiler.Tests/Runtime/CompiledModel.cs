using System;
using System.Linq;
using System.Reflection;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Runtime;

/// <summary>A test model compiled in memory with a float-array adapter, ready to call.</summary>
internal sealed class CompiledModel
{
    private readonly Assembly _assembly;
    private readonly string _ns;

    private CompiledModel(Assembly assembly, string ns, int[] inputLengths, int[] outputLengths)
    {
        _assembly = assembly;
        _ns = ns;
        InputLengths = inputLengths;
        OutputLengths = outputLengths;
    }

    public int[] InputLengths { get; }
    public int[] OutputLengths { get; }
    public Type ModelType => _assembly.GetType(_ns + ".Model")!;

    /// <summary>Compiles a float-in, float-out model; extra adapter members are added for the runtime-property tests.</summary>
    public static CompiledModel Compile(byte[] model, string ns, string? inputShape = null, string? threads = null)
    {
        var (result, unit) = InMemoryCompiler.Generate(model, ns, inputShape: inputShape, threads: threads);
        Assert.True(unit is not null, string.Join("\n", result.Diagnostics));
        var graph = Onnx.Proto.ModelProto.Parser.ParseFrom(model).Graph;
        int inputs = graph.Input.Count(i => !graph.Initializer.Any(t => t.Name == i.Name));
        int outputs = graph.Output.Count;
        string adapter = Adapter.Source(ns, "Model", Enumerable.Repeat("float", inputs).ToList(), Enumerable.Repeat("float", outputs).ToList());
        if (inputs == 1 && outputs == 1) adapter += $$"""
            namespace {{ns}}
            {
                public static class Probe
                {
                    // Calls Predict n times and returns the bytes this thread allocated meanwhile.
                    public static long AllocatedBytes(float[] input, float[] output, int n)
                    {
                        long before = global::System.GC.GetAllocatedBytesForCurrentThread();
                        for (int i = 0; i < n; i++) global::{{ns}}.Model.Predict(input, output);
                        return global::System.GC.GetAllocatedBytesForCurrentThread() - before;
                    }

                    // Calls Predict at least `calls` times and for at least `milliseconds`: past the first calls' allocations
                    // (JIT, arena, weight blob, scratch) and past the tiered JIT's promotion of the methods Predict reaches,
                    // which the runtime does after a delay and a call count and whose bookkeeping may allocate on the
                    // calling thread (the likely source of 648 B seen once in a full test run after only 5 warm-up
                    // calls, never in isolation, where 400 single calls after the first allocate nothing).
                    public static void WarmUp(float[] input, float[] output, int calls, int milliseconds)
                    {
                        var clock = global::System.Diagnostics.Stopwatch.StartNew();
                        for (int i = 0; i < calls || clock.ElapsedMilliseconds < milliseconds; i++) global::{{ns}}.Model.Predict(input, output);
                    }

                    // Calls Predict n times and returns the bytes all threads allocated meanwhile (kernel worker threads included).
                    public static long TotalAllocatedBytes(float[] input, float[] output, int n)
                    {
                        long before = global::System.GC.GetTotalAllocatedBytes(precise: true);
                        for (int i = 0; i < n; i++) global::{{ns}}.Model.Predict(input, output);
                        return global::System.GC.GetTotalAllocatedBytes(precise: true) - before;
                    }

                    // Calls Predict with spans of the given lengths.
                    public static void WithLengths(int inputLength, int outputLength) =>
                        global::{{ns}}.Model.Predict(new float[inputLength], new float[outputLength]);
                }
            }
            """;
        var compiled = InMemoryCompiler.Compile(new[] { unit!, new InMemoryCompiler.Unit(ns + ".Adapter", adapter) });
        Assert.True(compiled.Assembly is not null, string.Join("\n", compiled.Errors));
        Assert.Empty(compiled.Warnings);
        int Length(Onnx.Proto.ValueInfoProto v) => (int)v.Type.TensorType.Shape.Dim.Aggregate(1L, (p, d) => p * d.DimValue);
        int[] inputLengths = graph.Input.Where(i => !graph.Initializer.Any(t => t.Name == i.Name)).Select(Length).ToArray();
        int[] outputLengths = graph.Output.Select(Length).ToArray();
        return new CompiledModel(compiled.Assembly!, ns, inputLengths, outputLengths);
    }

    /// <summary>
    /// Bytes this thread allocates over <paramref name="calls"/> calls of Predict once warm (see the probe's WarmUp:
    /// 30 calls and 300 ms first).
    /// </summary>
    public long SteadyAllocatedBytes(float[] input, float[] output, int calls)
    {
        Call("WarmUp", input, output, 30, 300);
        return (long)Call("AllocatedBytes", input, output, calls)!;
    }

    public float[][] Run(params float[][] inputs)
    {
        var outputs = OutputLengths.Select(n => new float[n]).ToArray();
        Adapter.Run(_assembly, _ns, inputs.Cast<object>().ToArray(), outputs.Cast<object>().ToArray());
        return outputs;
    }

    public object? Call(string probeMethod, params object[] args)
    {
        var method = _assembly.GetType(_ns + ".Probe")!.GetMethod(probeMethod)!;
        try { return method.Invoke(null, args); }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }
}
