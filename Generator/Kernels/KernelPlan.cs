using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Kernels;

/// <summary>
/// What kernel selection decided, layer by layer in graph order: for each node the <see cref="Kernel"/> that runs it
/// (run-time method, variant, weight layouts, threads, scratch). Made once by <see cref="Passes.KernelSelection"/> and
/// only read afterwards: the memory plan asks it which layers are views, run in place or need scratch, the emitter
/// writes it out. The graph itself holds no kernels.
/// </summary>
internal sealed class KernelPlan
{
    private readonly Dictionary<Node, Kernel> _byNode;

    public KernelPlan(IEnumerable<Kernel> layers)
    {
        Layers = layers.ToList();
        _byNode = Layers.ToDictionary(k => k.Node);
    }

    /// <summary>One kernel per layer, in graph order.</summary>
    public IReadOnlyList<Kernel> Layers { get; }

    /// <summary>The kernel chosen for <paramref name="node"/>.</summary>
    public Kernel this[Node node] => _byNode[node];

    /// <summary>Multiply-accumulates per call, all layers together.</summary>
    public long TotalMacs => Layers.Sum(k => k.Macs);
}
