using System;
using System.Collections.Generic;
using System.Linq;
using Google.Protobuf;
using ModelCompiler.Onnx.Proto;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>
/// A debugging aid for model tests: exposes every float node output of a model as a graph output, runs it
/// with ModelCompiler and with ONNX Runtime, and lists the values in graph order with their relative L2
/// error, so the first layer that diverges is easy to spot. Used from failing-test investigations.
/// </summary>
public static class Divergence
{
    public static IReadOnlyList<(string Value, string Op, double Error)> Trace(byte[] model, float[][] inputs, string? inputShape = null)
    {
        var proto = ModelProto.Parser.ParseFrom(model);
        var declared = proto.Graph.Output.Select(o => o.Name).ToHashSet();
        var floatValues = FloatValues(proto);
        var producers = new List<(string Value, string Op)>();
        foreach (var node in proto.Graph.Node)
            foreach (var o in node.Output)
                if (o.Length > 0 && !declared.Contains(o) && floatValues.Contains(o))
                {
                    proto.Graph.Output.Add(OnnxModelBuilder.ValueInfo(o, 1, null));
                    producers.Add((o, node.OpType + " '" + node.Name + "'"));
                }
        byte[] exposed = proto.ToByteArray();
        var (result, unit) = InMemoryCompiler.Generate(exposed, "Divergence.M" + Guid.NewGuid().ToString("N"), inputShape: inputShape);
        if (unit is null) throw new InvalidOperationException(string.Join("; ", result.Diagnostics));
        string ns = unit.Name.Substring(0, unit.Name.LastIndexOf('.'));
        var adapter = Adapter.Source(ns, "Model", result.Inputs.Select(_ => "float").ToList(), result.Outputs.Select(_ => "float").ToList());
        var compiled = InMemoryCompiler.Compile(new[] { unit, new InMemoryCompiler.Unit(ns + ".Adapter", adapter) });
        var outputs = result.Outputs.Select(o => new float[o.Length]).ToArray();
        Adapter.Run(compiled.Assembly!, ns, inputs.Cast<object>().ToArray(), outputs.Cast<object>().ToArray());
        var reference = OrtReference.Run(exposed, inputs, result.Inputs.Select(i => i.Shape).ToList());
        var names = result.Outputs.Select(o => o.Name).ToList();
        return producers.Select(p =>
        {
            int k = names.IndexOf(p.Value);
            return (p.Value, p.Op, Compare.RelativeL2(reference[k], outputs[k]));
        }).ToList();
    }

    /// <summary>Values that ONNX Runtime's shape inference would type as float: conservatively, outputs of ops that keep float data.</summary>
    private static HashSet<string> FloatValues(ModelProto proto)
    {
        var nonFloatOps = new HashSet<string> { "Shape", "Size", "ArgMax", "ArgMin", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or", "Xor", "NonZero", "Cast", "ConstantOfShape", "Range", "IsNaN", "IsInf" };
        var result = new HashSet<string>(proto.Graph.Input.Select(i => i.Name));
        foreach (var node in proto.Graph.Node)
            if (!nonFloatOps.Contains(node.OpType) && node.Input.Where(i => i.Length > 0).Take(1).All(i => result.Contains(i) || proto.Graph.Initializer.Any(t => t.Name == i && t.DataType == 1)))
                foreach (var o in node.Output) result.Add(o);
        return result;
    }
}
