using System;
using System.ComponentModel;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace ModelCompiler.Runtime;

/// <summary>
/// The static geometry of one ONNX Attention layer. Q, K, V and Y are either 4-D [batch, heads, sequence, head]
/// or 3-D [batch, sequence, heads * head] (<see cref="PackedHeads"/>); past and present key/value caches are
/// always 4-D. <see cref="TotalLength"/> = past + kv.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct AttentionShape
{
    /// <summary>The sizes of one layer; <paramref name="packedHeads"/> for 3-D Q/K/V/Y.</summary>
    public AttentionShape(int batch, int qHeads, int kvHeads, int qLength, int kvLength, int pastLength, int headSize, int valueHeadSize, bool packedHeads)
    {
        if (batch < 0 || qHeads <= 0 || kvHeads <= 0 || qLength < 0 || kvLength < 0 || pastLength < 0 || headSize <= 0 || valueHeadSize < 0)
            throw new ArgumentException("Attention sizes must not be negative and head counts and head size must be positive.");
        if (qHeads % kvHeads != 0) throw new ArgumentException($"{qHeads} query heads do not divide into {kvHeads} key/value heads.");
        Batch = batch; QHeads = qHeads; KvHeads = kvHeads; QLength = qLength; KvLength = kvLength; PastLength = pastLength;
        HeadSize = headSize; ValueHeadSize = valueHeadSize; PackedHeads = packedHeads;
    }

    /// <summary>Batch size.</summary>
    public int Batch { get; }
    /// <summary>Query heads.</summary>
    public int QHeads { get; }
    /// <summary>Key/value heads (query heads are a whole multiple: grouped-query attention).</summary>
    public int KvHeads { get; }
    /// <summary>Query sequence length.</summary>
    public int QLength { get; }
    /// <summary>Key/value sequence length of K and V (without the past).</summary>
    public int KvLength { get; }
    /// <summary>Past key/value cache length (0 without a cache).</summary>
    public int PastLength { get; }
    /// <summary>Query/key head size.</summary>
    public int HeadSize { get; }
    /// <summary>Value head size.</summary>
    public int ValueHeadSize { get; }
    /// <summary>Q, K, V and Y are 3-D [batch, sequence, heads * head] rather than 4-D.</summary>
    public bool PackedHeads { get; }
    /// <summary>Keys attended: past + kv.</summary>
    public int TotalLength => PastLength + KvLength;
}

/// <summary>
/// What an Attention layer adds to Q·K^T: the scale, softcap, causal masking, the qk_matmul_output mode and how
/// the attention mask broadcasts. The mask is read as rows of <see cref="MaskLength"/> values (shorter than the
/// total length means the rest is masked), the row for (batch, head, query) starting at
/// batch * <see cref="MaskBatchStride"/> + head * <see cref="MaskHeadStride"/> + query * <see cref="MaskRowStride"/>
/// (a stride of 0 broadcasts).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct AttentionOptions
{
    /// <summary>The options of one layer (see the properties).</summary>
    public AttentionOptions(float scale, float softcap, bool causal, int qkMode, int maskLength, int maskBatchStride, int maskHeadStride, int maskRowStride)
    {
        if (qkMode is < 0 or > 3) throw new ArgumentException("qk_matmul_output_mode must be 0, 1, 2 or 3.", nameof(qkMode));
        Scale = scale; Softcap = softcap; Causal = causal; QkMode = qkMode;
        MaskLength = maskLength; MaskBatchStride = maskBatchStride; MaskHeadStride = maskHeadStride; MaskRowStride = maskRowStride;
    }

    /// <summary>Factor applied to Q·K^T.</summary>
    public float Scale { get; }
    /// <summary>softcap * tanh(scores / softcap) when positive; 0 leaves the scores alone.</summary>
    public float Softcap { get; }
    /// <summary>Query i attends key j only when j &lt;= i + offset.</summary>
    public bool Causal { get; }
    /// <summary>What qk_matmul_output holds: 0 or 1 the (softcapped) scores, 2 with the mask added, 3 the probabilities.</summary>
    public int QkMode { get; }
    /// <summary>Values per mask row.</summary>
    public int MaskLength { get; }
    /// <summary>Mask elements between batches (0: broadcast).</summary>
    public int MaskBatchStride { get; }
    /// <summary>Mask elements between heads (0: broadcast).</summary>
    public int MaskHeadStride { get; }
    /// <summary>Mask elements between query rows (0: broadcast).</summary>
    public int MaskRowStride { get; }
}

/// <summary>
/// ONNX Attention (opset 23, 24): scaled dot-product attention with grouped key/value heads, an additive float
/// or boolean mask, causal masking aligned bottom-right (offset = past length, or nonpad_kv_seqlen - q length
/// per batch), a softcap, past/present key-value caches and the optional qk_matmul_output. A query row whose
/// mask leaves no key produces zeros, not NaN (the opset 24 errata, applied to both versions as ONNX's tests do).
/// </summary>
/// <remarks>
/// Per key/value head, K is transposed once into scratch ([head][keys], rows padded to whole
/// <see cref="AttentionScratch.KeyBlock"/>s; the memory plan gives the layer that scratch), so a query row's
/// scores are head-size broadcast multiply-adds over contiguous keys (accumulated in registers), the softmax runs
/// over the padded row with a float32 exp (<see cref="FastMath.Exp{TV}"/>; padding keys get bias -inf, so 0), and
/// the output is one multiply-add of each value row per key: no horizontal sums but one per row. A row's bias is
/// built once and reused while its mask row and causal frontier stay the same (a [batch, 1, 1, keys] mask: once
/// per batch). The softcap's tanh uses TensorPrimitives.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
[SkipLocalsInit]
public static unsafe class Attention
{
    /// <summary>
    /// Y (and the optional present caches and qk_matmul_output, each skipped when empty) from Q, K, V; the float or boolean
    /// mask, past caches and nonpad_kv_seqlen may be empty. <paramref name="scratch"/>: at least
    /// <c>AttentionScratch.Bytes(total keys, head size)</c> bytes, contents undefined on entry (the memory plan's region for the layer).
    /// </summary>
    public static void Run(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        ReadOnlySpan<float> mask, ReadOnlySpan<bool> boolMask, ReadOnlySpan<float> pastKey, ReadOnlySpan<float> pastValue, ReadOnlySpan<long> nonPadKvLength,
        Span<float> y, Span<float> presentKey, Span<float> presentValue, Span<float> qk, in AttentionShape shape, in AttentionOptions options, Span<byte> scratch) =>
        Run(q, k, v, mask, boolMask, pastKey, pastValue, nonPadKvLength, y, presentKey, presentValue, qk, shape, options, scratch, VectorWidth.Auto);

    internal static void Run(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        ReadOnlySpan<float> mask, ReadOnlySpan<bool> boolMask, ReadOnlySpan<float> pastKey, ReadOnlySpan<float> pastValue, ReadOnlySpan<long> nonPadKvLength,
        Span<float> y, Span<float> presentKey, Span<float> presentValue, Span<float> qk, in AttentionShape shape, in AttentionOptions options, Span<byte> scratch,
        VectorWidth width)
    {
        var s = shape;
        var o = options;
        Need(q, (long)s.Batch * s.QHeads * s.QLength * s.HeadSize, nameof(q));
        Need(k, (long)s.Batch * s.KvHeads * s.KvLength * s.HeadSize, nameof(k));
        Need(v, (long)s.Batch * s.KvHeads * s.KvLength * s.ValueHeadSize, nameof(v));
        Need(y, (long)s.Batch * s.QHeads * s.QLength * s.ValueHeadSize, nameof(y));
        if (s.PastLength > 0)
        {
            Need(pastKey, (long)s.Batch * s.KvHeads * s.PastLength * s.HeadSize, nameof(pastKey));
            Need(pastValue, (long)s.Batch * s.KvHeads * s.PastLength * s.ValueHeadSize, nameof(pastValue));
        }
        if (!presentKey.IsEmpty) Need(presentKey, (long)s.Batch * s.KvHeads * s.TotalLength * s.HeadSize, nameof(presentKey));
        if (!presentValue.IsEmpty) Need(presentValue, (long)s.Batch * s.KvHeads * s.TotalLength * s.ValueHeadSize, nameof(presentValue));
        if (!qk.IsEmpty) Need(qk, (long)s.Batch * s.QHeads * s.QLength * s.TotalLength, nameof(qk));
        if (!nonPadKvLength.IsEmpty) Need(nonPadKvLength, s.Batch, nameof(nonPadKvLength));
        if (!mask.IsEmpty && !boolMask.IsEmpty) throw new ArgumentException("Pass a float mask or a boolean mask, not both.", nameof(boolMask));
        bool hasMask = !mask.IsEmpty || !boolMask.IsEmpty;
        if (hasMask)
        {
            if (o.MaskLength <= 0 || o.MaskLength > s.TotalLength) throw new ArgumentException($"A mask row of {o.MaskLength} does not fit {s.TotalLength} keys.", nameof(options));
            long last = (long)Math.Max(0, s.Batch - 1) * o.MaskBatchStride + (long)Math.Max(0, s.QHeads - 1) * o.MaskHeadStride
                + (long)Math.Max(0, s.QLength - 1) * o.MaskRowStride + o.MaskLength;
            if (!mask.IsEmpty) Need(mask, last, nameof(mask));
            else Need(boolMask, last, nameof(boolMask));
        }
        Need(scratch, AttentionScratch.Bytes(s.TotalLength, s.HeadSize), nameof(scratch));
        if (s.Batch == 0 || s.QLength == 0 || s.ValueHeadSize == 0) return;

        fixed (float* pq = q, pk = k, pv = v, pm = mask, ppk = pastKey, ppv = pastValue, py = y, pyk = presentKey, pyv = presentValue, pqk = qk)
        fixed (bool* pbm = boolMask)
        fixed (long* pn = nonPadKvLength)
        fixed (byte* ps = scratch)
        {
            var a = new Args
            {
                Q = pq, K = pk, V = pv, Mask = mask.IsEmpty ? null : pm, BoolMask = boolMask.IsEmpty ? null : pbm,
                PastKey = ppk, PastValue = ppv, NonPad = nonPadKvLength.IsEmpty ? null : pn,
                Y = py, PresentKey = presentKey.IsEmpty ? null : pyk, PresentValue = presentValue.IsEmpty ? null : pyv, Qk = qk.IsEmpty ? null : pqk,
                Scratch = (float*)ps, Padded = AttentionScratch.PaddedKeys(s.TotalLength), Shape = s, Options = o,
            };
            MathLevel.Run<Heads, Args>(width, a);
        }
    }

    private static void Need<T>(ReadOnlySpan<T> span, long length, string name)
    {
        if (span.Length < length) throw new ArgumentException($"{name} has {span.Length} elements; the attention shape needs {length}.", name);
    }

    private static void Need<T>(Span<T> span, long length, string name) => Need((ReadOnlySpan<T>)span, length, name);

    private struct Args
    {
        public float* Q, K, V, Mask, PastKey, PastValue, Y, PresentKey, PresentValue, Qk, Scratch;
        public bool* BoolMask;
        public long* NonPad;
        public int Padded;
        public AttentionShape Shape;
        public AttentionOptions Options;
    }

    /// <summary>Every (batch, key/value head): keys transposed into scratch, then each query row of its query heads.</summary>
    private struct Heads : IMathKernel<Args>
    {
        public static void Run<TV>(in Args a) where TV : unmanaged, IMathVec<TV>
        {
            var s = a.Shape;
            var o = a.Options;
            int d = s.HeadSize, dv = s.ValueHeadSize, total = s.TotalLength, past = s.PastLength, padded = a.Padded;
            int group = s.QHeads / s.KvHeads;
            float* keysT = a.Scratch, scores = keysT + (long)d * padded, bias = scores + padded;
            float** values = (float**)(bias + padded);
            bool anyMask = a.Mask is not null || a.BoolMask is not null;
            for (int b = 0; b < s.Batch; b++)
            {
                long valid = a.NonPad is null ? total : a.NonPad[b];
                // Bottom-right causal alignment: the keys that precede this query block.
                long offset = past > 0 ? past : a.NonPad is not null ? valid - s.QLength : 0;
                // A query row's bias depends only on its mask row and causal frontier: rebuilt when either changes.
                long lastMaskRow = -1, lastFrontier = -1;
                bool masked = false;
                for (int kvh = 0; kvh < s.KvHeads; kvh++)
                {
                    TransposeKeys(a, s, b, kvh, keysT, padded);
                    CopyPresent(a, s, b, kvh);
                    for (int j = 0; j < total; j++) values[j] = ValueRow(a, s, b, kvh, j);
                    for (int r = 0; r < group; r++)
                    {
                        int h = kvh * group + r;
                        for (int i = 0; i < s.QLength; i++)
                        {
                            long maskRow = anyMask ? (long)b * o.MaskBatchStride + (long)h * o.MaskHeadStride + (long)i * o.MaskRowStride : 0;
                            long frontier = o.Causal ? Math.Clamp(i + offset + 1, 0, total) : total; // keys [frontier, total) are after the query
                            if (maskRow != lastMaskRow || frontier != lastFrontier)
                            {
                                masked = Bias(a, s, o, maskRow, frontier, valid, bias, padded);
                                lastMaskRow = maskRow;
                                lastFrontier = frontier;
                            }
                            Scores<TV>(a.Q + QOffset(s, b, h, i, d), keysT, scores, d, padded, o.Scale);
                            var row = new Span<float>(scores, total);
                            if (o.Softcap > 0)
                            {
                                TensorPrimitives.Multiply(row, 1f / o.Softcap, row);
                                TensorPrimitives.Tanh(row, row);
                                TensorPrimitives.Multiply(row, o.Softcap, row);
                            }
                            float* qkRow = a.Qk is null ? null : a.Qk + (((long)b * s.QHeads + h) * s.QLength + i) * total;
                            if (qkRow is not null && o.QkMode <= 1) row.CopyTo(new Span<float>(qkRow, total));
                            if (qkRow is not null && o.QkMode == 2) TensorPrimitives.Add(row, new ReadOnlySpan<float>(bias, total), new Span<float>(qkRow, total));
                            float* yRow = a.Y + YOffset(s, b, h, i, dv);
                            float sum = masked ? 0f : Exponentials<TV>(scores, bias, padded);
                            if (!(sum > 0) && !float.IsNaN(sum))
                            {
                                // Every key masked (or every score -inf): zero probabilities, zero output.
                                new Span<float>(yRow, dv).Clear();
                                if (qkRow is not null && o.QkMode == 3) new Span<float>(qkRow, total).Clear();
                                continue;
                            }
                            float inverse = 1f / sum;
                            if (qkRow is not null && o.QkMode == 3) TensorPrimitives.Multiply(row, inverse, new Span<float>(qkRow, total));
                            Weighted<TV>(scores, values, total, yRow, dv, inverse);
                        }
                    }
                }
            }
        }
    }

    /// <summary>scores[0..padded) = scale * Σ_c q[c] keysT[c][..]: broadcast multiply-adds along contiguous keys.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scores<TV>(float* q, float* keysT, float* scores, int d, int padded, float scale) where TV : unmanaged, IMathVec<TV>
    {
        // Four independent accumulators, so the multiply-adds of a short head overlap instead of waiting on each other.
        for (int j = 0; j < padded; j += TV.Count)
        {
            TV a0 = TV.Splat(0f), a1 = a0, a2 = a0, a3 = a0;
            float* k = keysT + j;
            int c = 0;
            for (; c <= d - 4; c += 4, k += 4L * padded)
            {
                a0 = TV.MultiplyAdd(TV.Splat(q[c]), TV.Load(k), a0);
                a1 = TV.MultiplyAdd(TV.Splat(q[c + 1]), TV.Load(k + padded), a1);
                a2 = TV.MultiplyAdd(TV.Splat(q[c + 2]), TV.Load(k + 2L * padded), a2);
                a3 = TV.MultiplyAdd(TV.Splat(q[c + 3]), TV.Load(k + 3L * padded), a3);
            }
            for (; c < d; c++, k += padded) a0 = TV.MultiplyAdd(TV.Splat(q[c]), TV.Load(k), a0);
            TV.Store(scores + j, TV.Multiply(TV.Add(TV.Add(a0, a1), TV.Add(a2, a3)), TV.Splat(scale)));
        }
    }

    /// <summary>
    /// scores[j] = exp(scores[j] + bias[j] - max) over the padded row (masked and padding keys have bias -inf, so 0);
    /// returns the sum: 0 when the maximum is -inf, NaN when a score is NaN.
    /// </summary>
    private static float Exponentials<TV>(float* scores, float* bias, int padded) where TV : unmanaged, IMathVec<TV>
    {
        TV max = TV.Splat(float.NegativeInfinity);
        for (int j = 0; j < padded; j += TV.Count)
        {
            TV w = TV.Add(TV.Load(scores + j), TV.Load(bias + j));
            TV.Store(scores + j, w);
            max = TV.Max(max, w);
        }
        float m = TV.MaxAcross(max);
        if (float.IsNegativeInfinity(m)) return 0;
        TV sum = TV.Splat(0f), shift = TV.Splat(m);
        for (int j = 0; j < padded; j += TV.Count)
        {
            TV e = FastMath.Exp(TV.Subtract(TV.Load(scores + j), shift));
            TV.Store(scores + j, e);
            sum = TV.Add(sum, e);
        }
        return float.IsNaN(m) ? float.NaN : TV.SumAcross(sum);
    }

    /// <summary>y = scale * Σ_j weights[j] * values[j][..]: each output vector accumulated in a register over all keys.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Weighted<TV>(float* weights, float** values, int keys, float* y, int n, float scale) where TV : unmanaged, IMathVec<TV>
    {
        int e = 0;
        for (; e <= n - TV.Count; e += TV.Count)
        {
            TV a0 = TV.Splat(0f), a1 = a0, a2 = a0, a3 = a0;
            int j = 0;
            for (; j <= keys - 4; j += 4)
            {
                a0 = TV.MultiplyAdd(TV.Splat(weights[j]), TV.Load(values[j] + e), a0);
                a1 = TV.MultiplyAdd(TV.Splat(weights[j + 1]), TV.Load(values[j + 1] + e), a1);
                a2 = TV.MultiplyAdd(TV.Splat(weights[j + 2]), TV.Load(values[j + 2] + e), a2);
                a3 = TV.MultiplyAdd(TV.Splat(weights[j + 3]), TV.Load(values[j + 3] + e), a3);
            }
            for (; j < keys; j++) a0 = TV.MultiplyAdd(TV.Splat(weights[j]), TV.Load(values[j] + e), a0);
            TV.Store(y + e, TV.Multiply(TV.Add(TV.Add(a0, a1), TV.Add(a2, a3)), TV.Splat(scale)));
        }
        for (; e < n; e++)
        {
            float acc = 0;
            for (int j = 0; j < keys; j++) acc += weights[j] * values[j][e];
            y[e] = acc * scale;
        }
    }

    /// <summary>
    /// The additive bias of a query row into bias[0..padded): the mask row (-inf past its length), -inf from the causal
    /// frontier on and from nonpad_kv_seqlen on, -inf for the padding keys. True when every real key is masked.
    /// </summary>
    private static bool Bias(in Args a, in AttentionShape s, in AttentionOptions o, long maskRow, long frontier, long valid, float* bias, int padded)
    {
        int total = s.TotalLength, filled = total;
        if (a.Mask is not null)
        {
            new ReadOnlySpan<float>(a.Mask + maskRow, o.MaskLength).CopyTo(new Span<float>(bias, o.MaskLength));
            filled = o.MaskLength;
        }
        else if (a.BoolMask is not null)
        {
            for (int j = 0; j < o.MaskLength; j++) bias[j] = a.BoolMask[maskRow + j] ? 0f : float.NegativeInfinity;
            filled = o.MaskLength;
        }
        else
        {
            new Span<float>(bias, total).Clear();
        }
        new Span<float>(bias + filled, padded - filled).Fill(float.NegativeInfinity);
        // Keys from the causal frontier on and from nonpad_kv_seqlen on are masked (added, so a float mask's +inf gives NaN as written).
        long first = Math.Max(0, Math.Min(frontier, valid));
        for (long j = first; j < total; j++) bias[j] += float.NegativeInfinity;
        float max = float.NegativeInfinity;
        for (int j = 0; j < total; j++) max = MathF.Max(max, bias[j]);
        return float.IsNegativeInfinity(max);
    }

    private static long QOffset(in AttentionShape s, int b, int h, int i, int d) =>
        (s.PackedHeads ? ((long)b * s.QLength + i) * s.QHeads + h : ((long)b * s.QHeads + h) * s.QLength + i) * d;

    private static long YOffset(in AttentionShape s, int b, int h, int i, int dv) => QOffset(s, b, h, i, dv);

    /// <summary>Key j (0 &lt;= j &lt; total) of a key/value head: from the past cache, then from K.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float* KeyRow(in Args a, in AttentionShape s, int b, int kvh, int j)
    {
        int d = s.HeadSize;
        if (j < s.PastLength) return a.PastKey + (((long)b * s.KvHeads + kvh) * s.PastLength + j) * d;
        int jj = j - s.PastLength;
        return a.K + (s.PackedHeads ? ((long)b * s.KvLength + jj) * s.KvHeads + kvh : ((long)b * s.KvHeads + kvh) * s.KvLength + jj) * d;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float* ValueRow(in Args a, in AttentionShape s, int b, int kvh, int j)
    {
        int dv = s.ValueHeadSize;
        if (j < s.PastLength) return a.PastValue + (((long)b * s.KvHeads + kvh) * s.PastLength + j) * dv;
        int jj = j - s.PastLength;
        return a.V + (s.PackedHeads ? ((long)b * s.KvLength + jj) * s.KvHeads + kvh : ((long)b * s.KvHeads + kvh) * s.KvLength + jj) * dv;
    }

    /// <summary>keysT[c * padded + j] = key j's element c, zero for the padding keys.</summary>
    private static void TransposeKeys(in Args a, in AttentionShape s, int b, int kvh, float* keysT, int padded)
    {
        int d = s.HeadSize, total = s.TotalLength;
        for (int j = 0; j < total; j++)
        {
            float* key = KeyRow(a, s, b, kvh, j);
            for (int c = 0; c < d; c++) keysT[(long)c * padded + j] = key[c];
        }
        if (padded > total)
            for (int c = 0; c < d; c++) new Span<float>(keysT + (long)c * padded + total, padded - total).Clear();
    }

    /// <summary>present_key / present_value = the past cache followed by K / V, as [batch, kv heads, total, head].</summary>
    private static void CopyPresent(in Args a, in AttentionShape s, int b, int kvh)
    {
        int total = s.TotalLength;
        long head = (long)b * s.KvHeads + kvh;
        if (a.PresentKey is not null)
            for (int j = 0; j < total; j++)
                new ReadOnlySpan<float>(KeyRow(a, s, b, kvh, j), s.HeadSize).CopyTo(new Span<float>(a.PresentKey + (head * total + j) * s.HeadSize, s.HeadSize));
        if (a.PresentValue is not null)
            for (int j = 0; j < total; j++)
                new ReadOnlySpan<float>(ValueRow(a, s, b, kvh, j), s.ValueHeadSize).CopyTo(new Span<float>(a.PresentValue + (head * total + j) * s.ValueHeadSize, s.ValueHeadSize));
    }
}
