using System;
using System.Globalization;
using System.Linq;
using ModelCompiler.Runtime;
using Xunit;
using static ModelCompiler.Tests.Kernels.KernelTestData;

namespace ModelCompiler.Tests.Kernels.Transformer;

/// <summary>
/// The Attention kernel against a reference written here from the ONNX Attention definition (opset 23/24 with the
/// 1.23 errata), in double: 3-D and 4-D layouts, grouped key/value heads, past/present caches, float and boolean
/// masks broadcast over batch/heads/rows and shorter than the keys, bottom-right causal masking, nonpad_kv_seqlen,
/// softcap, every qk_matmul_output mode and fully masked rows. Every vector width; 1e-5 absolute + 1e-4 relative,
/// infinities (mode 2's masked scores) must match exactly.
/// </summary>
public sealed class AttentionKernelTests
{
    private sealed record Case(int Batch, int QHeads, int KvHeads, int QLength, int KvLength, int Past, int Head, int ValueHead, bool Packed,
        int[]? MaskShape = null, bool BoolMask = false, bool Causal = false, float Softcap = 0, int Mode = 0, long[]? NonPad = null, float? Scale = null)
    {
        public int Total => Past + KvLength;
        public float ScaleValue => Scale ?? 1f / MathF.Sqrt(Head);
    }

    public static TheoryData<string> Cases() => new()
    {
        "plain 4d",
        "plain 3d",
        "gqa 3d",
        "mqa 4d causal",
        "past causal mode0",
        "float mask broadcast mode2",
        "short bool mask mode3",
        "softcap float mask mode1",
        "nonpad causal",
        "fully masked rows",
        "odd sizes",
    };

    private static Case Make(string name) => name switch
    {
        "plain 4d" => new(2, 3, 3, 4, 6, 0, 8, 8, false),
        "plain 3d" => new(2, 3, 3, 4, 6, 0, 8, 10, true, Scale: 0.3f),
        "gqa 3d" => new(1, 4, 2, 5, 7, 0, 16, 16, true),
        "mqa 4d causal" => new(2, 4, 1, 6, 6, 0, 8, 4, false, Causal: true),
        "past causal mode0" => new(2, 2, 2, 3, 3, 5, 8, 8, false, Causal: true, Mode: 0),
        "float mask broadcast mode2" => new(2, 3, 3, 4, 5, 2, 8, 8, true, MaskShape: new[] { 4, 7 }, Mode: 2),
        "short bool mask mode3" => new(2, 2, 1, 3, 8, 0, 4, 6, false, MaskShape: new[] { 2, 1, 1, 5 }, BoolMask: true, Mode: 3),
        "softcap float mask mode1" => new(1, 2, 2, 4, 6, 0, 8, 8, false, MaskShape: new[] { 1, 2, 4, 6 }, Softcap: 2f, Mode: 1),
        "nonpad causal" => new(3, 2, 2, 2, 6, 0, 8, 8, false, Causal: true, NonPad: new long[] { 2, 6, 4 }),
        "fully masked rows" => new(1, 2, 2, 4, 4, 0, 8, 8, false, MaskShape: new[] { 4, 4 }, BoolMask: true, Causal: true, Mode: 3),
        _ => new(1, 3, 3, 17, 19, 3, 20, 33, false, Causal: true, MaskShape: new[] { 17, 22 }),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_definition_at_every_vector_width(string name)
    {
        var c = Make(name);
        int d = c.Head, dv = c.ValueHead;
        float[] q = Random(c.Batch * c.QHeads * c.QLength * d, 61), k = Random(c.Batch * c.KvHeads * c.KvLength * d, 62), v = Random(c.Batch * c.KvHeads * c.KvLength * dv, 63);
        float[] pastK = Random(c.Batch * c.KvHeads * c.Past * d, 64), pastV = Random(c.Batch * c.KvHeads * c.Past * dv, 65);
        int maskCount = c.MaskShape?.Aggregate(1, (a, b) => a * b) ?? 0;
        float[] mask = c.BoolMask || c.MaskShape is null ? Array.Empty<float>() : Random(maskCount, 66, 2f);
        bool[] boolMask = c.BoolMask ? Random(maskCount, 67).Select(x => x > -0.4f).ToArray() : Array.Empty<bool>();
        if (name == "fully masked rows") boolMask = new[] { false, false, false, false, true, true, true, true, false, false, true, true, true, true, true, true };
        if (name == "float mask broadcast mode2") mask[3] = float.NegativeInfinity;

        var (y, presentK, presentV, qk) = Reference(c, q, k, v, mask, boolMask, pastK, pastV);
        var shape = new AttentionShape(c.Batch, c.QHeads, c.KvHeads, c.QLength, c.KvLength, c.Past, d, dv, c.Packed);
        var options = new AttentionOptions(c.ScaleValue, c.Softcap, c.Causal, c.Mode, c.MaskShape?.Last() ?? 0, MaskStride(c, 0), MaskStride(c, 1), MaskStride(c, 2));
        foreach (var width in Widths())
        {
            var ay = Enumerable.Repeat(float.NaN, y.Length).ToArray();
            var ak = new float[presentK.Length];
            var av = new float[presentV.Length];
            var aqk = new float[qk.Length];
            // Scratch as the memory plan gives it: exactly the bytes asked for, with stale contents, and a guard after it.
            long bytes = AttentionScratch.Bytes(c.Total, d);
            var scratch = Enumerable.Repeat((byte)0xFF, (int)bytes + Guard).ToArray();
            Attention.Run(q, k, v, mask, boolMask, c.Past > 0 ? pastK : default, c.Past > 0 ? pastV : default, c.NonPad ?? default,
                ay, ak, av, aqk, shape, options, scratch.AsSpan(0, (int)bytes), width);
            Assert.True(scratch.Skip((int)bytes).All(b => b == 0xFF), $"{name}: the kernel wrote past its {bytes} bytes of scratch at {width}");
            Close(y, ay, $"{name}: Y at {width}");
            Close(presentK, ak, $"{name}: present_key at {width}");
            Close(presentV, av, $"{name}: present_value at {width}");
            Close(qk, aqk, $"{name}: qk_matmul_output (mode {c.Mode}) at {width}");
        }
    }

    private const int Guard = 64;

    [Fact]
    public void Short_spans_and_bad_shapes_throw()
    {
        var shape = new AttentionShape(1, 2, 2, 3, 4, 0, 8, 8, false);
        var options = new AttentionOptions(0.3f, 0, false, 0, 0, 0, 0, 0);
        Assert.Throws<ArgumentException>(() => Attention.Run(new float[47], new float[64], new float[64], default, default, default, default, default, new float[48], default, default, default, shape, options, Scratch(shape)));
        Assert.Throws<ArgumentException>(() => Attention.Run(new float[48], new float[64], new float[64], default, default, default, default, default, new float[47], default, default, default, shape, options, Scratch(shape)));
        var masked = new AttentionOptions(0.3f, 0, false, 0, 5, 0, 0, 5);
        Assert.Throws<ArgumentException>(() => Attention.Run(new float[48], new float[64], new float[64], new float[15], default, default, default, default, new float[48], default, default, default, shape, masked, Scratch(shape)));
        Assert.Throws<ArgumentException>(() => Attention.Run(new float[48], new float[64], new float[64], default, default, default, default, default, new float[48], default, default, default, shape, options,
            new byte[AttentionScratch.Bytes(4, 8) - 1]));
        Assert.Throws<ArgumentException>(() => new AttentionShape(1, 3, 2, 1, 1, 0, 8, 8, false));
    }

    private static byte[] Scratch(in AttentionShape s) => new byte[AttentionScratch.Bytes(s.TotalLength, s.HeadSize)];

    /// <summary>Element stride of the mask for batch (0), head (1) and query row (2); 0 where it broadcasts.</summary>
    private static int MaskStride(Case c, int axis)
    {
        if (c.MaskShape is not { } m) return 0;
        int md = m.Length - 4 + axis;
        if (md < 0 || m[md] == 1) return 0;
        int stride = 1;
        for (int i = md + 1; i < m.Length; i++) stride *= m[i];
        return stride;
    }

    /// <summary>
    /// The ONNX definition, in double: Q·K^T * scale, softcap, + bias (mask padded with -inf, causal j &lt;= i + offset,
    /// nonpad padding), softmax (zero for rows whose bias is all -inf), · V; present caches = past ++ new.
    /// </summary>
    private static (float[] Y, float[] PresentK, float[] PresentV, float[] Qk) Reference(Case c, float[] q, float[] k, float[] v, float[] mask, bool[] boolMask, float[] pastK, float[] pastV)
    {
        int d = c.Head, dv = c.ValueHead, total = c.Total, group = c.QHeads / c.KvHeads;
        double Q(int b, int h, int i, int e) => q[c.Packed ? ((b * c.QLength + i) * c.QHeads + h) * d + e : ((b * c.QHeads + h) * c.QLength + i) * d + e];
        double Key(int b, int h, int j, int e) => j < c.Past ? pastK[((b * c.KvHeads + h) * c.Past + j) * d + e]
            : k[c.Packed ? ((b * c.KvLength + j - c.Past) * c.KvHeads + h) * d + e : ((b * c.KvHeads + h) * c.KvLength + j - c.Past) * d + e];
        double Value(int b, int h, int j, int e) => j < c.Past ? pastV[((b * c.KvHeads + h) * c.Past + j) * dv + e]
            : v[c.Packed ? ((b * c.KvLength + j - c.Past) * c.KvHeads + h) * dv + e : ((b * c.KvHeads + h) * c.KvLength + j - c.Past) * dv + e];
        double MaskAt(int b, int h, int i, int j)
        {
            if (c.MaskShape is not { } m) return 0;
            if (j >= m[m.Length - 1]) return double.NegativeInfinity;
            int[] index = { b, h, i, j };
            int flat = 0, stride = 1;
            for (int a = m.Length - 1; a >= 0; a--)
            {
                int full = 4 - m.Length + a;
                flat += (m[a] == 1 ? 0 : index[full]) * stride;
                stride *= m[a];
            }
            return c.BoolMask ? (boolMask[flat] ? 0 : double.NegativeInfinity) : mask[flat];
        }

        var y = new float[c.Batch * c.QHeads * c.QLength * dv];
        var qk = new float[c.Batch * c.QHeads * c.QLength * total];
        for (int b = 0; b < c.Batch; b++)
        {
            long valid = c.NonPad?[b] ?? total;
            long offset = c.Past > 0 ? c.Past : c.NonPad is not null ? valid - c.QLength : 0;
            for (int h = 0; h < c.QHeads; h++)
            {
                int kh = h / group;
                for (int i = 0; i < c.QLength; i++)
                {
                    var scores = new double[total];
                    var bias = new double[total];
                    for (int j = 0; j < total; j++)
                    {
                        double s = 0;
                        for (int e = 0; e < d; e++) s += Q(b, h, i, e) * Key(b, kh, j, e);
                        s *= c.ScaleValue;
                        if (c.Softcap > 0) s = c.Softcap * Math.Tanh(s / c.Softcap);
                        scores[j] = s;
                        bias[j] = MaskAt(b, h, i, j) + (c.Causal && j > i + offset ? double.NegativeInfinity : 0) + (j >= valid ? double.NegativeInfinity : 0);
                    }
                    var w = scores.Select((s, j) => s + bias[j]).ToArray();
                    bool masked = bias.All(double.IsNegativeInfinity);
                    double max = w.Max();
                    var p = masked || double.IsNegativeInfinity(max) ? new double[total] : w.Select(x => Math.Exp(x - max)).ToArray();
                    double sum = p.Sum();
                    if (sum > 0) p = p.Select(x => x / sum).ToArray();
                    var exposed = c.Mode <= 1 ? scores : c.Mode == 2 ? w : p;
                    for (int j = 0; j < total; j++) qk[((b * c.QHeads + h) * c.QLength + i) * total + j] = (float)exposed[j];
                    for (int e = 0; e < dv; e++)
                    {
                        double acc = 0;
                        for (int j = 0; j < total; j++) acc += p[j] * Value(b, kh, j, e);
                        y[c.Packed ? ((b * c.QLength + i) * c.QHeads + h) * dv + e : ((b * c.QHeads + h) * c.QLength + i) * dv + e] = (float)acc;
                    }
                }
            }
        }
        var presentK = new float[c.Batch * c.KvHeads * total * d];
        var presentV = new float[c.Batch * c.KvHeads * total * dv];
        for (int b = 0; b < c.Batch; b++)
            for (int h = 0; h < c.KvHeads; h++)
                for (int j = 0; j < total; j++)
                {
                    for (int e = 0; e < d; e++) presentK[((b * c.KvHeads + h) * total + j) * d + e] = (float)Key(b, h, j, e);
                    for (int e = 0; e < dv; e++) presentV[((b * c.KvHeads + h) * total + j) * dv + e] = (float)Value(b, h, j, e);
                }
        return (y, presentK, presentV, qk);
    }

    /// <summary>Within tolerance; equal infinities match (masked scores are -inf).</summary>
    private static void Close(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (float.IsInfinity(expected[i]) && expected[i] == actual[i]) continue;
            double error = Math.Abs((double)expected[i] - actual[i]);
            if (!(error <= Atol + Rtol * Math.Abs(expected[i])))
                Assert.Fail(string.Create(CultureInfo.InvariantCulture, $"{what}: element {i} is {actual[i]:R}, expected {expected[i]:R}"));
        }
    }
}
