using System;
using System.Collections.Generic;
using System.Linq;

namespace ModelCompiler.Tool.Report;

/// <summary>A box of the laid-out graph: top-left corner and size, in SVG user units.</summary>
internal sealed record PlacedNode(int Id, double X, double Y, double Width, double Height, int Rank);

/// <summary>
/// A layered (Sugiyama-style) layout of a directed acyclic graph whose nodes come in topological order: each node's
/// rank is its longest path from a source, nodes in a rank are ordered by a few sweeps of the barycenter heuristic
/// (mean position of their neighbours) to reduce crossings, and ranks are stacked top to bottom, each centered.
/// </summary>
internal static class GraphLayout
{
    public const double NodeWidth = 180, NodeHeight = 38, GapX = 24, GapY = 46, Margin = 16;

    public static (IReadOnlyList<PlacedNode> Nodes, double Width, double Height) Layout(int count, IReadOnlyList<(int From, int To)> edges)
    {
        var preds = Enumerable.Range(0, count).Select(_ => new List<int>()).ToArray();
        var succs = Enumerable.Range(0, count).Select(_ => new List<int>()).ToArray();
        foreach (var (from, to) in edges.Where(e => e.From != e.To))
        {
            if (from > to) throw new ArgumentException("nodes must be in topological order");
            preds[to].Add(from);
            succs[from].Add(to);
        }
        var rank = new int[count];
        for (int v = 0; v < count; v++) rank[v] = preds[v].Count == 0 ? 0 : preds[v].Max(p => rank[p]) + 1;
        int ranks = count == 0 ? 0 : rank.Max() + 1;
        var layers = Enumerable.Range(0, ranks).Select(r => Enumerable.Range(0, count).Where(v => rank[v] == r).ToList()).ToList();
        var position = new double[count];
        void Number()
        {
            foreach (var layer in layers)
                for (int i = 0; i < layer.Count; i++) position[layer[i]] = i - (layer.Count - 1) / 2.0;
        }
        Number();
        for (int sweep = 0; sweep < 4; sweep++)
        {
            bool down = sweep % 2 == 0;
            foreach (var layer in down ? layers.Skip(1) : Enumerable.Reverse(layers).Skip(1))
            {
                var keyed = layer.Select(v =>
                {
                    var neighbours = down ? preds[v] : succs[v];
                    return (V: v, Key: neighbours.Count == 0 ? position[v] : neighbours.Average(n => position[n]));
                }).OrderBy(p => p.Key).ThenBy(p => p.V).Select(p => p.V).ToList();
                layer.Clear();
                layer.AddRange(keyed);
            }
            Number();
        }
        int widest = layers.Count == 0 ? 1 : layers.Max(l => l.Count);
        double width = Margin * 2 + widest * NodeWidth + (widest - 1) * GapX;
        double height = Margin * 2 + ranks * NodeHeight + Math.Max(0, ranks - 1) * GapY;
        var placed = new PlacedNode[count];
        for (int r = 0; r < ranks; r++)
        {
            var layer = layers[r];
            double rowWidth = layer.Count * NodeWidth + (layer.Count - 1) * GapX;
            double x0 = (width - rowWidth) / 2;
            for (int i = 0; i < layer.Count; i++)
                placed[layer[i]] = new PlacedNode(layer[i], x0 + i * (NodeWidth + GapX), Margin + r * (NodeHeight + GapY), NodeWidth, NodeHeight, r);
        }
        return (placed, width, height);
    }
}
