using System.Collections.Generic;

namespace ModelCompiler.Graph;

/// <summary>
/// A named tensor flowing through the graph: a graph input, a node output or a constant.
/// Type and shape are filled in by shape inference; <see cref="Constant"/> is set for initializers,
/// <c>Constant</c> nodes and anything constant folding computed.
/// </summary>
internal sealed class Value
{
    public Value(string name) => Name = name;

    public string Name { get; }
    public DataType Type { get; set; }

    /// <summary>Static shape; null until inferred. Dimensions are never negative once inference succeeded.</summary>
    public int[]? Shape { get; set; }

    /// <summary>Symbolic dimension names as declared on graph inputs/outputs (null entries for fixed dims).</summary>
    public string?[]? DeclaredDims { get; set; }

    /// <summary>The declared name of dimension <paramref name="axis"/>, or null (fixed, unnamed, or not declared that far).</summary>
    public string? DeclaredDim(int axis) => DeclaredDims is { } d && axis >= 0 && axis < d.Length ? d[axis] : null;

    public Tensor? Constant { get; set; }
    public bool IsConstant => Constant is not null;

    public Node? Producer { get; set; }
    public List<Node> Consumers { get; } = new();

    /// <summary>Quantization parameters when the value holds quantized integers (QDQ / QOperator models).</summary>
    public QuantParams? Quant { get; set; }

    public long ElementCount => Shape is null ? -1 : ShapeText.Product(Shape);
    /// <summary>Bytes the value takes at run time (int4/uint4 one element per byte).</summary>
    public long ByteSize => Type.RuntimeByteSize(ElementCount);

    public override string ToString() => $"{Name}: {Type.OnnxName()}[{ShapeText.Format(Shape)}]";
}
