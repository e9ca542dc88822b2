using System.ComponentModel;
using System.Numerics;

namespace ModelCompiler.Runtime;

/// <summary>
/// How ScatterElements and ScatterND combine an update with the element already there (the reduction attribute),
/// and how CumSum/CumProd accumulate; a struct so the JIT specializes the loop for it.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IScatterReduction<T>
{
    /// <summary>The new element from the current one and the update.</summary>
    static abstract T Combine(T current, T update);
}

/// <summary>reduction="none": the update replaces the element (any element type).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct ScatterReplace<T> : IScatterReduction<T>
{
    /// <inheritdoc/>
    public static T Combine(T current, T update) => update;
}

/// <summary>reduction="add".</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct ScatterAdd<T> : IScatterReduction<T> where T : INumber<T>
{
    /// <inheritdoc/>
    public static T Combine(T current, T update) => unchecked(current + update);
}

/// <summary>reduction="mul".</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct ScatterMul<T> : IScatterReduction<T> where T : INumber<T>
{
    /// <inheritdoc/>
    public static T Combine(T current, T update) => unchecked(current * update);
}

/// <summary>reduction="max" (NaN wins, as numpy.maximum).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct ScatterMax<T> : IScatterReduction<T> where T : INumber<T>
{
    /// <inheritdoc/>
    public static T Combine(T current, T update) => T.Max(current, update);
}

/// <summary>reduction="min" (NaN wins, as numpy.minimum).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct ScatterMin<T> : IScatterReduction<T> where T : INumber<T>
{
    /// <inheritdoc/>
    public static T Combine(T current, T update) => T.Min(current, update);
}
