using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Runtime;
using ModelCompiler.Tests.Kernels;
using Xunit;
using static ModelCompiler.Tests.Kernels.KernelTestData;

namespace ModelCompiler.Tests.Sparse;

/// <summary>
/// The sparse-weight product (<see cref="SparseRows"/>) against a plain scalar reference written here from the dense
/// matrix (double sums over every weight, zeros included): random shapes, sparsities from 50% to all zeros,
/// random and 4x1/8x1 block patterns, all-zero and fully dense rows, column gaps past 255 (bridged), one pixel
/// (fully connected) and pixel runs around the vector widths, several batches, every vector width, 3 threads
/// equal to 1. Float tolerance 1e-4 relative, 1e-5 absolute (<see cref="KernelTestData"/>).
/// </summary>
public sealed class SparseRowsTests
{
    public enum Pattern { Random, Block4, Block8, ZeroAndDenseRows }

    /// <summary>A rows x columns matrix with about <paramref name="zeros"/> of its weights exactly zero in <paramref name="pattern"/>.</summary>
    internal static float[] Pruned(int rows, int columns, double zeros, Pattern pattern, int seed)
    {
        var w = Random(rows * columns, seed);
        var r = new Random(seed + 1);
        int block = pattern == Pattern.Block8 ? 8 : pattern == Pattern.Block4 ? 4 : 1;
        for (int row = 0; row < rows; row += block)
            for (int c = 0; c < columns; c++)
                if (r.NextDouble() < zeros)
                    for (int i = row; i < Math.Min(rows, row + block); i++) w[i * columns + c] = 0;
        if (pattern == Pattern.ZeroAndDenseRows)
        {
            for (int c = 0; c < columns; c++) w[c] = 0; // row 0 all zero
            if (rows > 1) for (int c = 0; c < columns; c++) w[columns + c] = 0.5f + (float)r.NextDouble(); // row 1 dense
        }
        return w;
    }

    /// <summary>y[b][r, p] = bias[r] + sum over every c of w[r, c] * x[b][c, p], in double.</summary>
    private static float[] Reference(float[] w, float[] x, float[]? bias, int rows, int columns, int pixels, int batches)
    {
        var y = new float[batches * rows * pixels];
        for (int b = 0; b < batches; b++)
            for (int r = 0; r < rows; r++)
                for (int p = 0; p < pixels; p++)
                {
                    double s = bias?[r] ?? 0;
                    for (int c = 0; c < columns; c++) s += (double)w[r * columns + c] * x[(b * columns + c) * pixels + p];
                    y[(b * rows + r) * pixels + p] = (float)s;
                }
        return y;
    }

    public static TheoryData<int, int, int, int, double, Pattern> Cases() => new()
    {
        { 24, 40, 49, 1, 0.9, Pattern.Random },
        { 16, 96, 100, 2, 0.5, Pattern.Random },
        { 33, 17, 7, 1, 0.8, Pattern.Block4 },
        { 40, 64, 36, 1, 0.95, Pattern.Block8 },
        { 8, 700, 20, 1, 0.99, Pattern.Random },   // gaps past 255: bridge entries
        { 9, 50, 65, 1, 0.7, Pattern.ZeroAndDenseRows },
        { 10, 30, 3, 3, 1.0, Pattern.Random },      // no weight at all: bias only
        { 48, 96, 1, 1, 0.9, Pattern.Random },      // fully connected
        { 130, 300, 1, 4, 0.8, Pattern.Block4 },    // fully connected, 4 rows of A
        { 5, 600, 1, 2, 0.97, Pattern.ZeroAndDenseRows },
        { 8, 700, 1, 3, 0.99, Pattern.Random },     // fully connected, gaps past 255
        { 64, 1280, 1, 1, 0.9, Pattern.Random },    // fully connected, a classifier-sized row (many whole groups)
        { 7, 40, 1, 2, 0.0, Pattern.Random },       // fully connected, every weight stored
        { 9, 50, 1, 1, 0.7, Pattern.ZeroAndDenseRows },
        { 16, 64, 63, 1, 0.8, Pattern.Random },     // pixel rests of 1 to 4 vectors, the last partial
        { 12, 48, 17, 2, 0.9, Pattern.Block4 },
        { 20, 80, 113, 1, 0.7, Pattern.Random },    // 64 + 49: a whole block, then a 7x7-sized rest
        { 6, 30, 64, 1, 0.6, Pattern.ZeroAndDenseRows }, // rests that end on a whole vector
    };

    /// <summary>
    /// Fully connected rows holding 0 to 69 entries (row r keeps r weights at random columns of 700, so some gaps
    /// pass 255): every split of a row into groups of four sums and a tail.
    /// </summary>
    [Fact]
    public void Dot_rows_of_every_length_match_the_reference()
    {
        int rows = 70, columns = 700, batches = 2;
        var w = new float[rows * columns];
        var random = new Random(77);
        for (int r = 0; r < rows; r++)
            foreach (int c in Enumerable.Range(0, columns).OrderBy(_ => random.Next()).Take(r))
                w[r * columns + c] = (float)(random.NextDouble() * 2 - 1);
        var x = Random(batches * columns, 78);
        var expected = Reference(w, x, null, rows, columns, 1, batches);
        var (starts, gaps, values) = SparseRowsFormat.Encode(w, rows, columns, (r, c) => (long)r * columns + c);
        foreach (var width in Widths())
        {
            var y = Enumerable.Repeat(float.NaN, expected.Length).ToArray();
            SparseRows.Multiply(x, starts, gaps, values, default, default, y, rows, columns, 1, batches, Epilogue.None, 1, width);
            AssertClose(expected, y, $"rows of 0..69 entries at {width}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_a_scalar_reference_at_every_width(int rows, int columns, int pixels, int batches, double zeros, Pattern pattern)
    {
        var w = Pruned(rows, columns, zeros, pattern, rows * 7 + columns);
        var x = Random(batches * columns * pixels, 5);
        var bias = Random(rows, 6);
        var expected = Reference(w, x, bias, rows, columns, pixels, batches);
        var (starts, gaps, values) = SparseRowsFormat.Encode(w, rows, columns, (r, c) => (long)r * columns + c);
        Assert.Equal(SparseRowsFormat.Entries(w, rows, columns, (r, c) => (long)r * columns + c), values.Length);
        Assert.True(values.Length >= w.Count(v => v != 0), "every non-zero is stored");
        string what = $"{rows}x{columns}, {pixels} pixels, {batches} batches, {zeros:P0} zeros {pattern}";
        foreach (var width in Widths())
        {
            var y = Enumerable.Repeat(float.NaN, expected.Length).ToArray();
            SparseRows.Multiply(x, starts, gaps, values, bias, default, y, rows, columns, pixels, batches, Epilogue.None, 1, width);
            AssertClose(expected, y, $"{what} at {width}");
            var threaded = new float[expected.Length];
            SparseRows.Multiply(x, starts, gaps, values, bias, default, threaded, rows, columns, pixels, batches, Epilogue.None, 3, width);
            Assert.True(y.AsSpan().SequenceEqual(threaded), $"{what} at {width}: 3 threads differ from 1");
        }
    }

    [Fact]
    public void Gaps_past_255_are_bridged_with_zero_entries()
    {
        var w = new float[600];
        w[0] = 1; w[300] = 2; w[599] = 3;
        var (starts, gaps, values) = SparseRowsFormat.Encode(w, 1, 600, (r, c) => c);
        // Columns 0, 300, 599: 0; 255 (bridge) + 45; 255 (bridge) + 44.
        Assert.Equal(new[] { 0, 5 }, starts);
        Assert.Equal(new byte[] { 0, 255, 45, 255, 44 }, gaps);
        Assert.Equal(new[] { 1f, 0f, 2f, 0f, 3f }, values);
        Assert.Equal(5, SparseRowsFormat.Entries(w, 1, 600, (r, c) => c));
    }

    /// <summary>
    /// Weights stored as their non-zeros (one row of the format, <c>DecodedWeights.Unsparse</c>) expand to the tensor
    /// they came from: random zeros, zero runs past 255 (bridged), zeros at both ends; gaps past the length throw.
    /// </summary>
    [Fact]
    public void Unsparse_restores_the_encoded_tensor()
    {
        var random = new Random(5);
        var w = new float[3000];
        for (int i = 0; i < w.Length; i++)
            if (i is > 10 and < 2990 && (i < 600 || i > 1400) && random.NextDouble() < 0.15) w[i] = (float)(random.NextDouble() * 2 - 1);
        var (starts, gaps, values) = SparseRowsFormat.Encode(w, 1, w.Length, (_, c) => c);
        Assert.Contains((byte)255, gaps); // the run of zeros from 600 to 1400 is bridged
        Assert.Equal(values.Length, starts[1]);
        Assert.Equal(w, DecodedWeights.Unsparse(gaps, values, w.Length));
        Assert.Equal(new float[7], DecodedWeights.Unsparse(Array.Empty<byte>(), Array.Empty<float>(), 7));
        Assert.Throws<ArgumentException>(() => DecodedWeights.Unsparse(gaps, values, w.Length - 20));
        Assert.Throws<ArgumentException>(() => DecodedWeights.Unsparse(gaps.AsSpan(1), values, w.Length));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(37)]
    public void The_epilogue_matches_separate_layers(int pixels)
    {
        int rows = 12, columns = 40, batches = 2;
        var w = Pruned(rows, columns, 0.8, Pattern.Random, 41);
        var x = Random(batches * columns * pixels, 42);
        var residual = Random(batches * rows * pixels, 43);
        var product = Reference(w, x, null, rows, columns, pixels, batches);
        var (starts, gaps, values) = SparseRowsFormat.Encode(w, rows, columns, (r, c) => (long)r * columns + c);
        foreach (var (epilogue, withResidual, reference) in EpilogueTests.Cases())
        {
            var expected = product.Select((v, i) => reference(v, withResidual ? residual[i] : 0f)).ToArray();
            foreach (var width in Widths())
            {
                var y = new float[expected.Length];
                SparseRows.Multiply(x, starts, gaps, values, default, withResidual ? residual : default, y, rows, columns, pixels, batches, epilogue, 1, width);
                AssertClose(expected, y, $"{epilogue.BeforeAdd.Kind}/{epilogue.AfterAdd.Kind}{(withResidual ? " + residual" : "")}, {pixels} pixels at {width}");
            }
        }
    }

    [Fact]
    public void Wrong_lengths_throw_ArgumentException()
    {
        var w = Pruned(4, 10, 0.5, Pattern.Random, 1);
        var (starts, gaps, values) = SparseRowsFormat.Encode(w, 4, 10, (r, c) => (long)r * 10 + c);
        var x = new float[10 * 3];
        var y = new float[4 * 3];
        Assert.Throws<ArgumentException>(() => SparseRows.Multiply(x.AsSpan(1), starts, gaps, values, default, default, y, 4, 10, 3, 1, Epilogue.None));
        Assert.Throws<ArgumentException>(() => SparseRows.Multiply(x, starts, gaps, values, default, default, y.AsSpan(1), 4, 10, 3, 1, Epilogue.None));
        Assert.Throws<ArgumentException>(() => SparseRows.Multiply(x, starts.AsSpan(1), gaps, values, default, default, y, 3, 10, 3, 1, Epilogue.None));
        Assert.Throws<ArgumentException>(() => SparseRows.Multiply(x, starts, gaps.AsSpan(1), values, default, default, y, 4, 10, 3, 1, Epilogue.None));
    }
}
