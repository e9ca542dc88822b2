using System;
using ModelCompiler.Tests.Infrastructure;
using Xunit;
using Xunit.Sdk;

namespace ModelCompiler.Tests.Harness;

/// <summary>
/// The comparison helpers every model and kernel test goes through must fail on NaN and infinities: an output
/// full of NaN has a NaN error measure, and a check written <c>error &gt; tol</c> lets it pass.
/// </summary>
public sealed class CompareTests
{
    private static readonly float[] Reference = { 1f, -2f, 3f, 0.5f };

    public static TheoryData<float> Poison() => new(float.NaN, float.PositiveInfinity, float.NegativeInfinity);

    private static float[] With(float value, int at = 2)
    {
        var a = (float[])Reference.Clone();
        a[at] = value;
        return a;
    }

    [Theory]
    [MemberData(nameof(Poison))]
    public void Model_output_comparison_fails_on_a_poisoned_output(float poison)
    {
        Assert.Throws<FailException>(() => Compare.RelativeL2OrElementwise(Reference, With(poison), 1e-4, 1e-4, 1e-6, "ours"));
        Assert.Throws<FailException>(() => Compare.RelativeL2OrElementwise(With(poison), Reference, 1e-4, 1e-4, 1e-6, "reference"));
    }

    [Theory]
    [MemberData(nameof(Poison))]
    public void Element_wise_comparison_fails_on_a_poisoned_element(float poison)
    {
        Assert.Throws<FailException>(() => Compare.Close(Reference, With(poison), 1e-4, 1e-6, "ours"));
        Assert.Throws<FailException>(() => Compare.Close(With(poison), Reference, 1e-4, 1e-6, "expected"));
        Assert.Throws<FailException>(() => Compare.Close(new[] { 1.0, 2.0 }, new[] { 1.0, (double)poison }, 1e-4, 1e-6, "double"));
        Assert.Throws<FailException>(() => Compare.Close(new[] { (Half)1, (Half)2 }, new[] { (Half)1, (Half)poison }, 1e-3, 1e-6, "float16"));
    }

    [Theory]
    [MemberData(nameof(Poison))]
    public void Error_measures_are_NaN_or_too_large_and_fail_their_bound(float poison)
    {
        double l2 = Compare.RelativeL2(Reference, With(poison));
        double max = Compare.MaxAbsDifference(Reference, With(poison));
        Assert.False(Compare.Within(l2, 1e-4));
        Assert.False(Compare.Within(max, 1e-4));
        Assert.Throws<FailException>(() => Compare.AtMost(l2, 1e-4, "relative L2"));
        Assert.Throws<FailException>(() => Compare.AtMost(max, 1e-4, "max |diff|"));
        Assert.Throws<FailException>(() => Compare.AtMost(double.NaN, double.PositiveInfinity, "NaN against an infinite bound"));
    }

    [Fact]
    public void NaN_is_not_skipped_by_the_maximum()
    {
        // LINQ's Max skips NaN: max(|diff|) over { NaN, 0.5 } would read 0.5.
        Assert.True(double.IsNaN(Compare.MaxAbsDifference(new[] { 1f, 1f }, new[] { float.NaN, 1.5f })));
        Assert.True(double.IsNaN(Compare.MaxAbsDifference(new[] { 1f, 1f }, new[] { 1.5f, float.NaN })));
    }

    [Fact]
    public void The_same_NaN_or_infinity_on_both_sides_matches_and_close_values_pass()
    {
        float[] special = { float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1f };
        Compare.Close(special, (float[])special.Clone(), 1e-4, 1e-6, "special values");
        Compare.RelativeL2OrElementwise(special, (float[])special.Clone(), 1e-4, 1e-4, 1e-6, "special values");
        Compare.RelativeL2OrElementwise(Reference, With(3f * (1 + 1e-6f)), 1e-4, 1e-4, 1e-6, "close");
        // Values near 1e-7 (where relative L2 measures the reference's rounding) pass element-wise.
        Compare.RelativeL2OrElementwise(new[] { 1e-7f, 2e-7f }, new[] { 2e-7f, 1e-7f }, 1e-4, 1e-4, 1e-6, "tiny");
        Compare.AtMost(0.5, 0.5, "equal to the bound");
    }

    [Fact]
    public void Values_out_of_tolerance_fail()
    {
        Assert.Throws<FailException>(() => Compare.RelativeL2OrElementwise(Reference, With(3.1f), 1e-4, 1e-4, 1e-6, "ours"));
        Assert.Throws<FailException>(() => Compare.Close(Reference, With(3.1f), 1e-4, 1e-6, "ours"));
        Assert.Throws<FailException>(() => Compare.Close(new[] { 1, 2 }, new[] { 1, 3 }, 0, 0, "integers"));
    }
}
