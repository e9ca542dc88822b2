using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace ModelCompiler.Runtime;

/// <summary>
/// Detection post-processing: ONNX NonMaxSuppression (greedy, per batch entry and class) and RoiAlign.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class Detection
{
    /// <summary>
    /// ONNX NonMaxSuppression. boxes [batches, boxCount, 4] as [y1, x1, y2, x2] (corners in either order) or, with
    /// <paramref name="centerPointBox"/>, [x_center, y_center, width, height]; scores [batches, classes, boxCount].
    /// For every batch entry and class, boxes scoring above <paramref name="scoreThreshold"/> (when
    /// <paramref name="hasScoreThreshold"/>) are taken best first (ties: lower box index first) and kept unless their
    /// IoU with a box already kept exceeds <paramref name="iouThreshold"/>, up to <paramref name="maxPerClass"/>.
    /// Writes one [batch, class, box] row per kept box into <paramref name="selected"/> in that order, fills the
    /// remaining rows with -1 and returns how many rows it wrote. Arithmetic as ONNX Runtime's (float32).
    /// </summary>
    public static unsafe int NonMaxSuppression(ReadOnlySpan<float> boxes, ReadOnlySpan<float> scores, Span<long> selected,
        int batches, int classes, int boxCount, int maxPerClass, float iouThreshold, float scoreThreshold, bool hasScoreThreshold, bool centerPointBox)
    {
        int keepLimit = Math.Min(maxPerClass, boxCount);
        int rows = 0;
        if (keepLimit > 0 && boxCount > 0)
        {
            int* scratch = (int*)KernelScratch.Get(KernelScratch.LayerSlot, ((long)boxCount + keepLimit) * sizeof(int));
            var heap = new Span<int>(scratch, boxCount);
            var kept = new Span<int>(scratch + boxCount, keepLimit);
            for (int b = 0; b < batches; b++)
            {
                ReadOnlySpan<float> batchBoxes = boxes.Slice(b * boxCount * 4, boxCount * 4);
                for (int c = 0; c < classes; c++)
                {
                    var order = new BestScoreFirst(scores.Slice((b * classes + c) * boxCount, boxCount));
                    int candidates = 0;
                    for (int i = 0; i < boxCount; i++)
                        if (!hasScoreThreshold || order.Score(i) > scoreThreshold) heap[candidates++] = i;
                    RankHeap.Build(heap, candidates, ref order);
                    int keptCount = 0;
                    while (candidates > 0 && keptCount < keepLimit)
                    {
                        int box = RankHeap.Pop(heap, ref candidates, ref order);
                        bool suppressed = false;
                        for (int k = 0; k < keptCount && !suppressed; k++)
                            suppressed = SuppressByIou(batchBoxes, box, kept[k], centerPointBox, iouThreshold);
                        if (suppressed) continue;
                        kept[keptCount++] = box;
                        selected[rows * 3] = b;
                        selected[rows * 3 + 1] = c;
                        selected[rows * 3 + 2] = box;
                        rows++;
                    }
                }
            }
        }
        selected.Slice(rows * 3).Fill(-1);
        return rows;
    }

    private readonly ref struct BestScoreFirst : IHeapOrder
    {
        private readonly ReadOnlySpan<float> _scores;
        public BestScoreFirst(ReadOnlySpan<float> scores) => _scores = scores;
        public float Score(int i) => _scores[i];
        public bool Above(int a, int b) => _scores[a] > _scores[b] || (_scores[a] == _scores[b] && a < b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MinMax(float a, float b, out float min, out float max)
    {
        if (a >= b) { min = b; max = a; }
        else { min = a; max = b; }
    }

    /// <summary>Whether the IoU of boxes i and j exceeds the threshold (ONNX Runtime's SuppressByIOU).</summary>
    private static bool SuppressByIou(ReadOnlySpan<float> boxes, int i, int j, bool centerPointBox, float iouThreshold)
    {
        ReadOnlySpan<float> a = boxes.Slice(i * 4, 4), b = boxes.Slice(j * 4, 4);
        float ax0, ax1, ay0, ay1, bx0, bx1, by0, by1;
        if (!centerPointBox)
        {
            MinMax(a[1], a[3], out ax0, out ax1);
            MinMax(b[1], b[3], out bx0, out bx1);
            MinMax(a[0], a[2], out ay0, out ay1);
            MinMax(b[0], b[2], out by0, out by1);
        }
        else
        {
            float aw = a[2] / 2, ah = a[3] / 2, bw = b[2] / 2, bh = b[3] / 2;
            ax0 = a[0] - aw; ax1 = a[0] + aw; ay0 = a[1] - ah; ay1 = a[1] + ah;
            bx0 = b[0] - bw; bx1 = b[0] + bw; by0 = b[1] - bh; by1 = b[1] + bh;
        }
        float ix0 = Math.Max(ax0, bx0), ix1 = Math.Min(ax1, bx1);
        if (ix1 <= ix0) return false;
        float iy0 = Math.Max(ay0, by0), iy1 = Math.Min(ay1, by1);
        if (iy1 <= iy0) return false;
        float intersection = (ix1 - ix0) * (iy1 - iy0);
        if (intersection <= 0) return false;
        float areaA = (ax1 - ax0) * (ay1 - ay0), areaB = (bx1 - bx0) * (by1 - by0);
        float union = areaA + areaB - intersection;
        if (areaA <= 0 || areaB <= 0 || union <= 0) return false;
        return intersection / union > iouThreshold;
    }
}
