using System.CommandLine;
namespace ModelCompiler.Tool.Commands;
internal static class ReportCommand
{
    public static Command Create(ToolContext ctx) => new Command("report", "tbd");
}
