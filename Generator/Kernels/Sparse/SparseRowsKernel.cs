using System;
using ModelCompiler.Contract;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Kernels.Convolution;
using ModelCompiler.Kernels.MatrixProduct;
using ModelCompiler.Ops;
using ModelCompiler.Passes;

namespace ModelCompiler.Kernels.Sparse;

/// <summary>
/// Float 1x1 convolutions (stride 1, no padding, one group) and fully connected layers (Gemm/MatMul with a constant
/// B) whose weights are mostly exact zeros run as <see cref="SparseRowsKernel"/> when <see cref="SparseCostModel"/>
/// expects it to be faster; the others are left to the dense kernels. Weights the blob keeps compactly (float16,
/// quantized) stay with the dense kernels.
/// </summary>
internal sealed class SparseKernelProvider : IKernelProvider
{
    public int Priority => 150;

    public Kernel? TryCreate(OpContext c)
    {
        if (c.Node.OpType == "Conv")
        {
            if (FloatConv.TryShape(c) is not { } s || !IsPointwise(s) || c.Const(1) is not { Encoding: null } w) return null;
            int rows = s.OutChannels, columns = s.InChannels;
            var weights = w.ToFloats();
            Func<int, int, long> at = (r, col) => (long)r * columns + col;
            if (!Worth(weights, rows, columns, at, s.OutHeight * s.OutWidth, out long entries)) return null;
            float[]? bias = c.Has(2) ? c.Const(2)!.ToFloats() : null;
            return new SparseRowsKernel(c, SparseRowsFormat.Encode(weights, rows, columns, at), bias, rows, columns,
                pixels: s.OutHeight * s.OutWidth, batches: s.Batch, entries, s.Summary, s.Macs);
        }
        if (GemmOperands.TryMatch(c) is not { } g || c.Const(1) is not { Encoding: null } b) return null;
        {
            var weights = b.ToFloats();
            int k = g.K, n = g.N;
            Func<int, int, long> at = g.TransposedB ? (r, col) => (long)r * k + col : (r, col) => (long)col * n + r;
            if (!Worth(weights, n, k, at, pixels: 1, out long entries)) return null;
            return new SparseRowsKernel(c, SparseRowsFormat.Encode(weights, n, k, at, g.Alpha), g.Bias, n, k, pixels: 1, batches: g.M,
                entries, Ops.Nn.ConvOp.WithFusion(c, g.Summary), (long)g.M * n * k);
        }
    }

    private static bool IsPointwise(Ops.Nn.ConvShape s) =>
        s.Groups == 1 && s.KernelHeight == 1 && s.KernelWidth == 1 && s.StrideHeight == 1 && s.StrideWidth == 1
        && s.PadTop == 0 && s.PadLeft == 0 && s.OutHeight == s.InHeight && s.OutWidth == s.InWidth;

    private static bool Worth(float[] weights, int rows, int columns, Func<int, int, long> at, int pixels, out long entries)
    {
        long total = (long)rows * columns;
        entries = 0;
        if (total * pixels < SparseCostModel.MinimumMacs) return false;
        entries = SparseRowsFormat.Entries(weights, rows, columns, at);
        return SparseCostModel.PrefersSparse(entries, total, pixels);
    }
}

/// <summary>
/// y = epilogue(W x + bias) with only W's non-zero weights stored (values + one-byte column gaps, see
/// <see cref="SparseRowsFormat"/>) and multiplied: <c>SparseRows.Multiply</c>.
/// </summary>
internal sealed class SparseRowsKernel : Kernel
{
    /// <summary>Below this a layer runs on one thread whatever the Threads option says.</summary>
    public const long MinimumMacsPerThreadedLayer = 2_000_000;

    private readonly int _rows, _columns, _pixels, _batches, _threads;
    private readonly Tensor _rowStarts, _gaps, _values;
    private readonly Tensor? _bias;
    private readonly string _summary;
    private readonly long _macs, _stored;

    public SparseRowsKernel(OpContext c, (int[] RowStarts, byte[] Gaps, float[] Values) sparse, float[]? bias, int rows, int columns,
        int pixels, int batches, long entries, string summary, long macs) : base(c.Node)
    {
        _rows = rows;
        _columns = columns;
        _pixels = pixels;
        _batches = batches;
        _macs = macs;
        _stored = entries;
        long weights = (long)rows * columns;
        _threads = KernelText.Threads(c, entries * pixels * batches, MinimumMacsPerThreadedLayer);
        _rowStarts = Ints(sparse.RowStarts);
        _gaps = new Tensor(DataType.UInt8, new[] { sparse.Gaps.Length }, sparse.Gaps);
        _values = WeightPacking.ToTensor(sparse.Values);
        if (bias is not null) _bias = WeightPacking.ToTensor(bias);
        double zeros = 1 - (double)entries / weights;
        long bytes = SparseRowsFormat.Bytes(entries, rows);
        _summary = summary;
        Name = RuntimeApi.SparseRows.Multiply;
        Variant = FormattableString.Invariant($"sparse: {zeros:P1} zeros, {entries} of {weights} weights stored, {bytes} bytes (dense {weights * 4})");
        Layouts = new[] { new WeightUse(c.In(1).Name, "non-zeros by output row: values + 1-byte column gaps + row starts") };
        Threads = _threads;
    }

    /// <summary>Weights the layer stores (non-zeros and gap bridges).</summary>
    public long StoredWeights => _stored;

    /// <summary>Bytes of the sparse form in the weight blob, and of the dense float32 weights it replaces.</summary>
    public long StoredBytes => SparseRowsFormat.Bytes(_stored, _rows);
    public long DenseBytes => (long)_rows * _columns * 4;

    /// <summary>Multiply-accumulates per call over the stored weights only (<see cref="Macs"/> counts the dense layer's).</summary>
    public long EffectiveMacs => _stored * _pixels * _batches;

    public override string Summary => _summary;
    public override long Macs => _macs;

    public override void Emit(LayerWriter w)
    {
        string bias = _bias is null ? "default" : w.Weight(_bias);
        w.Line($"{KernelText.Runtime}{RuntimeApi.SparseRows.Multiply}({w.In(0)}, {w.Weight(_rowStarts)}, {w.Weight(_gaps)}, {w.Weight(_values)}, {bias}, {KernelText.Residual(w)}, {w.Out(0)},");
        w.Line($"    rows: {_rows}, columns: {_columns}, pixels: {_pixels}, batches: {_batches}, {KernelText.Epilogue(w)}, threads: {_threads});");
    }

    private static Tensor Ints(int[] values)
    {
        var raw = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            int v = values[i];
            raw[4 * i] = (byte)v;
            raw[4 * i + 1] = (byte)(v >> 8);
            raw[4 * i + 2] = (byte)(v >> 16);
            raw[4 * i + 3] = (byte)(v >> 24);
        }
        return new Tensor(DataType.Int32, new[] { values.Length }, raw);
    }
}
