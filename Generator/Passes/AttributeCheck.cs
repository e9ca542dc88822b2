using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Diagnostics;
using ModelCompiler.Graph;
using Attribute = ModelCompiler.Graph.Attribute;

namespace ModelCompiler.Passes;

/// <summary>
/// Checks the type and range of every attribute the compiler reads, once, before any pass reads one: later passes
/// (kernel selection, BatchNorm folding, the emitter) read attributes that shape inference never looked at
/// (Gemm's alpha, BatchNormalization's training_mode, Elu's alpha...), and a wrong type there used to escape as
/// an exception. A wrong type or a value out of range is MC0008 naming the node and the attribute, all at once.
/// Attributes the compiler does not read are not checked (ONNX lets exporters add their own).
/// </summary>
internal static class AttributeCheck
{
    private enum Expect { Int, Float, String, Ints, Floats, Tensor }

    /// <summary>Whether an int attribute must be positive, non-negative, or only fit in 32 bits (shapes are ints).</summary>
    private enum Range { Any, Int32, NonNegative, Positive }

    private readonly record struct Rule(Expect Kind, Range Range = Range.Any);

    /// <summary>Attribute names mean the same thing in every ONNX op that has them (ONNX's operator specs), with the exceptions in <see cref="s_perOp"/>.</summary>
    private static readonly Dictionary<string, Rule> s_byName = new(StringComparer.Ordinal)
    {
        ["alpha"] = new(Expect.Float), ["beta"] = new(Expect.Float), ["gamma"] = new(Expect.Float), ["epsilon"] = new(Expect.Float),
        ["momentum"] = new(Expect.Float), ["lambd"] = new(Expect.Float), ["bias"] = new(Expect.Float), ["min"] = new(Expect.Float),
        ["max"] = new(Expect.Float), ["cubic_coeff_a"] = new(Expect.Float), ["extrapolation_value"] = new(Expect.Float),
        ["scales"] = new(Expect.Floats),
        ["axis"] = new(Expect.Int, Range.Int32), ["allowzero"] = new(Expect.Int), ["antialias"] = new(Expect.Int),
        ["block_size"] = new(Expect.Int, Range.NonNegative), ["blocksize"] = new(Expect.Int, Range.Positive),
        ["ceil_mode"] = new(Expect.Int), ["channels_last"] = new(Expect.Int), ["count_include_pad"] = new(Expect.Int),
        ["detect_negative"] = new(Expect.Int), ["detect_positive"] = new(Expect.Int), ["exclude_outside"] = new(Expect.Int),
        ["fmod"] = new(Expect.Int), ["group"] = new(Expect.Int, Range.Positive), ["keepdims"] = new(Expect.Int),
        ["noop_with_empty_axes"] = new(Expect.Int), ["num_outputs"] = new(Expect.Int, Range.Positive), ["output_dtype"] = new(Expect.Int, Range.Int32),
        ["select_last_index"] = new(Expect.Int), ["size"] = new(Expect.Int, Range.Positive), ["start"] = new(Expect.Int),
        ["end"] = new(Expect.Int), ["storage_order"] = new(Expect.Int), ["to"] = new(Expect.Int, Range.Int32),
        ["training_mode"] = new(Expect.Int), ["transA"] = new(Expect.Int), ["transB"] = new(Expect.Int),
        ["axes"] = new(Expect.Ints, Range.Int32), ["dilations"] = new(Expect.Ints, Range.Positive), ["kernel_shape"] = new(Expect.Ints, Range.Positive),
        ["strides"] = new(Expect.Ints, Range.Positive), ["output_shape"] = new(Expect.Ints, Range.NonNegative),
        ["output_padding"] = new(Expect.Ints, Range.NonNegative), ["perm"] = new(Expect.Ints, Range.Int32), ["shape"] = new(Expect.Ints, Range.Int32),
        ["starts"] = new(Expect.Ints), ["ends"] = new(Expect.Ints), ["split"] = new(Expect.Ints, Range.NonNegative),
        ["auto_pad"] = new(Expect.String), ["mode"] = new(Expect.String), ["coordinate_transformation_mode"] = new(Expect.String),
        ["nearest_mode"] = new(Expect.String), ["keep_aspect_ratio_policy"] = new(Expect.String), ["approximate"] = new(Expect.String),
        ["direction"] = new(Expect.String),
        // Read as ints by the ops that have them (fuzz seed 20261205 case 3546: num_scan_inputs of -1.3e18 overflowed
        // a checked cast in Scan); counts and sizes positive, the rest only 32-bit.
        ["num_scan_inputs"] = new(Expect.Int, Range.Positive), ["scan_input_axes"] = new(Expect.Ints, Range.Int32),
        ["scan_output_axes"] = new(Expect.Ints, Range.Int32), ["scan_input_directions"] = new(Expect.Ints, Range.Int32),
        ["scan_output_directions"] = new(Expect.Ints, Range.Int32), ["directions"] = new(Expect.Ints, Range.Int32),
        ["output_height"] = new(Expect.Int, Range.Positive), ["output_width"] = new(Expect.Int, Range.Positive),
        ["sampling_ratio"] = new(Expect.Int, Range.NonNegative), ["offset_group"] = new(Expect.Int, Range.Positive),
        ["batch_dims"] = new(Expect.Int, Range.NonNegative), ["num_groups"] = new(Expect.Int, Range.Positive),
        ["num_heads"] = new(Expect.Int, Range.Int32), ["rotary_embedding_dim"] = new(Expect.Int, Range.NonNegative),
        ["qk_matmul_output_mode"] = new(Expect.Int, Range.Int32), ["hidden_size"] = new(Expect.Int, Range.Positive),
    };

    /// <summary>Where an op gives a name another meaning: Pad's (opset &lt; 11) float value and possibly negative pads.</summary>
    private static readonly Dictionary<(string Op, string Name), Rule> s_perOp = new()
    {
        [("Pad", "value")] = new(Expect.Float),
        [("Pad", "pads")] = new(Expect.Ints, Range.Int32),
        [("ConstantOfShape", "value")] = new(Expect.Tensor),
    };

    /// <summary>Sliding-window ops, whose pads are sizes (never negative).</summary>
    private static readonly HashSet<string> s_windowed = new(StringComparer.Ordinal)
    {
        "Conv", "ConvTranspose", "ConvInteger", "QLinearConv", "MaxPool", "AveragePool", "LpPool", "QLinearAveragePool",
    };

    public static void Run(ModelGraph graph, List<CompilerDiagnostic> diagnostics)
    {
        foreach (var node in graph.Nodes)
            foreach (var a in node.Attributes.Values.OrderBy(a => a.Name, StringComparer.Ordinal))
                if (Problem(node, a) is { } problem)
                    diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidNode, node.Name, node.OpType, $"attribute '{a.Name}' {problem}"));
    }

    private static string? Problem(Node node, Attribute a)
    {
        Rule rule;
        if (s_perOp.TryGetValue((node.OpType, a.Name), out var specific)) rule = specific;
        else if (a.Name == "pads" && s_windowed.Contains(node.OpType)) rule = new(Expect.Ints, Range.NonNegative);
        else if (!s_byName.TryGetValue(a.Name, out rule)) return null;

        // The same leniency as Node's getters: an int where a float is expected, one value where a list is.
        bool kindOk = rule.Kind switch
        {
            Expect.Int => a.Kind == AttributeKind.Int,
            Expect.Float => a.Kind is AttributeKind.Float or AttributeKind.Int,
            Expect.String => a.Kind == AttributeKind.String,
            Expect.Ints => a.Kind is AttributeKind.Ints or AttributeKind.Int,
            Expect.Floats => a.Kind is AttributeKind.Floats or AttributeKind.Float,
            _ => a.Kind == AttributeKind.Tensor && a.T is not null,
        };
        if (!kindOk) return $"should be {Describe(rule.Kind)} but is {Describe(a)}";

        IEnumerable<long> ints = a.Kind == AttributeKind.Int ? new[] { a.I } : a.Kind == AttributeKind.Ints ? a.Ints : Array.Empty<long>();
        foreach (long v in ints)
        {
            string? bad = rule.Range switch
            {
                Range.Positive when v <= 0 => "must be positive",
                Range.NonNegative when v < 0 => "must not be negative",
                _ => null,
            };
            if (bad is null && rule.Range != Range.Any && (v > int.MaxValue || v < int.MinValue)) bad = $"must fit in 32 bits";
            if (bad is not null)
                return $"{bad}, but {(a.Kind == AttributeKind.Ints ? "holds" : "is")} {v.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        }
        return null;
    }

    private static string Describe(Expect kind) => kind switch
    {
        Expect.Int => "an int",
        Expect.Float => "a float",
        Expect.String => "a string",
        Expect.Ints => "a list of ints",
        Expect.Floats => "a list of floats",
        _ => "a tensor",
    };

    private static string Describe(Attribute a) => a.Kind switch
    {
        AttributeKind.Int => "an int",
        AttributeKind.Float => "a float",
        AttributeKind.String => "a string",
        AttributeKind.Ints => "a list of ints",
        AttributeKind.Floats => "a list of floats",
        AttributeKind.Strings => "a list of strings",
        AttributeKind.Tensor => a.T is null ? "an unreadable tensor" : "a tensor",
        AttributeKind.Graph or AttributeKind.Graphs => "a graph",
        _ => a.Kind.ToString().ToLowerInvariant(),
    };
}
