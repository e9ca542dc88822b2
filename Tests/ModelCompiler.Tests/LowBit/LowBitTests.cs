using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.Intrinsics.X86;
using System.Text.RegularExpressions;
using ModelCompiler.Compilation;
using ModelCompiler.Runtime;
using ModelCompiler.Tests.Infrastructure;
using Xunit;
using CompiledModel = ModelCompiler.Tests.Runtime.CompiledModel;

namespace ModelCompiler.Tests.LowBit;

/// <summary>
/// 2-8-bit fully connected layers (<see cref="LowBitLayers"/>): the kernel against an integer reference written here
/// (exact: code products summed in integers, then scale * sum + bias in float32 the same way) on every dot-product
/// path; and QONNX MLPs with 2- and 4-bit Quant weights and activations built in the test, against ONNX Runtime on
/// the rewritten model (float tolerance: the reference sums float products, the kernel exact integers). The scales
/// are chosen so that no hidden value lands on a rounding tie of the next Quant, where the float sum and the exact
/// one may round to different codes (with scales 0.3 * 0.25 / 0.5, 10 * 0.15 = 1.5 exactly is such a tie).
/// </summary>
public sealed class LowBitTests
{
    private static IEnumerable<LowBitIsa> Paths()
    {
        yield return LowBitIsa.Scalar;
        if (Avx2.IsSupported) yield return LowBitIsa.Avx2;
        if (Avx512BW.IsSupported) yield return LowBitIsa.Avx512;
    }

    [Theory]
    [InlineData(1, 784, 64, 2, true, 0)]
    [InlineData(3, 31, 9, 4, true, 0)]
    [InlineData(2, 33, 5, 4, false, 3)]
    [InlineData(1, 65, 17, 8, true, 0)]
    [InlineData(1, 1, 1, 2, false, 1)]
    public void Dense_matches_the_integer_reference(int m, int k, int n, int bits, bool signed, int zeroPoint)
    {
        var r = new Random(k * 31 + n);
        int lo = signed ? -(1 << (bits - 1)) : 0, hi = signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
        var codes = Enumerable.Range(0, n * k).Select(_ => r.Next(lo, hi + 1)).ToArray(); // [n][k]
        var packed = new byte[(n * k * bits + 7) / 8];
        for (int j = 0; j < codes.Length; j++) packed[j / (8 / bits)] |= (byte)((codes[j] & ((1 << bits) - 1)) << (j % (8 / bits) * bits));
        var table = LowBitLayers.WidenCodes(packed, bits, signed, zeroPoint, n, k);
        var x = Enumerable.Range(0, m * k).Select(_ => (float)(r.NextDouble() * 4 - 2)).ToArray();
        var scale = Enumerable.Range(0, n).Select(j => 0.01f * (j + 1)).ToArray();
        var bias = Enumerable.Range(0, n).Select(j => j * 0.5f - 1).ToArray();
        const float actScale = 0.25f, actZero = 1f, actMin = -3f, actMax = 4f;
        var expected = new float[m * n];
        for (int row = 0; row < m; row++)
            for (int j = 0; j < n; j++)
            {
                long sum = 0;
                for (int i = 0; i < k; i++)
                {
                    float q = Math.Clamp(x[row * k + i] / actScale + actZero, actMin, actMax);
                    sum += (long)(MathF.Round(q, MidpointRounding.ToEven) - actZero) * (codes[j * k + i] - zeroPoint);
                }
                expected[row * n + j] = scale[j] * sum + bias[j];
            }
        foreach (var isa in Paths())
        {
            var y = Enumerable.Repeat(float.NaN, m * n).ToArray();
            LowBitLayers.Dense(x, table, scale, bias, actScale, actZero, actMin, actMax, 0, y, m, n, k, isa);
            for (int i = 0; i < y.Length; i++) Assert.True(y[i] == expected[i], $"{isa}: y[{i}] = {y[i]}, expected {expected[i]}");
        }
    }

    [Theory]
    [InlineData(1, 60, 33, 7, 2, 2)]
    [InlineData(2, 64, 64, 10, 4, 2)]
    [InlineData(1, 100, 65, 3, 2, 4)]
    public void A_qonnx_low_bit_mlp_matches_onnx_runtime(int m, int k, int hidden, int n, int weightBits, int actBits)
    {
        const string domain = "onnx.brevitas";
        var b = new OnnxModelBuilder();
        b.Input("x", m, k);
        void Quant(string input, string output, float scale, int bits, int signed, int narrow)
        {
            b.Initializer(output + "_s", Array.Empty<int>(), new[] { scale });
            b.Initializer(output + "_z", Array.Empty<int>(), new[] { 0f });
            b.Initializer(output + "_b", Array.Empty<int>(), new[] { (float)bits });
            b.Node("Quant", new[] { input, output + "_s", output + "_z", output + "_b" }, output, domain: domain,
                attributes: new (string, object)[] { ("signed", signed), ("narrow", narrow), ("rounding_mode", "ROUND") });
        }
        Quant("x", "a0", 0.3f, actBits, 1, 1);
        b.Initializer("w1f", new[] { hidden, k }, OnnxModelBuilder.RandomFloats(hidden * k, 41));
        Quant("w1f", "w1", 0.23f, weightBits, 1, 1);
        b.Node("Transpose", new[] { "w1" }, "w1t", attributes: new (string, object)[] { ("perm", new[] { 1, 0 }) });
        b.Node("MatMul", new[] { "a0", "w1t" }, "h1");
        b.Node("Relu", new[] { "h1" }, "r1");
        Quant("r1", "a1", 0.47f, actBits, 0, 0);
        b.Initializer("w2f", new[] { n, hidden }, OnnxModelBuilder.RandomFloats(n * hidden, 42));
        Quant("w2f", "w2", 0.13f, weightBits, 1, 0);
        b.Initializer("c2", new[] { n }, OnnxModelBuilder.RandomFloats(n, 43));
        b.Node("Gemm", new[] { "a1", "w2", "c2" }, "y", attributes: new (string, object)[] { ("transB", 1) });
        b.Output("y", shape: new[] { m, n });
        var bytes = b.Build();
        var result = ModelCompilation.Compile(bytes, new ModelOptions { ClassName = "Model", Namespace = "T", WeightsResource = "r" });
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        Assert.Equal(2, Regex.Matches(result.Source!, @"LowBitLayers\.Dense\(").Count);
        int packedBits = weightBits <= 2 ? 2 : 4;
        long codesBytes = ((long)hidden * k * packedBits + 7) / 8 + ((long)n * hidden * packedBits + 7) / 8;
        Assert.True(result.WeightBytes <= codesBytes + 4 * 64 + 8 * (hidden + n) + 8 * 64, $"{result.WeightBytes} B of weights for {codesBytes} B of {packedBits}-bit codes");
        var model = CompiledModel.Compile(bytes, $"LowBit.Mlp{m}_{k}_{hidden}_{n}_{weightBits}_{actBits}");
        var reference = QonnxRewrite.ToStandardOnnx(bytes);
        for (uint seed = 0; seed < 3; seed++)
        {
            var x = OnnxModelBuilder.RandomFloats(m * k, 300 + seed);
            var expected = OrtReference.Run(reference, new[] { x })[0];
            var actual = model.Run(x)[0];
            double error = Compare.RelativeL2(expected, actual);
            if (!(error <= 1e-4)) Compare.Close(expected, actual, rtol: 1e-4, atol: 1e-5, $"seed {seed} (relative L2 {error:G3})");
        }
    }
}
