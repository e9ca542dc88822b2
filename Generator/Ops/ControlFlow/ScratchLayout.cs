using System;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Planning;

namespace ModelCompiler.Ops.ControlFlow;

/// <summary>
/// The blocks a control-flow layer carves out of its scratch (<see cref="Kernel.ScratchBytes"/>): loop-carried
/// values (two buffers each, read and written alternately), slices, and its subgraphs' arenas, each 64-byte aligned.
/// </summary>
internal sealed class ScratchLayout
{
    public long Bytes { get; private set; }

    /// <summary>Reserves <paramref name="bytes"/>; returns the block's offset.</summary>
    public long Reserve(long bytes)
    {
        long at = Bytes;
        Bytes += Math.Max(MemoryPlan.Alignment, (bytes + MemoryPlan.Alignment - 1) / MemoryPlan.Alignment * MemoryPlan.Alignment);
        return at;
    }

    /// <summary>A buffer for <paramref name="elements"/> of <paramref name="type"/>: a <c>Buf&lt;T&gt;(scratch, ...)</c> expression.</summary>
    public string Buffer(DataType type, long elements) =>
        $"Buf<{type.CSharpName()}>({LayerWriterScratch}, {Reserve(type.ByteSize(elements))}, {elements})";

    /// <summary>A slice of the scratch for a subgraph's arena.</summary>
    public string Arena(MemoryPlan plan) => $"{LayerWriterScratch}.Slice({Reserve(plan.ArenaBytes)}, {plan.ArenaBytes})";

    private const string LayerWriterScratch = "scratch";
}
