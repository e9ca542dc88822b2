using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Linq;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ModelCompiler.OnnxRuntime;

/// <summary>A graph input or output as the generated code describes it: ONNX name, element type and static shape.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class OnnxRuntimeTensor
{
    /// <param name="name">The tensor's name in the ONNX graph.</param>
    /// <param name="elementType">ONNX <c>TensorProto.DataType</c> number (1 float, 7 int64, ...), the same numbering as <see cref="TensorElementType"/>.</param>
    /// <param name="shape">Static shape, outermost dimension first.</param>
    public OnnxRuntimeTensor(string name, int elementType, long[] shape)
    {
        Name = name;
        ElementType = (TensorElementType)elementType;
        Shape = shape;
        long count = 1;
        foreach (long d in shape) count *= d;
        ElementCount = count;
        ByteSize = checked((int)(count * ElementSize(ElementType)));
    }

    /// <summary>The name in the ONNX graph.</summary>
    public string Name { get; }
    /// <summary>The element type.</summary>
    public TensorElementType ElementType { get; }
    /// <summary>The static shape, outermost dimension first.</summary>
    public IReadOnlyList<long> Shape { get; }
    internal long[] ShapeArray => (long[])Shape;
    /// <summary>Number of elements.</summary>
    public long ElementCount { get; }
    /// <summary>Bytes the tensor occupies.</summary>
    public int ByteSize { get; }

    internal static int ElementSize(TensorElementType t) => t switch
    {
        TensorElementType.Float or TensorElementType.Int32 or TensorElementType.UInt32 => 4,
        TensorElementType.Double or TensorElementType.Int64 or TensorElementType.UInt64 => 8,
        TensorElementType.Float16 or TensorElementType.BFloat16 or TensorElementType.Int16 or TensorElementType.UInt16 => 2,
        TensorElementType.Int8 or TensorElementType.UInt8 or TensorElementType.Bool => 1,
        _ => throw new NotSupportedException($"Tensor element type {t} cannot be bound by ModelCompiler."),
    };

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {ElementType}[{string.Join("x", Shape.Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]";
}
