using System;
using System.CommandLine;
using System.IO;

namespace ModelCompiler.Cli.Commands;

/// <summary>
/// <c>modelc float-copy</c>: the float32 network behind a quantized model. Shared as source by the build-time Cli
/// and the ModelCompiler.Tool package.
/// </summary>
internal static class FloatCopyCommand
{
    public static Command Create()
    {
        var model = new Argument<FileInfo>("model") { Description = "The quantized .onnx file (QOperator or QDQ)." };
        var output = new Option<FileInfo>("--out", "-o") { Description = "Where to write the float32 model.", Required = true };
        var command = new Command("float-copy", "Write the float32 network behind a quantized model (same graph, dequantized weights, "
            + "each quantized op's saturation as a Clip), to measure what quantization buys on the same network.")
        {
            model, output,
        };
        command.SetAction(parse => Run(parse.GetValue(model)!, parse.GetValue(output)!));
        return command;
    }

    private static int Run(FileInfo model, FileInfo output)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(model.FullName); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"modelc: cannot read {model.Name}: {e.Message}");
            return 1;
        }
        var result = ModelCompiler.Onnx.FloatCopy.Make(bytes);
        if (result.Model is null)
        {
            Console.Error.WriteLine($"modelc: {model.Name} has no float copy:");
            foreach (string p in result.Problems) Console.Error.WriteLine("  " + p);
            return 1;
        }
        Directory.CreateDirectory(output.DirectoryName!);
        string temp = output.FullName + ".tmp";
        File.WriteAllBytes(temp, result.Model);
        File.Move(temp, output.FullName, overwrite: true);
        Console.WriteLine($"modelc: {model.Name} -> {output.Name} (float32, {result.Model.Length} bytes)");
        return 0;
    }
}
