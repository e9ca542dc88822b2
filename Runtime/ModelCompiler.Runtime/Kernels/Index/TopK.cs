using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace ModelCompiler.Runtime;

/// <summary>
/// ONNX TopK over the middle axis of an [outer, n, inner] view: the k largest (or smallest) elements of every
/// row, sorted, with their int64 positions. Ties go to the lower position, as ONNX's reference and ONNX Runtime
/// order them; NaN ranks above every number (largest first) and below (smallest first), as numpy sorts it.
/// A heap of the k best so far, in per-thread scratch: O(n log k) per row, no allocation.
/// </summary>
public static partial class Indexing
{
    /// <summary>Writes values [outer, k, inner] and indices [outer, k, inner]; an empty span is an output the model leaves out.</summary>
    public static unsafe void TopK<T>(ReadOnlySpan<T> x, Span<T> values, Span<long> indices, int outer, int n, int inner, int k, bool largest)
        where T : INumber<T>
    {
        if (k == 0) return;
        var heap = new Span<int>(KernelScratch.Get(KernelScratch.LayerSlot, (long)k * sizeof(int)), k);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                var row = new Row<T>(x.Slice(o * n * inner + i, (n - 1) * inner + 1), inner, largest);
                int held = 0;
                for (int j = 0; j < n; j++)
                {
                    if (held < k) RankHeap.Push(heap, ref held, j, ref row);
                    else if (row.Before(j, heap[0])) RankHeap.ReplaceTop(heap, k, j, ref row);
                }
                // The root is the worst kept: popping fills the output from its end.
                int outBase = o * k * inner + i;
                for (int t = k - 1; t >= 0; t--)
                {
                    int j = RankHeap.Pop(heap, ref held, ref row);
                    if (!values.IsEmpty) values[outBase + t * inner] = row.Value(j);
                    if (!indices.IsEmpty) indices[outBase + t * inner] = j;
                }
            }
    }

    /// <summary>One row's ranking; the heap keeps the candidate that ranks last on top.</summary>
    private readonly ref struct Row<T> : IHeapOrder where T : INumber<T>
    {
        private readonly ReadOnlySpan<T> _x;
        private readonly int _stride;
        private readonly bool _largest;

        public Row(ReadOnlySpan<T> x, int stride, bool largest)
        {
            _x = x;
            _stride = stride;
            _largest = largest;
        }

        public T Value(int j) => _x[j * _stride];

        public bool Above(int a, int b) => Before(b, a);

        /// <summary>Whether position a comes before position b in the output.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Before(int a, int b)
        {
            T va = Value(a), vb = Value(b);
            bool aNaN = T.IsNaN(va), bNaN = T.IsNaN(vb);
            if (aNaN || bNaN)
            {
                if (aNaN && bNaN) return a < b;
                return aNaN == _largest; // NaN is the largest value
            }
            if (va == vb) return a < b;
            return _largest ? va > vb : va < vb;
        }
    }
}
