using System;
using System.Collections.Generic;

namespace ModelCompiler.Graph;

internal enum AttributeKind { Undefined, Float, Int, String, Tensor, Graph, Floats, Ints, Strings, Tensors, Graphs, Other }

/// <summary>A node attribute, already decoded from protobuf.</summary>
internal sealed class Attribute
{
    public Attribute(string name, AttributeKind kind) { Name = name; Kind = kind; }

    public string Name { get; }
    public AttributeKind Kind { get; }
    public float F { get; init; }
    public long I { get; init; }
    public string S { get; init; } = "";
    public Tensor? T { get; init; }
    public IReadOnlyList<float> Floats { get; init; } = Array.Empty<float>();
    public IReadOnlyList<long> Ints { get; init; } = Array.Empty<long>();
    public IReadOnlyList<string> Strings { get; init; } = Array.Empty<string>();

    /// <summary>A graph-valued attribute's graph (If's branches, Loop's and Scan's body), read like the main graph.</summary>
    public ModelGraph? Graph { get; init; }
}
