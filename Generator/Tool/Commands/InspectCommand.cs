using System.CommandLine;
using System.Linq;
using System.Text.Json;
using ModelCompiler.Compilation;
using ModelCompiler.Graph;
using ModelCompiler.Tool.Analysis;
using ModelCompiler.Tool.Onnx;
using Spectre.Console;

namespace ModelCompiler.Tool.Commands;

/// <summary>
/// <c>modelc inspect</c>: the model as ModelCompiler compiles it, one row per layer (op, node name, shapes,
/// parameters, MACs, zero fraction, bits, kernel, arena bytes), then totals; <c>--json</c> for machines.
/// </summary>
internal static class InspectCommand
{
    public static Command Create(ToolContext ctx)
    {
        var model = Common.Model();
        var shape = Common.InputShape();
        var json = new Option<bool>("--json") { Description = "Print JSON (layers and totals) instead of tables." };
        var command = new Command("inspect", "Show each compiled layer: op, node name, shapes, parameters, MACs, zero fraction, bit width, the kernel ModelCompiler chose, arena offsets; and totals.")
        {
            model, shape, json,
        };
        command.SetAction(parse => ctx.Guard(() => Run(ctx, parse.GetValue(model)!, parse.GetValue(shape), parse.GetValue(json))));
        return command;
    }

    /// <summary>Compiles the model (errors become a <see cref="ToolException"/> listing every diagnostic).</summary>
    public static CompileResult Compile(OnnxModel model, string? inputShape)
    {
        var result = ModelCompilation.Compile(model.ToBytes(), new ModelOptions { FileName = model.Name, InputShape = inputShape, WeightsResource = "modelc/" + model.Name + ".weights" });
        if (!result.Success)
            throw new ToolException($"ModelCompiler cannot compile {model.Name}:\n" + string.Join("\n", result.Diagnostics.Select(d => $"  {d.Severity.ToString().ToLowerInvariant()} {d.Id}: {d.Message}")));
        return result;
    }

    private static string Clip(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";

    private static void Run(ToolContext ctx, string path, string? inputShape, bool json)
    {
        var model = OnnxModel.Load(path);
        var result = Compile(model, inputShape);
        var rows = LayerTable.Of(result);
        var facts = ModelFacts.Of(model, inputShape);
        if (json)
        {
            var document = new
            {
                model = model.Name,
                fileBytes = facts.FileBytes,
                parameters = facts.Parameters,
                zeroWeightFraction = facts.ZeroFraction,
                macs = result.Macs,
                weightBlobBytes = result.WeightBytes,
                arenaBytes = result.ArenaBytes,
                inputs = result.Inputs.Select(i => new { name = i.Name, type = i.Type.OnnxName(), shape = i.Shape }),
                outputs = result.Outputs.Select(o => new { name = o.Name, type = o.Type.OnnxName(), shape = o.Shape }),
                layers = rows,
            };
            ctx.Console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
            return;
        }

        var table = new Table().Title(Markup.Escape($"{model.Name}: {rows.Count} layers"))
            .AddColumns("#", "op", "node", "input -> output", "params", "MACs", "zeros", "bits", "kernel", "arena bytes");
        foreach (var r in rows)
            table.AddRow(
                r.Index.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(r.Op), Markup.Escape(r.Name),
                Markup.Escape(string.Join(", ", r.InputShapes) + " -> " + string.Join(", ", r.OutputShapes)),
                r.Parameters == 0 ? "" : Format.Count(r.Parameters), r.Macs == 0 ? "" : Format.Count(r.Macs),
                r.ZeroFraction is { } z ? Format.Percent(z) : "", r.Bits?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
                Markup.Escape(Clip(r.Kernel + (r.KernelSummary.Length > 0 ? ": " + r.KernelSummary : ""), 48)),
                Markup.Escape(r.Storage.Length > 0 && r.ArenaOffset is null ? r.Storage : LayerTable.Place(r) + (r.Storage.Length > 0 ? " (" + r.Storage + ")" : "")));
        ctx.Console.Write(table);

        var totals = new Table().AddColumn("total").AddColumn(new TableColumn("").RightAligned());
        totals.AddRow("layers", rows.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        totals.AddRow("parameters (ONNX)", Format.Count(facts.Parameters));
        totals.AddRow("zero weights", Format.Percent(facts.ZeroFraction));
        totals.AddRow("MACs per call", Format.Count(result.Macs));
        totals.AddRow("file size", Format.Bytes(facts.FileBytes));
        totals.AddRow("compiled weights", Format.Bytes(result.WeightBytes));
        totals.AddRow("arena per thread", Format.Bytes(result.ArenaBytes));
        ctx.Console.Write(totals);
    }
}
