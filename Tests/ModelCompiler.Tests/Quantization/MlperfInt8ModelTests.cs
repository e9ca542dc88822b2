using System;
using System.IO;
using System.Linq;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Quantization;

/// <summary>
/// The int8 QOperator models of ../shared/models/mlperf-tiny-int8_Lawrence-lugs-MARP, compiled and compared with
/// ONNX Runtime on seeded random inputs drawn over each model's input quantization range. Outputs come out of
/// a DequantizeLinear, so comparing them compares the integers: a difference is a whole number of output
/// quantization steps. ONNX Runtime runs with graph optimizations off, so every node runs its own CPU kernel
/// (with them on, ORT may rewrite the graph first, e.g. into NHWC QLinearConv, which is the same arithmetic in
/// another layout but no longer "the same model").
/// </summary>
public sealed class MlperfInt8ModelTests
{
    /// <summary>(id, file, InputShape, allowed output steps, why).</summary>
    public static readonly (string Id, string File, string? InputShape, int Steps, string Why)[] Catalog =
    {
        ("mobilenetv2_12_int8", "mobilenetv2-12-int8.onnx", "1,3,224,224", 0, "exact"),
        ("ic_int8", "ic_quantized_int8.onnx", null, 0, "exact"),
        ("ic_int8_split", "ic_quantized_int8_split.onnx", null, 0, "exact"),
        ("ks_int8", "ks_quantized_int8.onnx", null, 0, "exact"),
        ("ks_int8_split", "ks_quantized_int8_split.onnx", null, 0, "exact"),
        ("ad_int8", "ad_quantized_int8.onnx", null, 0, "exact"),
        ("ad_int8_split", "ad_quantized_int8_split.onnx", null, 0, "exact"),
        ("mbv2_cifar10_int8", "mbv2_cifar10_int8.onnx", null, 0, "exact"),
        ("mbv2_cifar10_int8_binary", "mbv2_cifar10_int8_binary.onnx", null, 0, "exact"),
    };

    private static string PathOf(string file) => Path.Combine(Repo.SharedRoot, "models", "mlperf-tiny-int8_Lawrence-lugs-MARP", file);

    private static readonly ModelSuite s_suite = new("MlperfInt8",
        Catalog.Select(m => new ModelSuite.Entry(m.Id, () => File.ReadAllBytes(PathOf(m.File)), m.InputShape)));

    public static TheoryData<string> Models() => new(Catalog.Select(m => m.Id));

    /// <summary>Uniform inputs over the range the model's input quantization represents.</summary>
    internal static float[] Inputs(byte[] model, int length, uint seed)
    {
        var q = QuantModelInfo.InputQuantization(model);
        float lo = -1, hi = 1;
        if (q is { } p)
        {
            int qmin = p.Signed ? -128 : 0, qmax = p.Signed ? 127 : 255;
            lo = (qmin - p.ZeroPoint) * p.Scale;
            hi = (qmax - p.ZeroPoint) * p.Scale;
        }
        return OnnxModelBuilder.RandomFloats(length, seed).Select(v => lo + (v + 1) / 2 * (hi - lo)).ToArray();
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Matches_onnx_runtime_on_random_inputs(string id)
    {
        var entry = Catalog.Single(m => m.Id == id);
        Repo.Shared(Path.Combine("models", "mlperf-tiny-int8_Lawrence-lugs-MARP", entry.File));
        var model = s_suite[id];
        Assert.True(model.Failure is null, $"{id}: {model.Failure}");
        byte[] bytes = File.ReadAllBytes(PathOf(entry.File));
        float step = QuantModelInfo.OutputScale(bytes) ?? throw new InvalidOperationException($"{id}: no DequantizeLinear output");

        for (uint sample = 0; sample < 3; sample++)
        {
            var inputs = model.InputLengths.Select((n, i) => Inputs(bytes, n, 1000 + 17 * sample + (uint)i)).ToArray();
            var ours = model.Run(inputs);
            var reference = OrtReference.Run(bytes, inputs, model.InputShapes);
            Assert.Equal(reference.Length, ours.Length);
            for (int k = 0; k < ours.Length; k++)
            {
                // Random inputs that saturate everything would make the comparison vacuous.
                int distinct = reference[k].Distinct().Count();
                Assert.True(distinct > 1, $"{id} sample {sample} output {k}: ONNX Runtime's output is constant ({reference[k][0]})");
                int differing = 0;
                double worst = 0;
                for (int i = 0; i < ours[k].Length; i++)
                {
                    double steps = Math.Abs(ours[k][i] - reference[k][i]) / step;
                    if (!Compare.Within(steps, 1e-3)) differing++;
                    worst = Math.Max(worst, steps);
                }
                Assert.True(Compare.Within(worst, entry.Steps + 1e-3),
                    $"{id} sample {sample} output {k}: {differing} of {ours[k].Length} values differ from ONNX Runtime, by up to {worst:F2} quantization steps (allowed {entry.Steps}: {entry.Why})");
            }
        }
    }
}
