using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ModelCompiler.Contract;
using ModelCompiler.Diagnostics;
using ModelCompiler.Graph;
using ModelCompiler.Ops;
using ModelCompiler.Passes.Qdq;

namespace ModelCompiler.Passes;

/// <summary>
/// Runs QDQ-format models (ONNX Runtime's quantizer, PyTorch/TensorFlow QAT exports) on integers. Such a graph
/// keeps float ops and marks quantization with DequantizeLinear (DQ) before and QuantizeLinear (Q) after them;
/// this pass, after shape inference and before kernel selection, replaces each "DQ -> op -> Q" group by the
/// integer operator that computes the same thing, as ONNX Runtime's QDQ transformer does:
/// <list type="bullet">
/// <item>Conv -> QLinearConv, MatMul -> QLinearMatMul, Gemm -> com.microsoft QGemm (or, without it, a 1x1
/// QLinearConv between two reshapes), Add/Mul -> com.microsoft QLinearAdd/QLinearMul, AveragePool and
/// GlobalAveragePool -> com.microsoft QLinearAveragePool/QLinearGlobalAveragePool: int32 accumulation,
/// int32 bias (a DQ of an int32 tensor with scale x_scale * w_scale), per-tensor or per-channel weights;</item>
/// <item>a clamp between the op and Q (an op declaring <see cref="OpTraits.Clamp"/>: Relu, Clip) folds into the output range: Q(clip(v, a, b)) = clamp(Q(v), Q(a), Q(b))
/// because Q is monotonic, so nothing is left when the range already saturates there (zero point at the type's
/// minimum), else an integer Clip follows;</item>
/// <item>element-wise functions (every op whose schema declares <see cref="OpTraits.ElementWise"/>: Sigmoid, Tanh,
/// Relu, Clip, HardSwish..., binary ops with a constant scalar operand, and a plain DQ -> Q requantization) become a
/// 256-entry table (ai.modelcompiler QLinearLookup) computed here from the 256
/// possible inputs, exactly as DQ, the float op and Q would compute them; Concat requantizes its inputs that
/// way and concatenates integers;</item>
/// <item>data movement (ops declaring <see cref="OpTraits.CommutesWithDequantize"/>: Reshape, Flatten, Transpose,
/// Squeeze, Unsqueeze, Slice, Gather, MaxPool with a positive scale, Pad...) commutes with DQ, so a DQ in front of
/// it moves behind it and the op runs on the integers.</item>
/// </list>
/// A DQ or Q that is not part of a group keeps its standard meaning. Groups that do not have the expected form
/// (weights not constant, a bias that is not int32, per-channel on the wrong axis...) run as written and get
/// warning MC1002 naming the node, what was found and what was expected. Integer tensors get their scale and
/// zero point recorded in <see cref="Value.Quant"/>. The pieces are in <c>Passes/Qdq/</c>: the pattern matchers
/// (<see cref="QdqPatterns"/>, read-only), the shared graph edits (<see cref="QdqEdits"/>), the preparation before the
/// groups (<see cref="QdqPreparation"/>) and one rewrite per group kind (<see cref="QdqRewrite"/>, <c>Rewrites/</c>).
/// </summary>
internal static class QdqFusion
{
    public static void Run(ModelGraph graph, List<CompilerDiagnostic> diagnostics)
    {
        if (!graph.Nodes.Any(n => QdqPatterns.IsDq(n) || QdqPatterns.IsQ(n))) return;
        var edit = new QdqEdits(graph);
        QdqPreparation.FoldConstants(graph);
        QdqPreparation.RecordGrids(graph);
        QdqPreparation.MoveDequantizeForward(edit);
        RewriteGroups(edit, diagnostics);
        Simplify.RemoveDeadNodes(graph);
        QdqPreparation.RecordGrids(graph);
    }

    public static bool IsDq(Node n) => QdqPatterns.IsDq(n);
    public static bool IsQ(Node n) => QdqPatterns.IsQ(n);

    /// <summary>
    /// Each node in turn, through the first rewrite that applies to it and succeeds (<see cref="QdqRewrite.All"/>);
    /// a group that looks quantized (a DQ in, a Q out) and that no rewrite took gets warning MC1002 saying why.
    /// </summary>
    private static void RewriteGroups(QdqEdits edit, List<CompilerDiagnostic> diagnostics)
    {
        var graph = edit.Graph;
        foreach (var node in graph.Nodes.ToList())
        {
            if (!graph.Nodes.Contains(node)) continue; // absorbed by an earlier group
            if (node.Domain.Length != 0) continue;
            var schema = OpRegistry.Find(node.Domain, node.OpType);
            string? failure = null, expected = null;
            bool fused = false;
            foreach (var rewrite in QdqRewrite.All)
                if (rewrite.AppliesTo(node, schema) && rewrite.TryRewrite(node, edit, ref failure, ref expected)) { fused = true; break; }
            if (fused || failure is null) continue;
            // Only groups that look quantized deserve a warning; float regions are normal.
            if (node.Inputs.Any(i => i?.Producer is { } p && QdqPatterns.IsDq(p)) && QdqPatterns.EndsInQ(node))
                diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.QdqGroupInFloat, node.Name, node.OpType, failure, expected ?? ""));
        }
        graph.RebuildLinks();
    }

    /// <summary>Build-time DequantizeLinear, identical to the run-time decoding.</summary>
    public static float[] Dequantize(Tensor x, QuantParams q)
    {
        var (outer, axisLength, inner) = Emit.WeightTable.QuantLayout(x.Shape, q);
        int blocks = q.BlockSize > 0 ? (axisLength + q.BlockSize - 1) / q.BlockSize : 0;
        var y = new float[x.ElementCount];
        int i = 0;
        for (int o = 0; o < outer; o++)
            for (int d = 0; d < axisLength; d++)
                for (int j = 0; j < inner; j++, i++)
                {
                    int s = q.BlockSize > 0 ? (o * blocks + d / q.BlockSize) * inner + j : d;
                    y[i] = QuantizedValues.Dequantize(x.GetLong(i), q.ZeroPoint?.GetLong(s) ?? 0, q.Scale.GetFloat(s));
                }
        return y;
    }
}
