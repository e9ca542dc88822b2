using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.OnnxRuntime;

namespace ModelCompiler.OnnxRuntime;

/// <summary>
/// How a model's ONNX Runtime session is made: execution providers in priority order, whether running on
/// the CPU alone is acceptable, thread counts, per-provider options. The generated class starts from the
/// values of its <c>AdditionalFiles</c> metadata; <c>Configure</c> on the generated class changes them
/// before the first <c>Predict</c> creates the session.
/// </summary>
public sealed class OnnxRuntimeBackendOptions
{
    private readonly Dictionary<string, Dictionary<string, string>> _providerOptions = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Execution providers in priority order, by ModelCompiler name (see <see cref="ExecutionProviderCatalog.Names"/>):
    /// "TensorRT", "CUDA", "OpenVINO", "QNN", "CoreML", "DirectML", "CPU", ... A provider that the installed ONNX
    /// Runtime build lacks is skipped and reported in <c>SkippedExecutionProviders</c>. Empty means CPU.
    /// </summary>
    public List<string> ExecutionProviders { get; } = new();

    /// <summary>
    /// True (the default): when none of the listed accelerators can be used, the model runs on ONNX Runtime's
    /// CPU provider. False: that situation is an <see cref="ExecutionProviderUnavailableException"/> at first
    /// use, naming the NuGet package that brings each missing provider.
    /// </summary>
    public bool FallbackToCpu { get; set; } = true;

    /// <summary>Threads ONNX Runtime uses inside one operator; 0 (the default) lets ONNX Runtime choose.</summary>
    public int IntraOpThreads { get; set; }

    /// <summary>Threads ONNX Runtime uses to run independent operators at once; 0 (the default) lets ONNX Runtime choose.</summary>
    public int InterOpThreads { get; set; }

    /// <summary>ONNX Runtime's graph optimization level; all optimizations by default.</summary>
    public GraphOptimizationLevel GraphOptimizationLevel { get; set; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>Called last on the <see cref="SessionOptions"/>, after providers and threads are set, for anything else ONNX Runtime offers.</summary>
    public Action<SessionOptions>? ConfigureSessionOptions { get; set; }

    /// <summary>Provider options set so far, by provider name (for example CUDA: device_id=1).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ProviderOptions =>
        _providerOptions.ToDictionary(p => p.Key, p => (IReadOnlyDictionary<string, string>)new Dictionary<string, string>(p.Value), StringComparer.OrdinalIgnoreCase);

    /// <summary>Sets one option of one provider, as ONNX Runtime names it (for example "CUDA", "device_id", "1"; "OpenVINO", "device_type", "NPU").</summary>
    public OnnxRuntimeBackendOptions SetProviderOption(string provider, string key, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(provider);
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        ArgumentNullException.ThrowIfNull(value);
        string name = ExecutionProviderCatalog.Find(provider)?.Name ?? provider.Trim();
        if (!_providerOptions.TryGetValue(name, out var options)) _providerOptions[name] = options = new Dictionary<string, string>(StringComparer.Ordinal);
        options[key.Trim()] = value;
        return this;
    }

    /// <summary>The options given for one provider (empty when none).</summary>
    public IReadOnlyDictionary<string, string> OptionsFor(string provider) =>
        _providerOptions.TryGetValue(provider, out var options) ? options : new Dictionary<string, string>();

    /// <summary>A deep copy.</summary>
    public OnnxRuntimeBackendOptions Clone()
    {
        var copy = new OnnxRuntimeBackendOptions
        {
            FallbackToCpu = FallbackToCpu,
            IntraOpThreads = IntraOpThreads,
            InterOpThreads = InterOpThreads,
            GraphOptimizationLevel = GraphOptimizationLevel,
            ConfigureSessionOptions = ConfigureSessionOptions,
        };
        copy.ExecutionProviders.AddRange(ExecutionProviders);
        foreach (var p in _providerOptions) copy._providerOptions[p.Key] = new Dictionary<string, string>(p.Value, StringComparer.Ordinal);
        return copy;
    }

    /// <summary>Throws <see cref="ArgumentException"/> for an unknown provider name or a negative thread count.</summary>
    public void Validate()
    {
        foreach (string name in ExecutionProviders)
            if (ExecutionProviderCatalog.Find(name) is null)
                throw new ArgumentException($"Unknown execution provider '{name}'. Known providers: {string.Join(", ", ExecutionProviderCatalog.Names)}.", nameof(ExecutionProviders));
        foreach (string name in _providerOptions.Keys)
            if (ExecutionProviderCatalog.Find(name) is null)
                throw new ArgumentException($"Options were given for unknown execution provider '{name}'. Known providers: {string.Join(", ", ExecutionProviderCatalog.Names)}.", nameof(ProviderOptions));
        if (IntraOpThreads < 0) throw new ArgumentException("IntraOpThreads must be 0 (ONNX Runtime chooses) or positive.", nameof(IntraOpThreads));
        if (InterOpThreads < 0) throw new ArgumentException("InterOpThreads must be 0 (ONNX Runtime chooses) or positive.", nameof(InterOpThreads));
    }

    /// <summary>The providers to try, canonical names, duplicates removed; CPU alone when none are listed.</summary>
    internal IReadOnlyList<ExecutionProviderInfo> ResolvedProviders()
    {
        var list = new List<ExecutionProviderInfo>();
        foreach (string name in ExecutionProviders)
        {
            var info = ExecutionProviderCatalog.Find(name)!;
            if (!list.Contains(info)) list.Add(info);
        }
        if (list.Count == 0) list.Add(ExecutionProviderCatalog.Cpu);
        return list;
    }

    /// <summary>"CUDA, CPU; FallbackToCpu=true; IntraOpThreads=0; InterOpThreads=0" for messages.</summary>
    public override string ToString() =>
        $"ExecutionProviders={string.Join(",", ExecutionProviders)}; FallbackToCpu={FallbackToCpu}; IntraOpThreads={IntraOpThreads}; InterOpThreads={InterOpThreads}; GraphOptimizationLevel={GraphOptimizationLevel}";
}
