using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Compilation;
using ModelCompiler.Diagnostics;
using ModelCompiler.Graph;
using ModelCompiler.Passes;

namespace ModelCompiler.Tool.Onnx;

/// <summary>
/// Element type, static shape and constness of every tensor of a model, from the compiler's own reader, input
/// pinning and shape inference (so modelc and the compiler agree on what a model computes).
/// </summary>
internal static class GraphShapes
{
    public static Dictionary<string, Value> Infer(OnnxModel model, string? inputShape)
    {
        var diagnostics = new List<CompilerDiagnostic>();
        var graph = ModelCompiler.Onnx.OnnxReader.Read(model.ToBytes(), diagnostics);
        if (graph is not null && !HasErrors(diagnostics))
        {
            InputPinning.Run(graph, new ModelOptions { FileName = model.Name, InputShape = inputShape }, diagnostics);
            if (!HasErrors(diagnostics)) ShapeInference.Run(graph, diagnostics);
        }
        if (graph is null || HasErrors(diagnostics))
            throw new ToolException($"{model.Name}: " + string.Join("; ", diagnostics.Where(d => d.Severity == Severity.Error).Select(d => $"{d.Id}: {d.Message}")));
        return graph.Values;
    }

    private static bool HasErrors(List<CompilerDiagnostic> diagnostics) => diagnostics.Any(d => d.Severity == Severity.Error);
}
