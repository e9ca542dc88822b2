using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using ModelCompiler.Compilation;
using ModelCompiler.Graph;
using ModelCompiler.Tool.Data;

namespace ModelCompiler.Tool.Running;

/// <summary>
/// A model compiled in process: ModelCompilation (as the source generator runs it, with Profile="true" so that
/// <c>PredictProfiled</c> times each layer), then Roslyn in memory, then loaded. <see cref="Predict"/> and
/// <see cref="PredictProfiled"/> call the generated methods through delegates, not reflection, so timing them
/// measures the generated code.
/// </summary>
internal sealed class InProcessModel
{
    private static int s_count;
    private readonly Action<float[], float[][]> _predict;
    private readonly Action<float[], float[][], long[]> _profiled;

    private InProcessModel(CompileResult result, Action<float[], float[][]> predict, Action<float[], float[][], long[]> profiled, IReadOnlyList<string> layerNames)
    {
        Result = result;
        _predict = predict;
        _profiled = profiled;
        LayerNames = layerNames;
    }

    public CompileResult Result { get; }
    public IReadOnlyList<string> LayerNames { get; }
    public int OutputCount => Result.Outputs.Length;

    /// <summary>Compiles through <see cref="ModelCompilation"/> with a weights resource named after the model; the unit carries the blob.</summary>
    public static (CompileResult Result, RoslynCompiler.Unit? Unit) Generate(byte[] model, ModelOptions options)
    {
        var result = ModelCompilation.Compile(model, options);
        if (!result.Success) return (result, null);
        using var blob = new MemoryStream();
        result.WriteWeights!(blob);
        return (result, new RoslynCompiler.Unit(result.Namespace + "." + result.ClassName, result.Source!, options.WeightsResource, blob.ToArray()));
    }

    public static InProcessModel Compile(byte[] model, string fileName, string? inputShape)
    {
        string ns = "Modelc.InProcess.M" + System.Threading.Interlocked.Increment(ref s_count).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var options = new ModelOptions
        {
            FileName = fileName,
            ClassName = "Model",
            Namespace = ns,
            InputShape = inputShape,
            Profile = "true",
            WeightsResource = $"ModelCompiler/{ns}/Model/{fileName}.weights",
        };
        var (result, unit) = Generate(model, options);
        if (unit is null)
            throw new ToolException($"ModelCompiler cannot compile {fileName}:\n" + string.Join("\n", result.Diagnostics.Select(d => $"  {d.Severity.ToString().ToLowerInvariant()} {d.Id}: {d.Message}")));
        if (result.Inputs.Length != 1 || result.Inputs[0].Type != DataType.Float)
            throw new ToolException($"{fileName} has inputs {string.Join(", ", result.Inputs.Select(i => $"{i.Name} ({i.Type.OnnxName()})"))}; modelc runs models with one float input");
        string adapter = AdapterSource(ns, result);
        var compiled = RoslynCompiler.Compile(new[] { unit, new RoslynCompiler.Unit(ns + ".ToolAdapter", adapter) }, RoslynCompiler.RuntimeReferences, ns);
        if (compiled.Assembly is null)
            throw new ToolException($"the C# generated for {fileName} does not compile (a ModelCompiler bug; please report it): " + string.Join("; ", compiled.Errors.Take(5)));
        var type = compiled.Assembly.GetType(ns + ".ToolAdapter", throwOnError: true)!;
        var predict = type.GetMethod("Run")!.CreateDelegate<Action<float[], float[][]>>();
        var profiled = type.GetMethod("RunProfiled")!.CreateDelegate<Action<float[], float[][], long[]>>();
        var names = (IReadOnlyList<string>)compiled.Assembly.GetType(ns + ".Model", throwOnError: true)!.GetProperty("LayerNames")!.GetValue(null)!;
        return new InProcessModel(result, predict, profiled, names);
    }

    /// <summary>New output arrays of the right lengths.</summary>
    public float[][] NewOutputs() => Result.Outputs.Select(o => new float[o.Length]).ToArray();

    public void Predict(float[] input, float[][] outputs) => _predict(input, outputs);

    /// <summary>Adds each layer's Stopwatch ticks to <paramref name="ticksPerLayer"/> (length = layer count).</summary>
    public void PredictProfiled(float[] input, float[][] outputs, long[] ticksPerLayer) => _profiled(input, outputs, ticksPerLayer);

    /// <summary>Every output for one sample.</summary>
    public float[][] Run(float[] input)
    {
        var outputs = NewOutputs();
        _predict(input, outputs);
        return outputs;
    }

    /// <summary>
    /// Adapter taking arrays: float outputs are passed straight through; other output types go through one static
    /// array each and are converted to float after the call (so Predict still allocates nothing per call).
    /// </summary>
    private static string AdapterSource(string ns, CompileResult result)
    {
        var sb = new StringBuilder();
        sb.Append("namespace ").Append(ns).Append("\n{\n    public static class ToolAdapter\n    {\n");
        var args = new List<string> { "input" };
        var after = new StringBuilder();
        for (int k = 0; k < result.Outputs.Length; k++)
        {
            var o = result.Outputs[k];
            string type = o.Type.CSharpName()!;
            if (o.Type == DataType.Float) { args.Add($"outputs[{k}]"); continue; }
            sb.Append($"        private static readonly {type}[] s_out{k} = new {type}[{o.Length}];\n");
            args.Add($"s_out{k}");
            string convert = o.Type == DataType.Bool ? $"s_out{k}[i] ? 1f : 0f" : $"(float)s_out{k}[i]";
            after.Append($"            for (int i = 0; i < {o.Length}; i++) outputs[{k}][i] = {convert};\n");
        }
        string call = string.Join(", ", args);
        sb.Append("        public static void Run(float[] input, float[][] outputs)\n        {\n");
        sb.Append($"            Model.Predict({call});\n").Append(after).Append("        }\n");
        sb.Append("        public static void RunProfiled(float[] input, float[][] outputs, long[] ticks)\n        {\n");
        sb.Append($"            Model.PredictProfiled({call}, ticks);\n").Append(after).Append("        }\n");
        sb.Append("    }\n}\n");
        return sb.ToString();
    }
}
