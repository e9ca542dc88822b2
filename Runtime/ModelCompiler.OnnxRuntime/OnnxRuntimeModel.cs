using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.ML.OnnxRuntime;

namespace ModelCompiler.OnnxRuntime;

/// <summary>
/// The run-time half of a class generated with <c>Backend="OnnxRuntime"</c>: the model's bytes (an embedded
/// resource the build targets add), its options, one <see cref="InferenceSession"/> created lazily and
/// thread-safely on first use, and per-thread I/O bindings. Generated code keeps one instance in a static
/// field and forwards its public members to it.
/// </summary>
public sealed class OnnxRuntimeModel
{
    private readonly object _gate = new();
    private readonly Assembly _assembly;
    private readonly string _displayName;
    private readonly string _resourceName;
    private readonly string? _sha256;
    private readonly OnnxRuntimeTensor[] _inputs;
    private readonly OnnxRuntimeTensor[] _outputs;
    private readonly ThreadLocal<OnnxRuntimeBinding?> _bindings = new();
    private OnnxRuntimeBackendOptions _options;
    private volatile SessionState? _state;

    /// <param name="owner">The generated class; its assembly holds the model resource.</param>
    /// <param name="resourceName">Logical name of the manifest resource holding the .onnx file.</param>
    /// <param name="modelSha256">SHA-256 of the .onnx file the code was generated from (lower-case hex), checked at first use; null skips the check.</param>
    /// <param name="inputs">Graph inputs, in graph order.</param>
    /// <param name="outputs">Graph outputs, in graph order.</param>
    /// <param name="defaults">Sets the options given in the model's metadata.</param>
    public OnnxRuntimeModel(Type owner, string resourceName, string? modelSha256, OnnxRuntimeTensor[] inputs, OnnxRuntimeTensor[] outputs, Action<OnnxRuntimeBackendOptions>? defaults)
    {
        ArgumentNullException.ThrowIfNull(owner);
        _assembly = owner.Assembly;
        _displayName = owner.FullName ?? owner.Name;
        _resourceName = resourceName;
        _sha256 = modelSha256;
        _inputs = inputs;
        _outputs = outputs;
        _options = new OnnxRuntimeBackendOptions();
        defaults?.Invoke(_options);
    }

    /// <summary>Graph inputs, in graph order.</summary>
    public IReadOnlyList<OnnxRuntimeTensor> Inputs => _inputs;

    /// <summary>Graph outputs, in graph order.</summary>
    public IReadOnlyList<OnnxRuntimeTensor> Outputs => _outputs;

    /// <summary>A copy of the options the session is (or will be) created with.</summary>
    public OnnxRuntimeBackendOptions Options
    {
        get { lock (_gate) return _options.Clone(); }
    }

    /// <summary>True once the session exists (after the first <c>Predict</c> or <see cref="Initialize"/>).</summary>
    public bool IsInitialized => _state is not null;

    /// <summary>The highest-priority execution provider the session uses ("CUDA", "CPU", ...); null before first use.</summary>
    public string? ActiveExecutionProvider => _state?.Active[0];

    /// <summary>
    /// Every provider registered with the session, in priority order (ONNX Runtime gives each node to the first
    /// that can run it; CPU takes what none can). Empty before first use.
    /// </summary>
    public IReadOnlyList<string> ActiveExecutionProviders => _state?.Active ?? Array.Empty<string>();

    /// <summary>Listed providers the session does not use, each with the reason and the NuGet package that brings it. Empty before first use.</summary>
    public IReadOnlyList<SkippedExecutionProvider> SkippedExecutionProviders => _state?.Skipped ?? Array.Empty<SkippedExecutionProvider>();

    /// <summary>The session (created now if it does not exist yet), for anything the generated API does not cover.</summary>
    public InferenceSession Session => EnsureSession().Session;

    /// <summary>
    /// Changes the options before the session exists. Throws <see cref="InvalidOperationException"/> once it
    /// does (after the first <c>Predict</c>), and <see cref="ArgumentException"/> for invalid options.
    /// </summary>
    public void Configure(Action<OnnxRuntimeBackendOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        lock (_gate)
        {
            if (_state is not null)
                throw new InvalidOperationException(
                    $"{_displayName}: its ONNX Runtime session already exists (it is created by the first Predict or Initialize call), " +
                    "so its options can no longer change. Call Configure before the first use.");
            var copy = _options.Clone();
            configure(copy);
            copy.Validate();
            _options = copy;
        }
    }

    /// <summary>Creates the session now instead of at the first <c>Predict</c> (session creation can take a while).</summary>
    public void Initialize() => EnsureSession();

    /// <summary>This thread's pinned input/output buffers, bound to the session (created on a thread's first call).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public OnnxRuntimeBinding ForCurrentThread() => _bindings.Value ?? CreateBinding();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private OnnxRuntimeBinding CreateBinding()
    {
        var binding = new OnnxRuntimeBinding(EnsureSession(), _inputs, _outputs);
        _bindings.Value = binding;
        return binding;
    }

    private SessionState EnsureSession()
    {
        var state = _state;
        if (state is not null) return state;
        lock (_gate)
        {
            // Not cached on failure: a later call (perhaps after Configure) tries again.
            return _state ??= CreateSession(_options.Clone());
        }
    }

    private byte[] LoadModel()
    {
        using Stream? stream = _assembly.GetManifestResourceStream(_resourceName);
        if (stream is null)
            throw new InvalidOperationException(
                $"{_displayName}: the model (resource '{_resourceName}') is not embedded in {_assembly.GetName().Name}. " +
                "The ModelCompiler build targets embed models whose AdditionalFiles item has Backend=\"OnnxRuntime\": reference the ModelCompiler.OnnxRuntime package (not only the analyzer) and rebuild.");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        if (_sha256 is not null)
        {
            string found = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
            if (found != _sha256)
                throw new InvalidOperationException(
                    $"{_displayName}: the embedded model (resource '{_resourceName}', sha256 {found}) is not the one the code was generated from (sha256 {_sha256}). Rebuild the project.");
        }
        return bytes;
    }

    private SessionState CreateSession(OnnxRuntimeBackendOptions options)
    {
        options.Validate();
        byte[] model = LoadModel();
        string[] available = OrtEnv.Instance().GetAvailableProviders();
        var skipped = new List<SkippedExecutionProvider>();
        var candidates = new List<ExecutionProviderInfo>();
        var requested = options.ResolvedProviders();
        foreach (var p in requested)
        {
            if (available.Contains(p.OrtName, StringComparer.OrdinalIgnoreCase)) candidates.Add(p);
            else skipped.Add(new SkippedExecutionProvider(p.Name, $"not in the installed ONNX Runtime build, which offers {string.Join(", ", available)}", p.NuGetPackage));
        }

        bool wantsAccelerator = requested.Any(p => p != ExecutionProviderCatalog.Cpu);
        while (true)
        {
            var sessionOptions = new SessionOptions();
            try
            {
                sessionOptions.GraphOptimizationLevel = options.GraphOptimizationLevel;
                if (options.IntraOpThreads > 0) sessionOptions.IntraOpNumThreads = options.IntraOpThreads;
                if (options.InterOpThreads > 0) sessionOptions.InterOpNumThreads = options.InterOpThreads;

                var registered = new List<ExecutionProviderInfo>();
                foreach (var p in candidates.ToList())
                {
                    try
                    {
                        p.Append(sessionOptions, options.OptionsFor(p.Name));
                        registered.Add(p);
                    }
                    catch (Exception e) when (IsProviderFailure(e))
                    {
                        candidates.Remove(p);
                        skipped.Add(new SkippedExecutionProvider(p.Name, $"could not be registered ({e.GetType().Name}: {e.Message})", p.NuGetPackage));
                    }
                }

                bool accelerated = registered.Any(p => p != ExecutionProviderCatalog.Cpu);
                if (wantsAccelerator && !accelerated && !options.FallbackToCpu)
                    throw new ExecutionProviderUnavailableException(_displayName, skipped, available);

                options.ConfigureSessionOptions?.Invoke(sessionOptions);
                InferenceSession session;
                try
                {
                    session = new InferenceSession(model, sessionOptions);
                }
                catch (OnnxRuntimeException e) when (accelerated)
                {
                    // A provider that registered but cannot build this session (missing CUDA libraries, an
                    // unsupported device): drop the highest-priority one and try the next.
                    var failed = registered.First(p => p != ExecutionProviderCatalog.Cpu);
                    candidates.Remove(failed);
                    skipped.Add(new SkippedExecutionProvider(failed.Name, $"the session could not be created with it ({e.Message})", failed.NuGetPackage));
                    sessionOptions.Dispose();
                    continue;
                }

                var active = registered.Select(p => p.Name).ToList();
                if (!active.Contains(ExecutionProviderCatalog.Cpu.Name)) active.Add(ExecutionProviderCatalog.Cpu.Name);
                return new SessionState(session, sessionOptions, active.ToArray(), skipped.ToArray(), accelerated);
            }
            catch
            {
                sessionOptions.Dispose();
                throw;
            }
        }
    }

    /// <summary>
    /// What registering a provider throws when the installed ONNX Runtime cannot give it: the plain package
    /// lacks the native entry points of CUDA/TensorRT/OpenVINO/DirectML (EntryPointNotFoundException), answers
    /// "not supported in this build" for the generic ones (OnnxRuntimeException), or a provider library is missing.
    /// </summary>
    internal static bool IsProviderFailure(Exception e) =>
        e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException or NotSupportedException or FormatException or OverflowException;

    /// <summary>The session and what went into it; SessionOptions must outlive the session.</summary>
    internal sealed class SessionState
    {
        public SessionState(InferenceSession session, SessionOptions options, string[] active, SkippedExecutionProvider[] skipped, bool accelerated)
        {
            Session = session;
            SessionOptions = options;
            Active = active;
            Skipped = skipped;
            Accelerated = accelerated;
        }

        public InferenceSession Session { get; }
        public SessionOptions SessionOptions { get; }
        public string[] Active { get; }
        public SkippedExecutionProvider[] Skipped { get; }
        public bool Accelerated { get; }
    }
}
