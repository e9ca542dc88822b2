using System.Linq;
using ModelCompiler.Runtime;
using Xunit;
using static ModelCompiler.Tests.Kernels.KernelTestData;

namespace ModelCompiler.Tests.Kernels;

/// <summary>
/// The packed weight layouts (<see cref="WeightLayouts"/>, one definition compiled into the generator, which packs
/// float32 weights at build time, and into the run-time library, which packs decoded compact weights) against their
/// definition element by element: panel element (group g, panel p, k, row r) is weight (g * M/group + 8p + r, k) or 0
/// past the group's channels; strip element (strip s, k, j) is B(k, 16s + j) times the scale, or 0 past n. Exact.
/// </summary>
public sealed class WeightLayoutTests
{
    [Theory]
    [InlineData(16, 1, 27)]    // 3x3 conv, 3 input channels
    [InlineData(12, 1, 8)]     // a partial last panel
    [InlineData(20, 4, 9)]     // grouped, 5 channels per group
    [InlineData(3, 1, 5)]      // fewer channels than one panel
    public void Conv_panels_hold_each_weight_at_its_panel_position(int outChannels, int groups, int kPerGroup)
    {
        float[] w = Random(outChannels * kPerGroup, outChannels + kPerGroup);
        float[] packed = WeightLayouts.ConvPanels(w, outChannels, groups, kPerGroup);
        int mg = outChannels / groups, panels = (mg + 7) / 8;
        Assert.Equal(groups * panels * kPerGroup * 8, packed.Length);
        Assert.Equal(packed.Length, WeightLayouts.ConvPanelsLength(outChannels, groups, kPerGroup));
        for (int g = 0; g < groups; g++)
            for (int p = 0; p < panels; p++)
                for (int k = 0; k < kPerGroup; k++)
                    for (int r = 0; r < 8; r++)
                    {
                        int channel = p * 8 + r;
                        float expected = channel < mg ? w[(g * mg + channel) * kPerGroup + k] : 0f;
                        Assert.Equal(expected, packed[((g * panels + p) * kPerGroup + k) * 8 + r]);
                    }
    }

    [Theory]
    [InlineData(144, 10, true, 1f)]
    [InlineData(144, 10, false, 1f)]
    [InlineData(7, 33, false, 0.5f)]
    [InlineData(64, 16, true, -2f)]
    public void Gemm_strips_hold_each_column_at_its_strip_position(int k, int n, bool transposed, float scale)
    {
        float[] b = Random(k * n, k + n);
        float[] packed = WeightLayouts.GemmStrips(b, k, n, transposed, scale);
        int strips = (n + 15) / 16;
        Assert.Equal(strips * k * 16, packed.Length);
        Assert.Equal(packed.Length, WeightLayouts.GemmStripsLength(k, n));
        for (int s = 0; s < strips; s++)
            for (int p = 0; p < k; p++)
                for (int j = 0; j < 16; j++)
                {
                    int column = s * 16 + j;
                    float expected = column < n ? (transposed ? b[column * k + p] : b[p * n + column]) * scale : 0f;
                    Assert.Equal(expected, packed[(s * k + p) * 16 + j]);
                }
        Assert.True(WeightLayouts.GemmStrips(b, k, n, transposed).SequenceEqual(WeightLayouts.GemmStrips(b, k, n, transposed, 1f)));
    }

    [Fact]
    public void A_weight_count_that_does_not_match_the_sizes_is_an_argument_error()
    {
        Assert.Throws<System.ArgumentException>(() => WeightLayouts.ConvPanels(new float[10], 4, 1, 3));
        Assert.Throws<System.ArgumentException>(() => WeightLayouts.GemmStrips(new float[10], 4, 3, false));
    }
}
