using System;
using System.Buffers.Binary;
using System.Linq;
using Google.Protobuf;
using ModelCompiler.Onnx.Proto;
using DT = ModelCompiler.Onnx.Proto.TensorProto.Types.DataType;

namespace ModelCompiler.Fuzz.Mutations;

/// <summary>Gives a constant tensor dims that disagree with its data: 2^31-1 elements, zero, negative, another rank.</summary>
internal sealed class TensorDims : Mutation
{
    public override string Kind => "tensor-dims";
    public override string Summary => "give a constant tensor dims that disagree with its data (2^31-1 elements, 0, negative, 2^40, another rank)";

    public override bool Apply(Subject s, Rng rng)
    {
        if (s.Graph is not { } g) return false;
        var tensors = ModelParts.ConstantTensors(g);
        if (tensors.Count == 0) return false;
        var t = rng.Pick(tensors);
        string before = ModelParts.Describe(t);
        switch (rng.Below(5))
        {
            case 0: t.Dims.Clear(); t.Dims.Add(int.MaxValue); break;                        // 2^31-1 elements claimed
            case 1: t.Dims.Clear(); t.Dims.Add(65536); t.Dims.Add(32768); break;             // 2^31 elements
            case 2: if (t.Dims.Count == 0) t.Dims.Add(1); t.Dims[rng.Below(t.Dims.Count)] = Interesting.Int64(rng); break;
            case 3: t.Dims.Add(rng.Chance(0.5) ? 1 : 2); break;
            default: if (t.Dims.Count > 0) t.Dims.RemoveAt(rng.Below(t.Dims.Count)); else t.Dims.Add(0); break;
        }
        s.Log.Add($"tensor {before} now claims dims [{string.Join(",", t.Dims)}]");
        return true;
    }
}

/// <summary>Changes the element type of a constant tensor, a graph input or a graph output (float8, bfloat16, strings, int4, 0, 99...).</summary>
internal sealed class ElementType : Mutation
{
    private static readonly int[] s_types = { 0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 99, -1 };

    public override string Kind => "elem-type";
    public override string Summary => "change the element type of a constant, graph input or output (every ONNX type, 0, 25, 99, -1)";

    public override bool Apply(Subject s, Rng rng)
    {
        if (s.Graph is not { } g) return false;
        var tensors = ModelParts.ConstantTensors(g);
        if (tensors.Count > 0 && rng.Chance(0.5))
        {
            var t = rng.Pick(tensors);
            int type = rng.Pick(s_types.Where(x => x != t.DataType).ToArray());
            s.Log.Add($"tensor {ModelParts.Describe(t)} becomes type {type}");
            t.DataType = type;
            return true;
        }
        var infos = g.Input.Concat(g.Output).Where(v => v.Type?.TensorType is not null).ToList();
        if (infos.Count == 0) return false;
        var v = rng.Pick(infos);
        int newType = rng.Pick(s_types.Where(x => x != v.Type.TensorType.ElemType).ToArray());
        s.Log.Add($"value '{v.Name}' declared as {(DT)v.Type.TensorType.ElemType} becomes type {newType}");
        v.Type.TensorType.ElemType = newType;
        return true;
    }
}

/// <summary>
/// Fills a constant with enormous or non-finite values: shape-like int64 tensors (Reshape's shape, Slice's
/// starts, Pad's pads, Tile's repeats, Resize's sizes) with 2^40, int64 max, -1...; float ones with 1e30, inf, NaN.
/// </summary>
internal sealed class HugeValues : Mutation
{
    public override string Kind => "huge-values";
    public override string Summary => "fill a constant (preferably a small int64 shape-like one) with enormous or non-finite values";

    public override bool Apply(Subject s, Rng rng)
    {
        if (s.Graph is not { } g) return false;
        var tensors = ModelParts.ConstantTensors(g);
        if (tensors.Count == 0) return false;
        var small = tensors.Where(t => ModelParts.ElementCount(t) is > 0 and <= 16).ToList();
        var ints = small.Where(t => t.DataType is (int)DT.Int64 or (int)DT.Int32).ToList();
        var t = ints.Count > 0 && rng.Chance(0.6) ? rng.Pick(ints) : small.Count > 0 && rng.Chance(0.7) ? rng.Pick(small) : rng.Pick(tensors);
        long count = ModelParts.ElementCount(t);
        if (count <= 0) return false;
        bool all = count <= 16 && rng.Chance(0.4);
        int changes = all ? (int)count : rng.Between(1, 4);
        for (int k = 0; k < changes; k++)
        {
            int i = all ? k : (int)(rng.Next() % (ulong)count);
            if (!Set(t, i, rng)) return false;
        }
        s.Log.Add($"tensor {ModelParts.Describe(t)}: {(all ? "every element" : changes + " element(s)")} set to enormous or non-finite values");
        return true;
    }

    private static bool Set(TensorProto t, int i, Rng rng)
    {
        long big = Interesting.Int64(rng);
        float f = Interesting.Float(rng);
        if (!t.RawData.IsEmpty)
        {
            var raw = t.RawData.ToByteArray();
            switch ((DT)t.DataType)
            {
                case DT.Int64 when (i + 1) * 8 <= raw.Length: BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * 8), big); break;
                case DT.Int32 when (i + 1) * 4 <= raw.Length: BinaryPrimitives.WriteInt32LittleEndian(raw.AsSpan(i * 4), (int)big); break;
                case DT.Float when (i + 1) * 4 <= raw.Length: BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), f); break;
                case DT.Double when (i + 1) * 8 <= raw.Length: BinaryPrimitives.WriteDoubleLittleEndian(raw.AsSpan(i * 8), rng.Chance(0.5) ? f : 1e300); break;
                case DT.Float16 when (i + 1) * 2 <= raw.Length: BinaryPrimitives.WriteHalfLittleEndian(raw.AsSpan(i * 2), (Half)f); break;
                default:
                    if (raw.Length == 0) return false;
                    raw[i % raw.Length] = (byte)big;
                    break;
            }
            t.RawData = ByteString.CopyFrom(raw);
            return true;
        }
        if (t.Int64Data.Count > i) { t.Int64Data[i] = big; return true; }
        if (t.FloatData.Count > i) { t.FloatData[i] = f; return true; }
        if (t.Int32Data.Count > i) { t.Int32Data[i] = (int)big; return true; }
        if (t.DoubleData.Count > i) { t.DoubleData[i] = f; return true; }
        return false;
    }
}

/// <summary>Removes initializers (one, or all) or Constant nodes: values that nodes need are no longer defined.</summary>
internal sealed class RemoveInitializer : Mutation
{
    public override string Kind => "remove-initializer";
    public override string Summary => "remove one initializer, every initializer, or a Constant node";

    public override bool Apply(Subject s, Rng rng)
    {
        if (s.Graph is not { } g) return false;
        var constants = g.Node.Where(n => n.OpType == "Constant").ToList();
        if (g.Initializer.Count == 0 && constants.Count == 0) return false;
        if (g.Initializer.Count == 0 || (constants.Count > 0 && rng.Chance(0.3)))
        {
            var c = rng.Pick(constants);
            g.Node.Remove(c);
            s.Log.Add($"remove Constant node '{c.Name}' ({string.Join(",", c.Output)})");
        }
        else if (rng.Chance(0.15))
        {
            s.Log.Add($"remove all {g.Initializer.Count} initializers");
            g.Initializer.Clear();
        }
        else
        {
            var t = rng.Pick(g.Initializer);
            g.Initializer.Remove(t);
            s.Log.Add($"remove initializer {ModelParts.Describe(t)}");
        }
        return true;
    }
}

/// <summary>Turns a Conv/Gemm/MatMul weight (or any float constant) into float8, as an exporter with float8 support might.</summary>
internal sealed class Float8Weights : Mutation
{
    private static readonly DT[] s_types = { DT.Float8E4M3Fn, DT.Float8E4M3Fnuz, DT.Float8E5M2, DT.Float8E5M2Fnuz };

    public override string Kind => "float8-weights";
    public override string Summary => "re-type a Conv/Gemm/MatMul weight (or any float constant) as a float8 tensor";

    public override bool Apply(Subject s, Rng rng)
    {
        if (s.Graph is not { } g) return false;
        var floats = g.Initializer.Where(t => t.DataType == (int)DT.Float && ModelParts.ElementCount(t) > 0).ToList();
        if (floats.Count == 0) return false;
        var weightNames = g.Node.Where(n => n.OpType is "Conv" or "Gemm" or "MatMul" or "ConvTranspose" && n.Input.Count > 1).Select(n => n.Input[1]).ToHashSet();
        var weights = floats.Where(t => weightNames.Contains(t.Name)).ToList();
        var t = weights.Count > 0 && rng.Chance(0.8) ? rng.Pick(weights) : rng.Pick(floats);
        float[] values = t.RawData.IsEmpty ? t.FloatData.ToArray() : Enumerable.Range(0, t.RawData.Length / 4).Select(i => BinaryPrimitives.ReadSingleLittleEndian(t.RawData.Span.Slice(i * 4))).ToArray();
        var type = rng.Pick(s_types);
        // Any byte is a float8 value; keep the sign and a rough magnitude so that the weights stay plausible.
        var raw = values.Select(v => (byte)((v < 0 ? 0x80 : 0) | Math.Min(0x7E, (int)(Math.Abs(v) * 16)))).ToArray();
        t.FloatData.Clear();
        t.RawData = ByteString.CopyFrom(raw);
        t.DataType = (int)type;
        s.Log.Add($"weight '{t.Name}' becomes {type} ({raw.Length} bytes)");
        return true;
    }
}

/// <summary>
/// Moves a constant's data to "external data" with a location that is missing, escapes the model's folder
/// (.., absolute, the model file itself), or an offset/length out of range: nothing outside the folder may be read.
/// </summary>
internal sealed class ExternalData : Mutation
{
    private static readonly string[] s_locations =
    {
        "../../../../../../etc/passwd", "/etc/passwd", "/proc/self/environ", "weights.bin", "missing/../../x.bin", "./", "", ".",
        "..", "sub/dir/../../../escape.bin", "C:\\Windows\\win.ini", "\\\\server\\share\\w.bin", "%MODEL%", "nul", "a\u0000b",
    };

    public override string Kind => "external-data";
    public override string Summary => "move a constant's data to an external file: missing, outside the model's folder (.., absolute), the model itself, bad offset/length";

    public override bool Apply(Subject s, Rng rng)
    {
        if (s.Graph is not { } g || g.Initializer.Count == 0) return false;
        var t = rng.Pick(g.Initializer);
        string location = rng.Pick(s_locations);
        if (location == "%MODEL%") location = s.SeedFileName; // inside the folder, but offsets past its end
        t.RawData = ByteString.Empty;
        t.FloatData.Clear(); t.Int64Data.Clear(); t.Int32Data.Clear(); t.DoubleData.Clear();
        t.DataLocation = TensorProto.Types.DataLocation.External;
        t.ExternalData.Clear();
        t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        if (rng.Chance(0.5)) t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = rng.Chance(0.8) ? Interesting.Int64(rng).ToString(System.Globalization.CultureInfo.InvariantCulture) : "x" });
        if (rng.Chance(0.5)) t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = Interesting.Int64(rng).ToString(System.Globalization.CultureInfo.InvariantCulture) });
        s.Log.Add($"tensor {ModelParts.Describe(t)} moved to external data: {string.Join(", ", t.ExternalData.Select(e => e.Key + "=" + e.Value))}");
        return true;
    }
}
