using System;
using System.ComponentModel;

namespace ModelCompiler.Runtime;

/// <summary>
/// Trilu (opset 14) on any element type: keeps the lower (or upper) triangle of each [rows, cols] matrix of the
/// last two axes and zeroes the rest. Diagonal k: lower keeps j &lt;= i + k, upper keeps j &gt;= i + k.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Trilu
{
    /// <summary>y = the kept triangle of x, zeros elsewhere, for each of <paramref name="matrices"/> matrices.</summary>
    public static void Run<T>(ReadOnlySpan<T> x, Span<T> y, int matrices, int rows, int cols, long k, bool upper) where T : unmanaged
    {
        long n = (long)matrices * rows * cols;
        if (x.Length < n || y.Length < n) throw new ArgumentException($"X and Y need {n} elements.", x.Length < n ? nameof(x) : nameof(y));
        for (int m = 0; m < matrices; m++)
        {
            for (int i = 0; i < rows; i++)
            {
                int at = (m * rows + i) * cols;
                // Columns [0, split) and [split, cols): lower keeps the first part, upper the second.
                long edge = upper ? i + k : i + k + 1;
                int split = (int)Math.Clamp(edge, 0, cols);
                ReadOnlySpan<T> xr = x.Slice(at, cols);
                Span<T> yr = y.Slice(at, cols);
                if (upper)
                {
                    yr.Slice(0, split).Clear();
                    xr.Slice(split).CopyTo(yr.Slice(split));
                }
                else
                {
                    xr.Slice(0, split).CopyTo(yr.Slice(0, split));
                    yr.Slice(split).Clear();
                }
            }
        }
    }
}
