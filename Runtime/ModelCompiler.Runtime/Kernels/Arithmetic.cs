using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace ModelCompiler.Runtime;

/// <summary>ONNX Add: a + b (integers wrap).</summary>
public readonly struct Add<T> : IBinaryOp<T, T, T> where T : INumber<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T b) => unchecked(a + b);
    /// <inheritdoc/>
    public static bool HasSpanPath => true;
    /// <inheritdoc/>
    public static void ApplySpan(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Add(a, b, y);
}

/// <summary>ONNX Sub: a - b.</summary>
public readonly struct Sub<T> : IBinaryOp<T, T, T> where T : INumber<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T b) => unchecked(a - b);
    /// <inheritdoc/>
    public static bool HasSpanPath => true;
    /// <inheritdoc/>
    public static void ApplySpan(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Subtract(a, b, y);
}

/// <summary>ONNX Mul: a * b.</summary>
public readonly struct Mul<T> : IBinaryOp<T, T, T> where T : INumber<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T b) => unchecked(a * b);
    /// <inheritdoc/>
    public static bool HasSpanPath => true;
    /// <inheritdoc/>
    public static void ApplySpan(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Multiply(a, b, y);
}

/// <summary>ONNX Div: a / b (integer division truncates toward zero, as C does).</summary>
public readonly struct Div<T> : IBinaryOp<T, T, T> where T : INumber<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T b) => a / b;
    /// <inheritdoc/>
    public static bool HasSpanPath => typeof(T) == typeof(float) || typeof(T) == typeof(double);
    /// <inheritdoc/>
    public static void ApplySpan(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Divide(a, b, y);
}
