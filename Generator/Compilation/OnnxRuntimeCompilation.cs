using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using ModelCompiler.Diagnostics;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Onnx;
using ModelCompiler.Ops;
using ModelCompiler.Passes;

namespace ModelCompiler.Compilation;

/// <summary>A graph input or output as the OnnxRuntime backend binds it.</summary>
internal sealed record IoTensor(string Name, DataType Type, int[] Shape, string ShapeSource)
{
    public long ElementCount => ShapeText.Product(Shape);
}

/// <summary>
/// Backend="OnnxRuntime": the model runs through ONNX Runtime, so the managed compiler's operator coverage
/// does not matter. The graph is read, inputs are pinned (InputShape works as for the managed backend),
/// output shapes come from the managed shape inference where it reaches them and from the model's declared
/// outputs otherwise; the emitted class binds those static shapes.
/// </summary>
internal static class OnnxRuntimeCompilation
{
    public static CompileResult Compile(byte[] modelBytes, ModelOptions options, List<CompilerDiagnostic> diagnostics, CancellationToken cancellationToken)
    {
        CompileResult Fail() => new() { Diagnostics = diagnostics.ToImmutableArray() };

        var settingErrors = new List<(string Option, string Reason)>();
        var settings = OnnxRuntimeSettings.Parse(options, settingErrors);
        foreach (var (option, reason) in settingErrors)
            diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidOption, option, reason));
        if (HasErrors(diagnostics)) return Fail();

        var graph = OnnxReader.Read(modelBytes, diagnostics,
            ExternalDataSource.Refuse("the OnnxRuntime backend embeds the .onnx file alone, where ONNX Runtime would not find the data at run time"));
        if (graph is null || HasErrors(diagnostics)) return Fail();
        cancellationToken.ThrowIfCancellationRequested();

        InputPinning.Run(graph, options, diagnostics);
        // bfloat16/float8/float4 inputs would reach ONNX Runtime as the ushort/byte spans the managed backend takes.
        foreach (var i in graph.Inputs)
            if (i.Type.IsRawBitsFloat())
                diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.UnsupportedType, $"Input '{i.Name}'", i.Type.OnnxName(), " by the OnnxRuntime backend"));
        if (HasErrors(diagnostics)) return Fail();

        // The declared output shapes are the fallback; inference starts from nothing for computed outputs.
        var declared = graph.Outputs.ToDictionary(o => o, o => (o.Shape, o.Type));
        foreach (var o in graph.Outputs)
            if (!o.IsConstant && !graph.IsGraphInput(o)) o.Shape = null;

        var unsupported = graph.Nodes.Where(n => OpRegistry.Find(n.Domain, n.OpType) is null)
            .Select(n => (n.Domain.Length == 0 ? "" : n.Domain + ".") + n.OpType).Distinct().OrderBy(x => x, StringComparer.Ordinal).ToList();
        int nodeCount = graph.Nodes.Count;
        bool complete = graph.DefaultOpset >= SupportCheck.MinimumOpset && PartialShapeInference.Run(graph);
        cancellationToken.ThrowIfCancellationRequested();

        var inputs = graph.Inputs.Select(v => new IoTensor(v.Name, v.Type, v.Shape!, "")).ToList();
        var outputs = new List<IoTensor>();
        foreach (var o in graph.Outputs)
        {
            var (declaredShape, declaredType) = declared[o];
            DataType type = o.Type != DataType.Undefined ? o.Type : declaredType;
            int[]? shape = o.Shape;
            string source = "inferred";
            // A data-dependent row count (NonMaxSuppression) has only a bound here; ONNX Runtime returns the real shape.
            if (shape is null || shape.Any(d => d < 0) || BoundedOutputs.IsBounded(o))
            {
                shape = declaredShape;
                source = "declared by the model";
            }
            if (shape is null || shape.Any(d => d < 0))
            {
                string hint = declaredShape is null ? " (the model declares no shape for it)" : "";
                diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.UnknownOutputShape, o.Name,
                    declaredShape is null ? "unknown" : "[" + string.Join(",", declaredShape.Select((d, k) => d >= 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : o.DeclaredDim(k) ?? "?")) + "]",
                    hint));
                continue;
            }
            if (!type.IsSupportedAtRunTime() || type.IsRawBitsFloat())
            {
                diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.UnsupportedType, $"Output '{o.Name}'", type.OnnxName(), ""));
                continue;
            }
            outputs.Add(new IoTensor(o.Name, type, shape, source));
        }
        if (HasErrors(diagnostics)) return Fail();
        if (string.IsNullOrEmpty(options.ModelResource))
        {
            diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.MissingModelResource));
            return Fail();
        }

        long macs = complete ? CountMacs(graph) : -1;
        var identity = new ModelIdentity(modelBytes, options);
        var emitter = new OnnxRuntimeEmitter(graph, options, settings, inputs, outputs, identity, macs, nodeCount, unsupported);
        return new CompileResult
        {
            Source = emitter.Emit(),
            ClassName = emitter.ClassName,
            Namespace = emitter.Namespace,
            Diagnostics = diagnostics.ToImmutableArray(),
            Macs = macs,
            Layers = nodeCount,
        };
    }

    /// <summary>The managed compiler's MAC count, when it supports the whole graph; -1 otherwise.</summary>
    private static long CountMacs(ModelGraph graph)
    {
        try
        {
            var scratch = new List<CompilerDiagnostic>();
            Simplify.Run(graph);
            BatchNormFolding.Run(graph);
            var kernels = KernelSelection.Run(graph, scratch);
            if (HasErrors(scratch) || kernels.Layers.Count != graph.Nodes.Count) return -1;
            return kernels.TotalMacs;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return -1;
        }
    }

    private static bool HasErrors(List<CompilerDiagnostic> diagnostics) => diagnostics.Any(d => d.Severity == Severity.Error);
}
