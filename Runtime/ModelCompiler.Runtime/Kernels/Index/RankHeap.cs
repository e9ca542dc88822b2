using System;

namespace ModelCompiler.Runtime;

/// <summary>Which of two candidates (positions) belongs nearer the root of a <see cref="RankHeap"/>.</summary>
internal interface IHeapOrder
{
    bool Above(int a, int b);
}

/// <summary>
/// A binary heap of candidate positions kept in caller-provided memory, ordered by an <see cref="IHeapOrder"/>
/// that may read spans (a ref struct). TopK keeps its k best with the worst on top; NonMaxSuppression pops the
/// best box first. No allocation, O(log n) per operation.
/// </summary>
internal static class RankHeap
{
    public static void Push<TOrder>(Span<int> heap, ref int count, int item, ref TOrder order) where TOrder : IHeapOrder, allows ref struct
    {
        int i = count++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (!order.Above(item, heap[parent])) break;
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = item;
    }

    /// <summary>Replaces the root with <paramref name="item"/> and restores the order.</summary>
    public static void ReplaceTop<TOrder>(Span<int> heap, int count, int item, ref TOrder order) where TOrder : IHeapOrder, allows ref struct
    {
        int i = 0;
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= count) break;
            if (child + 1 < count && order.Above(heap[child + 1], heap[child])) child++;
            if (!order.Above(heap[child], item)) break;
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = item;
    }

    /// <summary>Removes and returns the root.</summary>
    public static int Pop<TOrder>(Span<int> heap, ref int count, ref TOrder order) where TOrder : IHeapOrder, allows ref struct
    {
        int top = heap[0];
        int last = heap[--count];
        if (count > 0) ReplaceTop(heap, count, last, ref order);
        return top;
    }

    /// <summary>Orders the first <paramref name="count"/> entries into a heap (Floyd's method, O(n)).</summary>
    public static void Build<TOrder>(Span<int> heap, int count, ref TOrder order) where TOrder : IHeapOrder, allows ref struct
    {
        for (int i = count / 2 - 1; i >= 0; i--)
        {
            int item = heap[i], j = i;
            while (true)
            {
                int child = 2 * j + 1;
                if (child >= count) break;
                if (child + 1 < count && order.Above(heap[child + 1], heap[child])) child++;
                if (!order.Above(heap[child], item)) break;
                heap[j] = heap[child];
                j = child;
            }
            heap[j] = item;
        }
    }
}
