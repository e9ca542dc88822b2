using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using ModelCompiler.Compilation;
using ModelCompiler.Tool.Analysis;
using static ModelCompiler.Tool.Report.Svg;

namespace ModelCompiler.Tool.Report;

/// <summary>Everything the report shows.</summary>
internal sealed record ReportData(
    string ModelName,
    ModelFacts Facts,
    CompileResult Compiled,
    IReadOnlyList<LayerRow> Layers,
    IReadOnlyList<ArenaSlot> Arena,
    double[]? LatencyShare,
    string? ProfileNote,
    double? PredictSeconds);

/// <summary>
/// One self-contained HTML file (inline CSS and SVG, no scripts, no external resources): a summary, the compiled
/// graph as a layered picture, charts per layer (MACs, parameters, zero fraction, bits, share of latency from a
/// profiled compiled run), the arena plan over time, and the per-layer table (one row per layer, class "layer").
/// </summary>
internal static class HtmlReport
{
    private static readonly CultureInfo s_c = CultureInfo.InvariantCulture;

    public static string Render(ReportData d)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        sb.Append($"<title>{Esc(d.ModelName)}: ModelCompiler report</title>\n<style>{Css}</style>\n</head>\n<body>\n");
        sb.Append($"<h1>{Esc(d.ModelName)}</h1>\n<p class=\"sub\">ModelCompiler {Esc(ModelCompiler.Emit.ModelEmitter.Version)} report, written by modelc.</p>\n");
        Summary(sb, d);
        sb.Append("<h2>Graph</h2>\n<p class=\"sub\">The layers as compiled (BatchNorm folded, activations and residual Adds fused into the layer before, QDQ groups fused into integer ops), top to bottom.</p>\n<div class=\"scroll\">");
        sb.Append(GraphSvg(d));
        sb.Append("</div>\n<h2>Per layer</h2>\n<div class=\"charts\">\n");
        var tips = d.Layers.Select(l => $"L{l.Index} {l.Op} {l.Name}").ToList();
        string Tip(int i, string value) => tips[i] + ": " + value;
        sb.Append(BarChart("chart-macs", "MACs", d.Layers.Select(l => (double)l.Macs).ToList(), d.Layers.Select((l, i) => Tip(i, Format.Count(l.Macs) + " MACs")).ToList(), "#4e79a7", "MACs"));
        sb.Append(BarChart("chart-params", "Parameters (as compiled)", d.Layers.Select(l => (double)l.Parameters).ToList(), d.Layers.Select((l, i) => Tip(i, Format.Count(l.Parameters) + " parameters")).ToList(), "#59a14f", "params"));
        sb.Append(BarChart("chart-zeros", "Zero fraction of the weights", d.Layers.Select(l => l.ZeroFraction ?? 0).ToList(), d.Layers.Select((l, i) => Tip(i, l.ZeroFraction is { } z ? Format.Percent(z) + " zeros" : "no weights")).ToList(), "#e15759", "zeros"));
        sb.Append(BarChart("chart-bits", "Bits per weight as stored", d.Layers.Select(l => (double)(l.Bits ?? 0)).ToList(), d.Layers.Select((l, i) => Tip(i, l.Bits is { } b ? b + " bits" : "no weights")).ToList(), "#b07aa1", "bits"));
        if (d.LatencyShare is { } share)
            sb.Append(BarChart("chart-latency", "Share of Predict's time (profiled compiled run)", share, share.Select((s, i) => Tip(i, Format.Percent(s) + " of the time")).ToList(), "#f28e2b", "time"));
        sb.Append("</div>\n");
        if (d.ProfileNote is not null) sb.Append($"<p class=\"sub\">{Esc(d.ProfileNote)}</p>\n");
        sb.Append("<h2>Arena plan over time</h2>\n<p class=\"sub\">Each box is an intermediate tensor's bytes in the per-thread arena (vertical) during the layers that need them (horizontal); boxes at one height at different times share memory.</p>\n<div class=\"scroll\">");
        sb.Append(ArenaSvg(d));
        sb.Append("</div>\n<h2>Layers</h2>\n");
        Table(sb, d);
        sb.Append("</body>\n</html>\n");
        return sb.ToString();
    }

    private static void Summary(StringBuilder sb, ReportData d)
    {
        var f = d.Facts;
        var c = d.Compiled;
        sb.Append("<table class=\"summary\">\n");
        void Row(string k, string v) => sb.Append($"<tr><th>{Esc(k)}</th><td>{Esc(v)}</td></tr>\n");
        Row("inputs", string.Join("; ", c.Inputs.Select(i => $"{i.Name} {i.Type.ToString().ToLowerInvariant()}[{string.Join("x", i.Shape)}]")));
        Row("outputs", string.Join("; ", c.Outputs.Select(o => $"{o.Name} {o.Type.ToString().ToLowerInvariant()}[{string.Join("x", o.Shape)}]")));
        Row("layers", d.Layers.Count.ToString(s_c));
        Row("MACs per call", Format.Count(c.Macs));
        Row("parameters", Format.Count(f.Parameters) + $" ({Format.Percent(f.ZeroFraction)} of the weights are zero)");
        Row("file size", Format.Bytes(f.FileBytes));
        Row("compiled weights", Format.Bytes(c.WeightBytes));
        Row("arena per thread", Format.Bytes(c.ArenaBytes));
        if (d.PredictSeconds is { } s) Row("Predict (profiled run)", Format.Micros(s));
        sb.Append("</table>\n");
    }

    private static string Kind(string op)
    {
        string o = op.Contains(':') ? op[(op.IndexOf(':') + 1)..] : op;
        return o switch
        {
            _ when o.Contains("Conv") => "conv",
            _ when o.Contains("Gemm") || o.Contains("MatMul") => "matmul",
            _ when o.Contains("Pool") => "pool",
            _ when o.Contains("Quantize") || o.StartsWith("QLinear", StringComparison.Ordinal) => "quant",
            "Reshape" or "Flatten" or "Concat" or "Transpose" or "Squeeze" or "Unsqueeze" or "Split" or "Slice" or "Pad" or "Gather" => "layout",
            _ => "elementwise",
        };
    }

    private static string GraphSvg(ReportData d)
    {
        var inputs = d.Compiled.Inputs.Select(i => i.Name).ToList();
        var outputs = d.Compiled.Outputs.Select(o => o.Name).ToList();
        int layerBase = inputs.Count, outputBase = layerBase + d.Layers.Count, count = outputBase + outputs.Count;
        var producer = new Dictionary<string, int>();
        for (int i = 0; i < inputs.Count; i++) producer[inputs[i]] = i;
        var summaries = d.Compiled.LayerSummaries;
        var edges = new List<(int, int)>();
        for (int l = 0; l < summaries.Length; l++)
        {
            foreach (var t in summaries[l].Inputs.Where(t => t.Constant is null))
                if (producer.TryGetValue(t.Name, out int p)) edges.Add((p, layerBase + l));
            foreach (var t in summaries[l].Outputs) producer[t.Name] = layerBase + l;
        }
        for (int o = 0; o < outputs.Count; o++)
            if (producer.TryGetValue(outputs[o], out int p)) edges.Add((p, outputBase + o));
        var (nodes, width, height) = GraphLayout.Layout(count, edges.Distinct().ToList());

        var sb = new StringBuilder();
        sb.Append($"<svg id=\"graph\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{N(width)}\" height=\"{N(height)}\" viewBox=\"0 0 {N(width)} {N(height)}\" role=\"img\" aria-label=\"model graph\">");
        sb.Append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#888\"/></marker></defs>");
        foreach (var (from, to) in edges.Distinct())
        {
            var a = nodes[from];
            var b = nodes[to];
            double x1 = a.X + a.Width / 2, y1 = a.Y + a.Height, x2 = b.X + b.Width / 2, y2 = b.Y, mid = (y1 + y2) / 2;
            sb.Append($"<path class=\"edge\" d=\"M{N(x1)},{N(y1)} C{N(x1)},{N(mid)} {N(x2)},{N(mid)} {N(x2)},{N(y2 - 1)}\" marker-end=\"url(#arrow)\"/>");
        }
        for (int v = 0; v < count; v++)
        {
            var n = nodes[v];
            string kind, title, line1, line2;
            if (v < layerBase) (kind, title, line1, line2) = ("io", "graph input " + inputs[v], "input", inputs[v]);
            else if (v >= outputBase) (kind, title, line1, line2) = ("io", "graph output " + outputs[v - outputBase], "output", outputs[v - outputBase]);
            else
            {
                var l = d.Layers[v - layerBase];
                kind = Kind(l.Op);
                title = $"L{l.Index} {l.Op} {l.Name}: {string.Join(", ", l.InputShapes)} -> {string.Join(", ", l.OutputShapes)}, {Format.Count(l.Macs)} MACs, kernel {l.Kernel}";
                line1 = $"L{l.Index} {l.Op}";
                line2 = l.Name;
            }
            sb.Append($"<g class=\"node {kind}\"><title>{Esc(title)}</title><rect x=\"{N(n.X)}\" y=\"{N(n.Y)}\" width=\"{N(n.Width)}\" height=\"{N(n.Height)}\" rx=\"5\"/>");
            sb.Append($"<text x=\"{N(n.X + 8)}\" y=\"{N(n.Y + 16)}\" class=\"op\">{Esc(Clip(line1, 24))}</text><text x=\"{N(n.X + 8)}\" y=\"{N(n.Y + 31)}\" class=\"name\">{Esc(Clip(line2, 30))}</text></g>");
        }
        sb.Append("</svg>");
        return sb.ToString();
    }

    private static string ArenaSvg(ReportData d)
    {
        const double left = 70, top = 10, plotHeight = 260, bottom = 30;
        int layers = Math.Max(1, d.Layers.Count);
        double step = Math.Clamp(900.0 / layers, 6, 30);
        double width = left + layers * step + 20, height = top + plotHeight + bottom;
        long arena = Math.Max(1, d.Compiled.ArenaBytes);
        var sb = new StringBuilder();
        sb.Append($"<svg id=\"arena\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{N(width)}\" height=\"{N(height)}\" viewBox=\"0 0 {N(width)} {N(height)}\" role=\"img\" aria-label=\"arena plan\">");
        sb.Append($"<rect x=\"{N(left)}\" y=\"{N(top)}\" width=\"{N(layers * step)}\" height=\"{N(plotHeight)}\" class=\"arena-bg\"/>");
        sb.Append($"<text x=\"{N(left - 6)}\" y=\"{N(top + 10)}\" class=\"tick\" text-anchor=\"end\">{Esc(Format.Bytes(arena))}</text>");
        sb.Append($"<text x=\"{N(left - 6)}\" y=\"{N(top + plotHeight)}\" class=\"tick\" text-anchor=\"end\">0</text>");
        int k = 0;
        string[] colors = { "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f" };
        foreach (var s in d.Arena)
        {
            double x = left + Math.Max(0, s.From) * step, w = (Math.Max(s.To, s.From) - Math.Max(0, s.From) + 1) * step;
            double h = Math.Max(1, (double)s.Bytes / arena * plotHeight), y = top + plotHeight - (double)(s.Offset + s.Bytes) / arena * plotHeight;
            sb.Append($"<rect class=\"slot\" x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(w)}\" height=\"{N(h)}\" fill=\"{colors[k++ % colors.Length]}\"><title>{Esc($"{s.Tensor}: bytes {s.Offset}..{s.Offset + s.Bytes} ({Format.Bytes(s.Bytes)}), layers L{s.From} to L{s.To}")}</title></rect>");
        }
        int every = Math.Max(1, (int)Math.Ceiling(30 / step));
        for (int i = 0; i < layers; i += every)
            sb.Append($"<text x=\"{N(left + i * step + step / 2)}\" y=\"{N(top + plotHeight + 14)}\" class=\"tick\" text-anchor=\"middle\">L{i}</text>");
        sb.Append("</svg>");
        return sb.ToString();
    }

    private static void Table(StringBuilder sb, ReportData d)
    {
        sb.Append("<table id=\"layers\" class=\"layers\">\n<thead><tr><th>#</th><th>op</th><th>node</th><th>input -> output</th><th>params</th><th>MACs</th><th>zeros</th><th>bits</th><th>kernel</th><th>arena bytes</th><th>time</th></tr></thead>\n<tbody>\n");
        foreach (var l in d.Layers)
        {
            string time = d.LatencyShare is { } share ? Format.Percent(share[l.Index]) : "";
            string arena = l.ArenaOffset is null && l.Storage.Length > 0 ? l.Storage : LayerTable.Place(l) + (l.Storage.Length > 0 ? " (" + l.Storage + ")" : "");
            sb.Append($"<tr class=\"layer {Kind(l.Op)}\"><td>{l.Index}</td><td>{Esc(l.Op)}</td><td class=\"name\">{Esc(l.Name)}</td>"
                + $"<td>{Esc(string.Join(", ", l.InputShapes) + " -> " + string.Join(", ", l.OutputShapes))}</td>"
                + $"<td class=\"num\">{(l.Parameters == 0 ? "" : Format.Count(l.Parameters))}</td><td class=\"num\">{(l.Macs == 0 ? "" : Format.Count(l.Macs))}</td>"
                + $"<td class=\"num\">{(l.ZeroFraction is { } z ? Format.Percent(z) : "")}</td><td class=\"num\">{l.Bits?.ToString(s_c) ?? ""}</td>"
                + $"<td title=\"{Esc(l.KernelSummary)}\">{Esc(l.Kernel)}</td><td>{Esc(arena)}</td><td class=\"num\">{time}</td></tr>\n");
        }
        sb.Append("</tbody>\n</table>\n");
    }

    private static string Clip(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";

    private const string Css = @"
body { font: 14px/1.4 system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 24px; color: #222; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 6px; }
.sub { color: #666; margin: 2px 0 10px; }
.scroll { overflow-x: auto; border: 1px solid #eee; padding: 6px; }
table { border-collapse: collapse; }
table.summary th { text-align: left; padding: 2px 16px 2px 0; color: #555; font-weight: 600; }
table.layers { font-size: 12.5px; width: 100%; }
table.layers th, table.layers td { border-bottom: 1px solid #e6e6e6; padding: 3px 8px; text-align: left; vertical-align: top; }
table.layers thead th { background: #f4f4f4; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.name { max-width: 340px; overflow-wrap: anywhere; }
.charts { display: flex; flex-wrap: wrap; gap: 18px; }
svg .chart-title { font-size: 13px; font-weight: 600; fill: #333; }
svg .tick { font-size: 10px; fill: #666; }
svg .axis { stroke: #999; stroke-width: 1; }
svg .edge { fill: none; stroke: #999; stroke-width: 1.2; }
svg .node rect { stroke: #555; stroke-width: 1; }
svg .node text { font-size: 11px; fill: #fff; }
svg .node .op { font-weight: 600; }
svg .node.io rect { fill: #fff; } svg .node.io text { fill: #222; }
svg .node.conv rect { fill: #4e79a7; } svg .node.matmul rect { fill: #59a14f; } svg .node.pool rect { fill: #f28e2b; }
svg .node.quant rect { fill: #b07aa1; } svg .node.layout rect { fill: #8c8c8c; } svg .node.elementwise rect { fill: #e15759; }
svg .arena-bg { fill: #fafafa; stroke: #ddd; }
svg .slot { stroke: #fff; stroke-width: 0.5; opacity: 0.85; }
";
}
