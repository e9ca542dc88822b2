using System;
using System.ComponentModel;

namespace ModelCompiler.Runtime;

/// <summary>ONNX And: a &amp;&amp; b.</summary>
public readonly struct And : IBinaryOp<bool, bool, bool>
{
    /// <inheritdoc/>
    public static bool Apply(bool a, bool b) => a & b;
}

/// <summary>ONNX Or: a || b.</summary>
public readonly struct Or : IBinaryOp<bool, bool, bool>
{
    /// <inheritdoc/>
    public static bool Apply(bool a, bool b) => a | b;
}

/// <summary>ONNX Xor: a != b.</summary>
public readonly struct Xor : IBinaryOp<bool, bool, bool>
{
    /// <inheritdoc/>
    public static bool Apply(bool a, bool b) => a ^ b;
}

/// <summary>Unary logic on bool tensors.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Logical
{
    /// <summary>ONNX Not: !x.</summary>
    public static void Not(ReadOnlySpan<bool> x, Span<bool> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = !x[i];
    }
}
