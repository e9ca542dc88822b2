using System;
using System.Linq;
using Google.Protobuf;
using ModelCompiler.Onnx.Proto;

namespace ModelCompiler.Fuzz.Mutations;

/// <summary>Declares a graph input with boundary dims: 0, negative, 2^31-1, 2^40, a huge batch, no shape, a symbolic dim.</summary>
internal sealed class InputDims : Mutation
{
    public override string Kind => "input-dims";
    public override string Summary => "declare a graph input with dims 0, -1, 2^31-1, 2^40, 65536, a symbolic name, one more or one less, or no shape";

    public override bool Apply(Subject s, Rng rng)
    {
        if (s.Graph is not { } g) return false;
        var inputs = ModelParts.RealInputs(g).Where(i => i.Type?.TensorType is not null).ToList();
        if (inputs.Count == 0) return false;
        var input = rng.Pick(inputs);
        var tt = input.Type.TensorType;
        tt.Shape ??= new TensorShapeProto();
        var dims = tt.Shape.Dim;
        string what;
        switch (rng.Below(6))
        {
            case 0: tt.Shape = null; what = "no shape"; break;
            case 1: dims.Add(new TensorShapeProto.Types.Dimension { DimValue = rng.Chance(0.5) ? 1 : Interesting.Int64(rng) }); what = "one more dim"; break;
            case 2 when dims.Count > 0: dims.RemoveAt(rng.Below(dims.Count)); what = "one dim less"; break;
            case 3 when dims.Count > 0: dims[rng.Below(dims.Count)] = new TensorShapeProto.Types.Dimension { DimParam = "n" }; what = "a symbolic dim"; break;
            default:
                if (dims.Count == 0) dims.Add(new TensorShapeProto.Types.Dimension { DimValue = 1 });
                long value = rng.Chance(0.5) ? rng.Pick(new long[] { 0, -1, int.MaxValue, 1L << 40, 65536, 100_000 }) : Interesting.Int64(rng);
                dims[rng.Below(dims.Count)] = new TensorShapeProto.Types.Dimension { DimValue = value };
                what = "a dim of " + value;
                break;
        }
        s.Log.Add($"input '{input.Name}' declared with {what}: [{string.Join(",", tt.Shape?.Dim.Select(d => d.DimParam.Length > 0 ? d.DimParam : d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture)) ?? Array.Empty<string>())}]");
        s.InputShapeFixed = true; // pinning would undo it
        return true;
    }
}

/// <summary>Prepends many 1-dims to a graph input (rank 9 to 64): broadcasting and index arithmetic at high rank.</summary>
internal sealed class HighRank : Mutation
{
    public override string Kind => "high-rank";
    public override string Summary => "prepend 5 to 60 unit dims to a graph input (ranks up to 64)";

    public override bool Apply(Subject s, Rng rng)
    {
        if (s.Graph is not { } g) return false;
        var inputs = ModelParts.RealInputs(g).Where(i => i.Type?.TensorType?.Shape is not null).ToList();
        if (inputs.Count == 0) return false;
        var input = rng.Pick(inputs);
        int extra = rng.Pick(new[] { 5, 9, 17, 29, 31, 33, 60 });
        var dims = input.Type.TensorType.Shape.Dim;
        for (int i = 0; i < extra; i++) dims.Insert(0, new TensorShapeProto.Types.Dimension { DimValue = 1 });
        s.Log.Add($"input '{input.Name}' gets {extra} leading unit dims (rank {dims.Count})");
        s.InputShapeFixed = true;
        return true;
    }
}

/// <summary>Removes one graph output or all of them.</summary>
internal sealed class RemoveOutput : Mutation
{
    public override string Kind => "remove-output";
    public override string Summary => "remove one graph output, or all of them";

    public override bool Apply(Subject s, Rng rng)
    {
        if (s.Graph is not { } g || g.Output.Count == 0) return false;
        if (g.Output.Count == 1 || rng.Chance(0.5))
        {
            s.Log.Add($"remove all {g.Output.Count} outputs");
            g.Output.Clear();
        }
        else
        {
            var o = rng.Pick(g.Output);
            g.Output.Remove(o);
            s.Log.Add($"remove output '{o.Name}'");
        }
        return true;
    }
}

/// <summary>Removes a node input (required or optional) or a graph input.</summary>
internal sealed class RemoveInput : Mutation
{
    public override string Kind => "remove-input";
    public override string Summary => "remove a node's input (or blank it) or a graph input";

    public override bool Apply(Subject s, Rng rng)
    {
        if (s.Graph is not { } g) return false;
        var nodes = g.Node.Where(n => n.Input.Count > 0).ToList();
        if (nodes.Count > 0 && rng.Chance(0.75))
        {
            var n = rng.Pick(nodes);
            int i = rng.Below(n.Input.Count);
            string name = n.Input[i];
            if (rng.Chance(0.5)) n.Input.RemoveAt(i); else n.Input[i] = "";
            s.Log.Add($"remove input {i} ('{name}') of {n.OpType} '{n.Name}'");
            return true;
        }
        if (g.Input.Count == 0) return false;
        var input = rng.Pick(g.Input);
        g.Input.Remove(input);
        s.Log.Add($"remove graph input '{input.Name}'");
        return true;
    }
}

/// <summary>
/// Resize/Upsample with scales of 1e30, inf, NaN, 1e6, 0 or negative, or sizes of 2^31-1; a model without a
/// Resize gets one on its first 4-D float input.
/// </summary>
internal sealed class ResizeScales : Mutation
{
    private static readonly float[] s_scales = { 1e30f, float.PositiveInfinity, float.NaN, 1e6f, 1e4f, 0f, -1f, 1e-30f, 65536f };
    private static readonly long[] s_sizes = { int.MaxValue, 1L << 40, 0, -1, 1_000_000 };

    public override string Kind => "resize-scales";
    public override string Summary => "give a Resize/Upsample (added when the model has none) scales of 1e30, inf, NaN, 1e6, 0, -1 or sizes of 2^31-1";

    public override bool Apply(Subject s, Rng rng)
    {
        if (s.Graph is not { } g) return false;
        var resizes = g.Node.Where(n => n.OpType is "Resize" or "Upsample").ToList();
        NodeProto node;
        int rank = 4;
        if (resizes.Count > 0) node = rng.Pick(resizes);
        else
        {
            var input = ModelParts.RealInputs(g).FirstOrDefault(i => i.Type?.TensorType?.ElemType == 1 && i.Type.TensorType.Shape?.Dim.Count >= 3);
            if (input is null) return false;
            rank = input.Type.TensorType.Shape.Dim.Count;
            node = new NodeProto { OpType = "Resize", Name = "fuzz_resize" };
            node.Input.Add(input.Name);
            node.Output.Add("fuzz_resized");
            g.Node.Add(node);
            g.Output.Add(new ValueInfoProto { Name = "fuzz_resized", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });
            if (s.Model!.OpsetImport.FirstOrDefault(o => o.Domain.Length == 0) is { Version: < 13 } opset) opset.Version = 13;
            s.Log.Add($"add Resize 'fuzz_resize' on input '{input.Name}'");
        }
        string name = "fuzz_scales_" + g.Initializer.Count;
        var t = new TensorProto { Name = name };
        t.Dims.Add(rank);
        if (node.OpType == "Resize" && rng.Chance(0.3))
        {
            t.DataType = (int)TensorProto.Types.DataType.Int64;
            var sizes = Enumerable.Range(0, rank).Select(i => i < rank - 2 ? 1L : rng.Pick(s_sizes)).ToArray();
            t.Int64Data.AddRange(sizes);
            while (node.Input.Count < 4) node.Input.Add("");
            node.Input[2] = "";
            node.Input[3] = name;
            s.Log.Add($"{node.OpType} '{node.Name}' sizes = [{string.Join(",", sizes)}]");
        }
        else
        {
            t.DataType = (int)TensorProto.Types.DataType.Float;
            float scale = rng.Pick(s_scales);
            var scales = Enumerable.Range(0, rank).Select(i => i < rank - 2 ? 1f : scale).ToArray();
            t.FloatData.AddRange(scales);
            int slot = node.OpType == "Upsample" ? 1 : 2;
            while (node.Input.Count <= slot) node.Input.Add("");
            node.Input[slot] = name;
            if (node.OpType == "Resize")
            {
                if (node.Input.Count > 3) node.Input[3] = "";
                if (node.Input[1].Length == 0 && s.Model!.OpsetImport.FirstOrDefault(o => o.Domain.Length == 0) is { Version: < 13 })
                    node.Input[1] = name; // opset 10-12 Resize reads scales from input 1 (roi came later)
            }
            s.Log.Add($"{node.OpType} '{node.Name}' scales = [{string.Join(",", scales.Select(f => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}]");
        }
        g.Initializer.Add(t);
        return true;
    }
}

/// <summary>Declares another opset version for the default domain (0, 1, 5, future ones, int64 max).</summary>
internal sealed class OpsetVersion : Mutation
{
    private static readonly long[] s_versions = { 0, 1, 5, 6, 7, 9, 10, 11, 12, 13, 17, 21, 22, 23, 24, 99, long.MaxValue, -1 };

    public override string Kind => "opset";
    public override string Summary => "declare another opset version (0, 1, 5 ... 24, 99, int64 max, -1) or drop the import";

    public override bool Apply(Subject s, Rng rng)
    {
        if (s.Model is not { } m) return false;
        if (m.OpsetImport.Count > 0 && rng.Chance(0.15))
        {
            m.OpsetImport.Clear();
            s.Log.Add("drop every opset import");
            return true;
        }
        var import = m.OpsetImport.FirstOrDefault(o => o.Domain.Length == 0 || o.Domain == "ai.onnx");
        if (import is null) m.OpsetImport.Add(import = new OperatorSetIdProto { Domain = "" });
        import.Version = rng.Pick(s_versions);
        s.Log.Add($"default opset becomes {import.Version}");
        return true;
    }
}

/// <summary>Connects a node input to another value (wrong type or shape), to its own output (a cycle) or to nothing.</summary>
internal sealed class Rewire : Mutation
{
    public override string Kind => "rewire";
    public override string Summary => "connect a node input to another value, to its own output (a cycle) or to an undefined name; or duplicate an output name";

    public override bool Apply(Subject s, Rng rng)
    {
        if (s.Graph is not { } g) return false;
        var nodes = g.Node.Where(n => n.Input.Count > 0).ToList();
        if (nodes.Count == 0) return false;
        var n = rng.Pick(nodes);
        int i = rng.Below(n.Input.Count);
        string before = n.Input[i];
        switch (rng.Below(4))
        {
            case 0 when n.Output.Count > 0: n.Input[i] = n.Output[0]; break;
            case 1: n.Input[i] = "fuzz_undefined"; break;
            case 2 when g.Node.Count > 1:
                var other = rng.Pick(g.Node);
                if (other != n && other.Output.Count > 0 && n.Output.Count > 0) { n.Output[0] = other.Output[0]; s.Log.Add($"{n.OpType} '{n.Name}' now also writes '{other.Output[0]}'"); return true; }
                n.Input[i] = rng.Pick(ModelParts.ValueNames(g));
                break;
            default: n.Input[i] = rng.Pick(ModelParts.ValueNames(g)); break;
        }
        s.Log.Add($"input {i} of {n.OpType} '{n.Name}': '{before}' -> '{n.Input[i]}'");
        return true;
    }
}

/// <summary>Changes a node's operator to another supported one, so that its inputs and attributes no longer fit.</summary>
internal sealed class OpType : Mutation
{
    private static readonly Lazy<string[]> s_ops = new(() => ModelCompiler.Ops.OpRegistry.All
        .Where(o => o.Domain.Length == 0 && o.OpType != "Constant").Select(o => o.OpType).ToArray());

    public override string Kind => "op-type";
    public override string Summary => "change a node's operator to another supported one";

    public override bool Apply(Subject s, Rng rng)
    {
        if (s.Graph is not { } g || g.Node.Count == 0) return false;
        var n = rng.Pick(g.Node);
        string before = n.OpType;
        // Another op than the node's: the registry holds the original too, and a rename to itself mutates nothing.
        string op;
        do op = rng.Pick(s_ops.Value); while (op == before);
        n.OpType = op;
        n.Domain = "";
        s.Log.Add($"node '{n.Name}': {before} -> {n.OpType}");
        return true;
    }
}
