using ModelCompiler.Graph;
using ModelCompiler.Kernels;
using ModelCompiler.Planning;

namespace ModelCompiler.Compilation;

/// <summary>
/// A graph with what the passes decided for it: the kernel of every layer and where every tensor lives. The model's
/// graph is one; so is each subgraph (an If branch, a Loop or Scan body), which its layer's kernel holds and has
/// emitted as its own methods (<see cref="Emit.GraphEmitter"/>).
/// </summary>
internal sealed record CompiledGraph(ModelGraph Graph, KernelPlan Kernels, MemoryPlan Memory);
