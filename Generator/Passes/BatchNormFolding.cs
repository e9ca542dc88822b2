using System;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Passes;

/// <summary>
/// Folds an inference-mode BatchNormalization into the Conv or Gemm that feeds it:
/// with s = scale / sqrt(var + epsilon), W'[c] = W[c] * s[c] and B'[c] = (B[c] - mean[c]) * s[c] + bias[c].
/// Applies only when the Conv/Gemm output feeds the BN alone, all parameters are constants and the weights are plain
/// float32 (not float16 or quantized weights that the blob keeps compact).
/// </summary>
internal static class BatchNormFolding
{
    public static int Run(ModelGraph graph)
    {
        int folded = 0;
        foreach (var bn in graph.Nodes.Where(n => n.OpType == "BatchNormalization" && n.Domain.Length == 0).ToList())
        {
            Compilation.NodeTrace.At(bn);
            if (bn.Outputs.Skip(1).Any(o => o is not null && (o.Consumers.Count > 0 || graph.IsGraphOutput(o)))) continue; // training outputs used
            if (bn.GetInt("training_mode", 0) != 0) continue;
            var x = bn.Input(0);
            var producer = x?.Producer;
            if (x is null || producer is null || x.Consumers.Count != 1 || graph.IsGraphOutput(x) || x.Type != DataType.Float) continue;
            var p = Enumerable.Range(1, 4).Select(i => bn.Input(i)?.Constant).ToArray();
            if (p.Any(t => t is null)) continue;
            float epsilon = bn.GetFloat("epsilon", 1e-5f);

            bool isConv = producer.OpType == "Conv" && producer.Domain.Length == 0;
            bool isGemm = producer.OpType == "Gemm" && producer.Domain.Length == 0 && producer.GetInt("transA", 0) == 0
                && producer.Input(0)?.Shape?.Length == 2;
            if (!isConv && !isGemm) continue;
            var w = producer.Input(1)?.Constant;
            var b = producer.Input(2)?.Constant;
            if (w is null || (producer.Input(2) is not null && b is null)) continue;
            if (w.Type != DataType.Float || (b is not null && b.Type != DataType.Float)) continue; // the Conv/Gemm reports other types
            // Weights kept compact in the blob (float16 widened by a Cast, int8/int4 behind a DequantizeLinear) would
            // be rewritten as float32 by the fold: the normalization stays a layer of its own instead.
            if (w.Encoding is not null) continue;

            int channels = isConv ? w.Shape[0] : (producer.GetInt("transB", 0) != 0 ? w.Shape[0] : w.Shape[1]);
            if (p.Any(t => t!.ElementCount != channels)) continue;
            if (isGemm && (producer.GetFloat("alpha", 1) != 1 || producer.GetFloat("beta", 1) != 1)) continue;
            if (b is not null && b.ElementCount != channels) continue; // a broadcast Gemm bias is left alone

            var scale = p[0]!.ToFloats(); var shift = p[1]!.ToFloats(); var mean = p[2]!.ToFloats(); var variance = p[3]!.ToFloats();
            var s = new float[channels];
            for (int c = 0; c < channels; c++) s[c] = scale[c] / (float)Math.Sqrt(variance[c] + epsilon);

            var wf = w.ToFloats();
            if (isConv || producer.GetInt("transB", 0) != 0)
            {
                int per = (int)(wf.Length / channels);
                for (int c = 0; c < channels; c++)
                    for (int k = 0; k < per; k++) wf[c * per + k] *= s[c];
            }
            else
            {
                int rows = w.Shape[0];
                for (int r = 0; r < rows; r++)
                    for (int c = 0; c < channels; c++) wf[r * channels + c] *= s[c];
            }
            var bf = b?.ToFloats() ?? new float[channels];
            for (int c = 0; c < channels; c++) bf[c] = (bf[c] - mean[c]) * s[c] + shift[c];

            var newW = graph.GetOrAddValue(graph.UniqueName(producer.Input(1)!.Name + "_bn"));
            newW.Constant = Tensor.FromFloats(w.Shape, wf); newW.Type = DataType.Float; newW.Shape = w.Shape;
            var newB = graph.GetOrAddValue(graph.UniqueName((producer.Input(2)?.Name ?? producer.Name + "_bias") + "_bn"));
            newB.Constant = Tensor.FromFloats(new[] { channels }, bf); newB.Type = DataType.Float; newB.Shape = new[] { channels };

            producer.Inputs[1] = newW;
            if (producer.Inputs.Count < 3) producer.Inputs.Add(newB); else producer.Inputs[2] = newB;
            producer.Outputs[0] = bn.Output(0);
            producer.Name = producer.Name + " + " + bn.Name;
            graph.Nodes.Remove(bn);
            graph.RebuildLinks();
            folded++;
        }
        Compilation.NodeTrace.At(null);
        return folded;
    }
}
