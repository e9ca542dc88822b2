using System;
using System.Collections.Generic;
using System.Linq;
using Google.Protobuf;
using ModelCompiler.Onnx.Proto;

namespace ModelCompiler.Fuzz.Mutations;

/// <summary>One kind of damage the fuzzer can do to a model. Kinds are named on the command line (--kinds).</summary>
internal abstract class Mutation
{
    /// <summary>The name used in --kinds, reports and case descriptions.</summary>
    public abstract string Kind { get; }

    /// <summary>What the kind does, for --list-kinds and the README.</summary>
    public abstract string Summary { get; }

    /// <summary>
    /// Applies the mutation to <paramref name="subject"/>; false when it does not apply to this model (no
    /// attribute to retype, no Resize...), in which case the case generator draws another kind.
    /// Every change is described in <see cref="Subject.Log"/> so that a defect can be read without a debugger.
    /// </summary>
    public abstract bool Apply(Subject subject, Rng rng);

    /// <summary>Every mutation kind, in a fixed order (the order fixes what a seed means: append new kinds at the end).</summary>
    public static IReadOnlyList<Mutation> All { get; } = new Mutation[]
    {
        new BitFlip(), new Truncate(), new OverwriteBytes(),
        new AttributeType(), new AttributeValue(),
        new InputDims(), new TensorDims(), new ElementType(), new HugeValues(),
        new RemoveInitializer(), new RemoveOutput(), new RemoveInput(),
        new ResizeScales(), new Float8Weights(), new HighRank(),
        new OpsetVersion(), new Rewire(), new OpType(), new ExternalData(), new InputShapeOption(),
    };

    public static Mutation? Find(string kind) => All.FirstOrDefault(m => m.Kind == kind);
}

/// <summary>
/// What a mutation works on: the model as bytes, or parsed (the first structure-aware mutation parses it, the
/// case generator serializes it back), and the options the compile gets.
/// </summary>
internal sealed class Subject
{
    private byte[] _bytes;
    private ModelProto? _model;

    public Subject(byte[] bytes) => _bytes = bytes;

    public List<string> Log { get; } = new();

    /// <summary>The seed's file name (an external-data location that stays inside the model's folder).</summary>
    public string SeedFileName { get; init; } = "model.onnx";
    public string? InputShape { get; set; }
    public bool InputShapeFixed { get; set; }

    /// <summary>The parsed model, or null when the bytes are not a model (after a byte-level mutation).</summary>
    public ModelProto? Model
    {
        get
        {
            if (_model is null)
            {
                try { _model = ModelProto.Parser.ParseFrom(_bytes); }
                catch (InvalidProtocolBufferException) { return null; }
            }
            return _model;
        }
    }

    public GraphProto? Graph => Model?.Graph;

    /// <summary>The current bytes (serializing the parsed model if a structure-aware mutation changed it).</summary>
    public byte[] Bytes
    {
        get
        {
            if (_model is not null) { _bytes = _model.ToByteArray(); _model = null; }
            return _bytes;
        }
        set { _bytes = value; _model = null; }
    }
}

/// <summary>Values that break things: limits, signs, NaN and friends.</summary>
internal static class Interesting
{
    public static readonly long[] Int64s =
    {
        0, 1, -1, 2, -2, 3, 7, 255, 256, 65535, 65536, int.MaxValue, (long)int.MaxValue + 1, int.MinValue,
        1L << 40, -(1L << 40), long.MaxValue, long.MinValue, 1_000_000, -1_000_000,
    };

    public static readonly float[] Floats =
    {
        0f, -0f, 1f, -1f, 0.5f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.MaxValue, float.MinValue,
        float.Epsilon, 1e30f, -1e30f, 1e6f, 1e-30f, 3.4e38f,
    };

    public static readonly string[] Strings =
    {
        "", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID", "nearest", "linear", "cubic", "asymmetric", "half_pixel",
        "align_corners", "round_prefer_floor", "floor", "constant", "reflect", "edge", "DCR", "CRD", "garbage",
        new string('x', 5000), "\u00e9\u0000\uffff",
    };

    public static long Int64(Rng rng) => rng.Chance(0.8) ? rng.Pick(Int64s) : (long)rng.Next();

    public static float Float(Rng rng) => rng.Chance(0.8) ? rng.Pick(Floats) : BitConverter.Int32BitsToSingle((int)rng.Next());
}

/// <summary>Finding things in a parsed model.</summary>
internal static class ModelParts
{
    /// <summary>Every constant tensor: initializers and the value of Constant nodes.</summary>
    public static List<TensorProto> ConstantTensors(GraphProto g)
    {
        var list = new List<TensorProto>(g.Initializer);
        foreach (var n in g.Node)
            if (n.OpType == "Constant")
                foreach (var a in n.Attribute)
                    if (a.T is not null) list.Add(a.T);
        return list;
    }

    /// <summary>Graph inputs that are not initializers (the tensors Predict takes).</summary>
    public static List<ValueInfoProto> RealInputs(GraphProto g)
    {
        var inits = new HashSet<string>(g.Initializer.Select(i => i.Name));
        return g.Input.Where(i => !inits.Contains(i.Name)).ToList();
    }

    /// <summary>Every value name in the graph (inputs, initializers, node outputs).</summary>
    public static List<string> ValueNames(GraphProto g) =>
        g.Input.Select(i => i.Name).Concat(g.Initializer.Select(i => i.Name)).Concat(g.Node.SelectMany(n => n.Output)).Where(n => n.Length > 0).Distinct().ToList();

    public static long ElementCount(TensorProto t) => t.Dims.Aggregate(1L, (a, d) => unchecked(a * d));

    public static string Describe(TensorProto t) => $"'{t.Name}' ({(TensorProto.Types.DataType)t.DataType}[{string.Join(",", t.Dims)}])";
}
