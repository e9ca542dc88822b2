using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace ModelCompiler.Runtime;

/// <summary>
/// Products with a sparse constant weight matrix stored compactly (<see cref="SparseRowsFormat"/>): only the non-zero
/// weights are read and multiplied. For each of <c>batches</c> inputs x[b] ([columns, pixels] row-major) it computes
/// y[b][r, p] = epilogue(bias[r] + sum over row r's entries (c, w) of w * x[b][c, p]) into y[b] ([rows, pixels]).
/// A 1x1 convolution is one batch per image, rows = output channels, columns = input channels, pixels = H*W, the
/// pixels in the vector lanes (a weight is broadcast and multiplies a run of pixels of one input channel). A
/// fully connected layer (Gemm/MatMul with a constant B) is one batch per row of A, rows = output columns,
/// pixels = 1: a dot product of the row's non-zeros with A's row.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class SparseRows
{
    /// <summary>Floats of one input row a pixel block keeps in cache across the output rows (about 64 KiB of input).</summary>
    private const int BlockFloats = 16 * 1024;

    /// <summary>
    /// See <see cref="SparseRows"/>; <paramref name="bias"/> and <paramref name="residual"/> may be empty. The sparse
    /// arrays are trusted to address columns below <paramref name="columns"/> (the generator writes them into the
    /// weight blob; checking every gap per call would cost as much as a fully connected layer's product).
    /// </summary>
    public static void Multiply(ReadOnlySpan<float> x, ReadOnlySpan<int> rowStarts, ReadOnlySpan<byte> gaps, ReadOnlySpan<float> values,
        ReadOnlySpan<float> bias, ReadOnlySpan<float> residual, Span<float> y, int rows, int columns, int pixels, int batches,
        in Epilogue epilogue, int threads = 1) =>
        Multiply(x, rowStarts, gaps, values, bias, residual, y, rows, columns, pixels, batches, epilogue, threads, VectorWidth.Auto);

    /// <summary>The same at a chosen vector width (tests).</summary>
    internal static void Multiply(ReadOnlySpan<float> x, ReadOnlySpan<int> rowStarts, ReadOnlySpan<byte> gaps, ReadOnlySpan<float> values,
        ReadOnlySpan<float> bias, ReadOnlySpan<float> residual, Span<float> y, int rows, int columns, int pixels, int batches,
        in Epilogue epilogue, int threads, VectorWidth width)
    {
        if (rows <= 0 || columns <= 0 || pixels <= 0 || batches <= 0) throw new ArgumentException("Sizes must be positive.");
        long inLength = (long)batches * columns * pixels, outLength = (long)batches * rows * pixels;
        if (x.Length < inLength) throw new ArgumentException($"X has {x.Length} elements; {inLength} needed.", nameof(x));
        if (y.Length < outLength) throw new ArgumentException($"Y has {y.Length} elements; {outLength} needed.", nameof(y));
        if (!residual.IsEmpty && residual.Length < outLength) throw new ArgumentException("The residual needs the output's shape.", nameof(residual));
        if (!bias.IsEmpty && bias.Length < rows) throw new ArgumentException("The bias needs one value per row.", nameof(bias));
        if (rowStarts.Length != rows + 1 || rowStarts[0] != 0 || rowStarts[rows] != values.Length || gaps.Length != values.Length)
            throw new ArgumentException("The sparse weights do not match the row count.", nameof(rowStarts));
        fixed (float* px = x)
        fixed (int* pstarts = rowStarts)
        fixed (byte* pgaps = gaps)
        fixed (float* pvalues = values)
        fixed (float* pbias = bias)
        fixed (float* pr = residual)
        fixed (float* py = y)
        {
            var args = new Args(px, pstarts, pgaps, pvalues, bias.IsEmpty ? null : pbias, residual.IsEmpty ? null : pr, py, rows, columns, pixels, batches, epilogue);
            SimdLevel.Run<Kernel, Args>(width, args, threads);
        }
    }

    internal readonly struct Args(float* x, int* rowStarts, byte* gaps, float* values, float* bias, float* residual, float* y,
        int rows, int columns, int pixels, int batches, in Epilogue epilogue)
    {
        public readonly float* X = x, Values = values, Bias = bias, Residual = residual, Y = y;
        public readonly int* RowStarts = rowStarts;
        public readonly byte* Gaps = gaps;
        public readonly int Rows = rows, Columns = columns, Pixels = pixels, Batches = batches;
        public readonly Epilogue Epilogue = epilogue;
    }

    private readonly struct Kernel : IVectorKernel<Args>
    {
        public static void Run<TV>(in Args a, int threads) where TV : unmanaged, IVec<TV>
        {
            // Units are output rows of all batches together (batch-major), so y of a range is contiguous.
            int total = checked((int)((long)a.Rows * a.Batches));
            if (a.Pixels == 1) KernelThreads.ForRanges<SparseDotRows.Rows<TV>, Args>(a, total, threads);
            else KernelThreads.ForRanges<PixelRows<TV>, Args>(a, total, threads);
        }
    }

    /// <summary>pixels &gt; 1: a unit is an output row over all pixels, done a pixel block at a time for all rows of the range.</summary>
    private readonly struct PixelRows<TV> : IWorkRanges<Args> where TV : unmanaged, IVec<TV>
    {
        public static void Run(in Args a, int first, int end)
        {
            int block = Math.Max(4 * TV.Count, BlockFloats / a.Columns / (4 * TV.Count) * (4 * TV.Count));
            for (int u = first; u < end;)
            {
                int b = u / a.Rows, r0 = u - b * a.Rows, r1 = Math.Min(a.Rows, r0 + (end - u));
                long plane = (long)b * a.Pixels;
                float* x = a.X + plane * a.Columns;
                for (int p0 = 0; p0 < a.Pixels; p0 += block)
                {
                    int count = Math.Min(block, a.Pixels - p0);
                    for (int r = r0; r < r1; r++)
                    {
                        long at = (plane * a.Rows) + (long)r * a.Pixels + p0;
                        Segment(a, r, x + p0, a.Y + at, count);
                        EpilogueOps.Copy<TV>(a.Y + at, a.Y + at, a.Residual == null ? null : a.Residual + at, count, a.Epilogue);
                    }
                }
                u += r1 - r0;
            }
        }

        /// <summary>y[p] = bias[r] + sum of row r's w * x[c * pixels + p] for p &lt; count.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Segment(in Args a, int r, float* x, float* y, int count)
        {
            int start = a.RowStarts[r], stop = a.RowStarts[r + 1];
            byte* gaps = a.Gaps;
            float* values = a.Values;
            nint stride = a.Pixels;
            TV bias = TV.Splat(a.Bias == null ? 0 : a.Bias[r]);
            int p = 0;
            for (; p + 4 * TV.Count <= count; p += 4 * TV.Count)
            {
                TV s0 = bias, s1 = bias, s2 = bias, s3 = bias;
                float* column = x + p;
                for (int t = start; t < stop; t++)
                {
                    column += gaps[t] * stride;
                    TV w = TV.Splat(values[t]);
                    s0 = TV.MultiplyAdd(w, TV.Load(column), s0);
                    s1 = TV.MultiplyAdd(w, TV.Load(column + TV.Count), s1);
                    s2 = TV.MultiplyAdd(w, TV.Load(column + 2 * TV.Count), s2);
                    s3 = TV.MultiplyAdd(w, TV.Load(column + 3 * TV.Count), s3);
                }
                TV.Store(y + p, s0);
                TV.Store(y + p + TV.Count, s1);
                TV.Store(y + p + 2 * TV.Count, s2);
                TV.Store(y + p + 3 * TV.Count, s3);
            }
            // The rest (under 4 vectors, the last maybe partial) in one pass over the entries, not one pass a vector:
            // on 7x7 maps that is all of the row at 512 bits.
            switch ((count - p + TV.Count - 1) / TV.Count)
            {
                case 1: Rest<Int1>(a, start, stop, x + p, y + p, count - p, bias); break;
                case 2: Rest<Int2>(a, start, stop, x + p, y + p, count - p, bias); break;
                case 3: Rest<Int3>(a, start, stop, x + p, y + p, count - p, bias); break;
                case 4: Rest<Int4>(a, start, stop, x + p, y + p, count - p, bias); break;
            }
        }

        /// <summary>y[p] for p &lt; count, count in (TN - 1) * Count + 1 .. TN * Count: TN vectors, the last partial unless whole.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Rest<TN>(in Args a, int start, int stop, float* x, float* y, int count, TV bias) where TN : IConstInt
        {
            byte* gaps = a.Gaps;
            float* values = a.Values;
            nint stride = a.Pixels;
            int last = count - (TN.Value - 1) * TV.Count;
            bool whole = last == TV.Count;
            TV s0 = bias, s1 = bias, s2 = bias, s3 = bias;
            float* column = x;
            float* lastColumn = x + (TN.Value - 1) * TV.Count;
            for (int t = start; t < stop; t++)
            {
                nint step = gaps[t] * stride;
                column += step;
                lastColumn += step;
                TV w = TV.Splat(values[t]);
                if (TN.Value > 1) s0 = TV.MultiplyAdd(w, TV.Load(column), s0);
                if (TN.Value > 2) s1 = TV.MultiplyAdd(w, TV.Load(column + TV.Count), s1);
                if (TN.Value > 3) s2 = TV.MultiplyAdd(w, TV.Load(column + 2 * TV.Count), s2);
                s3 = TV.MultiplyAdd(w, whole ? TV.Load(lastColumn) : TV.LoadPartial(lastColumn, last), s3);
            }
            if (TN.Value > 1) TV.Store(y, s0);
            if (TN.Value > 2) TV.Store(y + TV.Count, s1);
            if (TN.Value > 3) TV.Store(y + 2 * TV.Count, s2);
            float* lastY = y + (TN.Value - 1) * TV.Count;
            if (whole) TV.Store(lastY, s3);
            else TV.StorePartial(lastY, s3, last);
        }
    }
}
