using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using ModelCompiler.Diagnostics;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Onnx;
using ModelCompiler.Passes;
using ModelCompiler.Planning;

namespace ModelCompiler.Compilation;

/// <summary>The outcome of compiling one model: C# source (null on errors), its weight layout, and diagnostics.</summary>
internal sealed class CompileResult
{
    public string? Source { get; init; }
    public string? ClassName { get; init; }
    public string? Namespace { get; init; }
    public ImmutableArray<CompilerDiagnostic> Diagnostics { get; init; } = ImmutableArray<CompilerDiagnostic>.Empty;
    public bool Success => Source is not null;

    /// <summary>Writes the weight blob that <see cref="Source"/> reads (header + aligned tensors).</summary>
    public Action<Stream>? WriteWeights { get; init; }
    public long WeightBytes { get; init; }

    /// <summary>Tensors in the weight blob (each starts 64-byte aligned).</summary>
    public int WeightTensors { get; init; }

    /// <summary>The generated Predict's parameters: graph inputs then outputs, with static shapes.</summary>
    public ImmutableArray<TensorSignature> Inputs { get; init; } = ImmutableArray<TensorSignature>.Empty;
    public ImmutableArray<TensorSignature> Outputs { get; init; } = ImmutableArray<TensorSignature>.Empty;
    public long ArenaBytes { get; init; }
    public long Macs { get; init; }
    public int Layers { get; init; }

    /// <summary>Per-layer facts for tools (kernel chosen, arena offsets, constants), computed on first use; empty on errors.</summary>
    public ImmutableArray<LayerSummary> LayerSummaries => SummarizeLayers?.Value ?? ImmutableArray<LayerSummary>.Empty;
    public Lazy<ImmutableArray<LayerSummary>>? SummarizeLayers { get; init; }
}

/// <summary>
/// A graph input or output as the generated API exposes it. <see cref="Bounded"/>: the first dimension of
/// <see cref="Shape"/> is an upper bound; Predict returns the actual row count through an out parameter.
/// </summary>
internal sealed record TensorSignature(string Name, DataType Type, int[] Shape, bool Bounded = false)
{
    public static TensorSignature Of(Value v) => new(v.Name, v.Type, v.Shape ?? Array.Empty<int>(), BoundedOutputs.IsBounded(v));
    public long Length => ShapeText.Product(Shape);
}

/// <summary>
/// The whole compiler as one call: read -> pin inputs -> check support -> infer shapes and fold constants ->
/// simplify -> fuse QDQ groups into integer ops -> fold bias Adds and BatchNorm -> fuse activations and residual Adds into
/// Conv/Gemm/MatMul -> choose kernels -> plan memory -> emit. The source generator and the
/// build-time CLI (which writes the weight blob) both call this, so they always agree on the layout.
/// </summary>
internal static class ModelCompilation
{
    public static CompileResult Compile(byte[] modelBytes, ModelOptions options, CancellationToken cancellationToken = default)
    {
        var diagnostics = new List<CompilerDiagnostic>();
        CompileResult Fail() => new() { Diagnostics = diagnostics.ToImmutableArray() };

        if (!ValidateOptions(options, diagnostics)) return Fail();
        if (options.IsOnnxRuntime) return OnnxRuntimeCompilation.Compile(modelBytes, options, diagnostics, cancellationToken);

        var graph = OnnxReader.Read(modelBytes, diagnostics);
        if (graph is null || HasErrors(diagnostics)) return Fail();
        cancellationToken.ThrowIfCancellationRequested();

        InputPinning.Run(graph, options, diagnostics);
        SupportCheck.Run(graph, diagnostics);
        if (HasErrors(diagnostics)) return Fail();

        ShapeInference.Run(graph, diagnostics);
        if (HasErrors(diagnostics)) return Fail();
        cancellationToken.ThrowIfCancellationRequested();

        Simplify.Run(graph);
        BoundedOutputs.Check(graph, diagnostics);
        try { QdqFusion.Run(graph, diagnostics); }
        catch (ModelError e) { diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidGraph, "quantized (QDQ) groups: " + e.Message)); }
        if (HasErrors(diagnostics)) return Fail();
        BinaryLayerFusion.Run(graph);
        LowBitLayerFusion.Run(graph);
        BiasAddFolding.Run(graph);
        BatchNormFolding.Run(graph);
        EpilogueFusion.Run(graph);
        foreach (var v in graph.Values.Values)
            if (!v.IsConstant && v.Shape is not null && (v.Producer is not null || graph.IsGraphInput(v)) && !v.Type.IsSupportedAtRunTime())
                diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.UnsupportedType, $"Tensor '{v.Name}'", v.Type.OnnxName(), ""));
        if (HasErrors(diagnostics)) return Fail();

        var kernels = KernelSelection.Run(graph, diagnostics, options.ThreadCount);
        if (HasErrors(diagnostics)) return Fail();
        cancellationToken.ThrowIfCancellationRequested();

        var plan = MemoryPlan.Build(graph, kernels);
        if (plan.ArenaBytes > int.MaxValue)
        {
            diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidGraph, $"intermediate tensors need {plan.ArenaBytes} bytes of scratch memory, more than 2 GB"));
            return Fail();
        }
        var weights = new WeightTable();
        var identity = new ModelIdentity(modelBytes, options);
        var emitter = new ModelEmitter(graph, kernels, options, plan, weights, identity);
        string source = emitter.Emit();

        if (weights.Count > 0 && string.IsNullOrEmpty(options.WeightsResource))
        {
            diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.MissingWeightsResource));
            return Fail();
        }

        return new CompileResult
        {
            Source = source,
            ClassName = emitter.ClassName,
            Namespace = emitter.Namespace,
            Diagnostics = diagnostics.ToImmutableArray(),
            WriteWeights = stream => weights.WriteTo(stream, identity.Fingerprint),
            WeightBytes = weights.Length,
            WeightTensors = weights.Count,
            ArenaBytes = plan.ArenaBytes,
            Macs = emitter.TotalMacs,
            Layers = graph.Nodes.Count,
            Inputs = graph.Inputs.Select(TensorSignature.Of).ToImmutableArray(),
            Outputs = graph.Outputs.Select(TensorSignature.Of).ToImmutableArray(),
            SummarizeLayers = new Lazy<ImmutableArray<LayerSummary>>(() => Compilation.LayerSummaries.Of(graph, kernels, plan)),
        };
    }

    private static bool HasErrors(List<CompilerDiagnostic> diagnostics) => diagnostics.Any(d => d.Severity == Severity.Error);

    private static bool ValidateOptions(ModelOptions options, List<CompilerDiagnostic> diagnostics)
    {
        if (!Identifiers.IsValidIdentifier(options.ResolvedClassName))
            diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidOption, "ClassName", $"'{options.ResolvedClassName}' is not a valid C# class name"));
        if (!Identifiers.IsValidNamespace(options.ResolvedNamespace))
            diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidOption, "Namespace", $"'{options.ResolvedNamespace}' is not a valid C# namespace"));
        if (Backends.Check(options.Backend) is { } reason)
            diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidOption, "Backend", reason));
        if (ModelOptions.ParseThreads(options.Threads) is null)
            diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidOption, "Threads",
                $"'{options.Threads}' is not a thread count; use a whole number from 1 (the default: every layer runs on the calling thread) to {ModelOptions.MaxThreads}"));
        if (options.Profile is { } profile && !bool.TryParse(profile, out _))
            diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidOption, "Profile", $"'{profile}' is not true or false"));
        return !HasErrors(diagnostics);
    }
}
