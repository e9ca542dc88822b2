using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Qonnx;

/// <summary>
/// The domains QONNX ops appear under: qonnx's own, FINN's two older spellings and the one Brevitas exports
/// with (the qonnx registry maps <c>onnx.brevitas</c> to its general ops). Each op is registered in all four.
/// </summary>
internal static class QonnxDomains
{
    public static readonly string[] All = { "qonnx.custom_op.general", "finn.custom_op.general", "finn", "onnx.brevitas" };

    public static bool Contains(string domain) => All.Contains(domain);

    /// <summary>True when <paramref name="node"/> is the QONNX op <paramref name="opType"/> in any spelling.</summary>
    public static bool Is(Node? node, string opType) => node is not null && node.OpType == opType && Contains(node.Domain);
}

/// <summary>One schema per QONNX domain for an op written once.</summary>
internal abstract class QonnxFamily : IOpFamily
{
    protected abstract OpSchema Create(string domain);
    public IEnumerable<OpSchema> Schemas => QonnxDomains.All.Select(Create);
}
