using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Google.Protobuf;
using ModelCompiler.Graph;
using ModelCompiler.Onnx;
using ModelCompiler.Onnx.Proto;

namespace ModelCompiler.Tool.Onnx;

/// <summary>
/// An ONNX model being rewritten by a modelc command: the protobuf, with the look-ups graph rewrites need
/// (initializers by name, producers, consumers, fresh names) and loading/saving with clear errors.
/// </summary>
internal sealed class OnnxModel
{
    private OnnxModel(ModelProto proto, string name)
    {
        Proto = proto;
        Name = name;
    }

    public ModelProto Proto { get; }
    public GraphProto Graph => Proto.Graph;

    /// <summary>The file name it came from, for messages.</summary>
    public string Name { get; }

    public static OnnxModel Load(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ToolException($"cannot read {path}: {e.Message}");
        }
        return FromBytes(bytes, Path.GetFileName(path));
    }

    public static OnnxModel FromBytes(byte[] bytes, string name)
    {
        ModelProto proto;
        try { proto = ModelProto.Parser.ParseFrom(bytes); }
        catch (InvalidProtocolBufferException e)
        {
            throw new ToolException($"{name} is not an ONNX model (protobuf: {e.Message})");
        }
        if (proto.Graph is null || proto.Graph.Node.Count == 0 && proto.Graph.Output.Count == 0)
            throw new ToolException($"{name} is not an ONNX model (it has no graph)");
        return new OnnxModel(proto, name);
    }

    public OnnxModel Clone() => new(Proto.Clone(), Name);

    public byte[] ToBytes() => Proto.ToByteArray();

    /// <summary>Writes the model (through a temporary file, so a failed write leaves no half model).</summary>
    public void Save(string path)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = full + ".tmp";
        File.WriteAllBytes(temp, ToBytes());
        File.Move(temp, full, overwrite: true);
    }

    /// <summary>The opset of the default domain.</summary>
    public int Opset
    {
        get => (int)(Proto.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")?.Version ?? 0);
        set
        {
            var main = Proto.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx");
            if (main is null) Proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = value });
            else main.Version = value;
        }
    }

    public void ImportDomain(string domain, int version)
    {
        if (!Proto.OpsetImport.Any(o => o.Domain == domain)) Proto.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
    }

    /// <summary>Graph inputs that are not initializers (old models list initializers among the inputs too).</summary>
    public IReadOnlyList<ValueInfoProto> RealInputs
    {
        get
        {
            var initializers = Graph.Initializer.Select(i => i.Name).ToHashSet();
            return Graph.Input.Where(i => !initializers.Contains(i.Name)).ToList();
        }
    }

    public TensorProto? Initializer(string name) => Graph.Initializer.FirstOrDefault(i => i.Name == name);

    /// <summary>An initializer's values as float32, or null when <paramref name="name"/> is not a float initializer.</summary>
    public float[]? FloatInitializer(string name) =>
        Initializer(name) is { DataType: (int)TensorProto.Types.DataType.Float } t ? TensorReader.Read(t).ToFloats() : null;

    public static int[] Dims(TensorProto t) => t.Dims.Select(d => (int)d).ToArray();

    /// <summary>Replaces the initializer of that name (or adds it), keeping its position.</summary>
    public void SetInitializer(TensorProto tensor)
    {
        for (int i = 0; i < Graph.Initializer.Count; i++)
            if (Graph.Initializer[i].Name == tensor.Name)
            {
                Graph.Initializer[i] = tensor;
                return;
            }
        Graph.Initializer.Add(tensor);
    }

    public Dictionary<string, List<NodeProto>> Consumers()
    {
        var result = new Dictionary<string, List<NodeProto>>();
        foreach (var n in Graph.Node)
            foreach (var i in n.Input.Where(i => i.Length > 0).Distinct())
                (result.TryGetValue(i, out var list) ? list : result[i] = new List<NodeProto>()).Add(n);
        return result;
    }

    public Dictionary<string, NodeProto> Producers()
    {
        var result = new Dictionary<string, NodeProto>();
        foreach (var n in Graph.Node)
            foreach (var o in n.Output.Where(o => o.Length > 0)) result[o] = n;
        return result;
    }

    /// <summary>How many nodes read <paramref name="tensor"/> (graph outputs count as one more reader).</summary>
    public int ReaderCount(string tensor) =>
        Graph.Node.Sum(n => n.Input.Count(i => i == tensor)) + Graph.Output.Count(o => o.Name == tensor);

    /// <summary><paramref name="baseName"/>, or with a numeric suffix when a tensor or node already has it.</summary>
    public string UniqueName(string baseName)
    {
        _names ??= new HashSet<string>(Graph.Node.SelectMany(n => n.Output.Append(n.Name))
            .Concat(Graph.Initializer.Select(i => i.Name)).Concat(Graph.Input.Select(i => i.Name)).Concat(Graph.Output.Select(o => o.Name)));
        string name = baseName;
        for (int k = 1; !_names.Add(name); k++) name = baseName + "_" + k.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return name;
    }

    private HashSet<string>? _names;

    /// <summary>Drops initializers no node reads (and their stale entries among the graph inputs).</summary>
    public void RemoveUnusedInitializers()
    {
        var used = Graph.Node.SelectMany(n => n.Input).Concat(Graph.Output.Select(o => o.Name)).ToHashSet();
        foreach (var t in Graph.Initializer.Where(t => !used.Contains(t.Name)).ToList())
        {
            Graph.Initializer.Remove(t);
            foreach (var input in Graph.Input.Where(i => i.Name == t.Name).ToList()) Graph.Input.Remove(input);
        }
    }

    /// <summary>Reorders nodes so that each comes after the producers of its inputs (rewrites append nodes anywhere).</summary>
    public void SortTopologically()
    {
        var available = new HashSet<string>(Graph.Input.Select(i => i.Name).Concat(Graph.Initializer.Select(i => i.Name))) { "" };
        var pending = Graph.Node.ToList();
        var sorted = new List<NodeProto>(pending.Count);
        while (pending.Count > 0)
        {
            int before = sorted.Count;
            for (int i = 0; i < pending.Count; i++)
            {
                var n = pending[i];
                if (!n.Input.All(available.Contains)) continue;
                sorted.Add(n);
                foreach (var o in n.Output) available.Add(o);
                pending.RemoveAt(i--);
            }
            if (sorted.Count == before)
                throw new ToolException($"{Name}: the graph has a cycle or reads an undefined tensor at node '{pending[0].Name}' ({pending[0].OpType})");
        }
        Graph.Node.Clear();
        Graph.Node.AddRange(sorted);
    }

    public static TensorProto FloatTensor(string name, int[] shape, float[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(shape.Select(d => (long)d));
        var raw = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
        t.RawData = ByteString.CopyFrom(raw);
        return t;
    }

    /// <summary>An integer tensor of <paramref name="type"/> (int4/uint4 packed two per byte, low nibble first).</summary>
    public static TensorProto IntegerTensor(string name, DataType type, int[] shape, long[] values)
    {
        var tensor = Tensor.FromLongs(type, shape, values);
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(tensor.Raw) };
        t.Dims.AddRange(shape.Select(d => (long)d));
        return t;
    }

    public static TensorProto Float16Tensor(string name, int[] shape, float[] values)
    {
        var tensor = Tensor.FromDoubles(DataType.Float16, shape, values.Select(v => (double)v).ToArray());
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float16, RawData = ByteString.CopyFrom(tensor.Raw) };
        t.Dims.AddRange(shape.Select(d => (long)d));
        return t;
    }

    public static NodeProto Node(string opType, string name, IEnumerable<string> inputs, IEnumerable<string> outputs, string domain = "")
    {
        var n = new NodeProto { OpType = opType, Name = name, Domain = domain };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        return n;
    }

    public static AttributeProto IntAttribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto IntsAttribute(string name, IEnumerable<long> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static long IntAttr(NodeProto n, string name, long fallback) => n.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;
    public static float FloatAttr(NodeProto n, string name, float fallback) => n.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.F : fallback;
    public static long[]? IntsAttr(NodeProto n, string name) => n.Attribute.FirstOrDefault(a => a.Name == name)?.Ints.ToArray();
}
