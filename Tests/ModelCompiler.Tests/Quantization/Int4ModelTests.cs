using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Quantization;

/// <summary>
/// Weight-only int4/uint4 MLPs (<see cref="Int4Quantizer"/> applied to torch-exports/mlp_96_48: every Gemm weight
/// quantized in blocks of 16 along K, opset 21 DequantizeLinear with block_size), as Gemm with B [N, K] blocked on
/// axis 1, or as MatMul with B [K, N] blocked on axis 0 (ONNX Runtime's MatMulNBits pattern). ModelCompiler keeps
/// the weights packed two per byte and multiplies straight from the nibbles; the results are float32 products of
/// the dequantized weights, compared with ONNX Runtime on the same model (graph as written: DequantizeLinear then
/// float MatMul/Gemm) to float rounding (|d| &lt;= 1e-5 + 1e-4 |e|), and the accuracy on the digits test split
/// must stay within 2 points of the float model's 0.9733.
/// </summary>
public sealed class Int4ModelTests
{
    public static readonly (string Id, bool Asymmetric, bool AsMatMul)[] Variants =
    {
        ("int4_gemm", false, false),
        ("uint4_gemm_zero_point", true, false),
        ("int4_matmul", false, true),
        ("uint4_matmul_zero_point", true, true),
    };

    public static TheoryData<string> Ids() => new(Variants.Select(v => v.Id));

    private static readonly ConcurrentDictionary<string, Lazy<(byte[] Bytes, CompiledModel Model)>> s_models = new();

    internal static byte[] Model(string id)
    {
        var v = Variants.First(x => x.Id == id);
        var floatModel = File.ReadAllBytes(Repo.Shared("models/torch-exports/mlp_96_48.onnx"));
        return Int4Quantizer.Quantize(floatModel, 16, v.Asymmetric, v.AsMatMul);
    }

    private static (byte[] Bytes, CompiledModel Model) Compiled(string id) =>
        s_models.GetOrAdd(id, _ => new Lazy<(byte[], CompiledModel)>(() => { var b = Model(id); return (b, TypedModel.Compile(b, id)); })).Value;

    [Theory]
    [MemberData(nameof(Ids))]
    public void Matches_onnxruntime_on_the_dequantized_weights(string id)
    {
        var (bytes, model) = Compiled(id);
        Assert.Contains("PackedWeightGemm.Multiply", model.Source, StringComparison.Ordinal);
        Assert.DoesNotContain("Decoded", model.Source, StringComparison.Ordinal);
        for (int sample = 0; sample < 4; sample++)
        {
            var input = QuantCompare.Uniform(64, (uint)(300 + sample));
            var ours = (float[])model.RunTyped(new Array[] { input })[0].Data;
            var ort = (float[])OrtReference.RunTyped(bytes, new[] { TestTensor.Floats("input", new[] { 1, 64 }, input) })[0].Data;
            Compare.Close(ort, ours, 1e-4, 1e-5, $"{id} sample {sample}");
        }
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Keeps_the_float_accuracy_within_two_points(string id)
    {
        var (_, model) = Compiled(id);
        var (accuracy, _, _) = DigitsTestSplit.Accuracy(input => (float[])model.RunTyped(new Array[] { input })[0].Data);
        TestContext.Current.TestOutputHelper?.WriteLine($"{id}: accuracy {accuracy:F4} (float model 0.9733)");
        Assert.True(accuracy >= 0.9733 - 0.02, $"{id}: accuracy {accuracy:F4}");
    }
}
