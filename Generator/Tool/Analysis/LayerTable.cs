using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Compilation;
using ModelCompiler.Graph;

namespace ModelCompiler.Tool.Analysis;

/// <summary>One compiled layer as modelc inspect and report show it.</summary>
internal sealed record LayerRow(
    int Index,
    string Op,
    string Name,
    string[] InputShapes,
    string[] OutputShapes,
    long Parameters,
    long Macs,
    double? ZeroFraction,
    int? Bits,
    string Kernel,
    string KernelSummary,
    string Storage,
    long? ArenaOffset,
    long OutputBytes,
    int LiveFrom,
    int LiveTo);

/// <summary>An arena tensor's slot for the arena plan over time: bytes [Offset, Offset + Bytes) from layer From to To.</summary>
internal sealed record ArenaSlot(string Tensor, long Offset, long Bytes, int From, int To);

/// <summary>
/// The per-layer table of a compiled model, read from <see cref="CompileResult.LayerSummaries"/>: parameters are the
/// elements of a layer's constant inputs as compiled (BatchNorm already folded into its convolution; int64 shape
/// tensors and single values left out), its zero fraction and bits those of its weights (constants of rank 2 and up).
/// </summary>
internal static class LayerTable
{
    public static IReadOnlyList<LayerRow> Of(CompileResult result) => result.LayerSummaries.Select(Row).ToList();

    /// <summary>Each arena root once, with the layers during which its bytes are taken.</summary>
    public static IReadOnlyList<ArenaSlot> Arena(CompileResult result)
    {
        var slots = new Dictionary<(long, int, int), ArenaSlot>();
        foreach (var layer in result.LayerSummaries)
            foreach (var t in layer.Outputs.Concat(layer.Inputs).Where(t => t.Place == TensorPlace.Arena && t.ArenaOffset >= 0))
            {
                var key = (t.ArenaOffset, t.LiveFrom, t.LiveTo);
                if (!slots.TryGetValue(key, out var s) || s.Bytes < t.Bytes) slots[key] = new ArenaSlot(t.Name, t.ArenaOffset, t.Bytes, t.LiveFrom, t.LiveTo);
            }
        return slots.Values.OrderBy(s => s.From).ThenBy(s => s.Offset).ToList();
    }

    private static LayerRow Row(LayerSummary l)
    {
        var constants = l.Inputs.Where(t => t.Constant is not null && t.Type != DataType.Int64 && t.Constant.Elements > 1).ToList();
        var weights = constants.Where(t => t.Shape.Length >= 2).ToList();
        long weightElements = weights.Sum(t => t.Constant!.Elements);
        double? zeros = weightElements == 0 ? null : weights.Sum(t => t.Constant!.ZeroFraction * t.Constant.Elements) / weightElements;
        int? bits = weights.Count == 0 ? null : weights.OrderByDescending(t => t.Constant!.Elements).First().Constant!.StoredBits;
        var output = l.Outputs.FirstOrDefault();
        return new LayerRow(
            l.Index, l.Domain.Length == 0 ? l.OpType : l.Domain + ":" + l.OpType, l.Name,
            l.Inputs.Where(t => t.Constant is null).Select(t => Shape(t.Shape)).ToArray(),
            l.Outputs.Select(t => Shape(t.Shape)).ToArray(),
            constants.Sum(t => t.Constant!.Elements), l.Macs, zeros, bits, l.Kernel, l.KernelSummary,
            l.Storage switch { LayerStorage.InPlace => "in place", LayerStorage.View => "view", LayerStorage.Elided => "elided", _ => "" },
            output is { Place: TensorPlace.Arena, ArenaOffset: >= 0 } ? output.ArenaOffset : null,
            output?.Bytes ?? 0, output?.LiveFrom ?? -1, output?.LiveTo ?? -1);
    }

    /// <summary>Where a layer's output lives, as text: its arena byte range, or "caller's span" for graph outputs.</summary>
    public static string Place(LayerRow r) => r.ArenaOffset is { } o ? $"{o}..{o + r.OutputBytes}" : "caller's span";

    public static string Shape(IEnumerable<int> dims) => "[" + string.Join("x", dims) + "]";
}
