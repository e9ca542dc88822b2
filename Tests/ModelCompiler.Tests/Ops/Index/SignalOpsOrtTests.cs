using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Tests.Infrastructure;
using Xunit;
using static ModelCompiler.Tests.Ops.Index.OpCase;

namespace ModelCompiler.Tests.Ops.Index;

/// <summary>
/// The audio front-end ops against ONNX Runtime: DFT (opset 17 and 20, real and complex input, power-of-two
/// lengths on the FFT path and others on the direct sum, zero padding, one-sided, inverse), STFT with a constant
/// and a run-time window, and the build-time window functions and MelWeightMatrix at audio sizes.
/// Floats within 1e-6 + 1e-4 relative; DFT and STFT bins also within 1e-4 absolute, because ONNX Runtime's
/// float32 transform leaves noise of that order on bins that are zero (ModelCompiler's runs in double precision
/// and is checked against an exact reference in <see cref="Kernels.SignalKernelTests"/>).
/// </summary>
public sealed class SignalOpsOrtTests
{
    private static readonly HashSet<string> s_weights = new(StringComparer.Ordinal) { "length", "axis", "step", "frame", "size", "bins", "dft", "rate", "low", "high", "hann" };

    private static IEnumerable<OpCase> All() => Transforms().Select(c => c with { Atol = 1e-4 }).Concat(BuildTime());

    private static IEnumerable<OpCase> Transforms()
    {
        var real = Floats("x", new[] { 2, 16, 3, 1 }, 1);
        var complex = Floats("x", new[] { 2, 12, 3, 2 }, 2);
        yield return Node("dft17_real_pow2", "DFT", 17, new[] { real }, new[] { DataType.Float }, null, ("axis", 1));
        yield return Node("dft17_complex_12_inverse", "DFT", 17, new[] { complex }, new[] { DataType.Float }, null, ("axis", 1), ("inverse", 1));
        yield return Node("dft17_real_onesided_padded_20", "DFT", 17, new[] { real, Longs("length", Array.Empty<int>(), 20) }, new[] { DataType.Float }, s_weights, ("axis", 1), ("onesided", 1));
        yield return Node("dft17_complex_truncated_8", "DFT", 17, new[] { complex, Longs("length", Array.Empty<int>(), 8) }, new[] { DataType.Float }, s_weights, ("axis", 1));
        yield return Node("dft20_axis_input_inner", "DFT", 20, new[] { Floats("x", new[] { 2, 3, 64, 1 }, 3), null, Longs("axis", Array.Empty<int>(), -2) }, new[] { DataType.Float }, s_weights);
        yield return Node("dft20_long_real_512", "DFT", 20, new[] { Floats("x", new[] { 1, 512, 1 }, 4), null, Longs("axis", Array.Empty<int>(), 1) }, new[] { DataType.Float }, s_weights, ("onesided", 1));

        var signal = Floats("signal", new[] { 2, 256, 1 }, 5);
        var hann = TestTensor.Floats("hann", new[] { 128 }, Enumerable.Range(0, 128).Select(n => (float)Math.Pow(Math.Sin(Math.PI * n / 128), 2)).ToArray());
        yield return Node("stft_constant_window_128", "STFT", 17, new[] { signal, Longs("step", Array.Empty<int>(), 64), hann }, new[] { DataType.Float }, s_weights);
        yield return Node("stft_runtime_window_100", "STFT", 17,
            new[] { signal, Longs("step", Array.Empty<int>(), 40), Floats("window", new[] { 100 }, 6), Longs("frame", Array.Empty<int>(), 100) }, new[] { DataType.Float }, s_weights);
        yield return Node("stft_complex_two_sided", "STFT", 17, new[] { Floats("signal", new[] { 1, 64, 2 }, 7), Longs("step", Array.Empty<int>(), 16), null, Longs("frame", Array.Empty<int>(), 32) },
            new[] { DataType.Float }, s_weights, ("onesided", 0));
    }

    private static IEnumerable<OpCase> BuildTime()
    {
        foreach (string window in new[] { "HannWindow", "HammingWindow", "BlackmanWindow" })
            foreach (int periodic in new[] { 1, 0 })
                yield return Node($"{window}_{(periodic == 1 ? "periodic" : "symmetric")}_400", window, 17, new[] { Longs("size", Array.Empty<int>(), 400) },
                    new[] { DataType.Float }, s_weights, ("periodic", periodic));
        yield return Node("melweightmatrix_40_512_16k", "MelWeightMatrix", 17,
            new[] { Longs("bins", Array.Empty<int>(), 40), Longs("dft", Array.Empty<int>(), 512), Longs("rate", Array.Empty<int>(), 16000),
                TestTensor.Floats("low", Array.Empty<int>(), new[] { 20f }), TestTensor.Floats("high", Array.Empty<int>(), new[] { 8000f }) },
            new[] { DataType.Float }, s_weights);
    }

    private static readonly Lazy<OpCaseGroup> s_group = new(() => OpCaseGroup.Build("SignalOrt", All()));

    public static TheoryData<string> Cases() => new(All().Select(c => c.Name));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_onnx_runtime(string name) => s_group.Value.Check(name);
}
