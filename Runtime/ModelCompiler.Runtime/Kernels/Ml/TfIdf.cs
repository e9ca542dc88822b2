using System;
using System.ComponentModel;
using System.Numerics;

namespace ModelCompiler.Runtime;

/// <summary>
/// TfIdfVectorizer on integer tokens: counts the pool's n-grams (with skips) in each row of x and weights them.
/// The pool is a trie built at build time: node i has <c>trie[3i]</c> = its first child in
/// <c>childKeys</c>/<c>childNodes</c> (keys ascending), <c>trie[3i + 1]</c> = its child count, <c>trie[3i + 2]</c> =
/// the output index of the n-gram ending there or -1; node 0 is the root.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class TfIdf
{
    /// <summary>
    /// y [rows, outputSize]: for each skip distance 1..maxSkip+1 and each start, walks the trie along x[start],
    /// x[start + skip], ... counting every n-gram of length minGram..maxGram found (unigrams only at the first skip
    /// distance). mode 0 (TF): counts; 1 (IDF): weight (or 1) where the count is positive; 2 (TFIDF): weight * count
    /// (or the count). An empty <paramref name="weights"/> means no weights.
    /// </summary>
    public static void Vectorize<T>(ReadOnlySpan<T> x, Span<float> y, ReadOnlySpan<int> trie, ReadOnlySpan<long> childKeys, ReadOnlySpan<int> childNodes,
        ReadOnlySpan<float> weights, int rows, int cols, int outputSize, int minGram, int maxGram, int maxSkip, int mode) where T : IBinaryInteger<T>
    {
        y.Slice(0, rows * outputSize).Clear();
        for (int r = 0; r < rows; r++)
        {
            var row = x.Slice(r * cols, cols);
            var counts = y.Slice(r * outputSize, outputSize);
            int startSize = minGram;
            for (int skip = 1; skip <= maxSkip + 1; skip++)
            {
                for (int start = 0; start < cols; start++)
                {
                    if (start + skip * (startSize - 1) >= cols) break;
                    int node = 0;
                    for (int size = 1, item = start; trie[3 * node + 1] > 0 && size <= maxGram && item < cols; size++, item += skip)
                    {
                        int child = Find(trie, childKeys, childNodes, node, long.CreateTruncating(row[item]));
                        if (child < 0) break;
                        int index = trie[3 * child + 2];
                        if (size >= startSize && index >= 0) counts[index] += 1;
                        node = child;
                    }
                }
                if (startSize == 1)
                {
                    startSize = 2;
                    if (startSize > maxGram) break;
                }
            }
            for (int i = 0; i < outputSize; i++)
            {
                float f = counts[i];
                bool weighted = weights.Length > 0;
                counts[i] = mode switch
                {
                    1 => f > 0 ? (weighted ? weights[i] : 1f) : 0f,
                    2 => weighted ? weights[i] * f : f,
                    _ => f,
                };
            }
        }
    }

    private static int Find(ReadOnlySpan<int> trie, ReadOnlySpan<long> childKeys, ReadOnlySpan<int> childNodes, int node, long key)
    {
        int first = trie[3 * node];
        int at = childKeys.Slice(first, trie[3 * node + 1]).BinarySearch(key);
        return at < 0 ? -1 : childNodes[first + at];
    }
}
