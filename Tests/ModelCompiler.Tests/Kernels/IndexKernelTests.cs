using System;
using System.Linq;
using ModelCompiler.Runtime;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Kernels;

/// <summary>
/// Kernels whose inner loops the ONNX node tests reach only at toy sizes, against references written here from
/// the ONNX spec: TopK's heap against a full stable sort (ties to the lower index, NaN largest), and DeformConv's
/// gathered-columns product (TensorPrimitives, SIMD) against the spec's per-tap sum with bilinear sampling.
/// TopK exact; DeformConv within 1e-5 + 1e-4 relative.
/// </summary>
public sealed class IndexKernelTests
{
    [Theory]
    [InlineData(1, 200, 1, 13, true)]
    [InlineData(3, 64, 5, 64, false)]
    [InlineData(2, 31, 2, 1, true)]
    public void TopK_matches_a_stable_sort(int outer, int n, int inner, int k, bool largest)
    {
        // Few distinct values (ties everywhere) and a NaN now and then.
        var x = OnnxModelBuilder.RandomFloats(outer * n * inner, (uint)(n + k)).Select((v, i) => i % 37 == 5 ? float.NaN : MathF.Round(v * 4)).ToArray();
        var values = new float[outer * k * inner];
        var indices = new long[values.Length];
        Indexing.TopK<float>(x, values, indices, outer, n, inner, k, largest);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                // Sort key: NaN as the largest value; equal values keep index order (OrderBy is stable).
                float Key(int j) => x[(o * n + j) * inner + i];
                var order = largest
                    ? Enumerable.Range(0, n).OrderByDescending(j => float.IsNaN(Key(j)) ? float.PositiveInfinity : Key(j)).ThenByDescending(j => float.IsNaN(Key(j))).ToList()
                    : Enumerable.Range(0, n).OrderBy(j => float.IsNaN(Key(j)) ? float.PositiveInfinity : Key(j)).ThenBy(j => float.IsNaN(Key(j))).ToList();
                for (int t = 0; t < k; t++)
                {
                    int at = (o * k + t) * inner + i;
                    Assert.True(indices[at] == order[t], $"row ({o}, {i}) place {t}: index {indices[at]}, expected {order[t]}");
                    Assert.True(values[at].Equals(Key(order[t])), $"row ({o}, {i}) place {t}: value {values[at]}, expected {Key(order[t])}");
                }
            }
    }

    [Theory]
    [InlineData(1, 1, 1, 1, 1, 0, 1)]
    [InlineData(2, 2, 2, 2, 2, 1, 1)]
    [InlineData(1, 4, 2, 1, 2, 1, 2)]
    public void DeformConv_matches_the_per_tap_definition(int batch, int groups, int offsetGroups, int stride, int dilation, int pad, int outPerGroup)
    {
        int inChannels = Lcm(groups, offsetGroups) * 2, height = 7, width = 8, kh = 3, kw = 2;
        int outChannels = groups * outPerGroup, inPerGroup = inChannels / groups;
        int oh = (height + 2 * pad - ((kh - 1) * dilation + 1)) / stride + 1, ow = (width + 2 * pad - ((kw - 1) * dilation + 1)) / stride + 1;
        var x = KernelTestData.Random(batch * inChannels * height * width, 1);
        var w = KernelTestData.Random(outChannels * inPerGroup * kh * kw, 2);
        var offset = KernelTestData.Random(batch * offsetGroups * kh * kw * 2 * oh * ow, 3, 2.5f);
        var mask = KernelTestData.Random(batch * offsetGroups * kh * kw * oh * ow, 4);
        var bias = KernelTestData.Random(outChannels, 5);
        var y = new float[batch * outChannels * oh * ow];
        Sampling.DeformConv(x, w, offset, bias, mask, y, batch, inChannels, height, width, outChannels, oh, ow, kh, kw, stride, stride, pad, pad, dilation, dilation, groups, offsetGroups);

        var expected = new float[y.Length];
        for (int n = 0; n < batch; n++)
            for (int oc = 0; oc < outChannels; oc++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        double sum = bias[oc];
                        int g = oc / outPerGroup;
                        for (int icl = 0; icl < inPerGroup; icl++)
                        {
                            int ic = g * inPerGroup + icl, og = ic / (inChannels / offsetGroups);
                            for (int a = 0; a < kh; a++)
                                for (int b = 0; b < kw; b++)
                                {
                                    int tap = (og * kh + a) * kw + b;
                                    double dy = offset[(((n * offsetGroups * kh * kw + tap) * 2) * oh + i) * ow + j];
                                    double dx = offset[(((n * offsetGroups * kh * kw + tap) * 2 + 1) * oh + i) * ow + j];
                                    double m = mask[((n * offsetGroups * kh * kw + tap) * oh + i) * ow + j];
                                    double py = i * stride - pad + a * dilation + dy, px = j * stride - pad + b * dilation + dx;
                                    sum += w[((oc * inPerGroup + icl) * kh + a) * kw + b] * m * Bilinear(x, (n * inChannels + ic) * height * width, height, width, py, px);
                                }
                        }
                        expected[((n * outChannels + oc) * oh + i) * ow + j] = (float)sum;
                    }
        KernelTestData.AssertClose(expected, y, $"DeformConv groups {groups}, offset groups {offsetGroups}, stride {stride}, dilation {dilation}, pad {pad}");
    }

    /// <summary>Bilinear interpolation with zeros outside the plane (GridSample align_corners=1, zeros padding, as the spec's reference uses).</summary>
    private static double Bilinear(float[] x, int plane, int height, int width, double y, double xpos)
    {
        int y0 = (int)Math.Floor(y), x0 = (int)Math.Floor(xpos);
        double fy = y - y0, fx = xpos - x0, sum = 0;
        for (int dy = 0; dy <= 1; dy++)
            for (int dx = 0; dx <= 1; dx++)
            {
                int yi = y0 + dy, xi = x0 + dx;
                if (yi < 0 || yi >= height || xi < 0 || xi >= width) continue;
                sum += (dy == 0 ? 1 - fy : fy) * (dx == 0 ? 1 - fx : fx) * x[plane + yi * width + xi];
            }
        return sum;
    }

    private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);
    private static int Lcm(int a, int b) => a / Gcd(a, b) * b;
}
