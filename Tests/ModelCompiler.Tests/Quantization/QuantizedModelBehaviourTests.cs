using System.Collections.Generic;
using System.IO;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Tests.Elementwise;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Quantization;

/// <summary>
/// Run-time properties of quantized models (the integer kernels use per-thread scratch memory): no allocation
/// after warm-up, identical results from many threads, int8 weights stored as bytes.
/// </summary>
public sealed class QuantizedModelBehaviourTests
{
    private static string Mlperf(string file) => Path.Combine("models", "mlperf-tiny-int8_Lawrence-lugs-MARP", file);

    [Theory]
    [InlineData("ks_quantized_int8.onnx")]
    [InlineData("mbv2_cifar10_int8.onnx")]
    public void Predict_allocates_nothing_after_warm_up(string file)
    {
        var bytes = File.ReadAllBytes(Repo.Shared(Mlperf(file)));
        var model = ModelCompiler.Tests.Runtime.CompiledModel.Compile(bytes, "QuantBehaviour.Alloc" + file.Replace('.', '_'));
        var input = MlperfInt8ModelTests.Inputs(bytes, model.InputLengths[0], 3);
        var output = new float[model.OutputLengths[0]];
        Assert.Equal(0L, model.SteadyAllocatedBytes(input, output, 20));
    }

    [Fact]
    public void Eight_threads_get_identical_results()
    {
        var bytes = File.ReadAllBytes(Repo.Shared(Mlperf("ks_quantized_int8.onnx")));
        var model = ModelCompiler.Tests.Runtime.CompiledModel.Compile(bytes, "QuantBehaviour.Threads");
        var inputs = Enumerable.Range(0, 8).Select(i => MlperfInt8ModelTests.Inputs(bytes, model.InputLengths[0], (uint)(40 + i))).ToArray();
        var expected = inputs.Select(i => model.Run(i)[0]).ToArray();
        Assert.True(expected.Select(e => string.Join(",", e)).Distinct().Count() > 1, "inputs should give different outputs");
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Concurrently.Run(8, t =>
        {
            for (int call = 0; call < 40; call++)
            {
                int which = (t + call) % 8;
                if (!model.Run(inputs[which])[0].SequenceEqual(expected[which])) failures.Add($"thread {t} call {call}");
            }
        });
        Assert.Empty(failures);
    }

    /// <summary>The weight blob holds int8 weights one byte each: for these QOperator models it is no larger than the .onnx file.</summary>
    [Theory]
    [InlineData("mobilenetv2-12-int8.onnx", "1,3,224,224")]
    [InlineData("mbv2_cifar10_int8.onnx", null)]
    [InlineData("ic_quantized_int8.onnx", null)]
    [InlineData("ks_quantized_int8.onnx", null)]
    [InlineData("ad_quantized_int8.onnx", null)]
    [InlineData("ic_quantized_int8_split.onnx", null)]
    [InlineData("ks_quantized_int8_split.onnx", null)]
    [InlineData("ad_quantized_int8_split.onnx", null)]
    public void Int8_weights_stay_one_byte_each(string file, string? inputShape)
    {
        var bytes = File.ReadAllBytes(Repo.Shared(Mlperf(file)));
        var (result, _) = InMemoryCompiler.Generate(bytes, "QuantBehaviour.Size", inputShape: inputShape);
        Assert.True(result.Success, string.Join("; ", result.Diagnostics));
        var proto = Onnx.Proto.ModelProto.Parser.ParseFrom(bytes);
        long int8Weights = proto.Graph.Initializer.Where(t => t.DataType is (int)DataType.Int8 or (int)DataType.UInt8)
            .Sum(t => t.Dims.Aggregate(1L, (a, d) => a * d));
        TestContext.Current.TestOutputHelper?.WriteLine($"{file}: weight blob {result.WeightBytes} bytes ({result.WeightBytes / 1024} KB), model file {bytes.Length} bytes ({bytes.Length / 1024} KB), {int8Weights} int8 weights");
        Assert.True(result.WeightBytes <= bytes.Length, $"{file}: weight blob {result.WeightBytes} bytes, model file {bytes.Length} bytes");
        // Packing pads each filter to a multiple of 4 and aligns tensors to 64 bytes; everything else is small.
        Assert.True(result.WeightBytes < int8Weights * 1.35 + 64 * 1024, $"{file}: weight blob {result.WeightBytes} bytes for {int8Weights} int8 weights");
    }
}

/// <summary>Unsupported quantization patterns are reported with the node's name and what was expected.</summary>
public sealed class QuantizationDiagnosticsTests
{
    private static IReadOnlyList<ModelCompiler.Diagnostics.CompilerDiagnostic> Diagnose(QCase c) =>
        InMemoryCompiler.Generate(c.Model(), "QuantDiagnostics").Result.Diagnostics;

    private static TensorData U8(string name, params int[] shape) => T.Of(name, DataType.UInt8, shape, new byte[shape.Aggregate(1, (a, b) => a * b)]);
    private static TensorData S8(string name, params int[] shape) => T.Of(name, DataType.Int8, shape, new sbyte[shape.Aggregate(1, (a, b) => a * b)]);

    private static void AssertReported(QCase c, string id, params string[] fragments)
    {
        var d = Diagnose(c);
        var hit = d.FirstOrDefault(x => x.Id == id);
        Assert.True(hit is not null, $"expected {id}, got: {string.Join("; ", d)}");
        Assert.Contains(c.Op + "_node", hit!.Message);
        foreach (var f in fragments) Assert.Contains(f, hit.Message);
    }

    [Fact]
    public void Three_dimensional_QLinearConv_is_MC0003_naming_the_supported_ranks()
    {
        var c = new QCase("conv3d", "QLinearConv", "", 10, new TensorData?[]
        {
            U8("x", 1, 2, 4, 4, 4), T.Scalar("xs", 0.1f), T.ZeroPoint("xz", DataType.UInt8, 0),
            S8("w", 3, 2, 1, 1, 1), T.Scalar("ws", 0.1f), T.ZeroPoint("wz", DataType.Int8, 0),
            T.Scalar("ys", 0.1f), T.ZeroPoint("yz", DataType.UInt8, 0),
        }, DataType.UInt8, Constant: new[] { 1, 2, 3, 4, 5, 6, 7 });
        AssertReported(c, "MC0003", "3-D quantized convolution is not supported; 1-D and 2-D are");
    }

    [Fact]
    public void A_per_channel_input_scale_is_MC0008_saying_per_tensor_was_expected()
    {
        var c = new QCase("conv_pc_x", "QLinearConv", "", 10, new TensorData?[]
        {
            U8("x", 1, 2, 4, 4), T.Floats("xs", new[] { 2 }, new[] { 0.1f, 0.2f }), T.ZeroPoint("xz", DataType.UInt8, 0),
            S8("w", 3, 2, 1, 1), T.Scalar("ws", 0.1f), T.ZeroPoint("wz", DataType.Int8, 0),
            T.Scalar("ys", 0.1f), T.ZeroPoint("yz", DataType.UInt8, 0),
        }, DataType.UInt8, Constant: new[] { 1, 2, 3, 4, 5, 6, 7 });
        AssertReported(c, "MC0008", "x_scale", "must be a single value (per-tensor)");
    }

    [Fact]
    public void A_wrong_per_column_scale_is_MC0008_naming_the_expected_counts()
    {
        var c = new QCase("matmul_bad_scale", "QLinearMatMul", "", 10, new TensorData?[]
        {
            U8("a", 2, 3), T.Scalar("as", 0.1f), T.ZeroPoint("az", DataType.UInt8, 0),
            S8("b", 3, 4), T.Floats("bs", new[] { 3 }, new[] { 0.1f, 0.1f, 0.1f }), T.ZeroPoints("bz", DataType.Int8, new[] { 0, 0, 0 }),
            T.Scalar("ys", 0.1f), T.ZeroPoint("yz", DataType.UInt8, 0),
        }, DataType.UInt8, Constant: new[] { 1, 2, 3, 4, 5, 6, 7 });
        AssertReported(c, "MC0008", "b_scale", "a single value (per tensor) or 4 (one per column of b)");
    }

    [Fact]
    public void Blocked_quantization_with_a_wrong_scale_shape_is_MC0008_saying_which_shape_was_expected()
    {
        // Blocked quantization is supported (quant-qdq); a scale that does not cut the axis into blocks is not.
        var c = new QCase("blocked", "QuantizeLinear", "", 21, new TensorData?[]
        {
            T.Floats("x", new[] { 2, 4 }, new float[8]), T.Floats("s", new[] { 2, 3 }, new[] { 1f, 1f, 1f, 1f, 1f, 1f }),
        }, DataType.UInt8, new Dictionary<string, object> { ["axis"] = 1, ["block_size"] = 2 }, Constant: new[] { 1 });
        AssertReported(c, "MC0008", "blocks of 2 along axis 1", "dimension 1 to be 2");
    }

    [Fact]
    public void Channels_last_QLinearAveragePool_is_MC0003_saying_NCHW_was_expected()
    {
        var c = new QCase("avgpool_nhwc", "QLinearAveragePool", "com.microsoft", 1, new TensorData?[]
        {
            U8("x", 1, 4, 4, 2), T.Scalar("xs", 0.1f), T.ZeroPoint("xz", DataType.UInt8, 0), T.Scalar("ys", 0.1f), T.ZeroPoint("yz", DataType.UInt8, 0),
        }, DataType.UInt8, new Dictionary<string, object> { ["kernel_shape"] = new[] { 2, 2 }, ["channels_last"] = 1 }, Constant: new[] { 1, 2, 3, 4 });
        AssertReported(c, "MC0003", "channels_last = 1", "expected NCHW");
    }

    [Fact]
    public void Mismatched_QLinearAdd_types_are_MC0008()
    {
        var c = new QCase("add_types", "QLinearAdd", "com.microsoft", 1, new TensorData?[]
        {
            U8("a", 4), T.Scalar("as", 0.1f), T.ZeroPoint("az", DataType.UInt8, 0),
            S8("b", 4), T.Scalar("bs", 0.1f), T.ZeroPoint("bz", DataType.Int8, 0),
            T.Scalar("cs", 0.1f), T.ZeroPoint("cz", DataType.UInt8, 0),
        }, DataType.UInt8, Constant: new[] { 1, 2, 4, 5, 6, 7 });
        AssertReported(c, "MC0008", "B has type int8 but A has uint8");
    }
}
