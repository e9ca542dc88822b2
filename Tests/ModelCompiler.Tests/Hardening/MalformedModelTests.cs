using System;
using System.Collections.Generic;
using System.Linq;
using Google.Protobuf;
using ModelCompiler.Compilation;
using ModelCompiler.Diagnostics;
using ModelCompiler.Graph;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Hardening;

/// <summary>
/// One test per defect class the fuzzer (Tests/ModelCompiler.Fuzz) found: each malformed model, built here in
/// C#, must end in the stated diagnostic naming the node, attribute or tensor, never in an exception, MC9999,
/// a hang or a huge allocation. Self-contained: no ../shared needed.
/// </summary>
public sealed class MalformedModelTests
{
    private const int Float = (int)TensorProto.Types.DataType.Float;

    internal static CompileResult Compile(byte[] model, string? inputShape = null)
    {
        var options = new ModelOptions { FileName = "m.onnx", ClassName = "M", Namespace = "N", InputShape = inputShape, WeightsResource = "ModelCompiler/N/M/m.onnx.weights" };
        return ModelCompilation.Compile(model, options);
    }

    /// <summary>The one error of the compilation, which must have <paramref name="id"/> and mention every fragment.</summary>
    private static CompilerDiagnostic Rejected(CompileResult result, string id, params string[] fragments)
    {
        Assert.False(result.Success, "the model compiled");
        Assert.DoesNotContain(result.Diagnostics, d => d.Id == DiagnosticDescriptors.InternalError.Id);
        var d = Assert.Single(result.Diagnostics, x => x.Severity == Severity.Error);
        Assert.True(d.Id == id, $"expected {id}, got {d}");
        foreach (string f in fragments) Assert.Contains(f, d.Message);
        return d;
    }

    private static byte[] WithAttribute(byte[] model, string nodeName, AttributeProto attribute)
    {
        var m = ModelProto.Parser.ParseFrom(model);
        var node = m.Graph.Node.Single(n => n.Name == nodeName);
        var old = node.Attribute.FirstOrDefault(a => a.Name == attribute.Name);
        if (old is not null) node.Attribute.Remove(old);
        node.Attribute.Add(attribute);
        return m.ToByteArray();
    }

    [Fact]
    public void Gemm_alpha_given_as_ints_is_MC0008_naming_the_node_and_attribute()
    {
        // Before: a ModelError escaped Compile from Node.GetFloat during kernel selection.
        var model = WithAttribute(TestModels.TinyMlp(), "fc1", OnnxModelBuilder.Ints("alpha", 1, 2));
        Rejected(Compile(model), "MC0008", "'fc1'", "Gemm", "attribute 'alpha'", "should be a float", "list of ints");
    }

    [Fact]
    public void BatchNormalization_training_mode_given_as_floats_is_MC0008()
    {
        // Before: a ModelError escaped from BatchNorm folding.
        var model = WithAttribute(TestModels.TinyCnn(), "bn1", OnnxModelBuilder.Attribute("training_mode", new[] { 0f }));
        Rejected(Compile(model), "MC0008", "'bn1'", "attribute 'training_mode'", "should be an int");
    }

    [Fact]
    public void Elu_alpha_given_as_a_string_is_MC0008()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 4);
        b.Node("Elu", new[] { "x" }, "y", "elu", attributes: ("alpha", "one"));
        b.Output("y");
        Rejected(Compile(b.Build()), "MC0008", "'elu'", "attribute 'alpha'", "should be a float but is a string");
    }

    [Fact]
    public void Every_wrong_attribute_is_reported_at_once()
    {
        var model = WithAttribute(WithAttribute(TestModels.TinyMlp(), "fc1", OnnxModelBuilder.Ints("alpha", 1)), "fc2", OnnxModelBuilder.Attribute("transB", new[] { 1f }));
        var errors = Compile(model).Diagnostics.Where(d => d.Severity == Severity.Error).ToList();
        Assert.Equal(2, errors.Count);
        Assert.All(errors, d => Assert.Equal("MC0008", d.Id));
        Assert.Contains(errors, d => d.Message.Contains("'fc2'") && d.Message.Contains("'transB'"));
    }

    [Fact]
    public void Conv_pads_of_2_to_the_40_are_MC0008_not_truncated_to_0()
    {
        // Before: SpatialGeometry cast the pad to int, and 2^40 compiled as a pad of 0.
        var model = WithAttribute(TestModels.TinyCnn(), "conv1", OnnxModelBuilder.Ints("pads", 1L << 40, 1, 1, 1));
        Rejected(Compile(model), "MC0008", "'conv1'", "attribute 'pads'", "must fit in 32 bits", (1L << 40).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Negative_strides_and_zero_group_are_MC0008()
    {
        Rejected(Compile(WithAttribute(TestModels.TinyCnn(), "conv1", OnnxModelBuilder.Ints("strides", 1, -1))), "MC0008", "'strides'", "must be positive");
        Rejected(Compile(WithAttribute(TestModels.TinyCnn(), "conv1", OnnxModelBuilder.Attribute("group", 0))), "MC0008", "'group'", "must be positive");
    }

    internal static byte[] ResizeModel(float scale)
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 2, 4, 4);
        b.Initializer("scales", new[] { 4 }, new[] { 1f, 1f, scale, scale });
        b.Node("Resize", new[] { "x", "", "scales" }, "y", "upsample", attributes: ("mode", "nearest"));
        b.Output("y");
        return b.Build();
    }

    [Theory]
    [InlineData(1e30f)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(1e6f)]
    public void Resize_with_huge_or_infinite_scales_is_MC0013_at_once(float scale)
    {
        // Before: OutOfMemoryException for 1e30 and infinity; 24 s and 3 GB for 1e6 (a 32,000,000 x 32,000,000 output).
        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Rejected(Compile(ResizeModel(scale)), "MC0013", "'upsample'");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20, "allocated more than 64 MB");
    }

    [Fact]
    public void Resize_with_NaN_or_negative_scales_is_MC0008()
    {
        Rejected(Compile(ResizeModel(float.NaN)), "MC0008", "'upsample'", "must be positive");
        Rejected(Compile(ResizeModel(-2f)), "MC0008", "'upsample'", "must be positive");
    }

    [Theory]
    [InlineData("nearest", int.MaxValue)]
    [InlineData("linear", int.MaxValue)]
    [InlineData("cubic", 1_000_000)]
    [InlineData("cubic", int.MaxValue)]
    public void Resize_to_an_empty_output_builds_no_sampling_tables_and_runs(string mode, int wide)
    {
        // Before: sizes [1, 2, 0, 2^31-1] ran out of memory building 2^31 table entries (then: MC0013 for tables
        // nobody needs), and fuzz seed 20261205 case 9080, a cubic Resize to [.., 0, .., 10^6], built 4 x 10^6 taps
        // for an output without elements. Reference: ONNX's Resize output shape is the sizes input, here 0 elements,
        // so Predict writes nothing and needs no table.
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 2, 4, 4);
        b.Int64Initializer("sizes", 1, 2, 0, wide);
        b.Node("Resize", new[] { "x", "", "", "sizes" }, "y", "resize", attributes: ("mode", mode));
        b.Output("y");
        string ns = "EmptyResize" + Guid.NewGuid().ToString("N");
        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (result, unit) = InMemoryCompiler.Generate(b.Build(), ns);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20, "allocated more than 64 MB");
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        Assert.Equal(new long[] { 0 }, result.Outputs.Select(o => (long)o.Length));
        Assert.Contains("has no elements: nothing to compute", result.Source);

        var compiled = InMemoryCompiler.Compile(new[]
        {
            unit!,
            new InMemoryCompiler.Unit(ns + ".Adapter", Adapter.Source(ns, "Model", new[] { "float" }, new[] { "float" })),
        });
        Assert.True(compiled.Assembly is not null, string.Join("\n", compiled.Errors));
        Assert.Empty(compiled.Warnings);
        Adapter.Run(compiled.Assembly!, ns, new object[] { OnnxModelBuilder.RandomFloats(32, 5) }, new object[] { new float[0] });
    }

    [Theory]
    [InlineData("cubic")]
    [InlineData("linear")]
    public void Antialiased_Resize_shrinking_a_wide_axis_is_MC0013_before_its_taps_are_built(string mode)
    {
        // The antialiasing filter widens as 1 / scale: 10^6 -> 1 is 2 or 4 million taps for one output index, built
        // and written as array literals before the table limit was checked (it counted output indices only).
        var b = new OnnxModelBuilder(opset: 18);
        b.Input("x", 1, 1, 1, 1_000_000);
        b.Int64Initializer("sizes", 1, 1, 1, 1);
        b.Node("Resize", new[] { "x", "", "", "sizes" }, "y", "shrink", attributes: new (string, object)[] { ("mode", mode), ("antialias", 1L) });
        b.Output("y");
        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Rejected(Compile(b.Build()), "MC0013", "'shrink'", "sampling tables");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20, "allocated more than 64 MB");
    }

    /// <summary>Scan (opset 13) summing the rows of x [3, 2] into a state [2], with num_scan_inputs as given.</summary>
    private static byte[] ScanModel(long numScanInputs)
    {
        var body = new OnnxModelBuilder(opset: 13);
        body.Input("s", 2);
        body.Input("xt", 2);
        body.Node("Add", new[] { "s", "xt" }, "so", "add");
        body.Node("Identity", new[] { "so" }, "yt", "copy");
        body.Output("so");
        body.Output("yt");
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("init", 2);
        b.Input("x", 3, 2);
        b.RawNode("Scan", new[] { "init", "x" }, new[] { "final", "ys" }, "scan").Attribute.AddRange(new[]
        {
            OnnxModelBuilder.Attribute("body", body.Graph),
            OnnxModelBuilder.Attribute("num_scan_inputs", numScanInputs),
        });
        b.Output("final");
        b.Output("ys");
        return b.Build();
    }

    [Fact]
    public void Scan_with_num_scan_inputs_beyond_32_bits_is_MC0008()
    {
        // Before: OverflowException from a checked cast in ScanPlan (fuzz seed 20261205 case 3546, -1335044503376210962).
        Assert.True(Compile(ScanModel(1)).Success, "the unmutated Scan should compile");
        Rejected(Compile(ScanModel(-1335044503376210962)), "MC0008", "'scan'", "attribute 'num_scan_inputs'", "must be positive");
        Rejected(Compile(ScanModel(1L << 40)), "MC0008", "'scan'", "attribute 'num_scan_inputs'", "must fit in 32 bits");
    }

    [Fact]
    public void An_input_that_is_also_an_output_declared_with_another_rank_is_MC0004_naming_its_dimension()
    {
        // Before: the output's declaration (rank 1) replaced the input's dimension names (rank 4), and the MC0004
        // message indexed past them: IndexOutOfRangeException (fuzz seed 20261205 case 8357, leading unit dims added
        // to an input that the graph also returns).
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", Float, new[] { 1, 1, 1, -1 }, new string?[] { null, null, null, "width" });
        b.Node("Relu", new[] { "x" }, "y", "relu");
        b.Output("y");
        b.Output("x", Float, new[] { -1 });
        Rejected(Compile(b.Build()), "MC0004", "'x'", "'width' (axis 3)");
    }

    [Fact]
    public void A_float8_conv_weight_is_an_error_naming_the_node()
    {
        // Before: Tensor threw while the weights were packed.
        var m = ModelProto.Parser.ParseFrom(TestModels.TinyCnn());
        var w = m.Graph.Initializer.Single(t => t.Name == "conv.weight");
        w.DataType = (int)TensorProto.Types.DataType.Float8E4M3Fn;
        w.RawData = ByteString.CopyFrom(Enumerable.Range(0, 36).Select(i => (byte)i).ToArray());
        var d = Rejected(Compile(m.ToByteArray()), "MC0008", "conv1");
        Assert.Contains("float8e4m3fn", d.Message);
    }

    [Fact]
    public void A_rank_33_MatMul_is_MC0013()
    {
        // Before: OverflowException in Folding.BroadcastIndex.
        var shape = Enumerable.Repeat(1, 31).Concat(new[] { 2, 3 }).ToArray();
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", shape);
        b.Initializer("w", new[] { 3, 2 }, OnnxModelBuilder.RandomFloats(6, 1));
        b.Node("MatMul", new[] { "x", "w" }, "y", "mm");
        b.Output("y");
        Rejected(Compile(b.Build()), "MC0013", "'x'", "rank 33", "at most 8");
    }

    private static long AllocatedBy(Action action)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void An_initializer_whose_dims_claim_more_than_its_data_is_rejected_before_allocating()
    {
        // Before: the reader allocated what the dims claimed (2 GB for 2^31-1 int8 elements), then reported MC0002.
        // 2^28 elements stay inside the weight budget, so the check against the data present is what rejects them.
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 4);
        var t = new TensorProto { Name = "huge", DataType = (int)TensorProto.Types.DataType.Int8 };
        t.Dims.Add(1 << 28);
        t.Int32Data.AddRange(new[] { 1, 2, 3 });
        b.Graph.Initializer.Add(t);
        var raw = new TensorProto { Name = "huge_raw", DataType = (int)TensorProto.Types.DataType.Uint8, RawData = ByteString.CopyFrom(1, 2, 3) };
        raw.Dims.Add(1 << 28);
        b.Graph.Initializer.Add(raw);
        b.Node("Relu", new[] { "x" }, "y", "relu");
        b.Output("y");
        CompileResult result = null!;
        long allocated = AllocatedBy(() => result = Compile(b.Build()));
        Assert.True(allocated < 64 << 20, $"allocated {allocated} bytes");
        var errors = result.Diagnostics.Where(d => d.Severity == Severity.Error).ToList();
        Assert.Equal(2, errors.Count);
        Assert.All(errors, d => Assert.Equal("MC0002", d.Id));
        Assert.Contains(errors, d => d.Message.Contains("'huge'") && d.Message.Contains("has 3 values"));
        Assert.Contains(errors, d => d.Message.Contains("'huge_raw'") && d.Message.Contains("has 3"));
    }

    [Fact]
    public void An_initializer_claiming_2_to_the_31_minus_1_elements_is_MC0013_before_allocating()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 4);
        var t = new TensorProto { Name = "huge", DataType = (int)TensorProto.Types.DataType.Int8 };
        t.Dims.Add(int.MaxValue);
        t.Int32Data.AddRange(new[] { 1, 2, 3 });
        b.Graph.Initializer.Add(t);
        b.Node("Relu", new[] { "x" }, "y", "relu");
        b.Output("y");
        CompileResult result = null!;
        long allocated = AllocatedBy(() => result = Compile(b.Build()));
        Assert.True(allocated < 64 << 20, $"allocated {allocated} bytes");
        Rejected(result, "MC0013", "'huge'", "2147483647");
    }

    [Fact]
    public void A_weight_beyond_the_1_GiB_budget_is_MC0013_before_anything_is_read()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 4);
        var t = new TensorProto { Name = "giant", DataType = Float };
        t.Dims.AddRange(new long[] { 65536, 8192 }); // 2 GiB of float32, no data at all
        b.Graph.Initializer.Add(t);
        b.Node("Relu", new[] { "x" }, "y", "relu");
        b.Output("y");
        Rejected(Compile(b.Build()), "MC0013", "'giant'", "at most 1073741824");
    }

    [Fact]
    public void A_sparse_initializer_whose_dense_form_is_too_large_is_MC0013_before_allocating()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 4);
        var values = new TensorProto { Name = "sparse", DataType = Float, RawData = ByteString.CopyFrom(BitConverter.GetBytes(1f)) };
        values.Dims.Add(1);
        var indices = new TensorProto { Name = "sparse_idx", DataType = (int)TensorProto.Types.DataType.Int64 };
        indices.Dims.Add(1);
        indices.Int64Data.Add(0);
        var sparse = new SparseTensorProto { Values = values, Indices = indices };
        sparse.Dims.AddRange(new long[] { 1L << 20, 1L << 20 });
        b.Graph.SparseInitializer.Add(sparse);
        b.Node("Relu", new[] { "x" }, "y", "relu");
        b.Output("y");
        CompileResult result = null!;
        long allocated = AllocatedBy(() => result = Compile(b.Build()));
        Assert.True(allocated < 64 << 20, $"allocated {allocated} bytes");
        Rejected(result, "MC0013", "'sparse'");
    }

    [Fact]
    public void A_Predict_tensor_larger_than_a_span_is_MC0013_naming_it()
    {
        // Before: 62 fuzzed models compiled with a Predict tensor of more than int.MaxValue elements.
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 65536);
        b.Int64Initializer("repeats", 65536, 1);
        b.Node("Tile", new[] { "x", "repeats" }, "y", "tile");
        b.Output("y");
        Rejected(Compile(b.Build()), "MC0013", "'tile'", "output 'y'", "65536x65536", "at most 2147483647");
        var input = new OnnxModelBuilder(opset: 13);
        input.Input("big", 2, 65536, 32768);
        input.Node("Relu", new[] { "big" }, "y", "relu");
        input.Output("y");
        Rejected(Compile(input.Build()), "MC0013", "input 'big'", "2x65536x32768");
    }

    [Fact]
    public void An_input_dimension_beyond_32_bits_is_MC0013()
    {
        var m = ModelProto.Parser.ParseFrom(TestModels.TinyMlp());
        m.Graph.Input[0].Type.TensorType.Shape.Dim[1].DimValue = 1L << 40;
        Rejected(Compile(m.ToByteArray()), "MC0013", "input 'x'", "1099511627776");
    }

    [Fact]
    public void A_graph_whose_outputs_were_all_removed_is_MC0011()
    {
        var m = ModelProto.Parser.ParseFrom(TestModels.TinyMlp());
        m.Graph.Output.Clear();
        Rejected(Compile(m.ToByteArray()), "MC0011", "no outputs");
    }

    [Fact]
    public void Too_many_nodes_is_MC0013_before_the_graph_is_read()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 4);
        string v = "x";
        for (int i = 0; i <= Limits.MaxNodes; i++) v = b.Node("Relu", new[] { v }, "r" + i, "relu" + i);
        b.Output(v);
        Rejected(Compile(b.Build()), "MC0013", $"{Limits.MaxNodes + 1} nodes", $"at most {Limits.MaxNodes}");
    }

    [Fact]
    public void Concatenating_scalars_and_reducing_a_scalar_over_an_axis_are_MC0008()
    {
        // Found by op-type mutations: IndexOutOfRangeException in ConcatOp.Infer and ReduceOp.Fold.
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 4);
        b.Initializer("s", Array.Empty<int>(), new[] { 2f });
        b.Node("Concat", new[] { "s", "s" }, "c", "concat", attributes: ("axis", 0));
        b.Node("Add", new[] { "x", "c" }, "y", "add");
        b.Output("y");
        Rejected(Compile(b.Build()), "MC0008", "'concat'", "scalars");

        var r = new OnnxModelBuilder(opset: 13);
        r.Input("x", 1, 4);
        r.Initializer("s", Array.Empty<int>(), new[] { 2f });
        r.Int64Initializer("axes", 0);
        r.Node("ReduceSum", new[] { "s", "axes" }, "c", "reduce");
        r.Node("Add", new[] { "x", "c" }, "y", "add");
        r.Output("y");
        Rejected(Compile(r.Build()), "MC0008", "'reduce'", "scalar");

        var split = new OnnxModelBuilder(opset: 13);
        split.Input("x", 1, 4);
        split.Initializer("s", Array.Empty<int>(), new[] { 2f });
        split.Node("Split", new[] { "s" }, "c", "split", attributes: ("axis", 0));
        split.Node("Add", new[] { "x", "c" }, "y", "add");
        split.Output("y");
        Rejected(Compile(split.Build()), "MC0008", "'split'", "scalar");
    }

    [Fact]
    public void A_node_listing_more_outputs_than_its_op_makes_is_MC0008()
    {
        // Found by an op-type mutation (LSTM -> Squeeze, three outputs): MC9999 "schema left output without a shape".
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 4);
        b.RawNode("Relu", new[] { "x" }, new[] { "y", "extra" }, "relu");
        b.Output("y");
        Rejected(Compile(b.Build()), "MC0008", "'relu'", "no output 1 ('extra')");
    }

    [Fact]
    public void A_node_naming_a_later_output_while_omitting_its_only_one_is_MC0008()
    {
        // Found by an op-type mutation (seed 101, case 8056: LSTM '' -> (, Y_h) became HardSigmoid): the graph output
        // declared Y_h's shape, so the unmade output passed as typed and the emitter failed (MC9999).
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 4);
        b.RawNode("HardSigmoid", new[] { "x" }, new[] { "", "y_h" }, "hs");
        b.Output("y_h", Float, new[] { 1, 4 });
        Rejected(Compile(b.Build()), "MC0008", "'hs'", "no output 1 ('y_h')");
    }

    [Fact]
    public void A_node_omitting_its_first_output_while_naming_later_ones_is_MC0008()
    {
        // Found by an op-type mutation (seed 1205, case 9868: LSTM '' -> (, Y_h, Y_c) became DynamicQuantizeLinear,
        // which makes all three outputs): the emitter looked up the omitted first output (MC9999).
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 4);
        b.RawNode("DynamicQuantizeLinear", new[] { "x" }, new[] { "", "scale", "zp" }, "dq");
        b.Output("scale");
        Rejected(Compile(b.Build()), "MC0008", "'dq'", "omits its first output");
    }

    [Fact]
    public void A_Constant_whose_value_float_holds_ints_is_MC0008()
    {
        var b = new OnnxModelBuilder(opset: 13);
        b.Input("x", 1, 4);
        var c = b.RawNode("Constant", Array.Empty<string>(), new[] { "k" }, "konst");
        c.Attribute.Add(OnnxModelBuilder.Ints("value_float", 3));
        b.Node("Add", new[] { "x", "k" }, "y", "add");
        b.Output("y");
        var errors = Compile(b.Build()).Diagnostics.Where(d => d.Severity == Severity.Error).ToList();
        Assert.Contains(errors, d => d.Id == "MC0008" && d.Message.Contains("'konst'") && d.Message.Contains("value_float"));
        Assert.DoesNotContain(errors, d => d.Id == "MC9999");
    }

    [Fact]
    public void The_last_resort_guard_names_the_node_and_keeps_model_errors_as_model_errors()
    {
        var node = new Node("conv7", "Conv", "");
        var crash = ModelCompilation.Diagnose(new InvalidOperationException("boom"), node);
        Assert.Equal("MC9999", crash.Id);
        Assert.Contains("InvalidOperationException at node 'conv7' (Conv)", crash.Message);
        Assert.Contains("boom", crash.Message);
        Assert.Equal("MC9999", ModelCompilation.Diagnose(new OutOfMemoryException(), null).Id);
        var model = ModelCompilation.Diagnose(new ModelError("bad axis"), node);
        Assert.Equal("MC0008", model.Id);
        Assert.Contains("'conv7'", model.Message);
        Assert.Equal("MC0013", ModelCompilation.Diagnose(new LimitExceeded("too big"), node).Id);
    }
}
