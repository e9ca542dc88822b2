using System;
using System.CommandLine;
using System.IO;
using ModelCompiler.Compilation;

namespace ModelCompiler.Cli.Commands;

/// <summary>
/// <c>modelc generate</c>: prints the C# the source generator would produce. Shared as source by the build-time
/// Cli and the ModelCompiler.Tool package.
/// </summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Argument<FileInfo>("model") { Description = "The .onnx file." };
        var output = new Option<FileInfo?>("--out", "-o") { Description = "Write the C# here instead of standard output." };
        var shape = new Option<string?>("--input-shape") { Description = "InputShape metadata, e.g. 1,3,224,224." };
        var threads = new Option<string?>("--threads") { Description = "Threads metadata: threads one Predict may use (default 1)." };
        var command = new Command("generate", "Print the C# the source generator would produce for a model (for inspection).")
        {
            model, output, shape, threads,
        };
        command.SetAction(parse => Run(parse.GetValue(model)!, parse.GetValue(output), parse.GetValue(shape), parse.GetValue(threads)));
        return command;
    }

    private static int Run(FileInfo model, FileInfo? output, string? inputShape, string? threads)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(model.FullName); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"modelc: cannot read {model.Name}: {e.Message}");
            return 1;
        }
        var options = new ModelOptions
        {
            FileName = model.Name,
            InputShape = ModelOptions.Normalize(inputShape),
            Threads = ModelOptions.Normalize(threads),
            WeightsResource = "ModelCompiler///" + model.Name + ".weights",
        };
        var result = ModelCompilation.Compile(bytes, options);
        foreach (var d in result.Diagnostics) Console.Error.WriteLine($"{model.Name}: {d.Severity.ToString().ToLowerInvariant()} {d.Id}: {d.Message}");
        if (!result.Success) return 1;
        if (output is null) Console.Write(result.Source);
        else File.WriteAllText(output.FullName, result.Source);
        return 0;
    }
}
