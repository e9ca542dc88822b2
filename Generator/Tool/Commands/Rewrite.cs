using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Tool.Analysis;
using ModelCompiler.Tool.Data;
using ModelCompiler.Tool.Onnx;
using ModelCompiler.Tool.Running;
using Spectre.Console;

namespace ModelCompiler.Tool.Commands;

/// <summary>
/// What every model-writing command does after its rewrite: check that ONNX Runtime loads and runs the new model,
/// write it, print size, parameters, zeros, weight blob and MACs before and after, and with --data how far the
/// outputs moved (top-1 agreement, KL divergence, max and mean absolute difference, accuracy with --labels).
/// </summary>
internal static class Rewrite
{
    public static void Finish(ToolContext ctx, LoadedModel loaded, OnnxModel after, string outPath)
    {
        var (before, inputShape, input, data, labels) = loaded;
        after.SortTopologically();
        using (var check = new OrtRunner(after, input))
        {
            var outputs = check.Run(data?.Samples[0] ?? new float[input.Length]);
            if (outputs.Length == 0) throw new ToolException("the rewritten model has no outputs");
        }
        after.Save(outPath);

        var a = ModelFacts.Of(before, inputShape);
        var b = ModelFacts.Of(after, inputShape);
        PrintFacts(ctx, before.Name, a, System.IO.Path.GetFileName(outPath), b);
        if (data is not null) PrintDrift(ctx, Drift(ctx, before, after, input, data, labels));
    }

    public static void PrintFacts(ToolContext ctx, string nameA, ModelFacts a, string nameB, ModelFacts b)
    {
        var table = new Table().AddColumn("").AddColumn(new TableColumn(Markup.Escape(nameA)).RightAligned()).AddColumn(new TableColumn(Markup.Escape(nameB)).RightAligned()).AddColumn(new TableColumn("change").RightAligned());
        table.AddRow("file size", Format.Bytes(a.FileBytes), Format.Bytes(b.FileBytes), Format.Change(a.FileBytes, b.FileBytes));
        table.AddRow("parameters", Format.Count(a.Parameters), Format.Count(b.Parameters), Format.Change(a.Parameters, b.Parameters));
        table.AddRow("zero weights", Format.Percent(a.ZeroFraction), Format.Percent(b.ZeroFraction), "");
        table.AddRow("compiled weights", Format.OrDash(a.BlobBytes, Format.Bytes), Format.OrDash(b.BlobBytes, Format.Bytes),
            a.BlobBytes is { } x && b.BlobBytes is { } y ? Format.Change(x, y) : "");
        table.AddRow("MACs", Format.OrDash(a.Macs, Format.Count), Format.OrDash(b.Macs, Format.Count),
            a.Macs is { } m && b.Macs is { } n ? Format.Change(m, n) : "");
        ctx.Console.Write(table);
        foreach (var (name, f) in new[] { (nameA, a), (nameB, b) })
            if (f.CompileProblem is not null) ctx.Note($"ModelCompiler cannot compile {name} ({f.CompileProblem}); its MACs and weight blob are not known.");
    }

    /// <summary>Runs both models through ONNX Runtime on every sample and compares their first outputs.</summary>
    public static Fidelity Drift(ToolContext ctx, OnnxModel a, OnnxModel b, ModelInput input, DataSet data, int[]? labels)
    {
        float[][] outA = Array.Empty<float[]>(), outB = Array.Empty<float[]>();
        using (var ra = new OrtRunner(a, input))
        using (var rb = new OrtRunner(b, input))
            ctx.Progress($"running both models on {data.Count} samples", data.Count * 2, step =>
            {
                outA = ra.RunAll(data.Samples, step);
                outB = rb.RunAll(data.Samples, step);
            });
        return Fidelity.Compare(outA, outB, labels);
    }

    public static void PrintDrift(ToolContext ctx, Fidelity f, string nameA = "before", string nameB = "after")
    {
        var table = new Table().AddColumn($"output drift ({f.Samples} samples)").AddColumn(new TableColumn("").RightAligned());
        table.AddRow("top-1 agreement", Format.Percent(f.Agreement));
        table.AddRow(Markup.Escape($"KL({nameA} || {nameB}), nats"), Format.Number(f.KlDivergence, "0.000000"));
        table.AddRow("max |difference|", Format.Number(f.MaxAbsDiff, "0.000000"));
        table.AddRow("mean |difference|", Format.Number(f.MeanAbsDiff, "0.000000"));
        if (f.AccuracyA is { } accA) table.AddRow(Markup.Escape($"accuracy {nameA}"), Format.Percent(accA));
        if (f.AccuracyB is { } accB) table.AddRow(Markup.Escape($"accuracy {nameB}"), Format.Percent(accB));
        ctx.Console.Write(table);
    }
}
