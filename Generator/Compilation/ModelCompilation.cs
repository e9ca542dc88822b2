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
using ModelCompiler.Passes.Pruning;
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
/// simplify -> fuse QDQ groups into integer ops -> fuse LayerNorm/GELU subgraphs -> fold bias Adds and BatchNorm -> fuse activations and residual Adds into
/// Conv/Gemm/MatMul -> choose kernels -> plan memory -> emit. The source generator and the
/// build-time CLI (which writes the weight blob) both call this, so they always agree on the layout.
/// </summary>
internal static class ModelCompilation
{
    /// <param name="externalData">
    /// Where the model's external tensor data may be read from: <see cref="ExternalDataSource.Beside"/> the model
    /// file for the generator and modelc; null (compiling bytes alone) reports external data as MC0005.
    /// </param>
    /// <remarks>
    /// Never throws, except <see cref="OperationCanceledException"/>: a problem with the model is a diagnostic, and
    /// anything unexpected is MC9999 naming the node being worked on, so that a build never crashes on a model.
    /// </remarks>
    public static CompileResult Compile(byte[] modelBytes, ModelOptions options, CancellationToken cancellationToken = default, ExternalDataSource? externalData = null)
    {
        var diagnostics = new List<CompilerDiagnostic>();
        NodeTrace.At(null);
        try
        {
            return CompileModel(modelBytes, options, diagnostics, cancellationToken, externalData);
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception e)
        {
            diagnostics.Add(Diagnose(e, NodeTrace.Current));
            return new CompileResult { Diagnostics = diagnostics.ToImmutableArray() };
        }
        finally
        {
            NodeTrace.At(null);
        }
    }

    /// <summary>
    /// The last-resort guard's diagnostic for an exception no pass caught, naming the node being worked on when
    /// known: a limit is MC0013, a problem with the model MC0008 (or MC0011 outside any node), anything else MC9999.
    /// </summary>
    internal static CompilerDiagnostic Diagnose(Exception e, Node? node) => e switch
    {
        LimitExceeded => CompilerDiagnostic.Create(DiagnosticDescriptors.LimitExceeded, node is null ? e.Message : $"node '{node.Name}' ({node.OpType}): {e.Message}"),
        ModelError when node is not null => CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidNode, node.Name, node.OpType, e.Message),
        ModelError => CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidGraph, e.Message),
        _ => CompilerDiagnostic.Create(DiagnosticDescriptors.InternalError,
            node is null ? e.GetType().Name : $"{e.GetType().Name} at node '{node.Name}' ({node.OpType})", e.Message),
    };

    private static CompileResult CompileModel(byte[] modelBytes, ModelOptions options, List<CompilerDiagnostic> diagnostics, CancellationToken cancellationToken, ExternalDataSource? externalData)
    {
        CompileResult Fail() => new() { Diagnostics = diagnostics.ToImmutableArray() };

        if (!ValidateOptions(options, diagnostics)) return Fail();
        if (options.IsOnnxRuntime) return OnnxRuntimeCompilation.Compile(modelBytes, options, diagnostics, cancellationToken);

        externalData ??= ExternalDataSource.None;
        var graph = OnnxReader.Read(modelBytes, diagnostics, externalData);
        if (graph is null || HasErrors(diagnostics)) return Fail();
        cancellationToken.ThrowIfCancellationRequested();

        InputPinning.Run(graph, options, diagnostics);
        SupportCheck.Run(graph, diagnostics);
        if (HasErrors(diagnostics)) return Fail();
        AttributeCheck.Run(graph, diagnostics);
        if (HasErrors(diagnostics)) return Fail();

        ShapeInference.Run(graph, diagnostics);
        if (HasErrors(diagnostics)) return Fail();
        cancellationToken.ThrowIfCancellationRequested();

        // The passes after shape inference run on every graph alike: subgraphs (If branches, Loop and Scan
        // bodies, inferred by the op that owns them) first, so that a control-flow layer finds its bodies compiled.
        var graphs = graph.WithSubgraphsBottomUp().ToList();
        foreach (var g in graphs) Float16Widening.Run(g);
        foreach (var g in graphs) Simplify.Run(g);
        foreach (var g in graphs) BoundedOutputs.Check(g, diagnostics, subgraph: g != graph);
        try { foreach (var g in graphs) QdqFusion.Run(g, diagnostics); }
        catch (ModelError e) { diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidGraph, "quantized (QDQ) groups: " + e.Message)); }
        if (HasErrors(diagnostics)) return Fail();
        var pruning = PruningSummary.None;
        foreach (var g in graphs)
        {
            Passes.Transformer.TransformerFusion.Run(g);
            BinaryLayerFusion.Run(g);
            LowBitLayerFusion.Run(g);
            BiasAddFolding.Run(g);
            BatchNormFolding.Run(g);
            if (g == graph) pruning = StructuredPruning.Run(g); // the model's own layers; subgraph values stay as they are
            EpilogueFusion.Run(g);
            foreach (var v in g.Values.Values)
                if (!v.IsConstant && v.Shape is not null && (v.Producer is not null || g.IsGraphInput(v)) && !v.Type.IsSupportedAtRunTime())
                    diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.UnsupportedType, $"Tensor '{v.Name}'", v.Type.OnnxName(), ""));
            RawBitsCheck.Run(g, diagnostics);
        }
        if (HasErrors(diagnostics)) return Fail();

        // Subgraphs get their kernels (and memory plans) first, inside this call: see KernelSelection.
        var kernels = KernelSelection.Run(graph, diagnostics, options.ThreadCount);
        if (HasErrors(diagnostics)) return Fail();
        cancellationToken.ThrowIfCancellationRequested();

        var plan = MemoryPlan.Build(graph, kernels);
        if (plan.ArenaBytes > Limits.MaxArenaBytes)
        {
            diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.LimitExceeded,
                $"intermediate tensors need {plan.ArenaBytes} bytes of scratch memory per thread; the arena may take at most {Limits.MaxArenaBytes} (2 GiB)"));
            return Fail();
        }
        var weights = new WeightTable();
        var identity = new ModelIdentity(modelBytes, options, externalData.Digest());
        var emitter = new ModelEmitter(graph, kernels, options, plan, weights, identity) { Pruning = pruning };
        string source = emitter.Emit();
        if (weights.Length > Limits.MaxWeightBytes)
        {
            diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.LimitExceeded,
                $"the weight blob would take {weights.Length} bytes after folding and packing; the weights of a model may take at most {Limits.MaxWeightBytes} (1 GiB)"));
            return Fail();
        }

        if (weights.Count > 0 && string.IsNullOrEmpty(options.WeightsResource))
        {
            diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.MissingWeightsResource));
            return Fail();
        }

        if (pruning.Diagnostic(graph, kernels, emitter.TotalMacs, weights.Length, weights.Decoded) is { } pruned) diagnostics.Add(pruned);

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
