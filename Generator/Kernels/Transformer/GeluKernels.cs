using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Ops;
using ModelCompiler.Passes;

namespace ModelCompiler.Kernels.Transformer;

/// <summary>
/// float32 Gelu (the op, and the subgraphs GeluFusion turns into it) as one vectorized pass (<c>GeluKernel</c>);
/// other element types keep the op's element-by-element kernel.
/// </summary>
internal sealed class GeluKernelProvider : IKernelProvider
{
    public int Priority => 100;

    public Kernel? TryCreate(OpContext c)
    {
        if (c.Node.Domain.Length != 0 || c.Node.OpType != "Gelu" || c.Type(0) != DataType.Float) return null;
        string approximate = c.Str("approximate", "none");
        if (approximate is not ("none" or "tanh")) return null;
        string method = approximate == "tanh" ? "Tanh" : "Erf";
        return new CallKernel(c.Node, w => w.Line($"{KernelText.Runtime}GeluKernel.{method}({w.In(0)}, {w.Out(0)});"),
            approximate == "tanh" ? "tanh approximation, vectorized" : "erf form, vectorized") { InPlaceInputs = new[] { 0 } };
    }
}
