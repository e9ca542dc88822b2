using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Text;

/// <summary>
/// TfIdfVectorizer's integer n-gram pool as a flat trie for <c>TfIdf.Vectorize</c>. pool_int64s holds the 1-grams,
/// then the 2-grams..., ngram_counts[i] the start of the (i+1)-grams; the k-th n-gram of the pool (counting every
/// length) goes to output ngram_indexes[k]. Only lengths in [min, max] enter the trie. Per node three ints: first
/// child, child count (children sorted by key in ChildKeys/ChildNodes), output index or -1. Node 0 is the root.
/// </summary>
internal sealed class NgramTrie
{
    public int[] Nodes = new int[0];
    public long[] ChildKeys = new long[0];
    public int[] ChildNodes = new int[0];

    private sealed class Entry
    {
        public readonly SortedDictionary<long, Entry> Children = new();
        public int Output = -1;
    }

    public static NgramTrie Build(long[] pool, long[] counts, long[] indexes, int min, int max)
    {
        var root = new Entry();
        int id = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            int n = i + 1;
            long start = counts[i], end = i + 1 < counts.Length ? counts[i + 1] : pool.Length;
            if (start < 0 || end > pool.Length || end < start) throw new ModelError($"ngram_counts {Node.Describe(counts)} does not fit the pool of {pool.Length}");
            long grams = (end - start) / n;
            for (long g = 0; g < grams; g++, id++)
            {
                if (n < min || n > max) continue;
                if (id >= indexes.Length) throw new ModelError($"the pool has more n-grams than ngram_indexes ({indexes.Length}) lists");
                var e = root;
                for (int k = 0; k < n; k++)
                {
                    long key = pool[start + g * n + k];
                    if (!e.Children.TryGetValue(key, out var next)) e.Children.Add(key, next = new Entry());
                    e = next;
                }
                e.Output = (int)indexes[id];
            }
        }

        // Number the nodes breadth-first so each node's children are contiguous.
        var order = new List<Entry> { root };
        for (int i = 0; i < order.Count; i++) order.AddRange(order[i].Children.Values);
        var number = new Dictionary<Entry, int>();
        for (int i = 0; i < order.Count; i++) number[order[i]] = i;
        var trie = new NgramTrie { Nodes = new int[order.Count * 3] };
        var keys = new List<long>();
        var nodes = new List<int>();
        for (int i = 0; i < order.Count; i++)
        {
            trie.Nodes[3 * i] = keys.Count;
            trie.Nodes[3 * i + 1] = order[i].Children.Count;
            trie.Nodes[3 * i + 2] = order[i].Output;
            foreach (var child in order[i].Children)
            {
                keys.Add(child.Key);
                nodes.Add(number[child.Value]);
            }
        }
        trie.ChildKeys = keys.ToArray();
        trie.ChildNodes = nodes.ToArray();
        return trie;
    }
}
