using System;
using System.Linq;
using Google.Protobuf;
using ModelCompiler.Onnx.Proto;
using AttrType = ModelCompiler.Onnx.Proto.AttributeProto.Types.AttributeType;

namespace ModelCompiler.Fuzz.Mutations;

/// <summary>Picks a node attribute (or adds a common one) for the attribute mutations.</summary>
internal static class AttributePicker
{
    /// <summary>Names most ops read; adding one to a node that lacks it reaches default-value paths too.</summary>
    private static readonly string[] s_common =
    {
        "alpha", "beta", "epsilon", "axis", "axes", "pads", "strides", "dilations", "kernel_shape", "group", "transA", "transB",
        "training_mode", "mode", "auto_pad", "ceil_mode", "keepdims", "perm", "to", "blocksize", "min", "max", "momentum",
        "coordinate_transformation_mode", "scales", "count_include_pad", "storage_order", "select_last_index", "value",
    };

    public static (NodeProto Node, AttributeProto Attribute)? Pick(Subject s, Rng rng)
    {
        var g = s.Graph;
        if (g is null || g.Node.Count == 0) return null;
        var withAttributes = g.Node.Where(n => n.Attribute.Count > 0).ToList();
        if (withAttributes.Count > 0 && rng.Chance(0.85))
        {
            var node = rng.Pick(withAttributes);
            return (node, rng.Pick(node.Attribute));
        }
        var target = rng.Pick(g.Node);
        string name = rng.Pick(s_common);
        var existing = target.Attribute.FirstOrDefault(a => a.Name == name);
        if (existing is not null) return (target, existing);
        var added = new AttributeProto { Name = name, Type = AttrType.Int, I = 1 };
        target.Attribute.Add(added);
        s.Log.Add($"add attribute '{name}' to {target.OpType} '{target.Name}'");
        return (target, added);
    }
}

/// <summary>Gives an attribute a value of the wrong type (Gemm alpha as ints, BatchNormalization training_mode as floats...).</summary>
internal sealed class AttributeType : Mutation
{
    private static readonly AttrType[] s_types = { AttrType.Int, AttrType.Float, AttrType.Ints, AttrType.Floats, AttrType.String, AttrType.Strings, AttrType.Tensor, AttrType.Graph, AttrType.Undefined };

    public override string Kind => "attr-type";
    public override string Summary => "give an attribute a value of another type (int, float, ints, floats, string, tensor, graph, undefined)";

    public override bool Apply(Subject s, Rng rng)
    {
        if (AttributePicker.Pick(s, rng) is not { } picked) return false;
        var (node, a) = picked;
        var type = rng.Pick(s_types.Where(t => t != a.Type).ToArray());
        string name = a.Name;
        a.T = null; a.G = null; a.SparseTensor = null;
        a.Ints.Clear(); a.Floats.Clear(); a.Strings.Clear(); a.Tensors.Clear(); a.Graphs.Clear();
        a.I = 0; a.F = 0; a.S = ByteString.Empty;
        a.Type = type;
        switch (type)
        {
            case AttrType.Int: a.I = Interesting.Int64(rng); break;
            case AttrType.Float: a.F = Interesting.Float(rng); break;
            case AttrType.Ints: for (int i = rng.Below(5); i > 0; i--) a.Ints.Add(Interesting.Int64(rng)); break;
            case AttrType.Floats: for (int i = rng.Below(5); i > 0; i--) a.Floats.Add(Interesting.Float(rng)); break;
            case AttrType.String: a.S = ByteString.CopyFromUtf8(rng.Pick(Interesting.Strings)); break;
            case AttrType.Strings: a.Strings.Add(ByteString.CopyFromUtf8(rng.Pick(Interesting.Strings))); break;
            case AttrType.Tensor: a.T = new TensorProto { DataType = 1, RawData = ByteString.CopyFrom(BitConverter.GetBytes(Interesting.Float(rng))) }; break;
            case AttrType.Graph: a.G = new GraphProto { Name = "g" }; break;
            default:
                // IR 1 style: no discriminator, the reader infers it from the field that is set.
                if (rng.Chance(0.5)) a.F = Interesting.Float(rng); else a.I = Interesting.Int64(rng);
                break;
        }
        s.Log.Add($"attribute '{name}' of {node.OpType} '{node.Name}' becomes {type}");
        return true;
    }
}

/// <summary>Keeps an attribute's type but gives it a boundary value (pads of 2^40, strides 0, axis -2^63, NaN epsilon, empty lists...).</summary>
internal sealed class AttributeValue : Mutation
{
    public override string Kind => "attr-value";
    public override string Summary => "give an attribute a boundary value of its own type (0, -1, 2^31-1, 2^40, NaN, inf, empty or longer lists, odd strings)";

    public override bool Apply(Subject s, Rng rng)
    {
        if (AttributePicker.Pick(s, rng) is not { } picked) return false;
        var (node, a) = picked;
        string what;
        switch (a.Type)
        {
            case AttrType.Int: a.I = Interesting.Int64(rng); what = a.I.ToString(System.Globalization.CultureInfo.InvariantCulture); break;
            case AttrType.Float: a.F = Interesting.Float(rng); what = a.F.ToString("R", System.Globalization.CultureInfo.InvariantCulture); break;
            case AttrType.Ints:
                switch (rng.Below(4))
                {
                    case 0: a.Ints.Clear(); break;
                    case 1: a.Ints.Add(Interesting.Int64(rng)); break;
                    default:
                        if (a.Ints.Count == 0) a.Ints.Add(0);
                        a.Ints[rng.Below(a.Ints.Count)] = Interesting.Int64(rng);
                        if (rng.Chance(0.3)) for (int i = 0; i < a.Ints.Count; i++) a.Ints[i] = a.Ints[0];
                        break;
                }
                what = "[" + string.Join(",", a.Ints) + "]";
                break;
            case AttrType.Floats:
                if (a.Floats.Count == 0 || rng.Chance(0.2)) a.Floats.Add(Interesting.Float(rng));
                else a.Floats[rng.Below(a.Floats.Count)] = Interesting.Float(rng);
                what = "[" + string.Join(",", a.Floats.Select(f => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]";
                break;
            case AttrType.String:
                a.S = ByteString.CopyFromUtf8(rng.Pick(Interesting.Strings));
                what = "'" + (a.S.Length > 40 ? a.S.ToStringUtf8().Substring(0, 40) + "..." : a.S.ToStringUtf8()) + "'";
                break;
            case AttrType.Tensor when a.T is not null:
                a.T.Dims.Clear();
                a.T.Dims.Add(Interesting.Int64(rng));
                what = $"a tensor claiming dims [{a.T.Dims[0]}]";
                break;
            default:
                return false;
        }
        s.Log.Add($"attribute '{a.Name}' of {node.OpType} '{node.Name}' = {what}");
        return true;
    }
}
