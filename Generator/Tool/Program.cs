using System;
using System.CommandLine;
using System.IO;
using ModelCompiler.Cli.Commands;
using ModelCompiler.Tool.Commands;
using Spectre.Console;

namespace ModelCompiler.Tool;

/// <summary>Entry point of the <c>modelc</c> .NET tool.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var console = AnsiConsole.Console;
        // Redirected output (a file, a pipe, CI logs) has no terminal width; tables get room instead of 80 columns.
        if (Console.IsOutputRedirected) console.Profile.Width = 200;
        return Run(args, console, Console.Out, Console.Error);
    }

    /// <summary>Parses and runs one command line; tests call this with their own writers.</summary>
    public static int Run(string[] args, IAnsiConsole console, TextWriter output, TextWriter error)
    {
        var ctx = new ToolContext(console, error);
        var root = new RootCommand("modelc: inspect, compress, compare, benchmark and report on ONNX models with ModelCompiler.")
        {
            InspectCommand.Create(ctx),
            PruneCommand.Create(ctx),
            QuantizeCommand.Create(ctx),
            LowRankCommand.Create(ctx),
            Fp16Command.Create(ctx),
            CompareCommand.Create(ctx),
            ReportCommand.Create(ctx),
            BenchCommand.Create(ctx),
            GenerateCommand.Create(),
            FloatCopyCommand.Create(),
        };
        return root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
    }
}
