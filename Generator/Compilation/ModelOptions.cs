using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace ModelCompiler.Compilation;

/// <summary>
/// Everything that decides what one model compiles to, besides its bytes: the per-file metadata on the
/// AdditionalFiles item and the project's root namespace. A value-equatable record, so the incremental
/// generator can tell when a model must be recompiled.
/// </summary>
internal sealed record ModelOptions
{
    /// <summary>File name of the model (no directory), used for the default class name and the header.</summary>
    public string FileName { get; init; } = "model.onnx";
    public string? ClassName { get; init; }
    public string? Namespace { get; init; }

    /// <summary>The project's RootNamespace, used when <see cref="Namespace"/> is not given.</summary>
    public string? RootNamespace { get; init; }

    /// <summary>"1,3,224,224" for the only input, or "name:1,3,224,224 other:1,10" (space or '|' separated).</summary>
    public string? InputShape { get; init; }

    /// <summary>Logical name of the manifest resource holding the weight blob (set by the package's targets).</summary>
    public string? WeightsResource { get; init; }

    /// <summary>Metadata values as both the generator and the CLI see them: trimmed, empty means absent.</summary>
    public static string? Normalize(string? value) => string.IsNullOrWhiteSpace(value) ? null : value!.Trim();

    /// <summary>The options that change generated code or weights, in a fixed order, for the fingerprint.</summary>
    public string Canonical =>
        string.Join("\n", new[]
        {
            "file=" + FileName, "class=" + ClassName, "namespace=" + Namespace, "root=" + RootNamespace,
            "inputshape=" + InputShape, "resource=" + WeightsResource,
        });

    public string ResolvedClassName => string.IsNullOrWhiteSpace(ClassName) ? Identifiers.PascalCase(StemOf(FileName), "Model") : ClassName!.Trim();

    public string ResolvedNamespace
    {
        get
        {
            if (!string.IsNullOrWhiteSpace(Namespace)) return Namespace!.Trim();
            if (!string.IsNullOrWhiteSpace(RootNamespace)) return RootNamespace!.Trim();
            return "ModelCompiler.Models";
        }
    }

    private static string StemOf(string fileName)
    {
        int dot = fileName.LastIndexOf('.');
        return dot > 0 ? fileName.Substring(0, dot) : fileName;
    }

    /// <summary>Parses <see cref="InputShape"/>; null name means "the only input". Throws FormatException with a readable message.</summary>
    public IReadOnlyList<(string? Name, int[] Dims)> ParseInputShapes()
    {
        var result = new List<(string?, int[])>();
        if (string.IsNullOrWhiteSpace(InputShape)) return result;
        foreach (string part in InputShape!.Split(new[] { ' ', '|', '\t' }, StringSplitOptions.RemoveEmptyEntries))
        {
            string? name = null;
            string dims = part;
            int colon = part.LastIndexOf(':');
            if (colon >= 0)
            {
                name = part.Substring(0, colon);
                dims = part.Substring(colon + 1);
            }
            var values = new List<int>();
            foreach (string d in dims.Split(new[] { ',', 'x' }, StringSplitOptions.RemoveEmptyEntries))
            {
                if (!int.TryParse(d.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int v) || v <= 0)
                    throw new FormatException($"'{d}' in InputShape=\"{InputShape}\" is not a positive integer; write dimensions like \"1,3,224,224\"");
                values.Add(v);
            }
            result.Add((name, values.ToArray()));
        }
        if (result.Count > 1 && result.Any(r => r.Item1 is null))
            throw new FormatException($"InputShape=\"{InputShape}\" gives several shapes; name each input, e.g. \"images:1,3,320,320 mask:1,1\"");
        return result;
    }
}

/// <summary>Turns arbitrary model names into valid, readable C# identifiers.</summary>
internal static class Identifiers
{
    private static readonly HashSet<string> s_keywords = new(StringComparer.Ordinal)
    {
        "abstract","as","base","bool","break","byte","case","catch","char","checked","class","const","continue","decimal","default",
        "delegate","do","double","else","enum","event","explicit","extern","false","finally","fixed","float","for","foreach","goto",
        "if","implicit","in","int","interface","internal","is","lock","long","namespace","new","null","object","operator","out",
        "override","params","private","protected","public","readonly","ref","return","sbyte","sealed","short","sizeof","stackalloc",
        "static","string","struct","switch","this","throw","true","try","typeof","uint","ulong","unchecked","unsafe","ushort","using",
        "virtual","void","volatile","while",
    };

    /// <summary>"mobilenet_v2-1.0" -> "MobilenetV210"; a leading digit gets <paramref name="prefix"/>.</summary>
    public static string PascalCase(string name, string prefix)
    {
        var sb = new StringBuilder();
        bool upper = true;
        foreach (char c in name)
        {
            if (char.IsLetterOrDigit(c) && c < 128)
            {
                sb.Append(upper ? char.ToUpperInvariant(c) : c);
                upper = false;
            }
            else upper = true;
        }
        if (sb.Length == 0 || char.IsDigit(sb[0])) sb.Insert(0, prefix);
        return sb.ToString();
    }

    public static string CamelCase(string name, string fallback)
    {
        string p = PascalCase(name, "");
        if (p.Length == 0) return fallback;
        string c = char.IsDigit(p[0]) ? fallback + p : char.ToLowerInvariant(p[0]) + p.Substring(1);
        return s_keywords.Contains(c) ? "@" + c : c;
    }

    public static bool IsValidIdentifier(string s) =>
        s.Length > 0 && (char.IsLetter(s[0]) || s[0] == '_') && s.All(c => char.IsLetterOrDigit(c) || c == '_') && !s_keywords.Contains(s);

    public static bool IsValidNamespace(string s) => s.Split('.').All(IsValidIdentifier);
}
