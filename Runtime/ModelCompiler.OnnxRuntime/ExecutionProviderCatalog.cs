using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.ML.OnnxRuntime;

namespace ModelCompiler.OnnxRuntime;

/// <summary>One execution provider ModelCompiler knows how to register, and where it comes from.</summary>
public sealed class ExecutionProviderInfo
{
    internal ExecutionProviderInfo(string name, string ortName, string package, Action<SessionOptions, IReadOnlyDictionary<string, string>> append, params string[] aliases)
    {
        Name = name;
        OrtName = ortName;
        NuGetPackage = package;
        Append = append;
        Aliases = aliases;
    }

    /// <summary>The name used in ExecutionProviders metadata and options ("CUDA", "OpenVINO", ...).</summary>
    public string Name { get; }

    /// <summary>The name ONNX Runtime reports in <c>OrtEnv.GetAvailableProviders()</c> ("CUDAExecutionProvider", ...).</summary>
    public string OrtName { get; }

    /// <summary>Where this provider comes from: the NuGet package(s) to reference, with any platform condition.</summary>
    public string NuGetPackage { get; }

    internal IReadOnlyList<string> Aliases { get; }

    internal Action<SessionOptions, IReadOnlyDictionary<string, string>> Append { get; }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>
/// The execution providers ModelCompiler can ask ONNX Runtime for, each with the call that registers it and
/// the NuGet package that contains it. The plain Microsoft.ML.OnnxRuntime package holds only the CPU provider
/// (plus CoreML on Apple platforms and XNNPACK/NNAPI on mobile); the others ship as separate packages, which
/// replace Microsoft.ML.OnnxRuntime's native library.
/// </summary>
public static class ExecutionProviderCatalog
{
    private static string GpuPackage => OperatingSystem.IsWindows()
        ? "Microsoft.ML.OnnxRuntime.Gpu.Windows (Linux: Microsoft.ML.OnnxRuntime.Gpu.Linux)"
        : "Microsoft.ML.OnnxRuntime.Gpu.Linux (Windows: Microsoft.ML.OnnxRuntime.Gpu.Windows)";

    internal static readonly ExecutionProviderInfo Cpu = new("CPU", "CPUExecutionProvider", "Microsoft.ML.OnnxRuntime",
        static (so, o) => so.AppendExecutionProvider_CPU(Int(o, "use_arena", 1)));

    private static readonly ExecutionProviderInfo[] s_all =
    {
        new("TensorRT", "TensorrtExecutionProvider", GpuPackage + ", with NVIDIA's CUDA, cuDNN and TensorRT libraries installed",
            static (so, o) =>
            {
                using var options = new OrtTensorRTProviderOptions();
                if (o.Count > 0) options.UpdateOptions(new Dictionary<string, string>(o));
                so.AppendExecutionProvider_Tensorrt(options);
            }, "TRT"),
        new("CUDA", "CUDAExecutionProvider", GpuPackage + ", with NVIDIA's CUDA and cuDNN libraries installed",
            static (so, o) =>
            {
                using var options = new OrtCUDAProviderOptions();
                if (o.Count > 0) options.UpdateOptions(new Dictionary<string, string>(o));
                so.AppendExecutionProvider_CUDA(options);
            }),
        new("OpenVINO", "OpenVINOExecutionProvider", "Intel.ML.OnnxRuntime.OpenVino",
            static (so, o) => so.AppendExecutionProvider("OpenVINO", new Dictionary<string, string>(o))),
        new("QNN", "QNNExecutionProvider", "Microsoft.ML.OnnxRuntime.QNN",
            static (so, o) => so.AppendExecutionProvider("QNN", WithDefault(o, "backend_type", "htp"))),
        new("CoreML", "CoreMLExecutionProvider", "Microsoft.ML.OnnxRuntime (its macOS and iOS builds contain CoreML; it exists only on Apple platforms)",
            static (so, o) => so.AppendExecutionProvider("CoreML", new Dictionary<string, string>(o))),
        new("DirectML", "DmlExecutionProvider", "Microsoft.ML.OnnxRuntime.DirectML (Windows only)",
            static (so, o) =>
            {
                // DirectML needs sequential execution without memory patterns.
                so.EnableMemoryPattern = false;
                so.ExecutionMode = ExecutionMode.ORT_SEQUENTIAL;
                so.AppendExecutionProvider_DML(Int(o, "device_id", 0));
            }, "DML"),
        Cpu,
        new("XNNPACK", "XnnpackExecutionProvider", "Microsoft.ML.OnnxRuntime (its Android and iOS builds contain XNNPACK)",
            static (so, o) => so.AppendExecutionProvider("XNNPACK", new Dictionary<string, string>(o))),
        new("NNAPI", "NnapiExecutionProvider", "Microsoft.ML.OnnxRuntime on Android (NNAPI is deprecated by Android; prefer XNNPACK or QNN)",
            static (so, o) => so.AppendExecutionProvider_Nnapi(NnapiFlags.NNAPI_FLAG_USE_NONE)),
        new("DNNL", "DnnlExecutionProvider", "an ONNX Runtime built from source with --use_dnnl (no NuGet package ships it)",
            static (so, o) => so.AppendExecutionProvider_Dnnl(Int(o, "use_arena", 1)), "oneDNN"),
        new("MIGraphX", "MIGraphXExecutionProvider", "an ONNX Runtime built from source with --use_migraphx (no NuGet package ships it)",
            static (so, o) => so.AppendExecutionProvider_MIGraphX(Int(o, "device_id", 0))),
        new("WebGPU", "WebGpuExecutionProvider", "an ONNX Runtime built with the WebGPU provider",
            static (so, o) => so.AppendExecutionProvider("WebGPU", new Dictionary<string, string>(o))),
        new("VitisAI", "VitisAIExecutionProvider", "an ONNX Runtime built with the Vitis AI provider (AMD Ryzen AI software)",
            static (so, o) => so.AppendExecutionProvider("VitisAI", new Dictionary<string, string>(o))),
    };

    /// <summary>Every provider name accepted in ExecutionProviders, in the catalog's order.</summary>
    public static IReadOnlyList<string> Names { get; } = s_all.Select(p => p.Name).ToArray();

    /// <summary>Every provider this catalog knows.</summary>
    public static IReadOnlyList<ExecutionProviderInfo> All => s_all;

    /// <summary>Finds a provider by its name, an alias ("DML", "TRT") or ONNX Runtime's name, ignoring case; null when unknown.</summary>
    public static ExecutionProviderInfo? Find(string name)
    {
        string n = name.Trim();
        foreach (var p in s_all)
            if (string.Equals(p.Name, n, StringComparison.OrdinalIgnoreCase) || string.Equals(p.OrtName, n, StringComparison.OrdinalIgnoreCase)
                || p.Aliases.Any(a => string.Equals(a, n, StringComparison.OrdinalIgnoreCase)))
                return p;
        return null;
    }

    private static int Int(IReadOnlyDictionary<string, string> options, string key, int fallback) =>
        options.TryGetValue(key, out string? v) ? int.Parse(v, NumberStyles.Integer, CultureInfo.InvariantCulture) : fallback;

    private static Dictionary<string, string> WithDefault(IReadOnlyDictionary<string, string> options, string key, string value)
    {
        var d = new Dictionary<string, string>(options);
        if (!d.ContainsKey(key) && !d.ContainsKey("backend_path")) d[key] = value;
        return d;
    }
}
