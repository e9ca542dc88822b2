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
            if (a.Pixels == 1) KernelThreads.ForRanges<DotRows<TV>, Args>(a, total, threads);
            else KernelThreads.ForRanges<PixelRows<TV>, Args>(a, total, threads);
        }
    }

    /// <summary>pixels == 1: each unit is one dot product of a row's entries with a row of x.</summary>
    private readonly struct DotRows<TV> : IWorkRanges<Args> where TV : unmanaged, IVec<TV>
    {
        public static void Run(in Args a, int first, int end)
        {
            for (int u = first; u < end; u++)
            {
                int b = u / a.Rows, r = u - b * a.Rows;
                float* x = a.X + (long)b * a.Columns;
                int t = a.RowStarts[r], stop = a.RowStarts[r + 1];
                float s0 = 0, s1 = 0;
                nint c = 0;
                for (; t + 1 < stop; t += 2)
                {
                    c += a.Gaps[t];
                    s0 += a.Values[t] * x[c];
                    c += a.Gaps[t + 1];
                    s1 += a.Values[t + 1] * x[c];
                }
                if (t < stop) s0 += a.Values[t] * x[c + a.Gaps[t]];
                a.Y[u] = s0 + s1 + (a.Bias == null ? 0 : a.Bias[r]);
            }
            EpilogueOps.Copy<TV>(a.Y + first, a.Y + first, a.Residual == null ? null : a.Residual + first, end - first, a.Epilogue);
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
            for (; p < count; p += TV.Count)
            {
                int n = Math.Min(TV.Count, count - p);
                TV s = bias;
                float* column = x + p;
                for (int t = start; t < stop; t++)
                {
                    column += gaps[t] * stride;
                    s = TV.MultiplyAdd(TV.Splat(values[t]), n == TV.Count ? TV.Load(column) : TV.LoadPartial(column, n), s);
                }
                if (n == TV.Count) TV.Store(y + p, s);
                else TV.StorePartial(y + p, s, n);
            }
        }
    }
}
