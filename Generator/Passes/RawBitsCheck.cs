using System.Collections.Generic;
using ModelCompiler.Diagnostics;
using ModelCompiler.Graph;

namespace ModelCompiler.Passes;

/// <summary>
/// Run-time tensors of bfloat16, float8 and float4e2m1 are held as raw bits in ushort/byte spans
/// (<see cref="DataTypeInfo.IsRawBitsFloat"/>). Only ops that convert those bits (Cast, CastLike, QuantizeLinear,
/// DequantizeLinear) or move them unchanged may produce or consume such a tensor; any other op would compute on
/// the bits as if they were integers, so it is MC0007 naming the tensor and the op.
/// </summary>
internal static class RawBitsCheck
{
    private static readonly HashSet<string> s_allowed = new()
    {
        "Cast", "CastLike", "QuantizeLinear", "DequantizeLinear",
        "Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Shape", "Size", "BitCast",
    };

    public static void Run(ModelGraph g, List<CompilerDiagnostic> diagnostics)
    {
        foreach (var v in g.Values.Values)
        {
            // Constants too: a kernel reading a float8 weight would read its bits as integers all the same.
            if (!v.Type.IsRawBitsFloat()) continue;
            var nodes = new List<Node>(v.Consumers);
            if (v.Producer is not null) nodes.Add(v.Producer);
            foreach (var n in nodes)
            {
                if (n.Domain.Length == 0 && s_allowed.Contains(n.OpType)) continue;
                diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.UnsupportedType, $"Tensor '{v.Name}'", v.Type.OnnxName(),
                    $" by node '{n.Name}' ({n.OpType}): generated code holds {v.Type.OnnxName()} as raw bits, which only Cast, CastLike, QuantizeLinear, DequantizeLinear and reshaping ops handle"));
                break;
            }
        }
    }
}
