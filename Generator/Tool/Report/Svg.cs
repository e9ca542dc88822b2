using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Text;

namespace ModelCompiler.Tool.Report;

/// <summary>The SVG pieces of the report, written as text (no scripts, no external resources).</summary>
internal static class Svg
{
    private static readonly CultureInfo s_c = CultureInfo.InvariantCulture;

    public static string N(double v) => Math.Round(v, 2).ToString(s_c);

    public static string Esc(string s) => WebUtility.HtmlEncode(s);

    /// <summary>A bar per layer (x = layer index); each bar's tooltip gives the layer and its value as text.</summary>
    public static string BarChart(string id, string title, IReadOnlyList<double> values, IReadOnlyList<string> tooltips, string color, string axisLabel)
    {
        const double left = 60, top = 24, plotHeight = 150, bottom = 28;
        double barWidth = Math.Clamp(900.0 / Math.Max(1, values.Count), 4, 24);
        double width = Math.Max(left + values.Count * barWidth + 20, left + title.Length * 7.5), height = top + plotHeight + bottom;
        double max = values.Count == 0 ? 0 : values.Where(double.IsFinite).DefaultIfEmpty(0).Max();
        var sb = new StringBuilder();
        sb.Append($"<svg id=\"{id}\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{N(width)}\" height=\"{N(height)}\" viewBox=\"0 0 {N(width)} {N(height)}\" role=\"img\" aria-label=\"{Esc(title)}\">");
        sb.Append($"<text x=\"{N(left)}\" y=\"15\" class=\"chart-title\">{Esc(title)}</text>");
        sb.Append($"<line x1=\"{N(left)}\" y1=\"{N(top + plotHeight)}\" x2=\"{N(width - 10)}\" y2=\"{N(top + plotHeight)}\" class=\"axis\"/>");
        sb.Append($"<text x=\"{N(left - 6)}\" y=\"{N(top + 8)}\" class=\"tick\" text-anchor=\"end\">{Esc(axisLabel)}</text>");
        for (int i = 0; i < values.Count; i++)
        {
            double v = double.IsFinite(values[i]) ? values[i] : 0;
            double h = max > 0 ? v / max * plotHeight : 0;
            double x = left + i * barWidth;
            sb.Append($"<rect x=\"{N(x + 1)}\" y=\"{N(top + plotHeight - h)}\" width=\"{N(Math.Max(1, barWidth - 2))}\" height=\"{N(h)}\" fill=\"{color}\"><title>{Esc(tooltips[i])}</title></rect>");
            int every = Math.Max(1, (int)Math.Ceiling(30 / barWidth));
            if (i % every == 0) sb.Append($"<text x=\"{N(x + barWidth / 2)}\" y=\"{N(top + plotHeight + 14)}\" class=\"tick\" text-anchor=\"middle\">{i}</text>");
        }
        sb.Append("</svg>");
        return sb.ToString();
    }
}
