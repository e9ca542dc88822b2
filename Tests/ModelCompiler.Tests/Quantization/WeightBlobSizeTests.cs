using System;
using System.IO;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Quantization;

/// <summary>
/// Quantized and float16 weights stay compact in the assembly: the weight blob is compared with the bytes the
/// .onnx file's initializers take in their own types (int8 1 byte, int4 half a byte, float16 2 bytes, int32 and
/// float 4). Allowed: 64-byte alignment per blob tensor, plus 10% for what integer kernels precompute at build
/// time (per-channel requantization factors, weight sums for zero-point correction, packed layouts).
/// The measurements are printed for the record.
/// </summary>
public sealed class WeightBlobSizeTests
{
    public static TheoryData<string> Models() => new(
        "torch-exports/tiny_resnet3_int8_qdq.onnx", "torch-exports/tiny_shufflenet3_int8_qdq.onnx", "torch-exports/mlp_96_48_int8_qdq.onnx",
        "torch-exports/tiny_squeezenet_b_int8_qop.onnx", "torch-exports/mobilenet_v2_w050_160_int8_qdq.onnx",
        "torch-exports/tiny_densenet4_fp16w.onnx", "int4:int4_gemm", "int4:uint4_matmul_zero_point");

    [Theory]
    [MemberData(nameof(Models))]
    public void Blob_holds_weights_in_their_stored_width(string which)
    {
        byte[] bytes = which.StartsWith("int4:", StringComparison.Ordinal)
            ? Int4ModelTests.Model(which.Substring(5))
            : File.ReadAllBytes(Repo.Shared(Path.Combine("models", which)));
        var proto = ModelProto.Parser.ParseFrom(bytes);
        long initializerBytes = 0, parameters = 0;
        foreach (var t in proto.Graph.Initializer)
        {
            long count = t.Dims.Aggregate(1L, (a, d) => a * d);
            initializerBytes += ((DataType)t.DataType).ByteSize(count);
            parameters += count;
        }
        var (result, _) = InMemoryCompiler.Generate(bytes, "Sizes." + new string(which.Where(char.IsLetterOrDigit).ToArray()));
        Assert.True(result.Success, string.Join("; ", result.Diagnostics));
        long allowed = (long)(initializerBytes * 1.10) + 64L * result.WeightTensors;
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{which}: .onnx initializers {initializerBytes} B ({parameters} values, {Path.GetFileName(which)} as float32 would be {parameters * 4} B); " +
            $"weight blob {result.WeightBytes} B in {result.WeightTensors} tensors (allowed {allowed} B)");
        Assert.True(result.WeightBytes <= allowed, $"{which}: weight blob {result.WeightBytes} B > {allowed} B for {initializerBytes} B of initializers");
    }
}
