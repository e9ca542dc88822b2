using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Compilation;
using ModelCompiler.Diagnostics;
using ModelCompiler.Graph;

namespace ModelCompiler.Passes;

/// <summary>
/// Gives every graph input a static shape: declared dims stay, dynamic ones come from the InputShape option.
/// Inputs that stay dynamic are all reported at once, each with an example of the metadata to add.
/// </summary>
internal static class InputPinning
{
    public static void Run(ModelGraph graph, ModelOptions options, List<CompilerDiagnostic> diagnostics)
    {
        IReadOnlyList<(string? Name, int[] Dims)> pins;
        try { pins = options.ParseInputShapes(); }
        catch (FormatException e)
        {
            diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidOption, "InputShape", e.Message));
            return;
        }

        foreach (var (name, _) in pins)
            if (name is not null && !graph.Inputs.Any(i => i.Name == name))
                diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidOption, "InputShape",
                    $"the model has no input named '{name}'; its inputs are {string.Join(", ", graph.Inputs.Select(i => $"'{i.Name}'"))}"));

        var unnamed = pins.FirstOrDefault(p => p.Name is null).Dims;
        if (unnamed is not null && graph.Inputs.Count != 1)
        {
            diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidOption, "InputShape",
                $"the model has {graph.Inputs.Count} inputs ({string.Join(", ", graph.Inputs.Select(i => $"'{i.Name}'"))}); name each one, e.g. InputShape=\"{string.Join(" ", graph.Inputs.Select(i => i.Name + ":" + Example(i)))}\""));
            return;
        }

        foreach (var input in graph.Inputs)
        {
            if (!input.Type.IsSupportedAtRunTime())
            {
                diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.UnsupportedType, $"Input '{input.Name}'", input.Type.OnnxName(), ""));
                continue;
            }
            int[]? pin = unnamed ?? pins.FirstOrDefault(p => p.Name == input.Name).Dims;
            if (pin is not null)
            {
                if (input.Shape is not null && input.Shape.Length != pin.Length)
                {
                    diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidOption, "InputShape",
                        $"{ShapeText.Format(pin)} does not fit input '{input.Name}', declared as {Declared(input)} (rank {input.Shape.Length})"));
                    continue;
                }
                // A fixed dimension may be overridden (exporters often bake in the batch size they traced
                // with); say so, since the graph must really be independent of it.
                if (input.Shape is not null)
                    for (int k = 0; k < pin.Length; k++)
                        if (input.Shape[k] >= 0 && input.Shape[k] != pin[k])
                            diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.FixedDimensionOverridden,
                                input.Name, k, input.Shape[k], pin[k]));
                input.Shape = pin;
                continue;
            }
            if (input.Shape is null || input.Shape.Any(d => d < 0))
            {
                string dynamicDims = input.Shape is null
                    ? "(its rank is unknown)"
                    : string.Join(", ", input.Shape.Select((d, k) => (d, k)).Where(x => x.d < 0)
                        .Select(x => input.DeclaredDim(x.k) is { } n ? $"'{n}' (axis {x.k})" : $"axis {x.k}"));
                diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.DynamicShape,
                    input.Name, Declared(input), dynamicDims, options.FileName,
                    graph.Inputs.Count == 1 ? Example(input) : input.Name + ":" + Example(input)));
            }
        }
    }

    private static string Declared(Value v) =>
        v.Shape is null ? "[?]" : "[" + string.Join(",", v.Shape.Select((d, k) => d >= 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : v.DeclaredDim(k) ?? "?")) + "]";

    /// <summary>Declared dims with each dynamic one replaced by a placeholder naming it (batch-like first dims become 1).</summary>
    private static string Example(Value v)
    {
        if (v.Shape is null) return "1,3,224,224";
        return string.Join(",", v.Shape.Select((d, k) => d >= 0
            ? d.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : k == 0 ? "1" : "<" + (v.DeclaredDim(k) ?? $"dim{k}") + ">"));
    }
}
