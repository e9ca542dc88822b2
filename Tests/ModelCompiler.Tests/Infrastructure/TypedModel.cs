using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>
/// Compiles one model file (bytes) and runs it with typed arrays of any element type the generated API uses
/// (quantized models take and return uint8/int8 tensors, int4 tensors run one element per sbyte).
/// </summary>
internal static class TypedModel
{
    private static int s_models;

    /// <summary>ModelCompiler, then Roslyn; fails the test with the diagnostics when either step fails.</summary>
    public static CompiledModel Compile(byte[] model, string name = "M", string? inputShape = null)
    {
        string ns = "Typed." + new string(name.Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray())
            + System.Threading.Interlocked.Increment(ref s_models).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (result, unit) = InMemoryCompiler.Generate(model, ns, inputShape: inputShape);
        if (unit is null) throw new Xunit.Sdk.XunitException("ModelCompiler reported: " + string.Join("; ", result.Diagnostics));
        string adapter = Adapter.Source(ns, "Model", result.Inputs.Select(i => i.Type.CSharpName()!).ToList(), result.Outputs.Select(o => o.Type.CSharpName()!).ToList());
        var compiled = InMemoryCompiler.Compile(new[] { unit, new InMemoryCompiler.Unit(ns + ".Adapter", adapter) });
        if (compiled.Assembly is null || compiled.Warnings.Any())
            throw new Xunit.Sdk.XunitException("generated C# has diagnostics: " + string.Join("; ", compiled.Diagnostics.Take(5)));
        return new CompiledModel(result, compiled.Assembly, ns);
    }

    /// <summary>Runs Predict on typed inputs (graph order) and returns the outputs as typed tensors.</summary>
    public static TestTensor[] RunTyped(this CompiledModel model, IReadOnlyList<Array> inputs)
    {
        var outputs = model.Result.Outputs.Select(o => Adapter.NewArray(o.Type.CSharpName()!, (int)o.Length)).ToArray();
        model.Run(inputs.ToArray(), outputs);
        return model.Result.Outputs.Select((o, k) => new TestTensor(o.Name, (int)o.Type, o.Shape, outputs[k])).ToArray();
    }
}
