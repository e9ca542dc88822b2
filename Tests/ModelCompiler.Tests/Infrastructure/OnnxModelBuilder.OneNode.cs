using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Onnx.Proto;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>One-node models, the shape of most op tests compared with ONNX Runtime.</summary>
internal sealed partial class OnnxModelBuilder
{
    /// <summary>
    /// One input of <see cref="OneNode"/>: a graph input when <paramref name="Constant"/> is null, else an
    /// initializer holding it. An empty name is an omitted optional input.
    /// </summary>
    public sealed record NodeInput(string Name, int ElemType, int[] Shape, Array? Constant = null);

    /// <summary>
    /// Adds one node with its inputs (graph inputs or initializers, each name once, omitted ones left empty) and
    /// its outputs as graph outputs of unknown shape.
    /// </summary>
    public NodeProto OneNode(string opType, string nodeName, IEnumerable<NodeInput?> inputs, IEnumerable<(string Name, int ElemType)> outputs,
        IEnumerable<(string Name, object Value)>? attributes = null, string domain = "")
    {
        var inputList = inputs.ToList();
        var outputList = outputs.ToList();
        var node = RawNode(opType, inputList.Select(i => i?.Name ?? ""), outputList.Select(o => o.Name), nodeName, domain);
        foreach (var (name, value) in attributes ?? Enumerable.Empty<(string, object)>()) node.Attribute.Add(Attribute(name, value));
        foreach (var i in inputList)
        {
            if (i is null || i.Name.Length == 0 || _graph.Input.Any(x => x.Name == i.Name) || _graph.Initializer.Any(x => x.Name == i.Name)) continue;
            if (i.Constant is not null) Initializer(i.Name, i.ElemType, i.Shape, i.Constant);
            else Input(i.Name, i.ElemType, i.Shape);
        }
        foreach (var (name, type) in outputList) Output(name, type);
        return node;
    }

    /// <summary>Output names y0, y1... for the given element types.</summary>
    public static IEnumerable<(string Name, int ElemType)> Outputs(IEnumerable<int> types) => types.Select((t, k) => ("y" + k, t));
}
