using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace ModelCompiler.Runtime;

/// <summary>
/// Y[m, n] = epilogue(A[m, k] * B[k, n] + bias[n] [, residual]) for a constant B (Gemm and MatMul weights),
/// packed at build time in strips of <see cref="StripWidth"/> columns: [n / 16][k][16], zero-padded to whole
/// strips, with the bias zero-padded the same way. A's elements are broadcast, B's strips are read as one
/// contiguous stream each; the tile (4 rows x 64 columns on AVX-512) stays in registers over all of k.
/// </summary>
/// <remarks>
/// With one row (batch 1, the usual case for classifier heads) this is a matrix-vector product bound by
/// reading B; splitting columns over threads splits that stream.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
[SkipLocalsInit]
public static unsafe class PackedGemm
{
    /// <summary>Columns per packed strip: one AVX-512 vector, two AVX ones, four NEON/SSE ones (<see cref="WeightLayouts.StripWidth"/>).</summary>
    public const int StripWidth = WeightLayouts.StripWidth;

    /// <summary>Floats of packed B for a k x n matrix (<see cref="WeightLayouts.GemmStrips(float[], int, int, bool)"/>); the padded bias has <c>PaddedColumns(n)</c>.</summary>
    public static long PackedLength(int k, int n) => WeightLayouts.GemmStripsLength(k, n);

    /// <summary>n rounded up to whole strips.</summary>
    public static int PaddedColumns(int n) => WeightLayouts.PaddedColumns(n);

    /// <summary>
    /// y = epilogue(a * b + bias [, residual]); a is [m, k] row-major, <paramref name="packedB"/> the strip layout,
    /// <paramref name="bias"/> empty or <c>PaddedColumns(n)</c> long, <paramref name="residual"/> empty or [m, n].
    /// </summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> packedB, ReadOnlySpan<float> bias, ReadOnlySpan<float> residual,
        Span<float> y, int m, int n, int k, in Epilogue epilogue, int threads = 1) =>
        Multiply(a, packedB, bias, residual, y, m, n, k, epilogue, threads, VectorWidth.Auto);

    /// <summary><see cref="Multiply(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, in Epilogue, int)"/> at a chosen vector width (tests).</summary>
    internal static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> packedB, ReadOnlySpan<float> bias, ReadOnlySpan<float> residual,
        Span<float> y, int m, int n, int k, in Epilogue epilogue, int threads, VectorWidth width)
    {
        if (m <= 0 || n <= 0 || k <= 0) throw new ArgumentException("Matrix sizes must be positive.");
        if (a.Length < (long)m * k) throw new ArgumentException($"A has {a.Length} elements; {m}x{k} needs {(long)m * k}.", nameof(a));
        if (packedB.Length < PackedLength(k, n)) throw new ArgumentException("The packed B is shorter than k x n needs.", nameof(packedB));
        if (!bias.IsEmpty && bias.Length < PaddedColumns(n)) throw new ArgumentException("The bias must be padded to whole strips.", nameof(bias));
        if (y.Length < (long)m * n) throw new ArgumentException($"Y has {y.Length} elements; {m}x{n} needs {(long)m * n}.", nameof(y));
        if (!residual.IsEmpty && residual.Length < (long)m * n) throw new ArgumentException("The residual needs the output's shape.", nameof(residual));
        fixed (float* pa = a)
        fixed (float* pb = packedB)
        fixed (float* pbias = bias)
        fixed (float* pr = residual)
        fixed (float* py = y)
        {
            var args = new GemmArgs(pa, pb, bias.IsEmpty ? null : pbias, residual.IsEmpty ? null : pr, py, m, n, k, epilogue);
            SimdLevel.Run<Kernel, GemmArgs>(width, args, threads);
        }
    }

    internal readonly struct GemmArgs
    {
        public readonly float* A, B, Bias, Residual, Y;
        public readonly int M, N, K;
        public readonly Epilogue E;

        public GemmArgs(float* a, float* b, float* bias, float* residual, float* y, int m, int n, int k, in Epilogue e)
        {
            A = a; B = b; Bias = bias; Residual = residual; Y = y; M = m; N = n; K = k; E = e;
        }
    }

    /// <summary>Rows per tile.</summary>
    private const int TileRows = 4;

    /// <summary>Column tile width per vector width: 4 AVX-512 vectors (64 columns), 2 AVX ones, 4 SSE/NEON ones, 4 floats.</summary>
    private readonly struct Kernel : IVectorKernel<GemmArgs>
    {
        public static void Run<TV>(in GemmArgs args, int threads) where TV : unmanaged, IVec<TV>
        {
            if (typeof(TV) == typeof(Vec256)) PackedGemm.Run<TV, Int2>(args, threads);
            else PackedGemm.Run<TV, Int4>(args, threads);
        }
    }

    internal static void Run<TV, TC>(in GemmArgs a, int threads) where TV : unmanaged, IVec<TV> where TC : IConstInt
    {
        int width = TC.Value * TV.Count;
        int columnTiles = (a.N + width - 1) / width;
        int rowBlocks = (a.M + TileRows - 1) / TileRows;
        int rowChunks = threads > 1 ? Math.Clamp((3 * threads + columnTiles - 1) / columnTiles, 1, rowBlocks) : 1;
        int blocksPerChunk = (rowBlocks + rowChunks - 1) / rowChunks;
        rowChunks = (rowBlocks + blocksPerChunk - 1) / blocksPerChunk;
        KernelThreads.For<Items<TV, TC>, TiledCall>(new TiledCall(a, rowChunks, blocksPerChunk), columnTiles * rowChunks, threads);
    }

    /// <summary>A call and how its rows are cut: item i is column tile i / RowChunks, row chunk i % RowChunks.</summary>
    internal readonly struct TiledCall(in GemmArgs args, int rowChunks, int blocksPerChunk)
    {
        public readonly GemmArgs Args = args;
        public readonly int RowChunks = rowChunks, BlocksPerChunk = blocksPerChunk;
    }

    private readonly struct Items<TV, TC> : IWorkItems<TiledCall> where TV : unmanaged, IVec<TV> where TC : IConstInt
    {
        public static void Run(in TiledCall call, int item) => Item<TV, TC>(call.Args, item, call.RowChunks, call.BlocksPerChunk);
    }

    /// <summary>One column tile (TC vectors wide) for one chunk of row blocks.</summary>
    [MethodImpl(KernelCompilation.Hot)]
    private static void Item<TV, TC>(in GemmArgs a, int item, int rowChunks, int blocksPerChunk) where TV : unmanaged, IVec<TV> where TC : IConstInt
    {
        int vc = TV.Count, width = TC.Value * vc;
        int columnTile = item / rowChunks, chunk = item % rowChunks;
        int j0 = columnTile * width;
        int columns = Math.Min(width, a.N - j0), vectors = (columns + vc - 1) / vc;
        nint stripStride = (nint)a.K * StripWidth;
        float* b = a.B + (long)(j0 / StripWidth) * stripStride + j0 % StripWidth;
        float* bias = a.Bias == null ? null : a.Bias + j0;
        float* tile = stackalloc float[TileRows * width];
        int* segment = stackalloc int[3] { 0, 0, columns };
        int firstRow = chunk * blocksPerChunk * TileRows, endRow = Math.Min(a.M, firstRow + blocksPerChunk * TileRows);
        for (int i = firstRow; i < endRow; i += TileRows)
        {
            int rows = Math.Min(TileRows, endRow - i);
            float* aRows = a.A + (long)i * a.K;
            float* y = a.Y + (long)i * a.N + j0;
            float* r = a.Residual == null ? null : a.Residual + (long)i * a.N + j0;
            bool inPlace = vectors * vc == columns;
            float* c = inPlace ? y : tile;
            nint cStride = inPlace ? a.N : width;
            Tile<TV>(rows, vectors, aRows, a.K, b, stripStride, a.K, bias, c, cStride);
            if (!inPlace || r != null || !a.E.IsIdentity)
                EpilogueOps.Rows<TV>(c, cStride, y, r, a.N, rows, segment, 1, a.E);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile<TV>(int rows, int vectors, float* a, nint aStride, float* b, nint stripStride, int k, float* bias, float* c, nint cStride)
        where TV : unmanaged, IVec<TV>
    {
        switch (rows)
        {
            case 1: Tile<TV, Int1>(vectors, a, aStride, b, stripStride, k, bias, c, cStride); break;
            case 2: Tile<TV, Int2>(vectors, a, aStride, b, stripStride, k, bias, c, cStride); break;
            case 3: Tile<TV, Int3>(vectors, a, aStride, b, stripStride, k, bias, c, cStride); break;
            default: Tile<TV, Int4>(vectors, a, aStride, b, stripStride, k, bias, c, cStride); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile<TV, TR>(int vectors, float* a, nint aStride, float* b, nint stripStride, int k, float* bias, float* c, nint cStride)
        where TV : unmanaged, IVec<TV> where TR : IConstInt
    {
        switch (vectors)
        {
            case 1: GemmMicroKernels.StripTile<TV, TR, Int1>(a, aStride, b, stripStride, k, bias, c, cStride); break;
            case 2: GemmMicroKernels.StripTile<TV, TR, Int2>(a, aStride, b, stripStride, k, bias, c, cStride); break;
            case 3: GemmMicroKernels.StripTile<TV, TR, Int3>(a, aStride, b, stripStride, k, bias, c, cStride); break;
            default: GemmMicroKernels.StripTile<TV, TR, Int4>(a, aStride, b, stripStride, k, bias, c, cStride); break;
        }
    }
}
