using System;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Tests.Infrastructure;
using Xunit;
using B = ModelCompiler.Tests.Infrastructure.OnnxModelBuilder;

namespace ModelCompiler.Tests.Ops;

/// <summary>
/// The shape arithmetic that PyTorch, Keras and Paddle exports wrap around reshapes must disappear at build
/// time: once input shapes are static, Shape, Gather, Unsqueeze, Concat, Slice, Squeeze, ConstantOfShape and
/// Range all fold, and only the data-carrying layers remain.
/// </summary>
public sealed class ShapeSubgraphFoldingTests
{
    private static readonly string[] s_shapeOps = { "Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Slice", "ConstantOfShape", "Range", "Cast" };

    private static void AssertNoShapeLayers(CompiledModel m)
    {
        foreach (string op in s_shapeOps)
            Assert.DoesNotContain($"  {op} \"", m.Source);
    }

    [Theory]
    [InlineData(13)] // Unsqueeze axes as an input
    [InlineData(11)] // Unsqueeze axes as an attribute
    public void Torch_flatten_subgraph_folds_into_the_reshape(int opset)
    {
        // x.view(x.size(0), x.size(1), -1) as torch.onnx exports it.
        var b = new OnnxModelBuilder(opset, producer: "OnnxBuilder", producerVersion: null);
        var x = b.Input("x", DataType.Float, 2, 3, 4, 5);
        var shape = b.Op("Shape", new[] { x });
        var n = b.Op("Gather", new[] { shape, b.Int64Scalar(0) }, B.Int("axis", 0));
        var c = b.Op("Gather", new[] { shape, b.Int64Scalar(1) }, B.Int("axis", 0));
        string Unsqueeze(string v) => opset >= 13 ? b.Op("Unsqueeze", new[] { v, b.Int64s(0) }) : b.Op("Unsqueeze", new[] { v }, B.Ints("axes", 0));
        var target = b.Op("Concat", new[] { Unsqueeze(n), Unsqueeze(c), b.Int64s(-1) }, B.Int("axis", 0));
        var y = b.Op("Reshape", new[] { x, target });
        b.Output(y, DataType.Float);

        var m = b.Compile();
        Assert.Equal(1, m.Layers); // only the Reshape, which is a view
        AssertNoShapeLayers(m);
        Assert.Contains("OutputShape => new int[] { 2, 3, 20 }", m.Source);

        var input = Enumerable.Range(0, 120).Select(i => (float)i).ToArray();
        var output = new float[120];
        m.Run(new Array[] { input }, output);
        Assert.Equal(input, output);
    }

    [Fact]
    public void Shape_slice_and_int32_arithmetic_fold()
    {
        // Keras/tf2onnx style: Shape -> Slice -> Cast-free int arithmetic on int32 and a Squeeze.
        var b = new OnnxModelBuilder(13, producer: "OnnxBuilder", producerVersion: null);
        var x = b.Input("x", DataType.Float, 1, 8, 6);
        var shape = b.Op("Shape", new[] { x });
        var tail = b.Op("Slice", new[] { shape, b.Int64s(1), b.Int64s(long.MaxValue) });            // [8, 6]
        var last = b.Op("Slice", new[] { shape, b.Int64s(-1), b.Int64s(long.MaxValue) });           // [6]
        var scalar = b.Op("Squeeze", new[] { last, b.Int64s(0) });                                  // 6
        var both = b.Op("Concat", new[] { b.Int64s(-1), b.Op("Unsqueeze", new[] { scalar, b.Int64s(0) }) }, B.Int("axis", 0));
        var y = b.Op("Reshape", new[] { x, both });                                                 // [8, 6]
        b.Output(y, DataType.Float);
        b.Output(tail, DataType.Int64);

        var m = b.Compile();
        Assert.Equal(1, m.Layers);
        AssertNoShapeLayers(m);
        var output = new float[48];
        var tailOut = new long[2];
        m.Run(new Array[] { new float[48] }, output, tailOut);
        Assert.Equal(new long[] { 8, 6 }, tailOut);
    }

    [Fact]
    public void ConstantOfShape_from_a_shape_folds()
    {
        // torch.zeros_like / ones(x.shape[:2]) patterns: Shape -> Slice -> ConstantOfShape -> Add.
        var b = new OnnxModelBuilder(13, producer: "OnnxBuilder", producerVersion: null);
        var x = b.Input("x", DataType.Float, 2, 3);
        var shape = b.Op("Shape", new[] { x });
        var ones = b.Op("ConstantOfShape", new[] { shape }, B.Tensor("value", new[] { 1 }, new[] { 1f }));
        var mask = b.Op("ConstantOfShape", new[] { b.Op("Slice", new[] { shape, b.Int64s(0), b.Int64s(1) }) }, B.Tensor("value", new[] { 1 }, new[] { true }));
        var count = b.Op("ConstantOfShape", new[] { b.Int64s(3) }, B.Tensor("value", new[] { 1 }, new[] { 7L }));
        var y = b.Op("Add", new[] { x, ones });
        b.Output(y, DataType.Float);
        b.Output(mask, DataType.Bool);
        b.Output(count, DataType.Int64);

        var m = b.Compile();
        Assert.Equal(1, m.Layers); // the Add
        AssertNoShapeLayers(m);
        var output = new float[6];
        var maskOut = new bool[2];
        var countOut = new long[3];
        m.Run(new Array[] { new float[] { 0, 1, 2, 3, 4, 5 } }, output, maskOut, countOut);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, output);
        Assert.Equal(new[] { true, true }, maskOut);
        Assert.Equal(new long[] { 7, 7, 7 }, countOut);
    }

    [Fact]
    public void Range_over_a_sequence_length_folds()
    {
        // Position ids: arange(x.size(1)) -> Unsqueeze -> Expand to the batch, as transformer exports do.
        var b = new OnnxModelBuilder(13, producer: "OnnxBuilder", producerVersion: null);
        var x = b.Input("x", DataType.Float, 2, 5);
        var shape = b.Op("Shape", new[] { x });
        var length = b.Op("Gather", new[] { shape, b.Int64Scalar(1) }, B.Int("axis", 0));
        var positions = b.Op("Range", new[] { b.Int64Scalar(0), length, b.Int64Scalar(1) });
        var ids = b.Op("Expand", new[] { b.Op("Unsqueeze", new[] { positions, b.Int64s(0) }), shape });
        var steps = b.Op("Range", new[] { b.Initializer(Array.Empty<int>(), new[] { 1f }), b.Initializer(Array.Empty<int>(), new[] { 2f }), b.Initializer(Array.Empty<int>(), new[] { 0.25f }) });
        var down = b.Op("Range", new[] { b.Initializer(Array.Empty<int>(), new[] { 10 }), b.Initializer(Array.Empty<int>(), new[] { 3 }), b.Initializer(Array.Empty<int>(), new[] { -3 }) });
        b.Output(ids, DataType.Int64);
        b.Output(steps, DataType.Float);
        b.Output(down, DataType.Int32);

        var m = b.Compile();
        Assert.Equal(0, m.Layers);
        AssertNoShapeLayers(m);
        Assert.DoesNotContain("Expand \"", m.Source);
        var idsOut = new long[10];
        var stepsOut = new float[4];
        var downOut = new int[3];
        m.Run(new Array[] { new float[10] }, idsOut, stepsOut, downOut);
        Assert.Equal(new long[] { 0, 1, 2, 3, 4, 0, 1, 2, 3, 4 }, idsOut);
        Assert.Equal(new[] { 1f, 1.25f, 1.5f, 1.75f }, stepsOut);
        Assert.Equal(new[] { 10, 7, 4 }, downOut);
    }

    [Fact]
    public void Shape_with_start_and_end_folds_from_opset_15()
    {
        var b = new OnnxModelBuilder(15, producer: "OnnxBuilder", producerVersion: null);
        var x = b.Input("x", DataType.Float, 2, 3, 4, 5);
        var a = b.Op("Shape", new[] { x }, B.Int("start", 1), B.Int("end", -1));
        var size = b.Op("Size", new[] { x });
        b.Output(a, DataType.Int64);
        b.Output(size, DataType.Int64);
        var m = b.Compile();
        Assert.Equal(0, m.Layers);
        var aOut = new long[2];
        var sizeOut = new long[1];
        m.Run(new Array[] { new float[120] }, aOut, sizeOut);
        Assert.Equal(new long[] { 3, 4 }, aOut);
        Assert.Equal(120, sizeOut[0]);
    }
}
