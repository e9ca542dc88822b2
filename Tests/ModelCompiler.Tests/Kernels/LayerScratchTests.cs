using System;
using ModelCompiler.Runtime;
using Xunit;
using static ModelCompiler.Tests.Kernels.KernelTestData;

namespace ModelCompiler.Tests.Kernels;

/// <summary>
/// Scratch memory a kernel asks the memory plan for (<c>Kernel.ScratchBytes</c>): <see cref="PackedConv"/> given a
/// region of the arena, which holds whatever the previous layers left there, computes the same bits as with its own
/// per-thread scratch, at every vector width and on 1 and 3 threads; the size the generator reserves
/// (<see cref="PackedConvScratch.MaxBytes"/>) is enough at every width, and a shorter region is refused.
/// </summary>
public sealed class LayerScratchTests
{
    [Theory]
    [MemberData(nameof(PackedConvTests.Cases), MemberType = typeof(PackedConvTests))]
    public void Packed_convolution_on_arena_scratch_matches_its_own_scratch(string spec)
    {
        var (g, kg) = PackedConvTests.Geometry(spec);
        float[] x = Random(g.batch * g.inChannels * g.inHeight * g.inWidth, 21);
        float[] packed = WeightLayouts.ConvPanels(Random(g.outChannels * kg, 22, 0.2f), g.outChannels, g.groups, kg);
        float[] bias = Random(g.outChannels, 23);
        int outLength = g.batch * g.outChannels * g.outHeight * g.outWidth;
        foreach (var width in Widths())
        {
            var expected = new float[outLength];
            PackedConv.Conv2D(x, packed, bias, default, expected, g, Epilogue.None, 1, width);
            foreach (int threads in new[] { 1, 3 })
            {
                // Stale data in the region: NaN bytes everywhere, so a read of memory the kernel did not write shows.
                var scratch = new byte[PackedConvScratch.MaxBytes(g)];
                scratch.AsSpan().Fill(0xFF);
                var y = new float[outLength];
                PackedConv.Conv2D(x, packed, bias, default, y, g, Epilogue.None, threads, scratch, width);
                Assert.True(expected.AsSpan().SequenceEqual(y), $"{spec} at {width} on {threads} thread(s): arena scratch differs");
            }
        }
    }

    [Fact]
    public void A_region_shorter_than_the_layer_needs_is_refused()
    {
        var (g, kg) = PackedConvTests.Geometry("n=1 c=5 h=9 w=11 m=7 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1");
        var packed = new float[PackedConv.PackedLength(g.outChannels, 1, kg)];
        var scratch = new byte[PackedConvScratch.MaxBytes(g) - 1];
        Assert.Throws<ArgumentException>(() => PackedConv.Conv2D(new float[5 * 99], packed, default, default, new float[7 * 99], g, Epilogue.None, 1, scratch));
    }
}
