using System.Numerics;

namespace ModelCompiler.Runtime;

/// <summary>ONNX Equal on numbers: a == b (NaN equals nothing, not even NaN).</summary>
public readonly struct Equal<T> : IBinaryOp<T, T, bool> where T : IEqualityOperators<T, T, bool>
{
    /// <inheritdoc/>
    public static bool Apply(T a, T b) => a == b;
}

/// <summary>ONNX Equal on bool tensors.</summary>
public readonly struct BoolEqual : IBinaryOp<bool, bool, bool>
{
    /// <inheritdoc/>
    public static bool Apply(bool a, bool b) => a == b;
}

/// <summary>ONNX Less: a &lt; b.</summary>
public readonly struct Less<T> : IBinaryOp<T, T, bool> where T : IComparisonOperators<T, T, bool>
{
    /// <inheritdoc/>
    public static bool Apply(T a, T b) => a < b;
}

/// <summary>ONNX LessOrEqual: a &lt;= b.</summary>
public readonly struct LessOrEqual<T> : IBinaryOp<T, T, bool> where T : IComparisonOperators<T, T, bool>
{
    /// <inheritdoc/>
    public static bool Apply(T a, T b) => a <= b;
}

/// <summary>ONNX Greater: a &gt; b.</summary>
public readonly struct Greater<T> : IBinaryOp<T, T, bool> where T : IComparisonOperators<T, T, bool>
{
    /// <inheritdoc/>
    public static bool Apply(T a, T b) => a > b;
}

/// <summary>ONNX GreaterOrEqual: a &gt;= b.</summary>
public readonly struct GreaterOrEqual<T> : IBinaryOp<T, T, bool> where T : IComparisonOperators<T, T, bool>
{
    /// <inheritdoc/>
    public static bool Apply(T a, T b) => a >= b;
}
