using System;
using System.Linq;
using ModelCompiler.Compilation;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>A model compiled by <see cref="OnnxModelBuilder.Compile"/>: ModelCompiler's result and a way to run it.</summary>
internal sealed class CompiledModel
{
    private readonly System.Reflection.Assembly _assembly;
    private readonly string _ns;

    public CompiledModel(CompileResult result, System.Reflection.Assembly assembly, string ns)
    {
        Result = result;
        _assembly = assembly;
        _ns = ns;
    }

    public CompileResult Result { get; }

    /// <summary>Layers left after folding and simplification.</summary>
    public int Layers => Result.Layers;

    public string Source => Result.Source!;

    /// <summary>Runs Predict: <paramref name="inputs"/> and <paramref name="outputs"/> are arrays of the tensors' element types.</summary>
    public void Run(Array[] inputs, params Array[] outputs) => Adapter.Run(_assembly, _ns, inputs.Cast<object>().ToArray(), outputs);
}
