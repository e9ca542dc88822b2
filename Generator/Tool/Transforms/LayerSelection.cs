using System;
using System.Linq;
using System.Text.RegularExpressions;
using ModelCompiler.Onnx.Proto;

namespace ModelCompiler.Tool.Transforms;

/// <summary>
/// --layers PATTERN: comma-separated globs (* any run of characters, ? one character) matched against a node's name
/// or its weight's name; no pattern selects every layer. Matching ignores case.
/// </summary>
internal sealed class LayerSelection
{
    private readonly Regex[] _patterns;

    public LayerSelection(string? patterns)
    {
        _patterns = (patterns ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => new Regex("^" + Regex.Escape(p).Replace("\\*", ".*").Replace("\\?", ".") + "$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant))
            .ToArray();
        Text = patterns;
    }

    public string? Text { get; }

    public bool Selects(NodeProto node) =>
        _patterns.Length == 0 || _patterns.Any(p => p.IsMatch(node.Name) || node.Input.Count > 1 && p.IsMatch(node.Input[1]));
}
