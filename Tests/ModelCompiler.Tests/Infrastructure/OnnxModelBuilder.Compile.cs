using System.Linq;
using ModelCompiler.Compilation;
using ModelCompiler.Graph;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>Runs a built model through ModelCompiler and Roslyn.</summary>
internal sealed partial class OnnxModelBuilder
{
    private static int s_models;

    /// <summary>Compiles the model (ModelCompiler, then Roslyn). Fails the test with the diagnostics if either step fails.</summary>
    public CompiledModel Compile(string? name = null)
    {
        string ns = "Built." + (name ?? "M") + System.Threading.Interlocked.Increment(ref s_models).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (result, unit) = InMemoryCompiler.Generate(Build(), ns);
        if (unit is null) throw new Xunit.Sdk.XunitException("ModelCompiler reported: " + string.Join("; ", result.Diagnostics));
        var inputTypes = _graph.Input.Select(i => ((DataType)i.Type.TensorType.ElemType).CSharpName()!).ToList();
        var outputTypes = _graph.Output.Select(o => ((DataType)o.Type.TensorType.ElemType).CSharpName()!).ToList();
        string adapter = Adapter.Source(ns, "Model", inputTypes, outputTypes);
        var compiled = InMemoryCompiler.Compile(new[] { unit, new InMemoryCompiler.Unit(ns + ".Adapter", adapter) });
        if (compiled.Assembly is null || compiled.Warnings.Any())
            throw new Xunit.Sdk.XunitException("generated C# has diagnostics: " + string.Join("; ", compiled.Diagnostics.Take(5)) + "\n" + result.Source);
        return new CompiledModel(result, compiled.Assembly, ns);
    }

    /// <summary>Only attempts the ModelCompiler step (for tests that expect diagnostics).</summary>
    public CompileResult Generate() => InMemoryCompiler.Generate(Build(), "Built.Diagnostics").Result;
}
