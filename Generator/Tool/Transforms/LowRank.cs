using System;
using System.Collections.Generic;
using System.Linq;
using MathNet.Numerics.LinearAlgebra;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tool.Onnx;

namespace ModelCompiler.Tool.Transforms;

/// <summary>What happened to one layer.</summary>
internal sealed record FactorizedLayer(string Node, string Op, string Method, string Ranks, long ParametersBefore, long ParametersAfter, double Energy, string? Skipped);

/// <summary>
/// Low-rank factorization of weight layers (singular value decompositions by MathNet.Numerics, in double):
/// <list type="bullet">
/// <item>Gemm, MatMul and 1x1 Conv (group 1): the weight as a matrix M (x M for Gemm/MatMul, M x per pixel for a
/// 1x1 Conv) becomes A B with A = U_r sqrt(S_r), B = sqrt(S_r) V_r^T: two layers of the same op, the first with no
/// bias (and, for a Conv, the original stride and pads), the second with the bias;</item>
/// <item>k x k Conv (group 1): Tucker-2 by higher-order SVD. U_out and U_in are the leading left singular vectors of the
/// weight's output-channel and input-channel unfoldings, the core G = W x_0 U_out^T x_1 U_in^T; the layer becomes a 1x1
/// Conv (U_in^T), the k x k Conv with the core (original stride, pads, dilations) and a 1x1 Conv (U_out) with the bias.</item>
/// </list>
/// Ranks: <c>--rank R</c> (capped at each mode's size) or the fewest singular values keeping <c>--energy</c> of the
/// squared singular values. A layer whose factorized form would not have fewer parameters is left as it is, unless
/// forced. At full rank every factorization reproduces the layer up to float rounding.
/// </summary>
internal static class LowRank
{
    public static IReadOnlyList<FactorizedLayer> Factorize(OnnxModel model, int? rank, double? energy, bool force, LayerSelection layers)
    {
        if (rank is null == energy is null) throw new ToolException("give exactly one of --rank R and --energy E");
        if (rank is <= 0) throw new ToolException("--rank must be at least 1");
        if (energy is { } e && !(e > 0 && e <= 1)) throw new ToolException("--energy must be above 0 and at most 1 (0.95 keeps 95% of the squared singular values)");
        var result = new List<FactorizedLayer>();
        var consumers = model.Consumers();
        foreach (var node in model.Graph.Node.Where(n => n.Domain is "" or "ai.onnx" && n.OpType is "Gemm" or "MatMul" or "Conv" && n.Input.Count > 1).ToList())
        {
            if (!layers.Selects(node)) continue;
            var init = model.Initializer(node.Input[1]);
            if (init is null || init.DataType != (int)TensorProto.Types.DataType.Float) continue;
            int[] shape = OnnxModel.Dims(init);
            var w = model.FloatInitializer(node.Input[1])!;
            string? skip = consumers[node.Input[1]].Count > 1 ? "weight shared with other layers"
                : node.OpType == "MatMul" && shape.Length != 2 ? "batched MatMul"
                : node.OpType == "Gemm" && OnnxModel.IntAttr(node, "transA", 0) != 0 ? "Gemm with transA"
                : node.OpType == "Conv" && OnnxModel.IntAttr(node, "group", 1) != 1 ? "grouped or depthwise convolution"
                : node.OpType == "Conv" && shape.Length != 4 ? "not a 2-D convolution"
                : null;
            if (skip is not null)
            {
                result.Add(new FactorizedLayer(node.Name, node.OpType, "-", "-", w.Length, w.Length, 1, skip));
                continue;
            }
            var done = node.OpType == "Conv" && !(shape[2] == 1 && shape[3] == 1)
                ? Tucker2(model, node, w, shape, rank, energy, force)
                : Svd(model, node, w, shape, rank, energy, force);
            result.Add(done);
        }
        model.RemoveUnusedInitializers();
        return result;
    }

    private static FactorizedLayer Svd(OnnxModel model, NodeProto node, float[] w, int[] shape, int? rank, double? energy, bool force)
    {
        // M is [rows, cols] such that the layer computes x M (Gemm/MatMul) or M x (1x1 Conv, rows = output channels).
        bool conv = node.OpType == "Conv";
        bool transB = node.OpType == "Gemm" && OnnxModel.IntAttr(node, "transB", 0) != 0;
        int rows = conv ? shape[0] : transB ? shape[1] : shape[0];
        int cols = conv ? shape[1] : transB ? shape[0] : shape[1];
        var m = Matrix<double>.Build.Dense(rows, cols, (i, j) => transB ? w[j * rows + i] : w[i * cols + j]);
        var svd = m.Svd(computeVectors: true);
        var s = svd.S.ToArray();
        int r = ChooseRank(s, rank, energy);
        long before = (long)rows * cols, after = (long)r * (rows + cols);
        double kept = Energy(s, r);
        string method = conv ? "SVD (1x1 conv)" : "SVD";
        if (after >= before && !force)
            return new FactorizedLayer(node.Name, node.OpType, method, r.ToString(System.Globalization.CultureInfo.InvariantCulture), before, before, kept, $"rank {r} would not save parameters");
        var a = new float[rows * r];
        var b = new float[r * cols];
        for (int k = 0; k < r; k++)
        {
            double root = Math.Sqrt(s[k]);
            for (int i = 0; i < rows; i++) a[i * r + k] = (float)(svd.U[i, k] * root);
            for (int j = 0; j < cols; j++) b[k * cols + j] = (float)(svd.VT[k, j] * root);
        }
        string hidden = model.UniqueName(node.Output[0] + "_lowrank");
        NodeProto first, second;
        if (conv)
        {
            // y = A (B x): the first 1x1 conv applies B ([r, cols] = [r, in]) with the layer's stride and pads.
            first = CloneConv(model, node, node.Input[0], model.UniqueName(node.Input[1] + "_lowrank_in"), new[] { r, cols, 1, 1 }, b, hidden, keepGeometry: true);
            second = CloneConv(model, node, hidden, model.UniqueName(node.Input[1] + "_lowrank_out"), new[] { rows, r, 1, 1 }, a, node.Output[0], keepGeometry: false, bias: node.Input.Count > 2 ? node.Input[2] : null);
        }
        else
        {
            string aName = model.UniqueName(node.Input[1] + "_lowrank_a"), bName = model.UniqueName(node.Input[1] + "_lowrank_b");
            model.Graph.Initializer.Add(OnnxModel.FloatTensor(aName, new[] { rows, r }, a));
            model.Graph.Initializer.Add(OnnxModel.FloatTensor(bName, new[] { r, cols }, b));
            first = OnnxModel.Node(node.OpType, model.UniqueName(node.Name + "_lowrank_a"), new[] { node.Input[0], aName }, new[] { hidden });
            second = OnnxModel.Node(node.OpType, model.UniqueName(node.Name + "_lowrank_b"), new[] { hidden, bName }.Concat(node.Input.Skip(2)), new[] { node.Output[0] });
            if (node.OpType == "Gemm")
            {
                // alpha scales the product once (first layer); beta stays with the bias (second layer); transB is folded into A and B.
                first.Attribute.Add(new AttributeProto { Name = "alpha", Type = AttributeProto.Types.AttributeType.Float, F = OnnxModel.FloatAttr(node, "alpha", 1f) });
                second.Attribute.Add(new AttributeProto { Name = "beta", Type = AttributeProto.Types.AttributeType.Float, F = OnnxModel.FloatAttr(node, "beta", 1f) });
            }
        }
        Replace(model, node, first, second);
        return new FactorizedLayer(node.Name, node.OpType, method, r.ToString(System.Globalization.CultureInfo.InvariantCulture), before, after, kept, null);
    }

    private static FactorizedLayer Tucker2(OnnxModel model, NodeProto node, float[] w, int[] shape, int? rank, double? energy, bool force)
    {
        int o = shape[0], c = shape[1], kh = shape[2], kw = shape[3], k = kh * kw;
        // Mode-0 unfolding [O, C*k] and mode-1 unfolding [C, O*k].
        var w0 = Matrix<double>.Build.Dense(o, c * k, (i, j) => w[i * c * k + j]);
        var w1 = Matrix<double>.Build.Dense(c, o * k, (i, j) => w[(j / k) * c * k + i * k + j % k]);
        var svdOut = w0.Svd(computeVectors: true);
        var svdIn = w1.Svd(computeVectors: true);
        int ro = Math.Min(ChooseRank(svdOut.S.ToArray(), rank, energy), o), ri = Math.Min(ChooseRank(svdIn.S.ToArray(), rank, energy), c);
        long before = (long)o * c * k, after = (long)c * ri + (long)ri * ro * k + (long)ro * o;
        double kept = Math.Min(Energy(svdOut.S.ToArray(), ro), Energy(svdIn.S.ToArray(), ri));
        string ranks = $"{ri}/{ro}";
        if (after >= before && !force)
            return new FactorizedLayer(node.Name, node.OpType, "Tucker-2", ranks, before, before, kept, $"ranks {ranks} would not save parameters");

        var uOut = svdOut.U.SubMatrix(0, o, 0, ro);
        var uIn = svdIn.U.SubMatrix(0, c, 0, ri);
        // core[a, b, p] = sum_o sum_i uOut[o, a] uIn[i, b] W[o, i, p]
        var core = new float[ro * ri * k];
        for (int p = 0; p < k; p++)
        {
            var slice = Matrix<double>.Build.Dense(o, c, (i, j) => w[(i * c + j) * k + p]);
            var g = uOut.TransposeThisAndMultiply(slice).Multiply(uIn);
            for (int a = 0; a < ro; a++)
                for (int b = 0; b < ri; b++) core[(a * ri + b) * k + p] = (float)g[a, b];
        }
        var first = new float[ri * c];
        for (int b = 0; b < ri; b++)
            for (int i = 0; i < c; i++) first[b * c + i] = (float)uIn[i, b];
        var last = new float[o * ro];
        for (int i = 0; i < o; i++)
            for (int a = 0; a < ro; a++) last[i * ro + a] = (float)uOut[i, a];

        string h1 = model.UniqueName(node.Output[0] + "_tucker_in"), h2 = model.UniqueName(node.Output[0] + "_tucker_core");
        var n1 = CloneConv(model, node, node.Input[0], model.UniqueName(node.Input[1] + "_tucker_in"), new[] { ri, c, 1, 1 }, first, h1, keepGeometry: false);
        var n2 = CloneConv(model, node, h1, model.UniqueName(node.Input[1] + "_tucker_core"), new[] { ro, ri, kh, kw }, core, h2, keepGeometry: true);
        var n3 = CloneConv(model, node, h2, model.UniqueName(node.Input[1] + "_tucker_out"), new[] { o, ro, 1, 1 }, last, node.Output[0], keepGeometry: false, bias: node.Input.Count > 2 ? node.Input[2] : null);
        Replace(model, node, n1, n2, n3);
        return new FactorizedLayer(node.Name, node.OpType, "Tucker-2", ranks, before, after, kept, null);
    }

    /// <summary>A Conv like <paramref name="original"/> with new weights: its stride, pads, dilations and kernel when <paramref name="keepGeometry"/>, else a plain 1x1.</summary>
    private static NodeProto CloneConv(OnnxModel model, NodeProto original, string input, string weightName, int[] shape, float[] weights, string output, bool keepGeometry, string? bias = null)
    {
        model.Graph.Initializer.Add(OnnxModel.FloatTensor(weightName, shape, weights));
        var inputs = new List<string> { input, weightName };
        if (bias is not null && bias.Length > 0) inputs.Add(bias);
        var n = OnnxModel.Node("Conv", model.UniqueName(original.Name + "_" + weightName.Split('_').Last()), inputs, new[] { output });
        if (keepGeometry)
        {
            foreach (var a in original.Attribute.Where(a => a.Name is "strides" or "pads" or "dilations" or "auto_pad")) n.Attribute.Add(a.Clone());
            n.Attribute.Add(OnnxModel.IntsAttribute("kernel_shape", new long[] { shape[2], shape[3] }));
        }
        else n.Attribute.Add(OnnxModel.IntsAttribute("kernel_shape", new long[] { 1, 1 }));
        return n;
    }

    private static void Replace(OnnxModel model, NodeProto node, params NodeProto[] replacement)
    {
        int at = model.Graph.Node.IndexOf(node);
        model.Graph.Node.RemoveAt(at);
        for (int i = 0; i < replacement.Length; i++) model.Graph.Node.Insert(at + i, replacement[i]);
    }

    /// <summary>The rank to keep: R capped at the number of singular values, or the fewest reaching the energy fraction.</summary>
    public static int ChooseRank(double[] s, int? rank, double? energy)
    {
        if (rank is { } r) return Math.Min(r, s.Length);
        double total = s.Sum(v => v * v), sum = 0;
        if (total == 0) return 1;
        for (int k = 0; k < s.Length; k++)
        {
            sum += s[k] * s[k];
            if (sum >= energy!.Value * total * (1 - 1e-12)) return k + 1;
        }
        return s.Length;
    }

    private static double Energy(double[] s, int r)
    {
        double total = s.Sum(v => v * v);
        return total == 0 ? 1 : s.Take(r).Sum(v => v * v) / total;
    }
}
