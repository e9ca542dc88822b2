using System;
using System.Collections.Generic;

namespace ModelCompiler.Graph;

/// <summary>
/// What the compiler accepts, as numbers. A model beyond one of them is rejected with MC0013 naming the tensor or
/// node and the limit, instead of compiling code that cannot run (a tensor no span can hold) or exhausting the
/// build. README "What the compiler rejects" lists them.
/// </summary>
internal static class Limits
{
    /// <summary>Elements of one tensor: generated code holds every tensor in a Span, whose length is an int.</summary>
    public const long MaxTensorElements = int.MaxValue;

    /// <summary>Dimensions of one tensor: the run-time broadcasting and index arithmetic keep up to 8 per tensor.</summary>
    public const int MaxRank = 8;

    /// <summary>Scratch memory per calling thread: the arena is one array with int offsets.</summary>
    public const long MaxArenaBytes = int.MaxValue;

    /// <summary>
    /// Weights, read from the model and embedded in the assembly (1 GiB): the compiler holds the model, its tensors
    /// and the blob in memory at once, and a manifest resource cannot grow past 2 GiB.
    /// </summary>
    public const long MaxWeightBytes = 1L << 30;

    /// <summary>Nodes in the graph: each layer is a method of the generated class (and the build must stay bounded).</summary>
    public const int MaxNodes = 50_000;

    /// <summary>
    /// Entries of a lookup table emitted as an array literal in generated code (a Resize's per-axis sampling
    /// tables): array literals cost the C# compiler seconds and hundreds of MB per million elements.
    /// </summary>
    public const long MaxTableEntries = 1 << 20;

    /// <summary>Product of dims in 64 bits; long.MaxValue when it overflows (so a comparison with a limit still works).</summary>
    public static long Elements(IReadOnlyList<int> dims)
    {
        long p = 1;
        foreach (int d in dims)
        {
            if (d < 0) return -1;
            if (d == 0) return 0;
        }
        foreach (int d in dims)
        {
            if (p > long.MaxValue / d) return long.MaxValue;
            p *= d;
        }
        return p;
    }

    /// <summary>Throws <see cref="LimitExceeded"/> when a tensor of this shape cannot be compiled; <paramref name="what"/> names it ("output 'y' of Resize 'up'").</summary>
    public static void CheckShape(string what, int[] shape)
    {
        if (shape.Length > MaxRank)
            throw new LimitExceeded($"{what} has rank {shape.Length}; tensors may have at most {MaxRank} dimensions");
        foreach (int d in shape)
            if (d < 0) throw new ModelError($"{what} would have a negative dimension ({ShapeText.Format(shape)})");
        long n = Elements(shape);
        if (n > MaxTensorElements)
            throw new LimitExceeded($"{what} would have shape {ShapeText.Format(shape)} = {(n == long.MaxValue ? "more than 2^63" : n.ToString(System.Globalization.CultureInfo.InvariantCulture))} elements; a tensor may have at most {MaxTensorElements} (2^31-1, what a span holds)");
    }
}

/// <summary>A model beyond one of the <see cref="Limits"/>: reported as MC0013 with this message.</summary>
internal sealed class LimitExceeded : Exception
{
    public LimitExceeded(string message) : base(message) { }
}
