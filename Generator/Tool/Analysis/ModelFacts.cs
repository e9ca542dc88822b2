using System.Linq;
using ModelCompiler.Compilation;
using ModelCompiler.Graph;
using ModelCompiler.Onnx;
using ModelCompiler.Tool.Onnx;

namespace ModelCompiler.Tool.Analysis;

/// <summary>
/// What a model costs, as every modelc command prints it before and after a change: file size, parameters and how
/// many weights are exactly zero, the bytes of its compiled weight blob, and multiply-accumulates per call, both
/// from ModelCompiler's own compilation (null, with the reason, when it cannot compile the model).
/// </summary>
internal sealed record ModelFacts(long FileBytes, long Parameters, long WeightElements, long ZeroWeights, long? BlobBytes, long? Macs, string? CompileProblem)
{
    /// <summary>Fraction of the weights (parameter tensors of rank 2 and up: kernels and matrices) that are exactly 0.</summary>
    public double ZeroFraction => WeightElements == 0 ? 0 : (double)ZeroWeights / WeightElements;

    public static ModelFacts Of(OnnxModel model, string? inputShape)
    {
        byte[] bytes = model.ToBytes();
        long parameters = 0, weights = 0, zeros = 0;
        foreach (var t in Analysis.Parameters.Of(model.Graph))
        {
            var tensor = TensorReader.Read(t);
            parameters += tensor.ElementCount;
            if (tensor.Rank < 2) continue;
            weights += tensor.ElementCount;
            zeros += (long)System.Math.Round(tensor.ZeroFraction * tensor.ElementCount);
        }
        var result = ModelCompilation.Compile(bytes, new ModelOptions { FileName = model.Name, InputShape = inputShape, WeightsResource = "modelc/" + model.Name + ".weights" });
        string? problem = result.Success ? null : string.Join("; ", result.Diagnostics.Where(d => d.Severity == Diagnostics.Severity.Error).Take(3).Select(d => $"{d.Id}: {d.Message}"));
        return new ModelFacts(bytes.Length, parameters, weights, zeros, result.Success ? result.WeightBytes : null, result.Success ? result.Macs : null, problem);
    }
}
