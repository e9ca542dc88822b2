using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tests.Infrastructure;
using ModelCompiler.Tests.NodeTests;
using Xunit;
using static ModelCompiler.Tests.Ops.Nn.SingleNodeModels;

namespace ModelCompiler.Tests.Ops.Transformer;

/// <summary>
/// The transformer and loss ops in configurations the ONNX node tests leave out (run-time position ids and masks,
/// GQA with a past cache, opset-18 GroupNormalization, Einsum equations of every kind, ignore_index...), each a
/// one-node model run by ONNX Runtime 1.31.1 (optimizations off) and by ModelCompiler on the same random inputs:
/// float within 1e-4 relative, 1e-5 absolute. Self-contained: the models are built here.
/// </summary>
public sealed class TransformerOpsOrtTests
{
    private sealed record OpCase(string Name, int Opset, string Op, Input[] Inputs, DataType[] Outputs, (string, object)[] Attrs);

    private static readonly DataType[] F1 = { DataType.Float }, F2 = { DataType.Float, DataType.Float }, F3 = { DataType.Float, DataType.Float, DataType.Float };

    private static OpCase C(string name, int opset, string op, Input[] inputs, DataType[] outputs, params (string, object)[] attrs) => new(name, opset, op, inputs, outputs, attrs);

    private static Input X(string name, params int[] shape) => Input.Data(name, DataType.Float, shape);

    private static Input W(string name, params int[] shape)
    {
        var random = new Random(shape.Aggregate(name.Length * 7 + 3, (h, d) => h * 31 + d));
        return Input.Const(name, shape, Enumerable.Range(0, (int)ShapeText.Product(shape)).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray());
    }

    private static Input Longs(string name, int[] shape, params long[] values) => new(name, DataType.Int64, shape, values);

    /// <summary>cos/sin caches of RoPE for positions 0..positions-1 over half rotary pairs.</summary>
    private static Input Cache(string name, int positions, int half, bool sin) =>
        Input.Const(name, new[] { positions, half }, Enumerable.Range(0, positions * half)
            .Select(i => (float)(sin ? Math.Sin((i / half) * Math.Pow(10000, -(double)(i % half) / half)) : Math.Cos((i / half) * Math.Pow(10000, -(double)(i % half) / half)))).ToArray());

    private static readonly OpCase[] s_cases =
    {
        C("layernorm_17_axis1", 17, "LayerNormalization", new[] { X("x", 2, 3, 8), W("scale", 3, 8), W("bias", 3, 8) }, F3, ("axis", 1)),
        C("layernorm_17_no_bias", 17, "LayerNormalization", new[] { X("x", 3, 40), W("scale", 40) }, F1, ("epsilon", 1e-3f)),
        C("layernorm_17_runtime_scale", 17, "LayerNormalization", new[] { X("x", 4, 2, 17), X("scale", 17), X("bias", 17) }, F1),
        C("rmsnorm_23_axis_neg2", 23, "RMSNormalization", new[] { X("x", 2, 3, 4), W("scale", 3, 4) }, F1, ("axis", -2), ("epsilon", 1e-3f)),
        C("groupnorm_18_per_group", 18, "GroupNormalization", new[] { X("x", 2, 6, 3, 3), W("scale", 3), W("bias", 3) }, F1, ("num_groups", 3)),
        C("groupnorm_21_per_channel", 21, "GroupNormalization", new[] { X("x", 2, 6, 5), W("scale", 6), W("bias", 6) }, F1, ("num_groups", 2)),

        C("attention_23_4d_gqa_causal_past", 23, "Attention",
            new[] { X("q", 1, 4, 3, 8), X("k", 1, 2, 3, 8), X("v", 1, 2, 3, 8), Input.None, X("past_key", 1, 2, 5, 8), X("past_value", 1, 2, 5, 8) }, F3, ("is_causal", 1)),
        C("attention_23_3d_float_mask_scale", 23, "Attention",
            new[] { X("q", 2, 4, 32), X("k", 2, 6, 32), X("v", 2, 6, 24), X("mask", 2, 1, 4, 6) }, F1, ("q_num_heads", 4), ("kv_num_heads", 4), ("scale", 0.2f)),
        C("attention_23_bool_mask_qk_mode3", 23, "Attention",
            new[] { X("q", 1, 2, 4, 8), X("k", 1, 2, 4, 8), X("v", 1, 2, 4, 8), new Input("mask", DataType.Bool, new[] { 4, 4 }, Enumerable.Range(0, 16).Select(i => i % 5 != 1).ToArray()) },
            new[] { DataType.Float, DataType.Float, DataType.Float, DataType.Float }, ("qk_matmul_output_mode", 3)),
        // ONNX Runtime writes float32.min where a boolean mask excludes a key in the mode-2 scores; the ONNX definition says -inf.
        C("attention_23_float_mask_qk_mode2", 23, "Attention",
            new[] { X("q", 1, 2, 4, 8), X("k", 1, 2, 4, 8), X("v", 1, 2, 4, 8), X("mask", 1, 2, 4, 4) },
            new[] { DataType.Float, DataType.Float, DataType.Float, DataType.Float }, ("qk_matmul_output_mode", 2), ("softcap", 3f)),

        C("rotary_23_3d_position_ids", 23, "RotaryEmbedding",
            new[] { X("x", 2, 3, 16), Cache("cos", 10, 4, false), Cache("sin", 10, 4, true), Longs("ids", new[] { 2, 3 }, 0, 2, 5, 9, 1, 1) }, F1, ("num_heads", 2)),
        C("rotary_23_4d_interleaved_partial", 23, "RotaryEmbedding",
            new[] { X("x", 2, 2, 3, 8), Cache("cos", 6, 2, false), Cache("sin", 6, 2, true), Longs("ids", new[] { 2, 3 }, 3, 4, 5, 0, 1, 2) }, F1, ("interleaved", 1), ("rotary_embedding_dim", 4)),

        C("einsum_attention_scores", 12, "Einsum", new[] { X("q", 2, 3, 5, 8), X("k", 2, 3, 7, 8) }, F1, ("equation", "bhqd,bhkd->bhqk")),
        C("einsum_implicit_matmul", 12, "Einsum", new[] { X("a", 4, 6), X("b", 6, 5) }, F1, ("equation", "ij,jk")),
        C("einsum_merged_rows", 12, "Einsum", new[] { X("a", 2, 3, 6), W("w", 6, 5) }, F1, ("equation", "abc,cd->abd")),
        C("einsum_transposed_output", 12, "Einsum", new[] { X("a", 2, 3, 4), X("b", 2, 4, 5) }, F1, ("equation", "bij,bjk->bki")),
        C("einsum_transpose", 12, "Einsum", new[] { X("a", 2, 3, 4) }, F1, ("equation", "bij->jbi")),
        C("einsum_diagonal", 12, "Einsum", new[] { X("a", 3, 4, 4) }, F1, ("equation", "bii->bi")),
        C("einsum_trace", 12, "Einsum", new[] { X("a", 5, 5) }, F1, ("equation", "ii")),
        C("einsum_outer", 12, "Einsum", new[] { X("a", 3), X("b", 4) }, F1, ("equation", "i,j->ij")),
        C("einsum_sum_all", 12, "Einsum", new[] { X("a", 2, 3, 4) }, F1, ("equation", "ijk->")),
        C("einsum_ellipsis", 12, "Einsum", new[] { X("a", 2, 3, 3, 4), X("b", 2, 3, 4, 5) }, F1, ("equation", "...ij,...jk->...ik")),
        C("einsum_partial_sum", 12, "Einsum", new[] { X("a", 3, 4, 5), X("b", 5, 2) }, F1, ("equation", "ijk,kl->il")),

        C("trilu_14_lower_k_minus1", 14, "Trilu", new[] { X("x", 3, 4, 5), Longs("k", Array.Empty<int>(), -1) }, F1, ("upper", 0)),
        C("trilu_14_upper_runtime_k", 14, "Trilu", new[] { X("x", 2, 6, 4), Input.Data("k", DataType.Int64) }, F1),

        C("sce_13_mean_weight_ignore", 13, "SoftmaxCrossEntropyLoss",
            new[] { X("scores", 3, 5, 2), Longs("labels", new[] { 3, 2 }, 0, 1, 4, 2, 1, 1), W("weight", 5) }, F2, ("ignore_index", 1)),
        C("sce_13_none", 13, "SoftmaxCrossEntropyLoss", new[] { X("scores", 4, 6), Longs("labels", new[] { 4 }, 5, 0, 3, 3) }, F1, ("reduction", "none")),
        C("nll_13_sum", 13, "NegativeLogLikelihoodLoss", new[] { X("input", 4, 6), Longs("target", new[] { 4 }, 1, 5, 0, 3) }, F1, ("reduction", "sum")),
        C("nll_22_mean_ignore_negative", 22, "NegativeLogLikelihoodLoss",
            new[] { X("input", 2, 3, 4), Longs("target", new[] { 2, 4 }, 0, -1, 2, 1, -1, -1, 0, 2) }, F1, ("ignore_index", -1)),
    };

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in s_cases) data.Add(c.Name);
        return data;
    }

    private static readonly Lazy<(Dictionary<string, string> OrtFailures, CompiledGroup Group)> s_group = new(Build);

    private static (Dictionary<string, string>, CompiledGroup) Build()
    {
        string root = Path.Combine(Path.GetTempPath(), "modelcompiler-tests", $"transformer-ort-cases-{Environment.ProcessId}");
        var failures = new Dictionary<string, string>(StringComparer.Ordinal);
        var cases = new List<NodeCase>();
        for (int index = 0; index < s_cases.Length; index++)
        {
            var c = s_cases[index];
            var model = Model(c.Opset, c.Op, c.Inputs, c.Outputs, c.Attrs);
            model.IrVersion = 10;
            var random = new Random(2000 + index);
            var data = c.Inputs.Where(i => i.IsData).Select(i => (Input: i, Data: i.Type == DataType.Int64 ? new long[] { 1 } : RandomData(i.Type, i.Shape, random))).ToList();
            TestTensor[] expected;
            try
            {
                expected = OrtReference.RunTyped(Google.Protobuf.MessageExtensions.ToByteArray(model),
                    data.Select(d => new TestTensor(d.Input.Name, (int)d.Input.Type, d.Input.Shape, d.Data)).ToList());
            }
            catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException e)
            {
                failures[c.Name] = "ONNX Runtime: " + e.Message;
                continue;
            }
            string dir = Path.Combine(root, c.Name);
            WriteCase(dir, model, data.Select(d => OnnxModelBuilder.Tensor(d.Input.Name, d.Input.Type, d.Input.Shape, d.Data)).ToList(),
                expected.Select((t, k) => OnnxModelBuilder.Tensor("y" + k, t.Type, t.Shape, t.Data)).ToList());
            cases.Add(new NodeCase(c.Name, dir, "transformer-ort", new[] { c.Op }, null));
        }
        var group = CompiledGroup.Build(cases);
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        return (failures, group);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_onnx_runtime(string name)
    {
        var (ortFailures, group) = s_group.Value;
        if (ortFailures.TryGetValue(name, out var why)) Assert.Fail($"{name}: reference unavailable: {why}");
        string? failure = group.Failure(name);
        if (failure is not null) Assert.Fail($"{name}: {failure}");
        var io = group.Io(name);
        var set = io.DataSets[0];
        var outputs = set.Outputs.Select(o => Adapter.NewArray(o.CSharpType, o.Data.Length)).ToArray();
        Adapter.Run(group.Assembly, io.Namespace, set.Inputs.Select(i => (object)i.Data).ToArray(), outputs);
        for (int k = 0; k < outputs.Length; k++)
        {
            Assert.True(set.Outputs[k].Data.Length == outputs[k].Length, $"{name} output {k}: {outputs[k].Length} elements, ONNX Runtime gave {set.Outputs[k].Data.Length}");
            Compare.Close(set.Outputs[k].Data, outputs[k], 1e-4, 1e-5, $"{name} output {k}");
        }
    }
}
