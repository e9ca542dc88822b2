using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Diagnostics;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Kernels;
using ModelCompiler.Ops;

namespace ModelCompiler.Passes;

/// <summary>
/// Chooses each node's implementation and returns them as the <see cref="KernelPlan"/>. Specialized kernel providers
/// (faster, quantized, sparse... kernels, under <c>Generator/Kernels/&lt;Family&gt;/</c>) are asked first, highest
/// priority first; the op's own straightforward kernel is the fallback. Every build-time kernel choice is made here
/// (the run time only picks the CPU's instruction set). Nodes no kernel accepts are reported all at once.
/// </summary>
internal static class KernelSelection
{
    private static readonly Lazy<IKernelProvider[]> s_providers = new(() =>
        LoadableTypes.Get()
            .Where(t => !t.IsAbstract && typeof(IKernelProvider).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (IKernelProvider)Activator.CreateInstance(t)!)
            .OrderByDescending(p => p.Priority)
            .ThenBy(p => p.GetType().FullName, StringComparer.Ordinal)
            .ToArray());

    /// <param name="threads">The model's Threads option: how many threads a kernel may split a layer over.</param>
    /// <returns>The kernels of the nodes that have one (all of them unless an error was reported).</returns>
    public static KernelPlan Run(ModelGraph graph, List<CompilerDiagnostic> diagnostics, int threads = 1)
    {
        var chosen = new List<Kernel>();
        foreach (var node in graph.Nodes)
        {
            var ctx = new OpContext(node) { Threads = threads };
            Kernel? kernel = null;
            foreach (var provider in s_providers.Value)
                if ((kernel = provider.TryCreate(ctx)) is not null) break;
            var schema = OpRegistry.Find(node.Domain, node.OpType)!;
            kernel ??= schema.CreateKernel(ctx);
            if (kernel is null)
            {
                string why = schema.WhyNoKernel(ctx)
                    ?? $" for inputs of type {string.Join(", ", node.Inputs.Select(i => i?.Type.OnnxName() ?? "-"))}";
                diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.UnsupportedOperator,
                    node.Name, node.OpType, node.DomainDisplay, node.Opset, why));
                continue;
            }
            chosen.Add(kernel);
        }
        return new KernelPlan(chosen);
    }
}

/// <summary>
/// A source of specialized kernels (SIMD, quantized, sparse...): one per kernel family, in
/// <c>Generator/Kernels/&lt;Family&gt;/</c>. Found by reflection; a higher <see cref="Priority"/> is asked first;
/// <see cref="TryCreate"/> returns null for nodes it does not handle, and a kernel for those it does, with every
/// choice (variant, weight layout, threads, scratch) already made.
/// </summary>
internal interface IKernelProvider
{
    int Priority { get; }
    Kernel? TryCreate(OpContext c);
}
