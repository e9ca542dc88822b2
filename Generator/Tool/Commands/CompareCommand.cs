using System;
using System.CommandLine;
using System.Linq;
using ModelCompiler.Tool.Analysis;
using ModelCompiler.Tool.Data;
using ModelCompiler.Tool.Onnx;
using ModelCompiler.Tool.Running;

namespace ModelCompiler.Tool.Commands;

/// <summary>
/// <c>modelc compare</c>: the distillation fidelity report. Two models (a teacher and its student, a model and its
/// compressed copy) on the same data: top-1 agreement, KL(A || B) of their softmax outputs, max and mean absolute
/// difference, and each one's accuracy with --labels. Both run through ONNX Runtime; with --compiled both run as
/// ModelCompiler compiles them, and with one model --compiled checks our compiled model against ONNX Runtime.
/// </summary>
internal static class CompareCommand
{
    public static Command Create(ToolContext ctx)
    {
        var a = Common.Model("a", "The reference model (e.g. the teacher).");
        var b = new Argument<string?>("b") { Description = "The model compared with it (e.g. the student); omit with --compiled to compare A's compiled code with ONNX Runtime.", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Print the measures as JSON instead of tables." };
        var compiled = new Option<bool>("--compiled") { Description = "Run the models compiled by ModelCompiler (in process); with one model, compare that against ONNX Runtime." };
        var shape = Common.InputShape();
        var data = new DataOptions("The samples both models run on (.npy, raw float32 .bin or an image folder).", required: true);
        var command = new Command("compare", "Compare two models' outputs on data: top-1 agreement, KL divergence, max/mean absolute difference, accuracies (distillation fidelity); --compiled checks ModelCompiler against ONNX Runtime.")
        {
            a, b, compiled, shape, json,
        };
        data.AddTo(command);
        command.SetAction(parse => ctx.Guard(() =>
        {
            string pathA = parse.GetValue(a)!;
            string? pathB = parse.GetValue(b);
            bool useCompiled = parse.GetValue(compiled);
            if (pathB is null && !useCompiled) throw new ToolException("compare needs two models, or one with --compiled (its compiled code against ONNX Runtime)");
            string? inputShape = parse.GetValue(shape);
            var modelA = OnnxModel.Load(pathA);
            var modelB = pathB is null ? modelA : OnnxModel.Load(pathB);
            var input = Common.InputOf(modelA, inputShape);
            var inputB = Common.InputOf(modelB, inputShape);
            if (!input.Shape.SequenceEqual(inputB.Shape))
                throw new ToolException($"{modelA.Name} takes {input.ShapeText} but {modelB.Name} takes {inputB.ShapeText}; compare needs models with one input shape");
            var (set, labels) = data.Load(parse, input);

            string nameA = modelA.Name, nameB = modelB.Name;
            float[][] outA, outB;
            if (pathB is null)
            {
                nameA = modelA.Name + " (ONNX Runtime)";
                nameB = modelA.Name + " (compiled)";
                outA = RunOrt(ctx, modelA, input, set!);
                outB = RunCompiled(ctx, modelA, inputShape, set!);
            }
            else if (useCompiled)
            {
                outA = RunCompiled(ctx, modelA, inputShape, set!);
                outB = RunCompiled(ctx, modelB, inputShape, set!);
            }
            else
            {
                outA = RunOrt(ctx, modelA, input, set!);
                outB = RunOrt(ctx, modelB, input, set!);
            }
            var fidelity = Fidelity.Compare(outA, outB, labels);
            if (parse.GetValue(json))
            {
                ctx.Console.Profile.Out.Writer.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { a = nameA, b = nameB, fidelity },
                    new System.Text.Json.JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase }));
                return;
            }
            if (pathB is not null) Rewrite.PrintFacts(ctx, nameA, ModelFacts.Of(modelA, inputShape), nameB, ModelFacts.Of(modelB, inputShape));
            Rewrite.PrintDrift(ctx, fidelity, nameA, nameB);
        }));
        return command;
    }

    public static float[][] RunOrt(ToolContext ctx, OnnxModel model, ModelInput input, DataSet data)
    {
        using var runner = new OrtRunner(model, input);
        float[][] result = Array.Empty<float[]>();
        ctx.Progress($"{model.Name}: ONNX Runtime on {data.Count} samples", data.Count, step => result = runner.RunAll(data.Samples, step));
        return result;
    }

    public static float[][] RunCompiled(ToolContext ctx, OnnxModel model, string? inputShape, DataSet data)
    {
        ctx.Note($"compiling {model.Name} (ModelCompiler, then Roslyn in memory)");
        var compiled = InProcessModel.Compile(model.ToBytes(), model.Name, inputShape);
        var result = new float[data.Count][];
        ctx.Progress($"{model.Name}: compiled Predict on {data.Count} samples", data.Count, step =>
        {
            for (int i = 0; i < data.Count; i++)
            {
                result[i] = compiled.Run(data.Samples[i])[0];
                step();
            }
        });
        return result;
    }
}
