using System;
using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace ModelCompiler.Runtime;

/// <summary>How a reduction combines elements, as a struct so the JIT specializes the loops for it.</summary>
public interface IReduceOp<T>
{
    /// <summary>Combines an accumulator with one element.</summary>
    static abstract T Combine(T accumulator, T value);

    /// <summary>acc[i] = Combine(acc[i], values[i]).</summary>
    static abstract void CombineSpan(Span<T> accumulators, ReadOnlySpan<T> values);

    /// <summary>Combines an accumulator with every element of a non-empty span.</summary>
    static abstract T CombineAll(T accumulator, ReadOnlySpan<T> values);
}

/// <summary>Sum (ReduceSum, ReduceMean).</summary>
public readonly struct SumReduction<T> : IReduceOp<T> where T : INumber<T>
{
    /// <inheritdoc/>
    public static T Combine(T accumulator, T value) => unchecked(accumulator + value);
    /// <inheritdoc/>
    public static void CombineSpan(Span<T> accumulators, ReadOnlySpan<T> values) => TensorPrimitives.Add(accumulators, values, accumulators);
    /// <inheritdoc/>
    public static T CombineAll(T accumulator, ReadOnlySpan<T> values) => unchecked(accumulator + TensorPrimitives.Sum(values));
}

/// <summary>Maximum (ReduceMax).</summary>
public readonly struct MaxReduction<T> : IReduceOp<T> where T : INumber<T>
{
    /// <inheritdoc/>
    public static T Combine(T accumulator, T value) => T.Max(accumulator, value);
    /// <inheritdoc/>
    public static void CombineSpan(Span<T> accumulators, ReadOnlySpan<T> values) => TensorPrimitives.Max(accumulators, values, accumulators);
    /// <inheritdoc/>
    public static T CombineAll(T accumulator, ReadOnlySpan<T> values) => T.Max(accumulator, TensorPrimitives.Max(values));
}

/// <summary>Minimum (ReduceMin).</summary>
public readonly struct MinReduction<T> : IReduceOp<T> where T : INumber<T>
{
    /// <inheritdoc/>
    public static T Combine(T accumulator, T value) => T.Min(accumulator, value);
    /// <inheritdoc/>
    public static void CombineSpan(Span<T> accumulators, ReadOnlySpan<T> values) => TensorPrimitives.Min(accumulators, values, accumulators);
    /// <inheritdoc/>
    public static T CombineAll(T accumulator, ReadOnlySpan<T> values) => T.Min(accumulator, TensorPrimitives.Min(values));
}

/// <summary>Sum of squares (ReduceSumSquare, ReduceL2).</summary>
public readonly struct SumSquareReduction<T> : IReduceOp<T> where T : INumber<T>
{
    /// <inheritdoc/>
    public static T Combine(T accumulator, T value) => unchecked(accumulator + value * value);
    /// <inheritdoc/>
    public static void CombineSpan(Span<T> accumulators, ReadOnlySpan<T> values) => TensorPrimitives.MultiplyAdd(values, values, accumulators, accumulators);
    /// <inheritdoc/>
    public static T CombineAll(T accumulator, ReadOnlySpan<T> values) => unchecked(accumulator + TensorPrimitives.SumOfSquares(values));
}

/// <summary>Sum of absolute values (ReduceL1).</summary>
public readonly struct AbsSumReduction<T> : IReduceOp<T> where T : INumber<T>
{
    /// <inheritdoc/>
    public static T Combine(T accumulator, T value) => unchecked(accumulator + T.Abs(value));
    /// <inheritdoc/>
    public static void CombineSpan(Span<T> accumulators, ReadOnlySpan<T> values)
    {
        for (int i = 0; i < values.Length; i++) accumulators[i] = unchecked(accumulators[i] + T.Abs(values[i]));
    }
    /// <inheritdoc/>
    public static T CombineAll(T accumulator, ReadOnlySpan<T> values)
    {
        foreach (T v in values) accumulator = unchecked(accumulator + T.Abs(v));
        return accumulator;
    }
}

/// <summary>Product (ReduceProd).</summary>
public readonly struct ProductReduction<T> : IReduceOp<T> where T : INumber<T>
{
    /// <inheritdoc/>
    public static T Combine(T accumulator, T value) => unchecked(accumulator * value);
    /// <inheritdoc/>
    public static void CombineSpan(Span<T> accumulators, ReadOnlySpan<T> values) => TensorPrimitives.Multiply(accumulators, values, accumulators);
    /// <inheritdoc/>
    public static T CombineAll(T accumulator, ReadOnlySpan<T> values)
    {
        foreach (T v in values) accumulator = unchecked(accumulator * v);
        return accumulator;
    }
}

/// <summary>
/// Log-sum-exp (ReduceLogSumExp). The accumulator is the log-sum-exp of what it has seen, so large inputs
/// never overflow: combining a and b gives max(a, b) + log(1 + exp(-|a - b|)); a row is shifted by its maximum first.
/// </summary>
public readonly struct LogSumExpReduction<T> : IReduceOp<T> where T : IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public static T Combine(T accumulator, T value)
    {
        if (T.IsNegativeInfinity(accumulator)) return value;
        if (T.IsNegativeInfinity(value)) return accumulator;
        T max = T.Max(accumulator, value), distance = T.Abs(accumulator - value);
        return T.IsNaN(distance) ? max + T.Log(T.One + T.One) : max + T.LogP1(T.Exp(-distance));
    }
    /// <inheritdoc/>
    public static void CombineSpan(Span<T> accumulators, ReadOnlySpan<T> values)
    {
        for (int i = 0; i < values.Length; i++) accumulators[i] = Combine(accumulators[i], values[i]);
    }
    /// <inheritdoc/>
    public static T CombineAll(T accumulator, ReadOnlySpan<T> values)
    {
        T max = TensorPrimitives.Max(values);
        if (!T.IsFinite(max))
        {
            foreach (T v in values) accumulator = Combine(accumulator, v);
            return accumulator;
        }
        T sum = T.Zero;
        foreach (T v in values) sum += T.Exp(v - max);
        return Combine(accumulator, max + T.Log(sum));
    }
}

/// <summary>
/// Reductions over any set of axes. The generator passes the input shape with adjacent kept axes and adjacent
/// reduced axes already merged (and size-1 axes dropped), plus the indices of the reduced axes in that shape;
/// the output is the kept axes in order, so keepdims only changes the output's declared shape.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Reduce
{
    private const int MaxRank = 16;

    /// <summary>ReduceSum.</summary>
    public static void Sum<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> shape, ReadOnlySpan<int> axes) where T : INumber<T> =>
        Run<T, SumReduction<T>>(x, y, shape, axes, T.Zero);

    /// <summary>ReduceMean: the sum divided by the number of reduced elements (NaN for an empty float reduction).</summary>
    public static void Mean<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> shape, ReadOnlySpan<int> axes) where T : INumber<T>
    {
        Run<T, SumReduction<T>>(x, y, shape, axes, T.Zero);
        long count = 1;
        foreach (int a in axes) count *= shape[a];
        if (count == 0)
        {
            // 0 / 0: NaN for floating-point types; integer means of nothing stay 0.
            if (typeof(T) == typeof(float) || typeof(T) == typeof(double) || typeof(T) == typeof(Half)) y.Fill(T.Zero / T.Zero);
            return;
        }
        T divisor = T.CreateTruncating(count);
        for (int i = 0; i < y.Length; i++) y[i] /= divisor;
    }

    /// <summary>ReduceMax; <paramref name="lowest"/> is the result of an empty reduction (-inf for floats, MinValue for integers).</summary>
    public static void Max<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> shape, ReadOnlySpan<int> axes, T lowest) where T : INumber<T> =>
        Run<T, MaxReduction<T>>(x, y, shape, axes, lowest);

    /// <summary>ReduceMin; <paramref name="highest"/> is the result of an empty reduction (+inf for floats, MaxValue for integers).</summary>
    public static void Min<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> shape, ReadOnlySpan<int> axes, T highest) where T : INumber<T> =>
        Run<T, MinReduction<T>>(x, y, shape, axes, highest);

    /// <summary>ReduceSumSquare: the sum of squares.</summary>
    public static void SumSquare<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> shape, ReadOnlySpan<int> axes) where T : INumber<T> =>
        Run<T, SumSquareReduction<T>>(x, y, shape, axes, T.Zero);

    /// <summary>ReduceL1: the sum of absolute values.</summary>
    public static void L1<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> shape, ReadOnlySpan<int> axes) where T : INumber<T> =>
        Run<T, AbsSumReduction<T>>(x, y, shape, axes, T.Zero);

    /// <summary>ReduceL2: the square root of the sum of squares.</summary>
    public static void L2<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> shape, ReadOnlySpan<int> axes) where T : IFloatingPointIeee754<T>
    {
        Run<T, SumSquareReduction<T>>(x, y, shape, axes, T.Zero);
        TensorPrimitives.Sqrt<T>(y, y);
    }

    /// <summary>ReduceLogSum: the natural logarithm of the sum (-inf for an empty reduction).</summary>
    public static void LogSum<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> shape, ReadOnlySpan<int> axes) where T : IFloatingPointIeee754<T>
    {
        Run<T, SumReduction<T>>(x, y, shape, axes, T.Zero);
        TensorPrimitives.Log<T>(y, y);
    }

    /// <summary>ReduceLogSumExp: log(sum(exp(x))), computed without overflow (-inf for an empty reduction).</summary>
    public static void LogSumExp<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> shape, ReadOnlySpan<int> axes) where T : IFloatingPointIeee754<T> =>
        Run<T, LogSumExpReduction<T>>(x, y, shape, axes, T.NegativeInfinity);

    /// <summary>ReduceProd: the product (1 for an empty reduction).</summary>
    public static void Prod<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> shape, ReadOnlySpan<int> axes) where T : INumber<T> =>
        Run<T, ProductReduction<T>>(x, y, shape, axes, T.One);

    /// <summary>ReduceMax on bool (opset 20): any.</summary>
    public static void Max(ReadOnlySpan<bool> x, Span<bool> y, ReadOnlySpan<int> shape, ReadOnlySpan<int> axes) =>
        Run<byte, MaxReduction<byte>>(MemoryMarshal.Cast<bool, byte>(x), MemoryMarshal.Cast<bool, byte>(y), shape, axes, 0);

    /// <summary>ReduceMin on bool (opset 20): all.</summary>
    public static void Min(ReadOnlySpan<bool> x, Span<bool> y, ReadOnlySpan<int> shape, ReadOnlySpan<int> axes) =>
        Run<byte, MinReduction<byte>>(MemoryMarshal.Cast<bool, byte>(x), MemoryMarshal.Cast<bool, byte>(y), shape, axes, 1);

    /// <summary>
    /// Walks the input once in memory order. The last axis is either kept (then a whole row of accumulators
    /// is combined with a row of inputs) or reduced (then a row of inputs folds into one accumulator); an
    /// odometer over the other axes tracks where the accumulators are.
    /// </summary>
    private static void Run<T, TOp>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> shape, ReadOnlySpan<int> axes, T identity)
        where TOp : IReduceOp<T>
    {
        y.Fill(identity);
        if (x.IsEmpty) return;
        int rank = shape.Length;
        if (rank == 0)
        {
            y[0] = TOp.Combine(identity, x[0]);
            return;
        }
        if (rank > MaxRank) throw new ArgumentException("too many axes", nameof(shape));

        Span<bool> reduced = stackalloc bool[MaxRank];
        reduced.Clear();
        foreach (int a in axes) reduced[a] = true;
        Span<int> outStride = stackalloc int[MaxRank];
        int acc = 1;
        for (int d = rank - 1; d >= 0; d--)
        {
            if (reduced[d]) outStride[d] = 0;
            else { outStride[d] = acc; acc *= shape[d]; }
        }

        int inner = shape[rank - 1];
        bool innerReduced = reduced[rank - 1];
        Span<int> index = stackalloc int[MaxRank];
        index.Clear();
        int outOffset = 0;
        for (int inBase = 0; inBase < x.Length; inBase += inner)
        {
            ReadOnlySpan<T> row = x.Slice(inBase, inner);
            if (innerReduced) y[outOffset] = TOp.CombineAll(y[outOffset], row);
            else TOp.CombineSpan(y.Slice(outOffset, inner), row);

            for (int d = rank - 2; d >= 0; d--)
            {
                outOffset += outStride[d];
                if (++index[d] < shape[d]) break;
                outOffset -= outStride[d] * shape[d];
                index[d] = 0;
            }
        }
    }

    /// <summary>ArgMax over the middle axis of [outer, n, inner]: the first (or, with <paramref name="selectLastIndex"/>, last) index of the maximum.</summary>
    public static void ArgMax<T>(ReadOnlySpan<T> x, Span<long> y, int outer, int n, int inner, bool selectLastIndex) where T : INumber<T>
    {
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int p = o * n * inner + i;
                T best = x[p];
                long bestIndex = 0;
                for (int k = 1; k < n; k++)
                {
                    T v = x[p + k * inner];
                    if (v > best || (selectLastIndex && v == best)) { best = v; bestIndex = k; }
                }
                y[o * inner + i] = bestIndex;
            }
        }
    }

    /// <summary>ArgMin over the middle axis of [outer, n, inner]: the first (or, with <paramref name="selectLastIndex"/>, last) index of the minimum.</summary>
    public static void ArgMin<T>(ReadOnlySpan<T> x, Span<long> y, int outer, int n, int inner, bool selectLastIndex) where T : INumber<T>
    {
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int p = o * n * inner + i;
                T best = x[p];
                long bestIndex = 0;
                for (int k = 1; k < n; k++)
                {
                    T v = x[p + k * inner];
                    if (v < best || (selectLastIndex && v == best)) { best = v; bestIndex = k; }
                }
                y[o * inner + i] = bestIndex;
            }
        }
    }
}
