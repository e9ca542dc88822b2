using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace ModelCompiler.Runtime;

/// <summary>An element-wise binary operation, as a struct so the JIT specializes each kernel for it.</summary>
public interface IBinaryOp<TA, TB, TOut>
{
    /// <summary>One element.</summary>
    static abstract TOut Apply(TA a, TB b);

    /// <summary>True when <see cref="ApplySpan"/> has a vectorized implementation.</summary>
    static virtual bool HasSpanPath => false;

    /// <summary>Equal-length spans (only called when <see cref="HasSpanPath"/> is true).</summary>
    static virtual void ApplySpan(ReadOnlySpan<TA> a, ReadOnlySpan<TB> b, Span<TOut> y) => throw new NotSupportedException();
}

/// <summary>
/// Numpy-style broadcasting for element-wise binary and ternary ops. Shapes are collapsed first (adjacent
/// dimensions that broadcast the same way merge), so the common cases (same shape, scalar, per-channel
/// bias over H*W) run as one or two flat loops.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Broadcast
{
    private const int MaxRank = 8;

    /// <summary>y = op(a, b) with broadcasting; <paramref name="yShape"/> is the broadcast shape.</summary>
    public static void Binary<TA, TB, TOut, TOp>(ReadOnlySpan<TA> a, ReadOnlySpan<int> aShape, ReadOnlySpan<TB> b, ReadOnlySpan<int> bShape,
        Span<TOut> y, ReadOnlySpan<int> yShape) where TOp : IBinaryOp<TA, TB, TOut>
    {
        if (a.Length == y.Length && b.Length == y.Length)
        {
            Flat<TA, TB, TOut, TOp>(a, b, y);
            return;
        }
        if (b.Length == 1 && a.Length == y.Length)
        {
            TB s = b[0];
            for (int i = 0; i < y.Length; i++) y[i] = TOp.Apply(a[i], s);
            return;
        }
        if (a.Length == 1 && b.Length == y.Length)
        {
            TA s = a[0];
            for (int i = 0; i < y.Length; i++) y[i] = TOp.Apply(s, b[i]);
            return;
        }

        Span<int> dims = stackalloc int[MaxRank];
        Span<int> sa = stackalloc int[MaxRank];
        Span<int> sb = stackalloc int[MaxRank];
        int rank = Collapse(yShape, aShape, bShape, dims, sa, sb);
        if (rank == 0) { if (y.Length == 1) y[0] = TOp.Apply(a[0], b[0]); return; }

        int inner = dims[rank - 1], ia = sa[rank - 1], ib = sb[rank - 1];
        Span<int> index = stackalloc int[MaxRank];
        index.Clear();
        int offA = 0, offB = 0;
        for (int outer = 0; outer < y.Length; outer += inner)
        {
            Span<TOut> row = y.Slice(outer, inner);
            if (ia == 1 && ib == 1) Flat<TA, TB, TOut, TOp>(a.Slice(offA, inner), b.Slice(offB, inner), row);
            else if (ia == 1) { TB s = b[offB]; var ra = a.Slice(offA, inner); for (int i = 0; i < inner; i++) row[i] = TOp.Apply(ra[i], s); }
            else if (ib == 1) { TA s = a[offA]; var rb = b.Slice(offB, inner); for (int i = 0; i < inner; i++) row[i] = TOp.Apply(s, rb[i]); }
            else { TOut v = TOp.Apply(a[offA], b[offB]); row.Fill(v); }

            // Advance the odometer over the outer dimensions.
            for (int d = rank - 2; d >= 0; d--)
            {
                index[d]++;
                offA += sa[d];
                offB += sb[d];
                if (index[d] < dims[d]) break;
                offA -= sa[d] * dims[d];
                offB -= sb[d] * dims[d];
                index[d] = 0;
            }
        }
    }

    /// <summary>
    /// ONNX Where: z = condition ? x : y, all three broadcast to <paramref name="zShape"/>. Works for any
    /// element type (bool included): it only copies elements.
    /// </summary>
    public static void Where<T>(ReadOnlySpan<bool> condition, ReadOnlySpan<int> cShape, ReadOnlySpan<T> x, ReadOnlySpan<int> xShape,
        ReadOnlySpan<T> y, ReadOnlySpan<int> yShape, Span<T> z, ReadOnlySpan<int> zShape)
    {
        if (condition.Length == z.Length && x.Length == z.Length && y.Length == z.Length)
        {
            for (int i = 0; i < z.Length; i++) z[i] = condition[i] ? x[i] : y[i];
            return;
        }

        Span<int> dims = stackalloc int[MaxRank];
        Span<int> sc = stackalloc int[MaxRank];
        Span<int> sx = stackalloc int[MaxRank];
        Span<int> sy = stackalloc int[MaxRank];
        int rank = Collapse(zShape, cShape, xShape, yShape, dims, sc, sx, sy);
        if (rank == 0) { if (z.Length == 1) z[0] = condition[0] ? x[0] : y[0]; return; }

        // After collapsing, the innermost stride of each input is 1 (it runs along) or 0 (it is broadcast).
        int inner = dims[rank - 1], ic = sc[rank - 1], ix = sx[rank - 1], iy = sy[rank - 1];
        Span<int> index = stackalloc int[MaxRank];
        index.Clear();
        int offC = 0, offX = 0, offY = 0;
        for (int outer = 0; outer < z.Length; outer += inner)
        {
            Span<T> row = z.Slice(outer, inner);
            for (int i = 0; i < inner; i++) row[i] = condition[offC + i * ic] ? x[offX + i * ix] : y[offY + i * iy];

            for (int d = rank - 2; d >= 0; d--)
            {
                index[d]++;
                offC += sc[d];
                offX += sx[d];
                offY += sy[d];
                if (index[d] < dims[d]) break;
                offC -= sc[d] * dims[d];
                offX -= sx[d] * dims[d];
                offY -= sy[d] * dims[d];
                index[d] = 0;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Flat<TA, TB, TOut, TOp>(ReadOnlySpan<TA> a, ReadOnlySpan<TB> b, Span<TOut> y) where TOp : IBinaryOp<TA, TB, TOut>
    {
        if (typeof(TA) == typeof(TOut) && typeof(TB) == typeof(TOut) && TOp.HasSpanPath) { TOp.ApplySpan(a, b, y); return; }
        for (int i = 0; i < y.Length; i++) y[i] = TOp.Apply(a[i], b[i]);
    }

    /// <summary>
    /// Pads shapes to the output rank, computes element strides (0 where an input broadcasts), then merges
    /// neighbouring dimensions whose strides stay contiguous for both inputs. Returns the collapsed rank.
    /// </summary>
    internal static int Collapse(ReadOnlySpan<int> yShape, ReadOnlySpan<int> aShape, ReadOnlySpan<int> bShape,
        Span<int> dims, Span<int> sa, Span<int> sb)
    {
        int rank = yShape.Length;
        if (rank > MaxRank) throw new NotSupportedException($"Broadcasting supports up to {MaxRank} dimensions.");
        Span<int> fa = stackalloc int[MaxRank];
        Span<int> fb = stackalloc int[MaxRank];
        Strides(aShape, rank, yShape, fa);
        Strides(bShape, rank, yShape, fb);

        int n = 0;
        for (int d = 0; d < rank; d++)
        {
            if (yShape[d] == 1) continue; // size-1 dims carry no iteration
            if (n > 0 && sa[n - 1] == fa[d] * yShape[d] && sb[n - 1] == fb[d] * yShape[d])
            {
                dims[n - 1] *= yShape[d];
                sa[n - 1] = fa[d];
                sb[n - 1] = fb[d];
                continue;
            }
            dims[n] = yShape[d];
            sa[n] = fa[d];
            sb[n] = fb[d];
            n++;
        }
        return n;
    }

    /// <summary><see cref="Collapse(ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{int}, Span{int}, Span{int})"/> for three inputs.</summary>
    internal static int Collapse(ReadOnlySpan<int> yShape, ReadOnlySpan<int> aShape, ReadOnlySpan<int> bShape, ReadOnlySpan<int> cShape,
        Span<int> dims, Span<int> sa, Span<int> sb, Span<int> sc)
    {
        int rank = yShape.Length;
        if (rank > MaxRank) throw new NotSupportedException($"Broadcasting supports up to {MaxRank} dimensions.");
        Span<int> fa = stackalloc int[MaxRank];
        Span<int> fb = stackalloc int[MaxRank];
        Span<int> fc = stackalloc int[MaxRank];
        Strides(aShape, rank, yShape, fa);
        Strides(bShape, rank, yShape, fb);
        Strides(cShape, rank, yShape, fc);

        int n = 0;
        for (int d = 0; d < rank; d++)
        {
            if (yShape[d] == 1) continue;
            if (n > 0 && sa[n - 1] == fa[d] * yShape[d] && sb[n - 1] == fb[d] * yShape[d] && sc[n - 1] == fc[d] * yShape[d])
            {
                dims[n - 1] *= yShape[d];
                sa[n - 1] = fa[d];
                sb[n - 1] = fb[d];
                sc[n - 1] = fc[d];
                continue;
            }
            dims[n] = yShape[d];
            sa[n] = fa[d];
            sb[n] = fb[d];
            sc[n] = fc[d];
            n++;
        }
        return n;
    }

    private static void Strides(ReadOnlySpan<int> shape, int rank, ReadOnlySpan<int> yShape, Span<int> strides)
    {
        int offset = rank - shape.Length;
        int acc = 1;
        for (int d = rank - 1; d >= 0; d--)
        {
            int k = d - offset;
            int size = k >= 0 ? shape[k] : 1;
            strides[d] = size == 1 && yShape[d] != 1 ? 0 : acc;
            acc *= size;
        }
    }
}
