using System.CommandLine;
using System.Globalization;
using ModelCompiler.Tool.Onnx;
using ModelCompiler.Tool.Transforms;
using Spectre.Console;

namespace ModelCompiler.Tool.Commands;

/// <summary><c>modelc prune</c>: magnitude pruning (see <see cref="Pruner"/>).</summary>
internal static class PruneCommand
{
    public static Command Create(ToolContext ctx)
    {
        var output = Common.Out();
        var sparsity = new Option<double>("--sparsity") { Description = "Fraction of each selected layer's weights (or blocks, or channels) to set to 0, e.g. 0.9.", Required = true };
        var structured = new Option<string>("--structured") { Description = "What is pruned together: none (single weights), 4x1 or 8x1 (blocks of 4 or 8 output channels at one input position), channels (whole output channels).", DefaultValueFactory = _ => "none" };
        structured.AcceptOnlyFromAmong("none", "4x1", "8x1", "channels");
        var layers = new Option<string?>("--layers") { Description = "Only layers whose node or weight name matches one of these comma-separated globs (e.g. 'conv*,fc2')." };
        var args = new ModelArguments("Measure output drift on this data (.npy, raw float32 .bin or an image folder).");
        var command = new Command("prune", "Magnitude pruning of Conv/Gemm/MatMul weights: unstructured, 4x1/8x1 blocks or whole channels, BatchNorm-aware.")
        {
            output, sparsity, structured, layers,
        };
        args.AddTo(command);
        command.SetAction(parse => ctx.Guard(() =>
        {
            var loaded = args.Load(parse);
            var before = loaded.Model;
            var after = before.Clone();
            var granularity = parse.GetValue(structured) switch
            {
                "4x1" => PruneGranularity.Blocks4x1,
                "8x1" => PruneGranularity.Blocks8x1,
                "channels" => PruneGranularity.Channels,
                _ => PruneGranularity.Unstructured,
            };
            var selection = new LayerSelection(parse.GetValue(layers));
            var pruned = Pruner.Prune(after, parse.GetValue(sparsity), granularity, selection);
            if (pruned.Count == 0)
                throw new ToolException(selection.Text is null ? $"{before.Name} has no Conv, Gemm or MatMul layer with float weights to prune" : $"no layer matches --layers '{selection.Text}'");
            var table = new Table().AddColumns("layer", "op", "weights", "zeros before", "zeros after", "BatchNorm");
            foreach (var p in pruned)
                table.AddRow(Markup.Escape(p.Node), p.Op, p.Elements.ToString(CultureInfo.InvariantCulture), Format.Percent(p.ZerosBefore),
                    p.Skipped is null ? Format.Percent(p.ZerosAfter) : Markup.Escape("skipped: " + p.Skipped), p.BatchNorm ? "scaled" : "");
            ctx.Console.Write(table);
            Rewrite.Finish(ctx, loaded, after, parse.GetValue(output)!);
        }));
        return command;
    }
}
