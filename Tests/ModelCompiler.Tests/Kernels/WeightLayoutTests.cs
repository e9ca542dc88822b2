using System.Linq;
using ModelCompiler.Kernels;
using ModelCompiler.Runtime;
using Xunit;
using static ModelCompiler.Tests.Kernels.KernelTestData;

namespace ModelCompiler.Tests.Kernels;

/// <summary>
/// Compactly stored weights (float16, quantized) are packed at run time by <see cref="WeightLayouts"/>, float32
/// weights at build time by the generator's <see cref="WeightPacking"/>: both must give the same bits, or one
/// of the two paths would feed the packed kernels a wrong layout. Exact comparison (a pure rearrangement).
/// </summary>
public sealed class WeightLayoutTests
{
    [Theory]
    [InlineData(16, 1, 27)]    // 3x3 conv, 3 input channels
    [InlineData(12, 1, 8)]     // a partial last panel
    [InlineData(20, 4, 9)]     // grouped, 5 channels per group
    [InlineData(3, 1, 5)]      // fewer channels than one panel
    public void Conv_panels_match_the_build_time_packing(int outChannels, int groups, int kPerGroup)
    {
        float[] w = Random(outChannels * kPerGroup, outChannels + kPerGroup);
        float[] atBuild = WeightPacking.ConvPanels(w, outChannels, groups, kPerGroup);
        float[] atRun = WeightLayouts.ConvPanels(w, outChannels, groups, kPerGroup);
        Assert.Equal(atBuild.Length, atRun.Length);
        Assert.True(atBuild.SequenceEqual(atRun));
    }

    [Theory]
    [InlineData(144, 10, true)]
    [InlineData(144, 10, false)]
    [InlineData(7, 33, false)]
    [InlineData(64, 16, true)]
    public void Gemm_strips_match_the_build_time_packing(int k, int n, bool transposed)
    {
        float[] b = Random(k * n, k + n);
        float[] atBuild = WeightPacking.GemmStrips(b, k, n, transposed, 1f);
        float[] atRun = WeightLayouts.GemmStrips(b, k, n, transposed);
        Assert.Equal(atBuild.Length, atRun.Length);
        Assert.True(atBuild.SequenceEqual(atRun));
    }

    [Fact]
    public void A_weight_count_that_does_not_match_the_sizes_is_an_argument_error()
    {
        Assert.Throws<System.ArgumentException>(() => WeightLayouts.ConvPanels(new float[10], 4, 1, 3));
        Assert.Throws<System.ArgumentException>(() => WeightLayouts.GemmStrips(new float[10], 4, 3, false));
    }
}
