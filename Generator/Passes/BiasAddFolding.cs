using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Passes;

/// <summary>
/// Folds "Conv -> Add(constant per output channel)" into the Conv's bias, as exporters that write the bias as a
/// separate Add produce it (onnx2c's MNIST, TensorFlow/Keras graphs): bias'[c] = bias[c] + add[c]. The constant
/// must broadcast to the Conv's output without enlarging it and vary only along the channel axis ([C,1,1],
/// [1,C,1,1], a scalar...). Applies only when the Conv output feeds that Add alone and is not a graph output.
/// Runs before BatchNorm folding (so Conv -> Add -> BatchNormalization folds completely) and before epilogue
/// fusion. The sum (x*w + bias) + add becomes x*w + (bias + add): a float32 rounding difference.
/// </summary>
internal static class BiasAddFolding
{
    public static int Run(ModelGraph graph)
    {
        int folded = 0;
        foreach (var add in graph.Nodes.Where(n => n.OpType == "Add" && n.Domain.Length == 0 && n.Inputs.Count == 2).ToList())
        {
            for (int side = 0; side < 2; side++)
            {
                var x = add.Input(side);
                var constant = add.Input(1 - side)?.Constant;
                var conv = x?.Producer;
                if (x is null || constant is null || conv is null || conv.OpType != "Conv" || conv.Domain.Length != 0) continue;
                if (x.Consumers.Count != 1 || graph.IsGraphOutput(x) || x.Type != DataType.Float || constant.Type != DataType.Float) continue;
                if (x.Shape is not { Length: >= 3 } shape || add.Output(0)?.Shape is not { } outShape || !outShape.SequenceEqual(shape)) continue;
                int channels = shape[1];
                if (!PerChannel(constant.Shape, shape)) continue;
                var bias = conv.Input(2);
                if (bias is not null && bias.Constant is null) continue;

                var values = constant.ToFloats();
                var sum = bias?.Constant!.ToFloats() ?? new float[channels];
                if (sum.Length != channels) continue;
                for (int c = 0; c < channels; c++) sum[c] += values[values.Length == 1 ? 0 : c];

                var newBias = graph.GetOrAddValue(graph.UniqueName((bias?.Name ?? conv.Name + "_bias") + "_add"));
                newBias.Constant = Tensor.FromFloats(new[] { channels }, sum);
                newBias.Type = DataType.Float;
                newBias.Shape = new[] { channels };
                if (conv.Inputs.Count < 3) conv.Inputs.Add(newBias); else conv.Inputs[2] = newBias;
                conv.Outputs[0] = add.Output(0);
                conv.Name = conv.Name + " + " + add.Name;
                graph.Nodes.Remove(add);
                graph.RebuildLinks();
                folded++;
                break;
            }
        }
        return folded;
    }

    /// <summary>True when a constant of <paramref name="c"/> broadcast (right-aligned) to <paramref name="output"/> varies only along axis 1.</summary>
    private static bool PerChannel(int[] c, int[] output)
    {
        if (c.Length > output.Length) return false;
        for (int i = 0; i < c.Length; i++)
        {
            int axis = output.Length - c.Length + i;
            if (c[i] == 1) continue;
            if (axis != 1 || c[i] != output[1]) return false;
        }
        return true;
    }
}
