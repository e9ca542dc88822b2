using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Tests.Infrastructure;
using Xunit;
using B = ModelCompiler.Tests.Infrastructure.OnnxModelBuilder;

namespace ModelCompiler.Tests.Ops;

/// <summary>
/// The layout ops beyond what ONNX's node tests cover: element types other than float (the kernels are
/// generic), older opsets whose axes/pads/splits are attributes, views that must not copy, run-time Gather
/// indices. Each op configuration runs twice, once with its data as a run-time input (the kernel) and once as
/// an initializer (build-time folding), and both must give the expected result.
/// </summary>
public sealed class LayoutOpsTests
{
    /// <summary>Runs a one-node graph on <paramref name="data"/> as a run-time input and as a folded constant; returns both outputs.</summary>
    private static (T[] Kernel, T[] Folded, CompiledModel Model) Both<T>(int opset, int[] shape, T[] data, int outputLength, Func<B, string, string> node) where T : unmanaged
    {
        var type = B.TypeOf<T>();
        var b = new OnnxModelBuilder(opset, producer: "OnnxBuilder", producerVersion: null);
        var y = node(b, b.Input("x", type, shape));
        b.Output(y, type);
        var m = b.Compile();
        var kernel = new T[outputLength];
        m.Run(new Array[] { data }, kernel);

        var f = new OnnxModelBuilder(opset, producer: "OnnxBuilder", producerVersion: null);
        var yf = node(f, f.Initializer(shape, data));
        f.Output(yf, type);
        var mf = f.Compile();
        Assert.Equal(0, mf.Layers);
        var folded = new T[outputLength];
        mf.Run(Array.Empty<Array>(), folded);
        return (kernel, folded, m);
    }

    private static void Check<T>(T[] expected, int opset, int[] shape, T[] data, Func<B, string, string> node) where T : unmanaged
    {
        var (kernel, folded, _) = Both(opset, shape, data, expected.Length, node);
        Assert.Equal(expected, kernel);
        Assert.Equal(expected, folded);
    }

    private static T[] Seq<T>(int n, Func<int, T> f) => Enumerable.Range(0, n).Select(f).ToArray();

    // A 2x3 matrix of each type: 0 1 2 / 3 4 5 (bool: true where odd).
    public static IEnumerable<object[]> Types() => new[]
    {
        new object[] { "float" }, new object[] { "long" }, new object[] { "int" }, new object[] { "bool" },
        new object[] { "Half" }, new object[] { "byte" }, new object[] { "double" }, new object[] { "short" },
    };

    private static void Generic(string type, Action<IRunner> body) => body(type switch
    {
        "float" => new Runner<float>(i => i),
        "long" => new Runner<long>(i => i),
        "int" => new Runner<int>(i => i),
        "bool" => new Runner<bool>(i => i % 2 == 1),
        "Half" => new Runner<Half>(i => (Half)i),
        "byte" => new Runner<byte>(i => (byte)i),
        "double" => new Runner<double>(i => i),
        "short" => new Runner<short>(i => (short)i),
        _ => throw new ArgumentException(type),
    });

    private interface IRunner
    {
        void Expect(int opset, int[] shape, int[] expectedIndices, Func<B, string, string> node, int fill = 0);
    }

    /// <summary>Typed helpers for one element type: values are made from ints so expectations are written as index lists.</summary>
    private sealed class Runner<T> : IRunner where T : unmanaged
    {
        private readonly Func<int, T> _of;
        public Runner(Func<int, T> of) => _of = of;

        /// <summary>Data 0..n-1 in <paramref name="shape"/>; expected output = elements at <paramref name="expectedIndices"/> (-1: the value <paramref name="fill"/>).</summary>
        public void Expect(int opset, int[] shape, int[] expectedIndices, Func<B, string, string> node, int fill = 0)
        {
            int n = shape.Aggregate(1, (a, d) => a * d);
            var data = Seq(n, _of);
            var expected = expectedIndices.Select(i => i < 0 ? _of(fill) : data[i]).ToArray();
            Check(expected, opset, shape, data, node);
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Transpose_slice_tile_expand_work_for_every_element_type(string type) => Generic(type, r =>
    {
        // Transpose of [[0,1,2],[3,4,5]]
        r.Expect(13, new[] { 2, 3 }, new[] { 0, 3, 1, 4, 2, 5 }, ((b, x) => b.Op("Transpose", new[] { x })));
        // Slice x[::-1, ::-2] (negative steps, INT64_MIN end)
        r.Expect(13, new[] { 2, 3 }, new[] { 5, 3, 2, 0 }, ((b, x) =>
            b.Op("Slice", new[] { x, b.Int64s(-1, -1), b.Int64s(long.MinValue, long.MinValue), b.Int64s(0, 1), b.Int64s(-1, -2) })));
        // Tile [2, 1]
        r.Expect(13, new[] { 2, 3 }, new[] { 0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5 }, ((b, x) => b.Op("Tile", new[] { x, b.Int64s(2, 1) })));
        // Expand [2,1] -> [2,1,2]... broadcast a column: shape [2,1] to [2,2,3]
        r.Expect(13, new[] { 2, 1 }, new[] { 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1 }, ((b, x) => b.Op("Expand", new[] { x, b.Int64s(2, 2, 3) })));
        // Concat with itself along axis 1
        r.Expect(13, new[] { 2, 3 }, new[] { 0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5 }, ((b, x) => b.Op("Concat", new[] { x, x }, B.Int("axis", -1))));
        // Gather rows [1, -2] with constant indices, and columns [2, 0]
        r.Expect(13, new[] { 2, 3 }, new[] { 3, 4, 5, 0, 1, 2 }, ((b, x) => b.Op("Gather", new[] { x, b.Int64s(1, -2) })));
        r.Expect(13, new[] { 2, 3 }, new[] { 2, 0, 5, 3 }, ((b, x) => b.Op("Gather", new[] { x, b.Initializer(new[] { 2 }, new[] { 2, 0 }) }, B.Int("axis", 1))));
    });

    [Theory]
    [MemberData(nameof(Types))]
    public void Pad_works_for_every_element_type_and_mode(string type) => Generic(type, r =>
    {
        // [[0,1,2],[3,4,5]], pads: 1 row before, 2 columns after.
        r.Expect(13, new[] { 2, 3 }, new[] { -1, -1, -1, -1, -1, 0, 1, 2, -1, -1, 3, 4, 5, -1, -1 }, ((b, x) =>
            b.Op("Pad", new[] { x, b.Int64s(1, 0, 0, 2) })));
        r.Expect(13, new[] { 2, 3 }, new[] { 0, 1, 2, 2, 2, 0, 1, 2, 2, 2, 3, 4, 5, 5, 5 }, ((b, x) =>
            b.Op("Pad", new[] { x, b.Int64s(1, 0, 0, 2) }, B.String("mode", "edge"))));
        r.Expect(13, new[] { 2, 3 }, new[] { 3, 4, 5, 4, 3, 0, 1, 2, 1, 0, 3, 4, 5, 4, 3 }, ((b, x) =>
            b.Op("Pad", new[] { x, b.Int64s(1, 0, 0, 2) }, B.String("mode", "reflect"))));
        r.Expect(19, new[] { 2, 3 }, new[] { 3, 4, 5, 3, 4, 0, 1, 2, 0, 1, 3, 4, 5, 3, 4 }, ((b, x) =>
            b.Op("Pad", new[] { x, b.Int64s(1, 0, 0, 2) }, B.String("mode", "wrap"))));
        // Negative pads crop: drop the first column, add one row after (edge: repeats the cropped last row).
        r.Expect(13, new[] { 2, 3 }, new[] { 1, 2, 4, 5, 4, 5 }, ((b, x) =>
            b.Op("Pad", new[] { x, b.Int64s(0, -1, 1, 0) }, B.String("mode", "edge"))));
    });

    [Fact]
    public void Pad_constant_values_of_every_type()
    {
        Check(new[] { 9.5f, 0, 1, 9.5f }, 13, new[] { 2 }, new[] { 0f, 1f }, (b, x) => b.Op("Pad", new[] { x, b.Int64s(1, 1), b.Initializer(Array.Empty<int>(), new[] { 9.5f }) }));
        Check(new[] { -7L, 0, 1, -7L }, 13, new[] { 2 }, new[] { 0L, 1L }, (b, x) => b.Op("Pad", new[] { x, b.Int64s(1, 1), b.Initializer(Array.Empty<int>(), new[] { -7L }) }));
        Check(new[] { int.MinValue, 0, 1, int.MinValue }, 13, new[] { 2 }, new[] { 0, 1 }, (b, x) => b.Op("Pad", new[] { x, b.Int64s(1, 1), b.Initializer(Array.Empty<int>(), new[] { int.MinValue }) }));
        Check(new[] { true, false, false, true }, 13, new[] { 2 }, new[] { false, false }, (b, x) => b.Op("Pad", new[] { x, b.Int64s(1, 1), b.Initializer(Array.Empty<int>(), new[] { true }) }));
        Check(new[] { (Half)(-2.5f), (Half)0, (Half)1, (Half)(-2.5f) }, 13, new[] { 2 }, new[] { (Half)0, (Half)1 }, (b, x) => b.Op("Pad", new[] { x, b.Int64s(1, 1), b.Initializer(Array.Empty<int>(), new[] { (Half)(-2.5f) }) }));
        Check(new[] { (sbyte)-3, (sbyte)0, (sbyte)1, (sbyte)-3 }, 13, new[] { 2 }, new sbyte[] { 0, 1 }, (b, x) => b.Op("Pad", new[] { x, b.Int64s(1, 1), b.Initializer(Array.Empty<int>(), new sbyte[] { -3 }) }));
        // Opset 2-10: pads and value are attributes; the float value converts to the data type.
        Check(new[] { 0f, 1f, 2.5f, 2.5f }, 10, new[] { 2 }, new[] { 0f, 1f }, (b, x) => b.Op("Pad", new[] { x }, B.Ints("pads", 0, 2), B.Float("value", 2.5f)));
        Check(new[] { 4L, 0, 1 }, 7, new[] { 2 }, new[] { 0L, 1L }, (b, x) => b.Op("Pad", new[] { x }, B.Ints("pads", 1, 0), B.Float("value", 4f)));
        // Opset 18: only the listed axes are padded.
        Check(new[] { 0f, 1f, 0f, 0f, 2f, 3f, 0f, 0f }, 18, new[] { 2, 2 }, new[] { 0f, 1f, 2f, 3f }, (b, x) => b.Op("Pad", new[] { x, b.Int64s(0, 2), null, b.Int64s(-1) }));
    }

    [Fact]
    public void Pad_with_a_run_time_constant_value()
    {
        var b = new OnnxModelBuilder(13, producer: "OnnxBuilder", producerVersion: null);
        var x = b.Input("x", DataType.Float, 2);
        var v = b.Input("v", DataType.Float);
        var y = b.Op("Pad", new[] { x, b.Int64s(1, 0), v });
        b.Output(y, DataType.Float);
        var m = b.Compile();
        var output = new float[3];
        m.Run(new Array[] { new[] { 1f, 2f }, new[] { 8f } }, output);
        Assert.Equal(new[] { 8f, 1f, 2f }, output);
    }

    [Fact]
    public void Reflect_pad_of_an_image_matches_numpy()
    {
        // 1x1x3x4 image, pads 2 on H and W (CycleGAN's ReflectionPad2d(2)); numpy.pad(..., 'reflect').
        var data = Seq(12, i => (float)i);
        int Reflect(int i, int n) => i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
        var expected = new List<float>();
        for (int h = -2; h < 5; h++)
            for (int w = -2; w < 6; w++) expected.Add(data[Reflect(h, 3) * 4 + Reflect(w, 4)]);
        Check(expected.ToArray(), 13, new[] { 1, 1, 3, 4 }, data, (b, x) => b.Op("Pad", new[] { x, b.Int64s(0, 0, 2, 2, 0, 0, 2, 2) }, B.String("mode", "reflect")));
    }

    [Fact]
    public void Older_opsets_take_axes_splits_and_slices_as_attributes()
    {
        var data = Seq(6, i => (float)i);
        Check(data, 11, new[] { 1, 6, 1 }, data, (b, x) => b.Op("Squeeze", new[] { x }, B.Ints("axes", 0, -1)));
        Check(data, 11, new[] { 6 }, data, (b, x) => b.Op("Unsqueeze", new[] { x }, B.Ints("axes", -1, 0)));
        Check(new[] { 1f, 2f, 4f, 5f }, 9, new[] { 2, 3 }, data, (b, x) => b.Op("Slice", new[] { x }, B.Ints("starts", 1), B.Ints("ends", 1000), B.Ints("axes", 1)));
        Check(new[] { 3f, 4f }, 7, new[] { 2, 3 }, data, (b, x) => b.Op("Slice", new[] { x }, B.Ints("starts", 1, 0), B.Ints("ends", 2, -1)));

        // Split with the 'split' attribute (opset 11) and with num_outputs (18, uneven last part).
        foreach (var (opset, attrs, sizes) in new[]
        {
            (11, new[] { B.Int("axis", 1), B.Ints("split", 1, 2) }, new[] { 1, 2 }),
            (18, new[] { B.Int("axis", -1), B.Int("num_outputs", 2) }, new[] { 2, 1 }),
        })
        {
            var b = new OnnxModelBuilder(opset, producer: "OnnxBuilder", producerVersion: null);
            var x = b.Input("x", DataType.Float, 2, 3);
            var ys = b.Op("Split", new[] { x }, 2, attrs);
            b.Output(ys[0], DataType.Float);
            b.Output(ys[1], DataType.Float);
            var m = b.Compile();
            var y0 = new float[2 * sizes[0]];
            var y1 = new float[2 * sizes[1]];
            m.Run(new Array[] { data }, y0, y1);
            Assert.Equal(sizes[0] == 1 ? new[] { 0f, 3f } : new[] { 0f, 1f, 3f, 4f }, y0);
            Assert.Equal(sizes[0] == 1 ? new[] { 1f, 2f, 4f, 5f } : new[] { 2f, 5f }, y1);
        }
    }

    [Theory]
    [InlineData(new[] { 2, 17, 5, 19 }, new[] { 0, 2, 3, 1 })] // NCHW -> NHWC: a tiled 2-D transpose per image
    [InlineData(new[] { 2, 5, 19, 17 }, new[] { 0, 3, 1, 2 })] // NHWC -> NCHW
    [InlineData(new[] { 33, 40 }, new[] { 1, 0 })]
    [InlineData(new[] { 3, 4, 16, 2, 16 }, new[] { 4, 1, 0, 3, 2 })]
    public void Large_transposes_match_the_definition(int[] shape, int[] perm)
    {
        int n = shape.Aggregate(1, (a, d) => a * d);
        var data = Seq(n, i => (long)i);
        var outShape = perm.Select(p => shape[p]).ToArray();
        var inStrides = new int[shape.Length];
        for (int d = shape.Length - 1, acc = 1; d >= 0; acc *= shape[d], d--) inStrides[d] = acc;
        var expected = new long[n];
        var index = new int[shape.Length];
        for (int k = 0; k < n; k++)
        {
            int src = 0;
            for (int d = 0; d < perm.Length; d++) src += index[d] * inStrides[perm[d]];
            expected[k] = data[src];
            for (int d = outShape.Length - 1; d >= 0; d--)
            {
                if (++index[d] < outShape[d]) break;
                index[d] = 0;
            }
        }
        Check(expected, 13, shape, data, (b, x) => b.Op("Transpose", new[] { x }, B.Ints("perm", perm.Select(p => (long)p).ToArray())));
    }

    [Fact]
    public void Layout_kernels_allocate_nothing()
    {
        // Transpose (tiled), Slice, Pad (reflect and constant), Concat, Split, Tile, Expand, run-time Gather, Range.
        var b = new OnnxModelBuilder(13, producer: "OnnxBuilder", producerVersion: null);
        var x = b.Input("x", DataType.Float, 1, 20, 4, 18);
        var ids = b.Input("ids", DataType.Int64, 3);
        var t = b.Op("Transpose", new[] { x }, B.Ints("perm", 0, 2, 3, 1));                                  // 1x4x18x20
        var s = b.Op("Slice", new[] { t, b.Int64s(-1, 1), b.Int64s(long.MinValue, 17), b.Int64s(1, 2), b.Int64s(-1, 2) }); // 1x4x8x20
        var p = b.Op("Pad", new[] { s, b.Int64s(0, 0, 1, 2, 0, 0, 1, 2) }, B.String("mode", "reflect"));    // 1x4x10x24
        var q = b.Op("Pad", new[] { p, b.Int64s(0, 1, 0, 0, 0, 0, 0, -1) });                                 // 1x5x10x23
        var parts = b.Op("Split", new[] { q, b.Int64s(2, 3) }, 2, B.Int("axis", 1));
        var c = b.Op("Concat", new[] { parts[1], parts[0], b.Op("Tile", new[] { parts[0], b.Int64s(1, 1, 1, 1) }) }, B.Int("axis", 1));
        var e = b.Op("Expand", new[] { b.Op("Gather", new[] { c, ids }, B.Int("axis", 3)), b.Int64s(2, 1, 1, 1) });
        b.Output(e, DataType.Float);
        var (result, unit) = InMemoryCompiler.Generate(b.Build(), "Built.Allocations");
        Assert.NotNull(unit);
        const string adapter = """
            namespace Built.Allocations
            {
                public static class Measure
                {
                    public static long Run(float[] x, long[] ids, float[] y)
                    {
                        Model.Predict(x, ids, y); // first call: arena, weights
                        long before = global::System.GC.GetAllocatedBytesForCurrentThread();
                        for (int i = 0; i < 10; i++) Model.Predict(x, ids, y);
                        return global::System.GC.GetAllocatedBytesForCurrentThread() - before;
                    }
                }
            }
            """;
        var compiled = InMemoryCompiler.Compile(new[] { unit!, new InMemoryCompiler.Unit("Built.Allocations.Measure", adapter) });
        Assert.True(compiled.Assembly is not null, string.Join("; ", compiled.Diagnostics));
        Assert.Contains("Layout.Gather", result.Source);
        var run = compiled.Assembly!.GetType("Built.Allocations.Measure")!.GetMethod("Run")!;
        long allocated = (long)run.Invoke(null, new object[] { new float[20 * 4 * 18], new long[] { 0, -1, 5 }, new float[2 * 7 * 10 * 3] })!;
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Views_do_not_copy()
    {
        // Squeeze, Unsqueeze, Flatten, and a Transpose that only moves a size-1 dimension are views of the input.
        var b = new OnnxModelBuilder(13, producer: "OnnxBuilder", producerVersion: null);
        var x = b.Input("x", DataType.Float, 1, 4, 3);
        var t = b.Op("Transpose", new[] { x }, B.Ints("perm", 1, 0, 2));
        var s = b.Op("Squeeze", new[] { t, b.Int64s(1) });
        var u = b.Op("Unsqueeze", new[] { s, b.Int64s(0) });
        var f = b.Op("Flatten", new[] { u }, B.Int("axis", 1));
        var y = b.Op("Relu", new[] { f });
        b.Output(y, DataType.Float);
        var m = b.Compile();
        Assert.Equal(5, m.Layers);
        Assert.Equal(4, m.Source.Split("(no code: the output is the input's memory with a new shape)").Length - 1);
        Assert.DoesNotContain("Layout.Copy", m.Source);
        var output = new float[12];
        var input = Seq(12, i => i - 6f);
        m.Run(new Array[] { input }, output);
        Assert.Equal(input.Select(v => Math.Max(v, 0f)).ToArray(), output);
    }

    [Fact]
    public void Gather_with_run_time_indices()
    {
        foreach (var indexType in new[] { DataType.Int64, DataType.Int32 })
        {
            // Embedding lookup: table [4, 3], ids [2, 2] -> [2, 2, 3], with a negative index.
            var b = new OnnxModelBuilder(13, producer: "OnnxBuilder", producerVersion: null);
            var table = b.Initializer(new[] { 4, 3 }, Seq(12, i => (float)i));
            var ids = b.Input("ids", indexType, 2, 2);
            var y = b.Op("Gather", new[] { table, ids });
            b.Output(y, DataType.Float);
            var m = b.Compile();
            Array idsIn = indexType == DataType.Int64 ? new long[] { 3, 0, -1, 1 } : new[] { 3, 0, -1, 1 };
            var output = new float[12];
            m.Run(new Array[] { idsIn }, output);
            Assert.Equal(new float[] { 9, 10, 11, 0, 1, 2, 9, 10, 11, 3, 4, 5 }, output);

            Array bad = indexType == DataType.Int64 ? new long[] { 4, 0, 0, 0 } : new[] { -5, 0, 0, 0 };
            Assert.Throws<IndexOutOfRangeException>(() => m.Run(new Array[] { bad }, new float[12]));
        }
    }

    [Fact]
    public void Dropout_is_the_identity_with_an_all_true_mask()
    {
        foreach (int opset in new[] { 7, 10, 12, 13 })
        {
            var b = new OnnxModelBuilder(opset, producer: "OnnxBuilder", producerVersion: null);
            var x = b.Input("x", DataType.Float, 3);
            var ys = opset >= 12
                ? b.Op("Dropout", new[] { x, b.Initializer(Array.Empty<int>(), new[] { 0.3f }), b.Initializer(Array.Empty<int>(), new[] { false }) }, 2)
                : b.Op("Dropout", new[] { x }, 2, B.Float("ratio", 0.3f));
            var maskType = opset >= 10 ? DataType.Bool : DataType.Float;
            b.Output(ys[0], DataType.Float);
            b.Output(ys[1], maskType);
            var m = b.Compile();
            var y = new float[3];
            Array mask = opset >= 10 ? new bool[3] : new float[3];
            m.Run(new Array[] { new[] { 1f, -2f, 3f } }, y, mask);
            Assert.Equal(new[] { 1f, -2f, 3f }, y);
            if (mask is bool[] bools) Assert.All(bools, Assert.True);
            else Assert.All((float[])mask, v => Assert.Equal(1f, v));
        }
    }

    [Fact]
    public void Identity_of_a_graph_input_copies_it_to_the_output()
    {
        var b = new OnnxModelBuilder(13, producer: "OnnxBuilder", producerVersion: null);
        var x = b.Input("x", DataType.Int64, 2);
        b.Output(b.Op("Identity", new[] { x }), DataType.Int64);
        var m = b.Compile();
        var y = new long[2];
        m.Run(new Array[] { new long[] { 5, -6 } }, y);
        Assert.Equal(new long[] { 5, -6 }, y);
    }

    [Fact]
    public void DepthToSpace_and_SpaceToDepth_are_inverses()
    {
        foreach (string mode in new[] { "DCR", "CRD" })
        {
            var data = Seq(2 * 8 * 3 * 2, i => (long)i);
            var b = new OnnxModelBuilder(13, producer: "OnnxBuilder", producerVersion: null);
            var x = b.Input("x", DataType.Int64, 2, 8, 3, 2);
            var d2s = b.Op("DepthToSpace", new[] { x }, B.Int("blocksize", 2), B.String("mode", mode));
            var back = b.Op("SpaceToDepth", new[] { d2s }, B.Int("blocksize", 2));
            b.Output(back, DataType.Int64);
            var m = b.Compile();
            var y = new long[data.Length];
            m.Run(new Array[] { data }, y);
            if (mode == "DCR") Assert.Equal(data, y); // SpaceToDepth undoes DCR exactly
            else Assert.NotEqual(data, y);
        }
    }

    [Fact]
    public void Invalid_nodes_are_reported_in_words()
    {
        var b = new OnnxModelBuilder(13, producer: "OnnxBuilder", producerVersion: null);
        var x = b.Input("x", DataType.Float, 2, 3);
        b.Output(b.Op("Squeeze", new[] { x, b.Int64s(0) }), DataType.Float);
        var r = b.Generate();
        Assert.False(r.Success);
        Assert.Contains("cannot squeeze axis 0: it has size 2", string.Join(" ", r.Diagnostics));

        var c = new OnnxModelBuilder(13, producer: "OnnxBuilder", producerVersion: null);
        var y = c.Input("y", DataType.Float, 2, 3);
        var s = c.Input("s", DataType.Int64, 2);
        c.Output(c.Op("Slice", new[] { y, s, c.Int64s(1, 1) }), DataType.Float);
        var r2 = c.Generate();
        Assert.Contains("MC0008", string.Join(" ", r2.Diagnostics));
        Assert.Contains("the slice starts (input 1, 's') must be a constant known at build time", string.Join(" ", r2.Diagnostics));
    }
}
