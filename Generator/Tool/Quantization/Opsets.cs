using System.Linq;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tool.Onnx;

namespace ModelCompiler.Tool.Quantization;

/// <summary>
/// Raises a model's default opset where quantization needs it (per-axis QuantizeLinear/DequantizeLinear: 13; int4
/// weights: 21). The ops whose meaning changed on the way and that CNNs use are rewritten (Squeeze/Unsqueeze axes,
/// Split sizes and Reduce* axes move from attributes to inputs); a model with other changed ops is refused.
/// </summary>
internal static class Opsets
{
    public static void Raise(OnnxModel model, int target)
    {
        int from = model.Opset;
        if (from >= target) return;
        if (from < 7) throw new ToolException($"{model.Name} uses opset {from}; quantization needs opset 7 or later");
        var refused = model.Graph.Node.Where(n => n.Domain is "" or "ai.onnx" && (
                n.OpType is "Upsample" or "Scan" or "If" or "Loop"
                || n.OpType is "Pad" or "Clip" or "Resize" && from < 11
                || n.OpType is "Slice" or "TopK" && from < 10
                || n.OpType == "BatchNormalization" && from < 9))
            .Select(n => $"{n.OpType} '{n.Name}'").Distinct().ToList();
        if (refused.Count > 0)
            throw new ToolException($"{model.Name} is at opset {from}; quantization needs opset {target}, and these ops changed meaning in between: {string.Join(", ", refused.Take(5))}. Export the model at opset {target}.");
        foreach (var n in model.Graph.Node.Where(n => n.Domain is "" or "ai.onnx"))
        {
            bool axesToInput = n.OpType is "Squeeze" or "Unsqueeze" && from < 13
                || n.OpType == "ReduceSum" && from < 13
                || n.OpType is "ReduceMean" or "ReduceMax" or "ReduceMin" or "ReduceProd" or "ReduceL1" or "ReduceL2" or "ReduceLogSum" or "ReduceLogSumExp" or "ReduceSumSquare" && target >= 18 && from < 18;
            if (axesToInput) MoveToInput(model, n, "axes", 1);
            if (n.OpType == "Split" && from < 13) MoveToInput(model, n, "split", 1);
        }
        model.Opset = target;
        if (model.Proto.IrVersion < 7) model.Proto.IrVersion = 7;
        if (target >= 21 && model.Proto.IrVersion < 10) model.Proto.IrVersion = 10;
    }

    private static void MoveToInput(OnnxModel model, NodeProto n, string attribute, int position)
    {
        var a = n.Attribute.FirstOrDefault(x => x.Name == attribute);
        if (a is null) return;
        n.Attribute.Remove(a);
        string name = model.UniqueName(n.Name + "_" + attribute);
        model.Graph.Initializer.Add(OnnxModel.IntegerTensor(name, ModelCompiler.Graph.DataType.Int64, new[] { a.Ints.Count }, a.Ints.ToArray()));
        while (n.Input.Count < position) n.Input.Add("");
        n.Input.Insert(position, name);
    }
}
