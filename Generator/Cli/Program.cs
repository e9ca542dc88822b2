using System;
using System.CommandLine;
using System.IO;
using ModelCompiler.Compilation;

namespace ModelCompiler.Cli;

/// <summary>Entry point of <c>modelc</c>.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var model = new Argument<FileInfo>("model") { Description = "The .onnx file." };
        var output = new Option<FileInfo>("--out") { Description = "Where to write the weight blob.", Required = true };
        var className = new Option<string?>("--class-name") { Description = "ClassName metadata of the AdditionalFiles item." };
        var ns = new Option<string?>("--namespace") { Description = "Namespace metadata of the AdditionalFiles item." };
        var rootNamespace = new Option<string?>("--root-namespace") { Description = "The project's RootNamespace." };
        var inputShape = new Option<string?>("--input-shape") { Description = "InputShape metadata, e.g. 1,3,224,224." };
        var resource = new Option<string?>("--resource") { Description = "Logical name of the weights resource." };

        var weights = new Command("weights", "Compile a model and write the weight blob that its generated code reads.")
        {
            model, output, className, ns, rootNamespace, inputShape, resource,
        };
        weights.SetAction(parse => WriteWeights(
            parse.GetValue(model)!, parse.GetValue(output)!,
            new ModelOptions
            {
                FileName = parse.GetValue(model)!.Name,
                ClassName = ModelOptions.Normalize(parse.GetValue(className)),
                Namespace = ModelOptions.Normalize(parse.GetValue(ns)),
                RootNamespace = ModelOptions.Normalize(parse.GetValue(rootNamespace)),
                InputShape = ModelOptions.Normalize(parse.GetValue(inputShape)),
                WeightsResource = ModelOptions.Normalize(parse.GetValue(resource)),
            }));

        var genModel = new Argument<FileInfo>("model") { Description = "The .onnx file." };
        var genOut = new Option<FileInfo?>("--out") { Description = "Write the C# here instead of standard output." };
        var genShape = new Option<string?>("--input-shape") { Description = "InputShape metadata, e.g. 1,3,224,224." };
        var generate = new Command("generate", "Print the C# the source generator would produce for a model (for inspection).")
        {
            genModel, genOut, genShape,
        };
        generate.SetAction(parse => Generate(parse.GetValue(genModel)!, parse.GetValue(genOut), parse.GetValue(genShape)));

        var root = new RootCommand("ModelCompiler command-line tool.") { weights, generate };
        return root.Parse(args).Invoke();
    }

    private static int WriteWeights(FileInfo model, FileInfo output, ModelOptions options)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(model.FullName); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The generator reports unreadable models (MC0001); an empty blob keeps the build going to that error.
            WritePlaceholder(output);
            Console.WriteLine($"modelc: cannot read {model.Name}: {e.Message}");
            return 0;
        }

        CompileResult result;
        try { result = ModelCompilation.Compile(bytes, options); }
        catch (Exception e)
        {
            WritePlaceholder(output);
            Console.WriteLine($"modelc: {model.Name} failed to compile ({e.GetType().Name}: {e.Message}); the generator reports it.");
            return 0;
        }
        if (!result.Success)
        {
            WritePlaceholder(output);
            Console.WriteLine($"modelc: {model.Name} has errors; the build reports them.");
            return 0;
        }

        Directory.CreateDirectory(output.DirectoryName!);
        string temp = output.FullName + ".tmp";
        using (var stream = File.Create(temp)) result.WriteWeights!(stream);
        File.Move(temp, output.FullName, overwrite: true);
        Console.WriteLine($"modelc: {model.Name}: {result.Layers} layers, {result.WeightBytes} bytes of weights -> {output.Name}");
        return 0;
    }

    private static int Generate(FileInfo model, FileInfo? output, string? inputShape)
    {
        var options = new ModelOptions
        {
            FileName = model.Name,
            InputShape = ModelOptions.Normalize(inputShape),
            WeightsResource = "ModelCompiler///" + model.Name + ".weights",
        };
        var result = ModelCompilation.Compile(File.ReadAllBytes(model.FullName), options);
        foreach (var d in result.Diagnostics) Console.Error.WriteLine($"{model.Name}: {d.Severity.ToString().ToLowerInvariant()} {d.Id}: {d.Message}");
        if (!result.Success) return 1;
        if (output is null) Console.Write(result.Source);
        else File.WriteAllText(output.FullName, result.Source);
        return 0;
    }

    private static void WritePlaceholder(FileInfo output)
    {
        Directory.CreateDirectory(output.DirectoryName!);
        File.WriteAllBytes(output.FullName, Array.Empty<byte>());
    }
}
