using System;
using System.IO;
using Spectre.Console;

namespace ModelCompiler.Tool;

/// <summary>
/// Where a command writes (a Spectre.Console console for results and tables, a writer for errors and progress notes)
/// and how it runs long work: with a progress bar on an interactive terminal, with one line on standard error when it
/// starts otherwise (logs, CI, tests).
/// </summary>
internal sealed class ToolContext
{
    public ToolContext(IAnsiConsole console, TextWriter error)
    {
        Console = console;
        Error = error;
    }

    public IAnsiConsole Console { get; }
    public TextWriter Error { get; }

    /// <summary>Runs <paramref name="body"/> as a command: 0 on success, 1 with one clear message on bad input or failure.</summary>
    public int Guard(Action body)
    {
        try
        {
            body();
            return 0;
        }
        catch (ToolException e)
        {
            Error.WriteLine("modelc: error: " + e.Message);
            return 1;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Not a user error: say what failed without a wall of stack frames (MODELC_DEBUG=1 shows them).
            Error.WriteLine($"modelc: internal error: {e.GetType().Name}: {e.Message}");
            if (Environment.GetEnvironmentVariable("MODELC_DEBUG") == "1") Error.WriteLine(e.ToString());
            return 1;
        }
    }

    /// <summary>Long work in <paramref name="total"/> steps; <paramref name="body"/> calls the action it gets once per step.</summary>
    public void Progress(string description, int total, Action<Action> body)
    {
        if (!Console.Profile.Capabilities.Interactive || total <= 1)
        {
            Note($"{description} ({total} steps)");
            body(() => { });
            return;
        }
        Console.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(description), maxValue: total);
                body(() => task.Increment(1));
            });
    }

    public void Line(string text = "") => Console.WriteLine(text);

    /// <summary>What the tool is doing (not a result): on standard error, so that results (--json) stay clean on standard output.</summary>
    public void Note(string text) => Error.WriteLine(text);
}
