using System;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Quantization;

/// <summary>
/// Weights that stay narrow in the assembly, on models built here (no ../shared needed): float16 initializers
/// behind Cast (2 bytes per weight in the blob, widened once on first use), int4 weights behind a blocked
/// DequantizeLinear (half a byte per weight, multiplied straight from the nibbles) and int8 QDQ weights
/// (1 byte). Results equal ONNX Runtime running the same graph; Predict still allocates nothing after warm-up.
/// </summary>
public sealed class CompactWeightTests
{
    /// <summary>x[1,3,6,6] -> Conv(float16 weights, 4x3x3x3) [-> BatchNormalization] -> Relu -> Flatten -> Gemm(float16 weights 10x144, bias) -> y.</summary>
    private static byte[] Float16Model(bool batchNorm = false)
    {
        var b = new OnnxModelBuilder(13, producer: "OnnxBuilder", producerVersion: null);
        var x = b.Input("x", DataType.Float, 1, 3, 6, 6);
        Half[] H(int n, uint seed) => OnnxModelBuilder.RandomFloats(n, seed).Select(v => (Half)v).ToArray();
        string Widen(string name) => b.Op("Cast", new[] { name }, OnnxModelBuilder.Int("to", (int)DataType.Float));
        var w = Widen(b.Initializer(new[] { 4, 3, 3, 3 }, H(108, 1)));
        var conv = b.Op("Conv", new[] { x, w }, OnnxModelBuilder.Ints("pads", 1, 1, 1, 1));
        if (batchNorm)
        {
            // Scale, shift, mean and a positive variance, float16 and widened like the weights.
            var variance = OnnxModelBuilder.RandomFloats(4, 7).Select(v => (Half)(0.5f + Math.Abs(v))).ToArray();
            conv = b.Op("BatchNormalization", new[] { conv, Widen(b.Initializer(new[] { 4 }, H(4, 4))), Widen(b.Initializer(new[] { 4 }, H(4, 5))),
                Widen(b.Initializer(new[] { 4 }, H(4, 6))), Widen(b.Initializer(new[] { 4 }, variance)) });
        }
        var flat = b.Op("Flatten", new[] { b.Op("Relu", new[] { conv }) });
        var y = b.Op("Gemm", new[] { flat, Widen(b.Initializer(new[] { 10, 144 }, H(1440, 2))), Widen(b.Initializer(new[] { 10 }, H(10, 3))) }, OnnxModelBuilder.Int("transB", 1));
        b.Output(y, DataType.Float);
        return WithOutputShape(b.Build(), 1, 10);
    }

    /// <summary>Declares the graph output's shape (the allocation probe sizes its buffers from it).</summary>
    private static byte[] WithOutputShape(byte[] model, params int[] shape)
    {
        var proto = Onnx.Proto.ModelProto.Parser.ParseFrom(model);
        var tensor = proto.Graph.Output[0].Type.TensorType;
        tensor.Shape = new Onnx.Proto.TensorShapeProto();
        foreach (int d in shape) tensor.Shape.Dim.Add(new Onnx.Proto.TensorShapeProto.Types.Dimension { DimValue = d });
        return Google.Protobuf.MessageExtensions.ToByteArray(proto);
    }

    /// <summary>x[2,32] -> MatMul(B int4 [32,8] in blocks of 16 along K, DequantizeLinear opset 21) -> y[2,8].</summary>
    private static byte[] Int4Model(bool asymmetric)
    {
        var b = new OnnxModelBuilder(21, producer: "OnnxBuilder", producerVersion: null);
        var x = b.Input("x", DataType.Float, 2, 32);
        var m = OnnxModelBuilder.RandomFloats(32 * 8, 5);
        var (packed, scales, zps, scaleShape) = Int4Quantizer.Blocked(m, new[] { 32, 8 }, 0, 16, asymmetric);
        var type = asymmetric ? DataType.UInt4 : DataType.Int4;
        var inputs = new[] { b.Initializer(type, new[] { 32, 8 }, packed), b.Initializer(scaleShape, scales) }.ToList();
        if (zps is not null) inputs.Add(b.Initializer(type, scaleShape, zps));
        var w = b.Op("DequantizeLinear", inputs.ToArray(), OnnxModelBuilder.Int("axis", 0), OnnxModelBuilder.Int("block_size", 16));
        b.Output(b.Op("MatMul", new[] { x, w }), DataType.Float);
        var bytes = WithOutputShape(b.Build(), 2, 8);
        var proto = Onnx.Proto.ModelProto.Parser.ParseFrom(bytes);
        proto.IrVersion = 10; // int4 tensors need IR 10
        return Google.Protobuf.MessageExtensions.ToByteArray(proto);
    }

    /// <summary>
    /// x[3,200] -> Gemm(DequantizeLinear(int8 or uint8 weight [37,200], one scale per row: axis 0), bias, transB) -> y[3,37]:
    /// a weight-only int8 classifier, K long enough for the 64-wide AVX-512 loop and its 16-wide and scalar tails.
    /// </summary>
    private static byte[] Int8WeightGemm(bool unsigned)
    {
        const int n = 37, k = 200;
        var b = new OnnxModelBuilder(13, producer: "OnnxBuilder", producerVersion: null);
        var x = b.Input("x", DataType.Float, 3, k);
        var r = new Rng(unsigned ? 91u : 90u);
        var q = Enumerable.Range(0, n * k).Select(_ => (byte)(unsigned ? r.Int(0, 255) : (byte)(sbyte)r.Int(-128, 127))).ToArray();
        var scales = Enumerable.Range(0, n).Select(_ => r.Float(0.001f, 0.01f)).ToArray();
        var zeroPoints = Enumerable.Range(0, n).Select(_ => unsigned ? (byte)r.Int(100, 156) : (byte)(sbyte)r.Int(-10, 10)).ToArray();
        var type = unsigned ? DataType.UInt8 : DataType.Int8;
        var w = b.Op("DequantizeLinear", new[] { b.Initializer(type, new[] { n, k }, q), b.Initializer(new[] { n }, scales), b.Initializer(type, new[] { n }, zeroPoints) },
            OnnxModelBuilder.Int("axis", 0));
        var y = b.Op("Gemm", new[] { x, w, b.Initializer(new[] { n }, OnnxModelBuilder.RandomFloats(n, 92)) }, OnnxModelBuilder.Int("transB", 1));
        b.Output(y, DataType.Float);
        return WithOutputShape(b.Build(), 3, n);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Int8_weight_gemm_reads_1_byte_weights_and_matches_onnxruntime(bool unsigned)
    {
        var bytes = Int8WeightGemm(unsigned);
        var model = TypedModel.Compile(bytes, unsigned ? "u8w" : "s8w");
        Assert.Contains("PackedWeightGemm.Multiply8", model.Source, StringComparison.Ordinal);
        Assert.True(model.Result.WeightBytes <= 37 * 200 + 3 * 64 * model.Result.WeightTensors, $"blob {model.Result.WeightBytes} B");
        for (int s = 0; s < 3; s++)
        {
            var x = QuantCompare.Uniform(600, (uint)(93 + s), -1, 1);
            var ours = (float[])model.RunTyped(new Array[] { x })[0].Data;
            var ort = (float[])OrtReference.RunTyped(bytes, new[] { TestTensor.Floats("x", new[] { 3, 200 }, x) })[0].Data;
            // Float32 sums in a different order, and the scale applied once per sum: 1e-4 relative.
            Compare.Close(ort, ours, 1e-4, 1e-5, $"sample {s}");
        }
    }

    /// <summary>
    /// Float16 initializers widened by Cast stay 2 bytes each in the blob and compute in float32 (1e-4 against ONNX
    /// Runtime). With a BatchNormalization after the Conv too: folding it would rewrite the Conv's weights as
    /// float32, so it stays a layer of its own and the weights stay float16.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Float16_weights_take_2_bytes_each_and_compute_in_float32(bool batchNorm)
    {
        var bytes = Float16Model(batchNorm);
        var model = TypedModel.Compile(bytes, batchNorm ? "fp16w_bn" : "fp16w");
        Assert.Contains("DecodedWeights.Widen", model.Source, StringComparison.Ordinal);
        Assert.DoesNotContain("Cast", string.Join("\n", model.Source.Split('\n').Where(l => l.TrimStart().StartsWith("// L", StringComparison.Ordinal))), StringComparison.Ordinal);
        long weights = 108 + 1440 + 10 + (batchNorm ? 16 : 0);
        Assert.True(model.Result.WeightBytes <= weights * 2 + 64 * model.Result.WeightTensors, $"blob {model.Result.WeightBytes} B for {weights} float16 weights");
        for (int s = 0; s < 3; s++)
        {
            var x = QuantCompare.Uniform(108, (uint)(70 + s), -1, 1);
            var ours = (float[])model.RunTyped(new Array[] { x })[0].Data;
            var ort = (float[])OrtReference.RunTyped(bytes, new[] { TestTensor.Floats("x", new[] { 1, 3, 6, 6 }, x) })[0].Data;
            Compare.Close(ort, ours, 1e-4, 1e-6, $"sample {s}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Int4_weights_stay_packed_and_match_onnxruntime(bool asymmetric)
    {
        var bytes = Int4Model(asymmetric);
        var model = TypedModel.Compile(bytes, "int4w");
        Assert.Contains("PackedWeightGemm.Multiply", model.Source, StringComparison.Ordinal);
        // 256 weights in 128 bytes, 16 scales (64 bytes), 16 zero points one per byte: three 64-byte-aligned tensors.
        Assert.True(model.Result.WeightBytes <= 128 + 64 + 64 + 16, $"blob {model.Result.WeightBytes} B");
        for (int s = 0; s < 3; s++)
        {
            var x = QuantCompare.Uniform(64, (uint)(80 + s), -1, 1);
            var ours = (float[])model.RunTyped(new Array[] { x })[0].Data;
            var ort = (float[])OrtReference.RunTyped(bytes, new[] { TestTensor.Floats("x", new[] { 2, 32 }, x) })[0].Data;
            Compare.Close(ort, ours, 1e-4, 1e-5, $"sample {s}");
        }
    }

    /// <summary>
    /// torch-exports/tiny_densenet4_fp16w (float16 initializers + Cast): the stored outputs and the digits accuracy
    /// are checked with the float exports (TorchExportTests); here ONNX Runtime on the stored inputs, and the blob.
    /// </summary>
    [Fact]
    public void The_float16_weight_export_matches_onnxruntime_with_2_byte_weights()
    {
        string folder = Repo.Shared("models/torch-exports");
        var bytes = System.IO.File.ReadAllBytes(System.IO.Path.Combine(folder, "tiny_densenet4_fp16w.onnx"));
        var model = TypedModel.Compile(bytes, "densenet_fp16w");
        Assert.Contains("DecodedWeights.Widen", model.Source, StringComparison.Ordinal);
        var proto = Onnx.Proto.ModelProto.Parser.ParseFrom(bytes);
        long halfs = proto.Graph.Initializer.Where(t => t.DataType == (int)DataType.Float16).Sum(t => t.Dims.Aggregate(1L, (a, d) => a * d));
        TestContext.Current.TestOutputHelper?.WriteLine($"{halfs} float16 weights, blob {model.Result.WeightBytes} B in {model.Result.WeightTensors} tensors");
        Assert.True(model.Result.WeightBytes <= halfs * 2 + 64 * model.Result.WeightTensors);
        foreach (int sample in new[] { 0, 1 })
        {
            var x = TestTensor.ReadFloatBin(System.IO.Path.Combine(folder, $"tiny_densenet4_fp16w.in{sample}.bin"));
            var ours = (float[])model.RunTyped(new Array[] { x })[0].Data;
            var ort = (float[])OrtReference.RunTyped(bytes, new[] { TestTensor.Floats("input", new[] { 1, 1, 8, 8 }, x) })[0].Data;
            Compare.Close(ort, ours, 1e-4, 1e-5, $"sample {sample}");
        }
    }

    [Fact]
    public void Decoded_and_quantized_weights_allocate_nothing_after_warm_up()
    {
        foreach (var (name, bytes) in new[] { ("fp16", Float16Model()), ("int4", Int4Model(false)) })
        {
            var model = Runtime.CompiledModel.Compile(bytes, "Compact.Allocation." + name);
            var input = OnnxModelBuilder.RandomFloats(model.InputLengths[0], 1);
            var output = new float[model.OutputLengths[0]];
            long allocated = model.SteadyAllocatedBytes(input, output, 100); // after warm-up: JIT, arena, blob, decoded weights
            Assert.True(allocated == 0, $"{name}: {allocated} bytes allocated in 100 calls");
        }
    }
}
