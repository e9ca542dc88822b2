using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace ModelCompiler.Graph;

/// <summary>One operator application. Inputs and outputs may contain null for omitted optional ones.</summary>
internal sealed class Node
{
    public Node(string name, string opType, string domain)
    {
        Name = name;
        OpType = opType;
        Domain = domain;
    }

    /// <summary>The node's name from the model, or a generated "OpType_index" when the model left it empty.</summary>
    public string Name { get; set; }
    public string OpType { get; }

    /// <summary>Operator set domain; "" is the default ONNX domain (ai.onnx).</summary>
    public string Domain { get; }

    /// <summary>The opset version of <see cref="Domain"/> that the model imports.</summary>
    public int Opset { get; set; }

    public List<Value?> Inputs { get; } = new();
    public List<Value?> Outputs { get; } = new();
    public Dictionary<string, Attribute> Attributes { get; } = new();

    /// <summary>Activations and a residual Add fused into this Conv, Gemm or MatMul by <see cref="Passes.EpilogueFusion"/>.</summary>
    public FusedEpilogue? Epilogue { get; set; }

    public string DomainDisplay => Domain.Length == 0 ? "ai.onnx" : Domain;

    public Value? Input(int i) => i < Inputs.Count ? Inputs[i] : null;
    public Value? Output(int i) => i < Outputs.Count ? Outputs[i] : null;

    public Value RequiredInput(int i) =>
        Input(i) ?? throw new ModelError($"input {i} is required but missing");

    public bool HasAttribute(string name) => Attributes.ContainsKey(name);

    public long GetInt(string name, long fallback) =>
        Attributes.TryGetValue(name, out var a) ? (a.Kind == AttributeKind.Int ? a.I : throw WrongKind(a, "an int")) : fallback;

    public float GetFloat(string name, float fallback) =>
        Attributes.TryGetValue(name, out var a) ? (a.Kind == AttributeKind.Float ? a.F : a.Kind == AttributeKind.Int ? a.I : throw WrongKind(a, "a float")) : fallback;

    public string GetString(string name, string fallback) =>
        Attributes.TryGetValue(name, out var a) ? (a.Kind == AttributeKind.String ? a.S : throw WrongKind(a, "a string")) : fallback;

    public long[]? GetInts(string name) =>
        Attributes.TryGetValue(name, out var a) ? (a.Kind is AttributeKind.Ints or AttributeKind.Int ? (a.Kind == AttributeKind.Int ? new[] { a.I } : a.Ints.ToArray()) : throw WrongKind(a, "a list of ints")) : null;

    public float[]? GetFloats(string name) =>
        Attributes.TryGetValue(name, out var a) ? (a.Kind is AttributeKind.Floats or AttributeKind.Float ? (a.Kind == AttributeKind.Float ? new[] { a.F } : a.Floats.ToArray()) : throw WrongKind(a, "a list of floats")) : null;

    public Tensor? GetTensor(string name) =>
        Attributes.TryGetValue(name, out var a) ? (a.Kind == AttributeKind.Tensor ? a.T : throw WrongKind(a, "a tensor")) : null;

    private static ModelError WrongKind(Attribute a, string expected) =>
        new($"attribute '{a.Name}' should be {expected} but is {a.Kind.ToString().ToLowerInvariant()}");

    public override string ToString() => $"{OpType} \"{Name}\"";

    public static string Describe(IEnumerable<long> values) => string.Join(",", values.Select(v => v.ToString(CultureInfo.InvariantCulture)));
}
