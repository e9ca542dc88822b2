using System.CommandLine;
using System.Globalization;
using ModelCompiler.Tool.Onnx;
using ModelCompiler.Tool.Transforms;
using Spectre.Console;

namespace ModelCompiler.Tool.Commands;

/// <summary><c>modelc lowrank</c>: SVD of Gemm/MatMul/1x1 Conv layers, Tucker-2 of k x k Conv layers (see <see cref="LowRank"/>).</summary>
internal static class LowRankCommand
{
    public static Command Create(ToolContext ctx)
    {
        var output = Common.Out();
        var rank = new Option<int?>("--rank") { Description = "Keep this many singular values per layer (per mode for Tucker-2)." };
        var energy = new Option<double?>("--energy") { Description = "Keep the fewest singular values whose squares add up to this fraction of the total, e.g. 0.95." };
        var force = new Option<bool>("--force") { Description = "Factorize layers even where the factors have more parameters than the layer (e.g. to check full rank)." };
        var layers = new Option<string?>("--layers") { Description = "Only layers whose node or weight name matches one of these comma-separated globs." };
        var args = new ModelArguments("Measure output drift on this data (.npy, raw float32 .bin or an image folder).");
        var command = new Command("lowrank", "Low-rank factorization: SVD of Gemm, MatMul and 1x1 Conv layers into two layers, Tucker-2 of k x k Conv layers into three.")
        {
            output, rank, energy, force, layers,
        };
        args.AddTo(command);
        command.SetAction(parse => ctx.Guard(() =>
        {
            var loaded = args.Load(parse);
            var before = loaded.Model;
            var after = before.Clone();
            var selection = new LayerSelection(parse.GetValue(layers));
            var done = LowRank.Factorize(after, parse.GetValue(rank), parse.GetValue(energy), parse.GetValue(force), selection);
            if (done.Count == 0)
                throw new ToolException(selection.Text is null ? $"{before.Name} has no Gemm, MatMul or Conv layer with float weights" : $"no layer matches --layers '{selection.Text}'");
            var table = new Table().AddColumns("layer", "op", "method", "ranks", "parameters", "energy kept", "");
            foreach (var l in done)
                table.AddRow(Markup.Escape(l.Node), l.Op, l.Method, l.Ranks,
                    l.ParametersBefore == l.ParametersAfter ? Format.Count(l.ParametersBefore) : $"{Format.Count(l.ParametersBefore)} -> {Format.Count(l.ParametersAfter)}",
                    Format.Percent(l.Energy), Markup.Escape(l.Skipped is null ? "" : "kept: " + l.Skipped));
            ctx.Console.Write(table);
            Rewrite.Finish(ctx, loaded, after, parse.GetValue(output)!);
        }));
        return command;
    }
}
