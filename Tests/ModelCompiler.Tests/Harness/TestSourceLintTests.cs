using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Harness;

/// <summary>
/// Forms that let a test pass while the product is broken, found in the test sources wherever they come back:
/// a check written <c>if (error &gt; tol) fail</c> passes when the error is NaN (test and benchmark code compares
/// error measures through <see cref="Compare"/>, or as <c>!(error &lt;= tol)</c>); and a reference computed by the
/// code under test (the runtime's own straightforward kernels for the SIMD kernel tests, the scalar integer path
/// for the integer kernel tests, ONNX Runtime for the test of the backend that wraps it).
/// </summary>
public sealed class TestSourceLintTests
{
    // An error-like name compared with > or >= against a floating-point literal or a tolerance/bound: never true for
    // NaN, so a NaN error takes the "fine" branch. (Integer literals are left alone: "worst >= 0" tests an index.)
    private static readonly Regex s_nanBlindComparison = new(
        @"\b\w*(error|Error|err|Err|diff|Diff|excess|Excess|rel|l2|L2|steps|Steps|worst|Worst|distance)\w*\s*>=?\s*(\d*\.\d+(e-?\d+)?|\d+e-?\d+|\w*(tol|Tol|bound|Bound)\w*)\b",
        RegexOptions.CultureInvariant);

    [Fact]
    public void No_error_measure_is_compared_in_a_way_that_NaN_passes()
    {
        string tests = Path.Combine(Repo.Root, "Tests");
        var offending = Directory.EnumerateFiles(tests, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar)
                     && !f.Contains(Path.DirectorySeparatorChar + "bin" + Path.DirectorySeparatorChar)
                     && !f.Contains(Path.DirectorySeparatorChar + "Snapshots" + Path.DirectorySeparatorChar))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: Path.GetRelativePath(Repo.Root, f), Line: i + 1, Text: line)))
            .Where(x => !x.Text.TrimStart().StartsWith("//", StringComparison.Ordinal) && !x.Text.TrimStart().StartsWith("///", StringComparison.Ordinal))
            .Where(x => s_nanBlindComparison.IsMatch(StripStrings(x.Text)))
            .Select(x => $"{x.File}:{x.Line}: {x.Text.Trim()}")
            .ToList();
        Assert.True(offending.Count == 0,
            "These comparisons let a NaN error pass; use Compare.AtMost/Within/RelativeL2OrElementwise or write !(error <= tol):\n" + string.Join("\n", offending));
    }

    /// <summary>(test file, what it must not call, why).</summary>
    private static readonly (string File, Regex Call, string Why)[] s_selfReferences =
    {
        ("Kernels/PackedConvTests.cs", new(@"\bConv\.Conv2D\("), "the runtime's own convolution is code under test; use ScalarReference.Conv2D"),
        ("Kernels/DepthwiseConvTests.cs", new(@"\bConv\.Conv2D\("), "the runtime's own convolution is code under test; use ScalarReference.Conv2D"),
        ("Kernels/PackedGemmTests.cs", new(@"\bGemm\.(Multiply|AddBias)\("), "the runtime's own Gemm is code under test; use ScalarReference.Gemm"),
        ("Kernels/MaxPoolSimdTests.cs", new(@"\bPool\.MaxPool\b"), "the runtime's own pooling is code under test; use ScalarReference.MaxPool"),
        ("Quantization/IntegerKernelTests.cs", new(@"\b(?!Assert\b)\w+\.\w+\(IntegerPath\.Scalar\s*,"), "the scalar integer path is code under test, not a reference; compare with a sum written in the test"),
        ("Runtime/OnnxRuntimeBackendComparisonTests.cs", new(@"\bOrtReference\."), "comparing the OnnxRuntime backend with ONNX Runtime compares ONNX Runtime with itself"),
    };

    [Fact]
    public void No_test_takes_its_reference_from_the_code_under_test()
    {
        string root = Path.Combine(Repo.Root, "Tests", "ModelCompiler.Tests");
        var offending = s_selfReferences
            .SelectMany(r => File.ReadLines(Path.Combine(root, r.File)).Select((line, i) => (r, Line: i + 1, Text: line)))
            .Where(x => !x.Text.TrimStart().StartsWith("//", StringComparison.Ordinal) && x.r.Call.IsMatch(x.Text))
            .Select(x => $"{x.r.File}:{x.Line}: {x.Text.Trim()}   ({x.r.Why})")
            .ToList();
        Assert.True(offending.Count == 0, "References computed by the code under test:\n" + string.Join("\n", offending));
    }

    [Theory]
    [InlineData("if (error > 1e-4) Compare.Close(a, b);", true)]
    [InlineData("if (steps > 1e-3) differing++;", true)]
    [InlineData("if (rel > 1e-3 && x) throw;", true)]
    [InlineData("if (maxDiff >= tolerance) Assert.Fail();", true)]
    [InlineData("if (!(error <= 1e-4)) Compare.Close(a, b);", false)]
    [InlineData("Assert.True(error <= 1e-4, \"error > 1e-4\");", false)]
    [InlineData("if (worst >= 0) Assert.Fail();", false)]
    public void The_scan_recognises_the_NaN_blind_form(string line, bool flagged) =>
        Assert.Equal(flagged, s_nanBlindComparison.IsMatch(StripStrings(line)));

    /// <summary>String literals (failure messages often say "error &gt; 1e-4") are not code.</summary>
    private static string StripStrings(string line) => Regex.Replace(line, "\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"");
}
