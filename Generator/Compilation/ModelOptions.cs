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

    /// <summary>
    /// Managed backend: threads one <c>Predict</c> may split its large convolutions and matrix products over
    /// ("1", the default, runs every layer on the calling thread). See <see cref="ThreadCount"/>.
    /// </summary>
    public string? Threads { get; init; }

    /// <summary>The most threads the <see cref="Threads"/> option allows.</summary>
    public const int MaxThreads = 256;

    /// <summary><see cref="Threads"/> as a number: 1 when absent or invalid (an invalid value is reported as MC0006).</summary>
    public int ThreadCount => ParseThreads(Threads) ?? 1;

    /// <summary>A whole number from 1 to <see cref="MaxThreads"/>, or null.</summary>
    public static int? ParseThreads(string? value) =>
        value is null ? 1
        : int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1 && n <= MaxThreads ? n : null;

    /// <summary>"Managed" (the default: compiled to C#) or "OnnxRuntime" (run through ONNX Runtime); see <see cref="Backends"/>.</summary>
    public string? Backend { get; init; }

    /// <summary>OnnxRuntime backend: execution providers in priority order, comma separated ("CUDA,OpenVINO,CPU").</summary>
    public string? ExecutionProviders { get; init; }

    /// <summary>OnnxRuntime backend: "true" (default) runs on the CPU when no listed accelerator is available; "false" throws at first use.</summary>
    public string? FallbackToCpu { get; init; }

    /// <summary>OnnxRuntime backend: threads inside one operator (0 or absent: ONNX Runtime chooses).</summary>
    public string? IntraOpThreads { get; init; }

    /// <summary>OnnxRuntime backend: threads running independent operators (0 or absent: ONNX Runtime chooses).</summary>
    public string? InterOpThreads { get; init; }

    /// <summary>OnnxRuntime backend: provider options, comma separated "Provider:key=value" entries ("CUDA:device_id=1,OpenVINO:device_type=NPU").</summary>
    public string? ProviderOptions { get; init; }

    /// <summary>OnnxRuntime backend: logical name of the manifest resource holding the .onnx file itself (set by the package's targets).</summary>
    public string? ModelResource { get; init; }

    /// <summary>
    /// "true" adds <c>PredictProfiled</c> (per-layer timing), <c>LayerCount</c> and <c>LayerNames</c> to the generated
    /// class; <c>Predict</c> and the layers are the same code either way. Not part of <see cref="Canonical"/>: it
    /// does not change the weight blob, so the build targets need not pass it to modelc.
    /// </summary>
    public string? Profile { get; init; }

    /// <summary>True when <see cref="Profile"/> is "true" (any case).</summary>
    public bool IsProfiled => string.Equals(Profile, "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>True when <see cref="Backend"/> selects ONNX Runtime.</summary>
    public bool IsOnnxRuntime => string.Equals(Backend, Backends.OnnxRuntime, StringComparison.OrdinalIgnoreCase);

    /// <summary>Metadata values as both the generator and the CLI see them: trimmed, empty means absent.</summary>
    public static string? Normalize(string? value) => string.IsNullOrWhiteSpace(value) ? null : value!.Trim();

    /// <summary>
    /// The options that change generated code or weights, in a fixed order, for the fingerprint. The thread
    /// count is only listed when it is not the default, so single-threaded builds keep their fingerprints.
    /// </summary>
    public string Canonical =>
        string.Join("\n", new[]
        {
            "file=" + FileName, "class=" + ClassName, "namespace=" + Namespace, "root=" + RootNamespace,
            "inputshape=" + InputShape, "resource=" + WeightsResource,
        }) + (ThreadCount != 1 ? "\nthreads=" + ThreadCount.ToString(CultureInfo.InvariantCulture) : "");

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

/// <summary>The values of the Backend metadata.</summary>
internal static class Backends
{
    public const string Managed = "Managed";
    public const string OnnxRuntime = "OnnxRuntime";

    /// <summary>Null when <paramref name="value"/> is a known backend, else the reason for an MC0006.</summary>
    public static string? Check(string? value) =>
        value is null || string.Equals(value, Managed, StringComparison.OrdinalIgnoreCase) || string.Equals(value, OnnxRuntime, StringComparison.OrdinalIgnoreCase)
            ? null
            : $"'{value}' is not a backend; use \"{Managed}\" (the default: the model is compiled to C#) or \"{OnnxRuntime}\" (the model runs through ONNX Runtime and its execution providers)";
}

/// <summary>
/// The OnnxRuntime backend's metadata, parsed and checked at build time (the generated code passes the
/// checked values to ModelCompiler.OnnxRuntime). Provider names must match ModelCompiler.OnnxRuntime's
/// ExecutionProviderCatalog (a test checks that they do).
/// </summary>
internal sealed class OnnxRuntimeSettings
{
    /// <summary>Canonical provider names, with the aliases accepted for them.</summary>
    public static readonly IReadOnlyList<(string Name, string[] Aliases)> KnownProviders = new (string, string[])[]
    {
        ("TensorRT", new[] { "TRT", "TensorrtExecutionProvider" }),
        ("CUDA", new[] { "CUDAExecutionProvider" }),
        ("OpenVINO", new[] { "OpenVINOExecutionProvider" }),
        ("QNN", new[] { "QNNExecutionProvider" }),
        ("CoreML", new[] { "CoreMLExecutionProvider" }),
        ("DirectML", new[] { "DML", "DmlExecutionProvider" }),
        ("CPU", new[] { "CPUExecutionProvider" }),
        ("XNNPACK", new[] { "XnnpackExecutionProvider" }),
        ("NNAPI", new[] { "NnapiExecutionProvider" }),
        ("DNNL", new[] { "oneDNN", "DnnlExecutionProvider" }),
        ("MIGraphX", new[] { "MIGraphXExecutionProvider" }),
        ("WebGPU", new[] { "WebGpuExecutionProvider" }),
        ("VitisAI", new[] { "VitisAIExecutionProvider" }),
    };

    public List<string> Providers { get; } = new();
    public bool? FallbackToCpu { get; private set; }
    public int IntraOpThreads { get; private set; }
    public int InterOpThreads { get; private set; }
    public List<(string Provider, string Key, string Value)> ProviderOptions { get; } = new();

    public static string? CanonicalProvider(string name)
    {
        string n = name.Trim();
        foreach (var (canonical, aliases) in KnownProviders)
            if (string.Equals(canonical, n, StringComparison.OrdinalIgnoreCase) || aliases.Any(a => string.Equals(a, n, StringComparison.OrdinalIgnoreCase)))
                return canonical;
        return null;
    }

    /// <summary>Parses the OnnxRuntime metadata; every problem becomes an (option, reason) pair for MC0006.</summary>
    public static OnnxRuntimeSettings Parse(ModelOptions options, List<(string Option, string Reason)> errors)
    {
        var s = new OnnxRuntimeSettings();
        string known = string.Join(", ", KnownProviders.Select(p => p.Name));
        if (options.ExecutionProviders is { } providers)
        {
            foreach (string part in providers.Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries).Select(p => p.Trim()).Where(p => p.Length > 0))
            {
                string? name = CanonicalProvider(part);
                if (name is null) errors.Add(("ExecutionProviders", $"'{part}' is not an execution provider ModelCompiler knows; use a comma-separated list of {known}"));
                else if (!s.Providers.Contains(name)) s.Providers.Add(name);
            }
        }
        if (options.FallbackToCpu is { } fallback)
        {
            if (bool.TryParse(fallback, out bool b)) s.FallbackToCpu = b;
            else errors.Add(("FallbackToCpu", $"'{fallback}' is not true or false"));
        }
        s.IntraOpThreads = Threads(options.IntraOpThreads, "IntraOpThreads", errors);
        s.InterOpThreads = Threads(options.InterOpThreads, "InterOpThreads", errors);
        if (options.ProviderOptions is { } providerOptions)
        {
            foreach (string entry in providerOptions.Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries).Select(p => p.Trim()).Where(p => p.Length > 0))
            {
                int colon = entry.IndexOf(':');
                int eq = colon < 0 ? -1 : entry.IndexOf('=', colon + 1);
                if (colon <= 0 || eq < 0 || eq == colon + 1)
                {
                    errors.Add(("ProviderOptions", $"'{entry}' is not of the form Provider:key=value (entries are separated by commas, e.g. \"CUDA:device_id=1,OpenVINO:device_type=NPU\")"));
                    continue;
                }
                string provider = entry.Substring(0, colon).Trim();
                string? name = CanonicalProvider(provider);
                if (name is null)
                {
                    errors.Add(("ProviderOptions", $"'{provider}' in '{entry}' is not an execution provider ModelCompiler knows; use one of {known}"));
                    continue;
                }
                s.ProviderOptions.Add((name, entry.Substring(colon + 1, eq - colon - 1).Trim(), entry.Substring(eq + 1).Trim()));
            }
        }
        return s;
    }

    private static int Threads(string? value, string option, List<(string, string)> errors)
    {
        if (value is null) return 0;
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n)) return n;
        errors.Add((option, $"'{value}' is not a thread count (a whole number; 0 lets ONNX Runtime choose)"));
        return 0;
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
