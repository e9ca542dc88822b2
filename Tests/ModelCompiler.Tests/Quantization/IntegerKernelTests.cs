using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Runtime;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Quantization;

/// <summary>
/// The integer kernels on every instruction path (AVX-VNNI, AVX-512BW, AVX2, portable Vector128, scalar),
/// forced on the test's thread, against straightforward references written here: random shapes with odd
/// channel counts, padding, strides, dilations, groups, depthwise multipliers, per-channel weight zero points
/// that differ per channel, uint8/int8 on both sides. Paths this machine lacks are skipped with the reason.
/// </summary>
public sealed class IntegerKernelTests
{
    public static TheoryData<string> Paths() => new(Enum.GetValues<IntegerPath>().Where(p => p != IntegerPath.Auto).Select(p => p.ToString()));

    private static IntegerPaths.Scope Force(string path)
    {
        var p = Enum.Parse<IntegerPath>(path);
        if (!IntegerPaths.IsSupported(p)) Assert.Skip($"{p} is not supported on this machine");
        return IntegerPaths.Force(p);
    }

    [Fact]
    public void Best_path_is_reported_and_portable_paths_exist()
    {
        Assert.True(IntegerPaths.IsSupported(IntegerPaths.Best));
        Assert.True(IntegerPaths.IsSupported(IntegerPath.Scalar));
        using (IntegerPaths.Force(IntegerPath.Scalar)) Assert.Equal(IntegerPath.Scalar, IntegerPaths.Current);
        Assert.Equal(IntegerPaths.Best, IntegerPaths.Current);
    }

    /// <summary>
    /// The 16-column int8 tile on each path (the scalar one included) against a byte-by-byte sum written here: four
    /// packed bytes per int, one side unsigned and the other signed, exact int32.
    /// </summary>
    [Theory]
    [MemberData(nameof(Paths))]
    public void Gemm_tiles_match_a_byte_by_byte_reference(string path)
    {
        var r = new Rng(7);
        for (int trial = 0; trial < 60; trial++)
        {
            int kq = r.Int(0, 40), rows = r.Int(1, 9), ldc = 16 * r.Int(1, 4) + 16, rowStart = r.Int(0, rows - 1);
            int rowCount = Math.Min(r.Int(1, 4), rows - rowStart);
            int colStart = r.Int(0, ldc - 16);
            bool rowsUnsigned = trial % 2 == 0;
            var rows8 = Enumerable.Range(0, rows * Math.Max(kq, 1)).Select(_ => (int)r.Next()).ToArray();
            var cols8 = Enumerable.Range(0, Math.Max(kq, 1) * ldc).Select(_ => (int)r.Next()).ToArray();
            // Extreme bytes: saturating int8 instructions would go wrong on these.
            if (trial % 3 == 0) { Array.Fill(rows8, rowsUnsigned ? unchecked((int)0xFFFFFFFF) : unchecked((int)0x80808080)); Array.Fill(cols8, rowsUnsigned ? unchecked((int)0x80808080) : unchecked((int)0xFFFFFFFF)); }
            var rows16 = new long[rows8.Length];
            QGemm.WidenRows(rows8, rowsUnsigned, rows16);

            var expected = new long[rowCount * 16];
            for (int rr = 0; rr < rowCount; rr++)
                for (int c = 0; c < 16; c++)
                    for (int q = 0; q < kq; q++)
                        for (int t = 0; t < 4; t++)
                        {
                            int a = (rows8[(rowStart + rr) * Math.Max(kq, 1) + q] >> (8 * t)) & 0xFF;
                            int b = (cols8[q * ldc + colStart + c] >> (8 * t)) & 0xFF;
                            expected[rr * 16 + c] += rowsUnsigned ? a * (sbyte)b : (sbyte)a * b;
                        }

            var actual = new int[64];
            using (Force(path))
                QGemm.Tile(IntegerPaths.Current, rows8, rows16, rowStart, Math.Max(kq, 1), rowCount, cols8, ldc, colStart, kq, rowsUnsigned, actual);
            Assert.Equal(expected, actual.Take(rowCount * 16).Select(v => (long)v));
        }
    }

    private sealed record ConvCase(int N, int C, int H, int W, int M, int KH, int KW, int Group, int SH, int SW, int PT, int PL, int PB, int PR, int DH, int DW)
    {
        public int OH => (H + PT + PB - ((KH - 1) * DH + 1)) / SH + 1;
        public int OW => (W + PL + PR - ((KW - 1) * DW + 1)) / SW + 1;
        public ConvGeometry Geometry => new(N, C, H, W, M, OH, OW, Group, KH, KW, SH, SW, PT, PL, DH, DW);
    }

    /// <summary>
    /// The fused block kernel (<see cref="QGemmRequant"/>) against a direct reference (exact: same float32 products,
    /// round half to even): with AVX-512 its epilogue either clamps in float (any multiplier) or lets the narrowing
    /// saturate (all multipliers under 0.5); both, for uint8 and int8 outputs, with outputs spread over the range
    /// and saturating at both ends, 8-channel tiles and a 4-channel rest, 16-pixel and 8-pixel last tiles.
    /// </summary>
    [Theory]
    [InlineData(0.05f, false)]
    [InlineData(0.05f, true)]
    [InlineData(0.9f, false)]
    [InlineData(0.9f, true)]
    public void Conv_block_requantizes_exactly(float maxMultiplier, bool signedOutput)
    {
        if (!QGemmRequant.IsSupported) Assert.Skip("AVX-VNNI is not supported on this machine");
        var r = new Rng(23);
        foreach (var (rowCount, pixels, kq) in new[] { (13, 49, 5), (8, 40, 3), (16, 37, 24) })
        {
            int ldc = (pixels + 15) / 16 * 16;
            var rows8 = Enumerable.Range(0, rowCount * kq).Select(_ => (int)r.Next()).ToArray();
            var cols = Enumerable.Range(0, kq * ldc).Select(_ => (int)r.Next()).ToArray();
            var terms = Enumerable.Range(0, rowCount).Select(_ => r.Int(-20000, 20000)).ToArray();
            // The largest multiplier decides the epilogue: scale each channel so its outputs span about the range.
            var multipliers = Enumerable.Range(0, rowCount).Select(i => maxMultiplier * (i == 0 ? 1f : r.Float(0.2f, 1f))).ToArray();
            var sums = new int[rowCount * pixels];
            for (int row = 0; row < rowCount; row++)
                for (int c = 0; c < pixels; c++)
                {
                    int acc = terms[row];
                    for (int q = 0; q < kq; q++)
                        for (int t = 0; t < 4; t++)
                            acc += (sbyte)(rows8[row * kq + q] >> (8 * t)) * ((cols[q * ldc + c] >> (8 * t)) & 0xFF);
                    sums[row * pixels + c] = acc;
                }
            // Shift the terms so that the sums multiplied out land around the middle of the range, spread past both ends.
            for (int row = 0; row < rowCount; row++)
            {
                var rowSums = sums.Skip(row * pixels).Take(pixels).OrderBy(v => v).ToArray();
                int centre = rowSums[pixels / 2];
                float spread = Math.Max(1, rowSums[^1] - rowSums[0]);
                multipliers[row] = Math.Min(multipliers[row], 400f / spread);
                if (maxMultiplier > 0.5f && row == 0) multipliers[row] = maxMultiplier;
                terms[row] -= centre;
                for (int c = 0; c < pixels; c++) sums[row * pixels + c] -= centre;
            }
            int zp = signedOutput ? -7 : 121, min = signedOutput ? -128 : 0, max = signedOutput ? 127 : 255;
            var expected = sums.Select((acc, i) => Math.Clamp((int)MathF.Round((float)acc * multipliers[i / pixels], MidpointRounding.ToEven) + zp, min, max)).ToArray();
            int[] actual;
            int stride = pixels + 3;
            if (signedOutput)
            {
                var y = new sbyte[rowCount * stride];
                QGemmRequant.Block<sbyte>(rows8, kq, 0, rowCount, cols, ldc, pixels, terms, multipliers, zp, y, 0, stride);
                actual = Enumerable.Range(0, rowCount * pixels).Select(i => (int)y[i / pixels * stride + i % pixels]).ToArray();
            }
            else
            {
                var y = new byte[rowCount * stride];
                QGemmRequant.Block<byte>(rows8, kq, 0, rowCount, cols, ldc, pixels, terms, multipliers, zp, y, 0, stride);
                actual = Enumerable.Range(0, rowCount * pixels).Select(i => (int)y[i / pixels * stride + i % pixels]).ToArray();
            }
            Assert.Equal(expected, actual);
            // The case is meaningful: values inside the range and saturated at both ends.
            Assert.Contains(expected, v => v == min);
            Assert.Contains(expected, v => v == max);
            Assert.True(expected.Count(v => v > min && v < max) > expected.Length / 4, "most outputs saturated");
        }
    }

    /// <summary>
    /// The int8 depthwise kernels (<see cref="DepthwiseVnni"/>, and <see cref="DepthwiseChannelsLast"/> for small
    /// planes with channels a multiple of 16) with multipliers from 0.3 to 0.9, where the requantization clamps in
    /// float rather than saturating as it narrows (<see cref="Requant512"/>), and with small ones; uint8 and int8
    /// outputs; planes through each kernel (row pairs, windows from the input, padded small planes, channels last
    /// with 16 and 48 channels, stride 2, padding only after, two images). Exact against a direct reference (same
    /// float32 products, round half to even).
    /// </summary>
    [Theory]
    [InlineData(0.9f, false)]
    [InlineData(0.9f, true)]
    [InlineData(0.02f, true)]
    public void Depthwise_requantizes_exactly(float maxMultiplier, bool signed)
    {
        if (!DepthwiseVnni.IsSupported) Assert.Skip("AVX-VNNI and AVX-512 VBMI are not supported on this machine");
        var r = new Rng(29);
        var geometries = new (int H, int W, int Stride, int C, int PadBefore, int Batch)[]
        {
            (20, 18, 1, 5, 1, 1), (7, 7, 1, 5, 1, 1), (14, 14, 2, 5, 1, 1), (14, 14, 1, 5, 1, 1), (20, 37, 2, 5, 1, 1), (9, 21, 1, 5, 1, 1),
            // Channels last (DepthwiseChannelsLast): 7x7, 14x14 with 48 channels (a block and a half), 5x5 and 10x10
            // planes, stride 2 with padding on both sides or only after (TensorFlow's SAME), two images.
            (7, 7, 1, 48, 1, 1), (14, 14, 1, 16, 1, 2), (14, 14, 2, 48, 1, 1), (14, 14, 2, 32, 0, 1), (5, 5, 1, 32, 1, 1), (10, 10, 1, 16, 1, 2),
            (20, 20, 1, 32, 1, 1), (40, 40, 2, 16, 1, 1),
        };
        foreach (var (h, w, stride, c, padBefore, batch) in geometries)
        {
            int oh = (h + padBefore + 1 - 3) / stride + 1, ow = (w + padBefore + 1 - 3) / stride + 1;
            if (c % 16 == 0) Assert.True(!DepthwiseChannelsLast.IsSupported || DepthwiseChannelsLast.Fits(new ConvGeometry(batch, c, h, w, c, oh, ow, c, 3, 3, stride, stride, padBefore, padBefore, 1, 1)),
                $"{h}x{w}/{stride} with {c} channels should take the channels-last kernel");
            var g = new ConvGeometry(batch, c, h, w, c, oh, ow, c, 3, 3, stride, stride, padBefore, padBefore, 1, 1);
            int xz = signed ? 3 : 131, yz = signed ? -5 : 120, min = signed ? -128 : 0, max = signed ? 127 : 255;
            // Inputs near the zero point and small weights keep the sums small enough to spread over the range.
            var x = Enumerable.Range(0, batch * c * h * w).Select(_ => xz + r.Int(-40, 40)).ToArray();
            var wt = Enumerable.Range(0, c * 9).Select(_ => (sbyte)r.Int(-3, 3)).ToArray();
            var bias = Enumerable.Range(0, c).Select(_ => r.Int(-100, 100)).ToArray();
            var multipliers = Enumerable.Range(0, c).Select(i => maxMultiplier * (i == 0 ? 1f : r.Float(0.33f, 1f))).ToArray();
            if (maxMultiplier < 0.1f) for (int i = 0; i < c; i++) { bias[i] *= 100; for (int k = 0; k < 9; k++) wt[i * 9 + k] = (sbyte)(wt[i * 9 + k] * 40); }
            var expected = new int[batch * c * oh * ow];
            for (int n = 0; n < batch; n++)
                for (int ch = 0; ch < c; ch++)
                    for (int oy = 0; oy < oh; oy++)
                        for (int ox = 0; ox < ow; ox++)
                        {
                            int acc = bias[ch];
                            for (int ky = 0; ky < 3; ky++)
                                for (int kx = 0; kx < 3; kx++)
                                {
                                    int iy = oy * stride - padBefore + ky, ix = ox * stride - padBefore + kx;
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < w) acc += (x[((n * c + ch) * h + iy) * w + ix] - xz) * wt[ch * 9 + ky * 3 + kx];
                                }
                            expected[((n * c + ch) * oh + oy) * ow + ox] = Requant(acc, multipliers[ch], yz, min, max);
                        }
            // Without and with the per-channel table generated code builds once (DepthwiseChannelsLastTable).
            foreach (bool withTable in new[] { false, true })
            {
                int[] actual;
                if (signed)
                {
                    var table = withTable ? QuantizedConv.DepthwiseChannelsLastTable<sbyte>(wt, bias, multipliers, xz, g) : default;
                    var y = new sbyte[expected.Length];
                    Depthwise<sbyte>(x.Select(v => (sbyte)v).ToArray(), xz, wt, bias, multipliers, yz, y, g, table);
                    actual = y.Select(v => (int)v).ToArray();
                }
                else
                {
                    var table = withTable ? QuantizedConv.DepthwiseChannelsLastTable<byte>(wt, bias, multipliers, xz, g) : default;
                    var y = new byte[expected.Length];
                    Depthwise<byte>(x.Select(v => (byte)v).ToArray(), xz, wt, bias, multipliers, yz, y, g, table);
                    actual = y.Select(v => (int)v).ToArray();
                }
                Assert.Equal(expected, actual);
            }
            if (c % 16 == 0 && DepthwiseChannelsLast.IsSupported)
                Assert.NotEmpty(QuantizedConv.DepthwiseChannelsLastTable<byte>(wt, bias, multipliers, xz, g));
            Assert.Contains(expected, v => v == min);
            Assert.Contains(expected, v => v == max);
            Assert.True(expected.Count(v => v > min && v < max) > expected.Length / 4, $"{h}x{w}/{stride}: most outputs saturated");
        }
    }

    /// <summary>
    /// A requantized depthwise convolution in the form generated code would call for this geometry
    /// (<see cref="QuantizedConvForms.Choose"/>, the rule the generator applies), symmetric weights.
    /// </summary>
    private static void Depthwise<T>(T[] x, int xz, sbyte[] w, int[] bias, float[] multipliers, int yz, T[] y, ConvGeometry g, int[]? table)
        where T : unmanaged
    {
        switch (QuantizedConvForms.Choose(g, requantized: true, symmetricWeights: true))
        {
            case QuantizedConvForm.DepthwiseChannelsLast: QuantizedConv.QLinearDepthwiseChannelsLast<T, T>(x, xz, w, bias, multipliers, yz, y, g, table); break;
            case QuantizedConvForm.DepthwiseWindowed: QuantizedConv.QLinearDepthwiseWindowed<T, T>(x, xz, w, bias, multipliers, yz, y, g); break;
            default: QuantizedConv.QLinearDepthwise<T, T>(x, xz, w, default, bias, multipliers, yz, y, g); break;
        }
    }

    /// <summary>
    /// A compiled single-row MatMulInteger (B packed at build time in panels of 64 columns, as a classifier's is)
    /// and a 3-row one (the [K/4][N] packing), on every instruction path, against a direct int32 reference: exact.
    /// </summary>
    [Theory]
    [MemberData(nameof(Paths))]
    public void Compiled_matmul_reads_either_packing_on_every_path(string path)
    {
        using var scope = Force(path);
        var r = new Rng(31);
        foreach (int m in new[] { 1, 3 })
        {
            int k = 70, n = 150;
            var b = new OnnxModelBuilder(13, producer: "OnnxBuilder", producerVersion: null);
            string a = b.Input("a", DataType.UInt8, m, k);
            var bValues = Enumerable.Range(0, k * n).Select(_ => (sbyte)r.Int(-128, 127)).ToArray();
            var y = b.Op("MatMulInteger", new[] { a, b.Initializer(new[] { k, n }, bValues), b.Initializer(Array.Empty<int>(), new[] { (byte)130 }) });
            b.Output(y, DataType.Int32);
            var model = TypedModel.Compile(b.Build(), $"row_panels_{m}");
            var aValues = Enumerable.Range(0, m * k).Select(_ => (byte)r.Int(0, 255)).ToArray();
            var actual = (int[])model.RunTyped(new Array[] { aValues })[0].Data;
            var expected = new int[m * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                    for (int t = 0; t < k; t++) expected[i * n + j] += (aValues[i * k + t] - 130) * bValues[t * n + j];
            Assert.Equal(expected, actual);
        }
    }

    /// <summary>Conv cases after this index have all-zero weight zero points.</summary>
    private const int SymmetricFrom = 14;

    private static IEnumerable<ConvCase> ConvCases()
    {
        var r = new Rng(11);
        yield return new ConvCase(1, 5, 9, 9, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        yield return new ConvCase(2, 33, 6, 5, 17, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1);      // pointwise, odd channels
        yield return new ConvCase(1, 13, 12, 11, 13, 3, 3, 13, 2, 2, 1, 1, 1, 1, 1, 1);   // depthwise stride 2
        yield return new ConvCase(1, 9, 20, 19, 9, 3, 3, 9, 1, 1, 1, 1, 1, 1, 1, 1);      // depthwise stride 1, long rows
        yield return new ConvCase(1, 4, 9, 9, 12, 3, 3, 4, 1, 1, 0, 1, 2, 1, 1, 1);       // depth multiplier 3
        yield return new ConvCase(1, 6, 13, 13, 4, 3, 3, 2, 1, 1, 2, 2, 2, 2, 2, 2);      // groups, dilation
        yield return new ConvCase(1, 3, 17, 15, 10, 5, 5, 1, 2, 1, 2, 2, 2, 2, 1, 1);     // 5x5, stride 2x1
        yield return new ConvCase(1, 7, 1, 40, 6, 1, 5, 1, 1, 3, 0, 2, 0, 2, 1, 1);       // 1-D
        for (int i = 0; i < 6; i++)
        {
            int group = r.Int(1, 3), cg = r.Int(1, 9), mg = r.Int(1, 9);
            int kh = r.Int(1, 4), kw = r.Int(1, 4), h = r.Int(kh + 2, 14), w = r.Int(kw + 2, 14);
            yield return new ConvCase(r.Int(1, 2), cg * group, h, w, mg * group, kh, kw, group, r.Int(1, 2), r.Int(1, 3),
                r.Int(0, kh - 1), r.Int(0, kw - 1), r.Int(0, kh - 1), r.Int(0, kw - 1), 1, r.Int(1, 2));
        }
        // From here on weight zero points are zero, the common (symmetric) case that the fused block kernel
        // (QGemmRequant) handles: several pixel blocks and an overlapping last tile, fewer than 16 pixels,
        // channel counts not a multiple of 4, a strided stem, a grouped 3x3.
        yield return new ConvCase(1, 16, 23, 21, 37, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1);
        yield return new ConvCase(2, 24, 3, 4, 6, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1);
        yield return new ConvCase(1, 3, 30, 29, 32, 3, 3, 1, 2, 2, 1, 1, 1, 1, 1, 1);
        yield return new ConvCase(1, 8, 5, 7, 10, 3, 3, 2, 1, 1, 1, 0, 1, 2, 1, 1);
        // Last partial tiles of the 8-channel block kernel: 49 pixels (three 16-pixel tiles and an 8-pixel one over
        // the last pixel), 24 (16 + 8), 25 (the last 16 overlapping the first), with a 9th channel left over.
        yield return new ConvCase(1, 40, 7, 7, 16, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1);
        yield return new ConvCase(1, 20, 4, 6, 8, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1);
        yield return new ConvCase(1, 12, 5, 5, 9, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1);
        // Depthwise with symmetric weights (DepthwiseVnni): 16-output chunks across row ends on small planes, along
        // rows on wide ones; stride 2, a 5x5 kernel (two weight ints per row) with depth multiplier 2, dilation,
        // asymmetric padding, and a plane under 16 outputs (general path).
        yield return new ConvCase(1, 6, 7, 7, 6, 3, 3, 6, 1, 1, 1, 1, 1, 1, 1, 1);
        yield return new ConvCase(2, 5, 14, 14, 5, 3, 3, 5, 2, 2, 1, 1, 1, 1, 1, 1);
        yield return new ConvCase(1, 4, 9, 30, 8, 5, 5, 4, 1, 1, 2, 2, 2, 2, 1, 1);
        yield return new ConvCase(1, 3, 11, 12, 3, 3, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2);
        yield return new ConvCase(1, 4, 3, 4, 4, 3, 3, 4, 1, 1, 1, 1, 1, 1, 1, 1);
        yield return new ConvCase(1, 2, 40, 37, 2, 3, 3, 2, 2, 2, 0, 1, 1, 0, 1, 1);
        // Stride 1 along rows of 16 or more: pairs of output rows sharing input rows, an odd last row alone (21 rows,
        // depth multiplier 2), and an even count with asymmetric padding and dilation 2 along the row.
        yield return new ConvCase(1, 3, 21, 18, 6, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1);
        yield return new ConvCase(1, 2, 16, 20, 2, 3, 3, 2, 1, 1, 0, 2, 2, 0, 1, 2);
        // Small planes read straight from the input (no padded copy): 5x5, stride 2 to 5x5 with asymmetric padding,
        // dilation 2 along rows, a 3x2 kernel; with two images the last planes' loads would pass the tensor's end and
        // those channels take the padded path.
        yield return new ConvCase(2, 3, 5, 5, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1);
        yield return new ConvCase(1, 4, 10, 9, 4, 3, 3, 4, 2, 2, 1, 1, 0, 1, 1, 1);
        yield return new ConvCase(1, 2, 6, 8, 4, 3, 3, 2, 1, 1, 1, 2, 1, 2, 1, 2);
        yield return new ConvCase(1, 3, 7, 7, 3, 3, 2, 3, 1, 1, 1, 0, 1, 1, 1, 1);
        // Few-channel convolutions packed by byte permutes (WindowPackedConv): a stride-2 stem along rows, stride 1
        // across row ends (a 9x9 plane), a 3x4 kernel with asymmetric padding, two images.
        yield return new ConvCase(1, 3, 40, 41, 20, 3, 3, 1, 2, 2, 1, 1, 1, 1, 1, 1);
        yield return new ConvCase(1, 3, 9, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        yield return new ConvCase(1, 2, 20, 23, 9, 3, 4, 1, 1, 1, 0, 2, 1, 1, 1, 1);
        yield return new ConvCase(2, 3, 17, 34, 12, 3, 3, 1, 2, 2, 1, 1, 1, 1, 1, 1);
    }

    /// <summary>Direct convolution with exact int32 sums and float32 requantization.</summary>
    private static int[] ReferenceConv(ConvCase k, int[] x, int xz, int[] w, int[] wz, int[] bias)
    {
        int cg = k.C / k.Group, mg = k.M / k.Group;
        var acc = new int[k.N * k.M * k.OH * k.OW];
        for (int n = 0; n < k.N; n++)
            for (int oc = 0; oc < k.M; oc++)
                for (int oh = 0; oh < k.OH; oh++)
                    for (int ow = 0; ow < k.OW; ow++)
                    {
                        int s = bias.Length == 0 ? 0 : bias[oc];
                        for (int ic = 0; ic < cg; ic++)
                            for (int kh = 0; kh < k.KH; kh++)
                                for (int kw = 0; kw < k.KW; kw++)
                                {
                                    int ih = oh * k.SH - k.PT + kh * k.DH, iw = ow * k.SW - k.PL + kw * k.DW;
                                    if (ih < 0 || ih >= k.H || iw < 0 || iw >= k.W) continue;
                                    int xv = x[((n * k.C + oc / mg * cg + ic) * k.H + ih) * k.W + iw];
                                    int wv = w[((oc * cg + ic) * k.KH + kh) * k.KW + kw];
                                    s += (xv - xz) * (wv - wz[oc]);
                                }
                        acc[((n * k.M + oc) * k.OH + oh) * k.OW + ow] = s;
                    }
        return acc;
    }

    private static int Requant(int acc, float m, int zp, int min, int max) =>
        Math.Clamp((int)MathF.Round(Math.Clamp(acc * m, min - zp, max - zp)) + zp, min, max);

    [Theory]
    [MemberData(nameof(Paths))]
    public void Convolution_matches_a_direct_reference(string path)
    {
        using var scope = Force(path);
        int index = 0;
        foreach (var k in ConvCases())
        {
            var r = new Rng((uint)(100 + index++));
            bool signedX = index % 2 == 0, unsignedW = index % 3 == 0;
            int cg = k.C / k.Group, kk = cg * k.KH * k.KW;
            int[] x = Enumerable.Range(0, k.N * k.C * k.H * k.W).Select(_ => signedX ? r.Int(-128, 127) : r.Int(0, 255)).ToArray();
            int[] w = Enumerable.Range(0, k.M * kk).Select(_ => unsignedW ? r.Int(0, 255) : r.Int(-128, 127)).ToArray();
            int xz = signedX ? r.Int(-128, 127) : r.Int(0, 255);
            // Per-channel weight zero points that differ per channel (ONNX allows it; ONNX Runtime does not).
            int[] wz = Enumerable.Range(0, k.M).Select(_ => index % 4 == 0 || index > SymmetricFrom ? 0 : unsignedW ? r.Int(0, 255) : r.Int(-128, 127)).ToArray();
            int[] bias = index % 2 == 0 ? Enumerable.Range(0, k.M).Select(_ => r.Int(-50000, 50000)).ToArray() : Array.Empty<int>();
            float xs = r.Float(0.01f, 0.05f), ys = r.Float(0.5f, 2f);
            float[] ws = Enumerable.Range(0, k.M).Select(_ => r.Float(0.002f, 0.02f)).ToArray();
            int yz = r.Int(0, 255);

            var expectedAcc = ReferenceConv(k, x, xz, w, wz, bias);
            int outPlane = k.OH * k.OW;
            var expected = expectedAcc.Select((a, i) => Requant(a, xs * ws[i / outPlane % k.M] / ys, yz, 0, 255)).ToArray();

            var xb = x.Select(v => signedX ? (byte)(sbyte)v : (byte)v).ToArray();
            var wb = w.Select(v => unsignedW ? (byte)v : (byte)(sbyte)v).ToArray();
            var wzb = wz.Select(v => unsignedW ? (byte)v : (byte)(sbyte)v).ToArray();
            var y = new byte[expected.Length];
            var yInt = new int[expected.Length];
            var g = k.Geometry;
            if (signedX)
            {
                var xs8 = (sbyte[])(Array)xb;
                if (unsignedW) QuantizedConv.QLinearConvDynamic<sbyte, byte, byte>(xs8, new[] { xs }, new[] { (sbyte)xz }, wb, ws, wzb, new[] { ys }, new[] { (byte)yz }, bias, y, g);
                else QuantizedConv.QLinearConvDynamic<sbyte, sbyte, byte>(xs8, new[] { xs }, new[] { (sbyte)xz }, (sbyte[])(Array)wb, ws, (sbyte[])(Array)wzb, new[] { ys }, new[] { (byte)yz }, bias, y, g);
            }
            else
            {
                if (unsignedW) QuantizedConv.QLinearConvDynamic<byte, byte, byte>(xb, new[] { xs }, new[] { (byte)xz }, wb, ws, wzb, new[] { ys }, new[] { (byte)yz }, bias, y, g);
                else QuantizedConv.QLinearConvDynamic<byte, sbyte, byte>(xb, new[] { xs }, new[] { (byte)xz }, (sbyte[])(Array)wb, ws, (sbyte[])(Array)wzb, new[] { ys }, new[] { (byte)yz }, bias, y, g);
            }
            int first = Enumerable.Range(0, y.Length).FirstOrDefault(i => expected[i] != y[i], -1);
            Assert.True(first < 0, $"QLinearConv {k} ({path}, x {(signedX ? "int8" : "uint8")}, w {(unsignedW ? "uint8" : "int8")}): element {first} is {(first < 0 ? 0 : y[first])}, expected {(first < 0 ? 0 : expected[first])}");

            if (bias.Length == 0)
            {
                if (signedX) QuantizedConv.ConvIntegerDynamic<sbyte, sbyte>((sbyte[])(Array)xb, new[] { (sbyte)xz }, (sbyte[])(Array)wb, (sbyte[])(Array)wzb, yInt, g);
                else QuantizedConv.ConvIntegerDynamic<byte, sbyte>(xb, new[] { (byte)xz }, (sbyte[])(Array)wb, (sbyte[])(Array)wzb, yInt, g);
                if (!unsignedW) Assert.Equal(expectedAcc, yInt);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Matrix_multiplication_matches_a_direct_reference(string path)
    {
        using var scope = Force(path);
        var r = new Rng(23);
        for (int trial = 0; trial < 12; trial++)
        {
            int m = r.Int(1, 9), n = r.Int(1, 40), k = r.Int(1, 70);
            bool signedA = trial % 2 == 1, unsignedB = trial % 3 == 0, perRow = trial % 4 == 1;
            int[] a = Enumerable.Range(0, m * k).Select(_ => signedA ? r.Int(-128, 127) : r.Int(0, 255)).ToArray();
            int[] b = Enumerable.Range(0, k * n).Select(_ => unsignedB ? r.Int(0, 255) : r.Int(-128, 127)).ToArray();
            int[] az = Enumerable.Range(0, perRow ? m : 1).Select(_ => signedA ? r.Int(-128, 127) : r.Int(0, 255)).ToArray();
            int[] bz = Enumerable.Range(0, n).Select(_ => unsignedB ? r.Int(0, 255) : r.Int(-128, 127)).ToArray();
            float[] aScale = Enumerable.Range(0, perRow ? m : 1).Select(_ => r.Float(0.01f, 0.05f)).ToArray();
            float[] bScale = Enumerable.Range(0, n).Select(_ => r.Float(0.002f, 0.02f)).ToArray();
            float ys = r.Float(0.05f, 1f);
            int yz = r.Int(-128, 127);
            var expectedAcc = new int[m * n];
            var expected = new int[m * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    int s = 0;
                    for (int t = 0; t < k; t++) s += (a[i * k + t] - az[perRow ? i : 0]) * (b[t * n + j] - bz[j]);
                    expectedAcc[i * n + j] = s;
                    expected[i * n + j] = Requant(s, aScale[perRow ? i : 0] * bScale[j] / ys, yz, -128, 127);
                }
            var y = new sbyte[m * n];
            var yInt = new int[m * n];
            var offsets = new[] { 0 };
            var bb = b.Select(v => unsignedB ? (byte)v : (byte)(sbyte)v).ToArray();
            var bzb = bz.Select(v => unsignedB ? (byte)v : (byte)(sbyte)v).ToArray();
            if (signedA)
            {
                var a8 = a.Select(v => (sbyte)v).ToArray();
                var az8 = az.Select(v => (sbyte)v).ToArray();
                if (unsignedB)
                {
                    QuantizedMatMul.QLinearMatMulDynamic<sbyte, byte, sbyte, float>(a8, aScale, az8, bb, bScale, bzb, new[] { ys }, new[] { (sbyte)yz }, y, m, n, k, offsets, offsets);
                    QuantizedMatMul.MatMulIntegerDynamic<sbyte, byte>(a8, az8, bb, bzb, yInt, m, n, k, offsets, offsets);
                }
                else
                {
                    QuantizedMatMul.QLinearMatMulDynamic<sbyte, sbyte, sbyte, float>(a8, aScale, az8, (sbyte[])(Array)bb, bScale, (sbyte[])(Array)bzb, new[] { ys }, new[] { (sbyte)yz }, y, m, n, k, offsets, offsets);
                    QuantizedMatMul.MatMulIntegerDynamic<sbyte, sbyte>(a8, az8, (sbyte[])(Array)bb, (sbyte[])(Array)bzb, yInt, m, n, k, offsets, offsets);
                }
            }
            else
            {
                var a8 = a.Select(v => (byte)v).ToArray();
                var az8 = az.Select(v => (byte)v).ToArray();
                if (unsignedB)
                {
                    QuantizedMatMul.QLinearMatMulDynamic<byte, byte, sbyte, float>(a8, aScale, az8, bb, bScale, bzb, new[] { ys }, new[] { (sbyte)yz }, y, m, n, k, offsets, offsets);
                    QuantizedMatMul.MatMulIntegerDynamic<byte, byte>(a8, az8, bb, bzb, yInt, m, n, k, offsets, offsets);
                }
                else
                {
                    QuantizedMatMul.QLinearMatMulDynamic<byte, sbyte, sbyte, float>(a8, aScale, az8, (sbyte[])(Array)bb, bScale, (sbyte[])(Array)bzb, new[] { ys }, new[] { (sbyte)yz }, y, m, n, k, offsets, offsets);
                    QuantizedMatMul.MatMulIntegerDynamic<byte, sbyte>(a8, az8, (sbyte[])(Array)bb, (sbyte[])(Array)bzb, yInt, m, n, k, offsets, offsets);
                }
            }
            Assert.Equal(expected, y.Select(v => (int)v).ToArray());
            Assert.Equal(expectedAcc, yInt);
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Depthwise_rows_match_the_scalar_reference(string path)
    {
        using var scope = Force(path);
        var r = new Rng(31);
        for (int trial = 0; trial < 40; trial++)
        {
            int stride = r.Int(1, 3), count = r.Int(0, 40), start = r.Int(0, 5);
            int length = start + Math.Max(0, count - 1) * stride + 1 + r.Int(0, 2);
            var row = Enumerable.Range(0, length).Select(_ => (byte)r.Int(0, 255)).ToArray();
            int zp = r.Int(0, 255), w = r.Int(-255, 255);
            var acc = Enumerable.Range(0, count).Select(_ => r.Int(-1000, 1000)).ToArray();
            var expected = acc.Select((v, j) => v + (row[start + j * stride] - zp) * w).ToArray();
            QuantizedConv.AddScaledRow<byte>(IntegerPaths.Current, row, start, stride, zp, w, acc);
            Assert.Equal(expected, acc);

            var srow = row.Select(b => (sbyte)b).ToArray();
            var acc2 = new int[count];
            QuantizedConv.AddScaledRow<sbyte>(IntegerPaths.Current, srow, start, stride, zp - 128, w, acc2);
            Assert.Equal(Enumerable.Range(0, count).Select(j => (srow[start + j * stride] - (zp - 128)) * w), acc2);
        }
    }

    [Fact]
    public void Requantization_rounds_half_to_even_and_saturates()
    {
        // acc * 0.5 = k + 0.5 exactly: ties go to the even neighbour, on the vector and the scalar path alike.
        var acc = new[] { 1, 3, 5, -1, -3, -5, 7, 9, 2, 4, 1000, -1000, 0, 11, 13, 15, 17 };
        var y = new sbyte[acc.Length];
        Requantize.Store<sbyte>(acc, 0.5f, 0, y);
        Assert.Equal(new sbyte[] { 0, 2, 2, 0, -2, -2, 4, 4, 1, 2, 127, -128, 0, 6, 6, 8, 8 }, y);
        var u = new byte[acc.Length];
        Requantize.Store<byte>(acc, 0.5f, 10, u);
        Assert.Equal(new byte[] { 10, 12, 12, 10, 8, 8, 14, 14, 11, 12, 255, 0, 10, 16, 16, 18, 18 }, u);
        var lanes = new byte[acc.Length];
        Requantize.StorePerLane<byte>(acc, Enumerable.Repeat(0.5f, acc.Length).ToArray(), 10, lanes);
        Assert.Equal(new byte[] { 10, 12, 12, 10, 8, 8, 14, 14, 11, 12, 255, 0, 10, 16, 16, 18, 18 }, lanes);
    }
}
