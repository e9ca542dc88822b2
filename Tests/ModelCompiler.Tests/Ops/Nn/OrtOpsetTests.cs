using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ModelCompiler.Graph;
using ModelCompiler.Onnx.Proto;
using ModelCompiler.Tests.Infrastructure;
using ModelCompiler.Tests.NodeTests;
using Xunit;
using static ModelCompiler.Tests.Ops.Nn.SingleNodeModels;

namespace ModelCompiler.Tests.Ops.Nn;

/// <summary>
/// The neural-network ops at the opsets and attribute combinations the ONNX node tests leave out (they are
/// generated at the newest opset): Softmax before 13, reductions with axes attributes, Resize-10/11/13,
/// Upsample-7/9, MaxPool indices in column-major order, ConvTranspose with output_shape... Each case is a
/// one-node model run by ONNX Runtime and by ModelCompiler on the same random input.
/// </summary>
public sealed class OrtOpsetTests
{
    private sealed record OpCase(string Name, int Opset, string Op, Input[] Inputs, DataType[] Outputs, (string, object)[] Attrs);

    private static OpCase C(string name, int opset, string op, Input[] inputs, params (string, object)[] attrs) =>
        new(name, opset, op, inputs, new[] { DataType.Float }, attrs);

    private static OpCase C2(string name, int opset, string op, Input[] inputs, DataType[] outputs, params (string, object)[] attrs) =>
        new(name, opset, op, inputs, outputs, attrs);

    private static Input X(params int[] shape) => Input.Data("x", DataType.Float, shape);

    private static float[] Values(int n, float start, float step) => Enumerable.Range(0, n).Select(i => start + step * i).ToArray();

    private static Input W(string name, params int[] shape)
    {
        var random = new Random(shape.Aggregate(17, (h, d) => h * 31 + d));
        return Input.Const(name, shape, Enumerable.Range(0, (int)ShapeText.Product(shape)).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray());
    }

    private static readonly DataType[] FloatAndIndices = { DataType.Float, DataType.Int64 };
    private static readonly Input NoRoi = Input.Floats("roi");
    private static readonly Input NoScales = Input.Floats("scales");

    private static readonly OpCase[] s_cases =
    {
        // Softmax / LogSoftmax: before opset 13 the input is coerced to 2-D at axis.
        C("softmax_7_default_axis", 7, "Softmax", new[] { X(3, 5) }),
        C("softmax_11_axis0", 11, "Softmax", new[] { X(2, 3, 4) }, ("axis", 0)),
        C("softmax_11_default_axis", 11, "Softmax", new[] { X(2, 3, 4) }),
        C("softmax_11_axis2", 11, "Softmax", new[] { X(2, 3, 4) }, ("axis", 2)),
        C("softmax_11_negative_axis", 11, "Softmax", new[] { X(2, 3, 4) }, ("axis", -2)),
        C("softmax_13_axis1", 13, "Softmax", new[] { X(2, 3, 4) }, ("axis", 1)),
        C("logsoftmax_9_default_axis", 9, "LogSoftmax", new[] { X(2, 3, 4) }),
        C("logsoftmax_11_axis0", 11, "LogSoftmax", new[] { X(2, 3, 4) }, ("axis", 0)),
        C("logsoftmax_13_axis1", 13, "LogSoftmax", new[] { X(2, 3, 4) }, ("axis", 1)),

        // Reductions: axes attribute (ReduceSum before 13, the others before 18), then a constant input.
        C("reducemean_11_axes1", 11, "ReduceMean", new[] { X(2, 3, 4) }, ("axes", new long[] { 1 })),
        C("reducemean_11_axes02_nokeep", 11, "ReduceMean", new[] { X(2, 3, 4) }, ("axes", new long[] { 0, 2 }), ("keepdims", 0)),
        C("reducemean_13_all", 13, "ReduceMean", new[] { X(2, 3, 4) }),
        C("reducemax_11_negative_axis", 11, "ReduceMax", new[] { X(2, 3, 4) }, ("axes", new long[] { -1 }), ("keepdims", 0)),
        C("reducemin_13_axes12", 13, "ReduceMin", new[] { X(2, 3, 4, 5) }, ("axes", new long[] { 1, 2 })),
        C2("reducemax_12_uint8", 12, "ReduceMax", new[] { Input.Data("x", DataType.UInt8, 3, 4) }, new[] { DataType.UInt8 }, ("axes", new long[] { 1 })),
        C2("reducemin_12_int8", 12, "ReduceMin", new[] { Input.Data("x", DataType.Int8, 3, 4) }, new[] { DataType.Int8 }, ("axes", new long[] { 0 }), ("keepdims", 0)),
        C("reducesum_11_axes1", 11, "ReduceSum", new[] { X(2, 3, 4) }, ("axes", new long[] { 1 })),
        C("reducesum_13_constant_axes", 13, "ReduceSum", new[] { X(2, 3, 4), Input.Longs("axes", 0, 2) }, ("keepdims", 0)),
        C("reducesum_13_no_axes", 13, "ReduceSum", new[] { X(2, 3, 4) }),
        C("reducesum_13_noop", 13, "ReduceSum", new[] { X(2, 3, 4) }, ("noop_with_empty_axes", 1)),
        C2("reducesum_13_int64", 13, "ReduceSum", new[] { Input.Data("x", DataType.Int64, 3, 4), Input.Longs("axes", 0) }, new[] { DataType.Int64 }),
        C("reducemax_18_constant_axes", 18, "ReduceMax", new[] { X(2, 3, 4), Input.Longs("axes", 0, 2) }, ("keepdims", 0)),
        C("reducemean_18_no_axes", 18, "ReduceMean", new[] { X(2, 3, 4) }, ("keepdims", 0)),
        C("reducemin_18_middle", 18, "ReduceMin", new[] { X(2, 3, 4, 5), Input.Longs("axes", 1, 2) }),

        C("reducel1_11_axes1", 11, "ReduceL1", new[] { X(2, 3, 4) }, ("axes", new long[] { 1 })),
        C("reducel2_13_axes02", 13, "ReduceL2", new[] { X(2, 3, 4) }, ("axes", new long[] { 0, 2 }), ("keepdims", 0)),
        C("reducelogsum_11_all", 11, "ReduceLogSum", new[] { X(2, 3, 4) }),
        C("reducelogsumexp_13_axes1", 13, "ReduceLogSumExp", new[] { X(2, 3, 4) }, ("axes", new long[] { 1 })),
        C("reducelogsumexp_18_last", 18, "ReduceLogSumExp", new[] { X(2, 3, 4), Input.Longs("axes", -1) }, ("keepdims", 0)),
        C("reducesumsquare_13_axes0", 13, "ReduceSumSquare", new[] { X(2, 3, 4) }, ("axes", new long[] { 0 })),
        C2("reduceprod_13_int64", 13, "ReduceProd", new[] { Input.Data("x", DataType.Int64, 3, 4), }, new[] { DataType.Int64 }, ("axes", new long[] { 1 })),
        C("reduceprod_18_middle", 18, "ReduceProd", new[] { X(2, 3, 4), Input.Longs("axes", 1) }),

        // Constant inputs: folded at build time.
        C("reducemean_11_folded", 11, "ReduceMean", new[] { W("c", 2, 3, 4) }, ("axes", new long[] { 0, 2 })),
        C("reducemax_18_folded", 18, "ReduceMax", new[] { W("c", 2, 3, 4), Input.Longs("axes", 1) }, ("keepdims", 0)),
        C2("argmax_13_folded", 13, "ArgMax", new[] { W("c", 3, 4, 5) }, new[] { DataType.Int64 }, ("axis", 1)),

        // ArgMax / ArgMin.
        C2("argmax_11_axis1", 11, "ArgMax", new[] { X(3, 4, 5) }, new[] { DataType.Int64 }, ("axis", 1), ("keepdims", 0)),
        C2("argmax_12_last_index", 12, "ArgMax", new[] { Input.Data("x", DataType.Int64, 3, 10) }, new[] { DataType.Int64 }, ("axis", 1), ("select_last_index", 1)),
        C2("argmin_13_negative_axis", 13, "ArgMin", new[] { X(3, 4, 5) }, new[] { DataType.Int64 }, ("axis", -1)),

        // BatchNormalization (standalone: nothing to fold into) and the other normalizations.
        C("batchnorm_7_4d", 7, "BatchNormalization", new[] { X(2, 3, 4, 5), W("scale", 3), W("bias", 3), W("mean", 3), Input.Floats("var", 0.5f, 1f, 2f) }, ("epsilon", 1e-3f)),
        C("batchnorm_9_2d", 9, "BatchNormalization", new[] { X(4, 3), W("scale", 3), W("bias", 3), W("mean", 3), Input.Floats("var", 0.5f, 1f, 2f) }),
        C("batchnorm_15_3d", 15, "BatchNormalization", new[] { X(2, 3, 5), W("scale", 3), W("bias", 3), W("mean", 3), Input.Floats("var", 0.1f, 1f, 3f) }),
        C("instancenorm_7", 7, "InstanceNormalization", new[] { X(2, 3, 4, 2), W("scale", 3), W("bias", 3) }, ("epsilon", 1e-3f)),
        C("lrn_13", 13, "LRN", new[] { X(2, 6, 3, 3) }, ("size", 5), ("alpha", 0.001f), ("beta", 0.6f), ("bias", 2f)),

        // MaxPool: indices (opset 8) row- and column-major, ceil_mode (10), dilations (11), 1-D, 3-D, int8/uint8 (12).
        C2("maxpool_8_indices", 8, "MaxPool", new[] { X(1, 2, 5, 5) }, FloatAndIndices, ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 })),
        C2("maxpool_8_indices_column_major", 8, "MaxPool", new[] { X(2, 2, 4, 6) }, FloatAndIndices,
            ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 1, 2 }), ("pads", new long[] { 1, 1, 1, 1 }), ("storage_order", 1)),
        C2("maxpool_10_ceil", 10, "MaxPool", new[] { X(1, 1, 6, 6) }, FloatAndIndices, ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 2, 2 }), ("ceil_mode", 1)),
        C("maxpool_11_dilations", 11, "MaxPool", new[] { X(1, 2, 8, 8) }, ("kernel_shape", new long[] { 2, 2 }), ("dilations", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 1, 1 })),
        C2("maxpool_11_same_lower", 11, "MaxPool", new[] { X(1, 1, 6, 5) }, FloatAndIndices, ("kernel_shape", new long[] { 2, 3 }), ("strides", new long[] { 2, 2 }), ("auto_pad", "SAME_LOWER")),
        C2("maxpool_12_1d", 12, "MaxPool", new[] { X(2, 3, 9) }, FloatAndIndices, ("kernel_shape", new long[] { 3 }), ("strides", new long[] { 2 })),
        C2("maxpool_12_3d", 12, "MaxPool", new[] { X(1, 2, 5, 6, 7) }, FloatAndIndices,
            ("kernel_shape", new long[] { 2, 3, 2 }), ("strides", new long[] { 2, 1, 2 }), ("pads", new long[] { 0, 1, 0, 1, 1, 1 })),
        C2("maxpool_12_3d_column_major", 12, "MaxPool", new[] { X(1, 1, 4, 5, 6) }, FloatAndIndices,
            ("kernel_shape", new long[] { 2, 2, 2 }), ("strides", new long[] { 2, 2, 2 }), ("storage_order", 1)),
        C2("maxpool_12_uint8", 12, "MaxPool", new[] { Input.Data("x", DataType.UInt8, 1, 2, 6, 6) }, new[] { DataType.UInt8 }, ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 })),
        C2("maxpool_12_int8_same_upper", 12, "MaxPool", new[] { Input.Data("x", DataType.Int8, 1, 1, 5, 5) }, new[] { DataType.Int8 },
            ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 2, 2 }), ("auto_pad", "SAME_UPPER")),

        // AveragePool: count_include_pad (7), ceil_mode (10), dilations (19), 1-D and 3-D.
        C("averagepool_7_pads_count_include_pad", 7, "AveragePool", new[] { X(1, 2, 5, 5) },
            ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 }), ("strides", new long[] { 2, 2 }), ("count_include_pad", 1)),
        C("averagepool_10_ceil_count_include_pad", 10, "AveragePool", new[] { X(1, 1, 6, 6) },
            ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 0, 0 }), ("ceil_mode", 1), ("count_include_pad", 1)),
        C("averagepool_11_ceil", 11, "AveragePool", new[] { X(1, 1, 7, 6) }, ("kernel_shape", new long[] { 3, 2 }), ("strides", new long[] { 2, 3 }), ("ceil_mode", 1)),
        C("averagepool_11_same_upper_count_include_pad", 11, "AveragePool", new[] { X(1, 1, 5, 5) },
            ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }), ("auto_pad", "SAME_UPPER"), ("count_include_pad", 1)),
        C("averagepool_11_1d", 11, "AveragePool", new[] { X(2, 3, 10) }, ("kernel_shape", new long[] { 4 }), ("strides", new long[] { 3 }), ("pads", new long[] { 1, 2 })),
        C("averagepool_11_3d", 11, "AveragePool", new[] { X(1, 2, 4, 5, 6) }, ("kernel_shape", new long[] { 2, 2, 3 }), ("pads", new long[] { 1, 0, 1, 0, 1, 1 })),
        C("averagepool_19_dilations", 19, "AveragePool", new[] { X(1, 1, 7, 7) },
            ("kernel_shape", new long[] { 2, 2 }), ("dilations", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 1, 1 })),
        C("globalaveragepool_1d", 7, "GlobalAveragePool", new[] { X(2, 3, 7) }),
        C("globalaveragepool_3d", 7, "GlobalAveragePool", new[] { X(1, 2, 3, 4, 5) }),
        C("globalmaxpool_3d", 7, "GlobalMaxPool", new[] { X(1, 2, 3, 4, 5) }),

        // ConvTranspose: pads from output_shape and auto_pad, groups with dilations, output_padding, 1-D and 3-D.
        C("convtranspose_11_output_shape", 11, "ConvTranspose", new[] { X(1, 2, 3, 3), W("w", 2, 3, 3, 3) }, ("strides", new long[] { 2, 2 }), ("output_shape", new long[] { 6, 6 })),
        C("convtranspose_11_same_upper", 11, "ConvTranspose", new[] { X(1, 1, 4, 4), W("w", 1, 2, 3, 3) }, ("strides", new long[] { 2, 2 }), ("auto_pad", "SAME_UPPER")),
        C("convtranspose_11_same_lower", 11, "ConvTranspose", new[] { X(1, 1, 4, 4), W("w", 1, 2, 3, 3) }, ("strides", new long[] { 2, 2 }), ("auto_pad", "SAME_LOWER")),
        C("convtranspose_11_group_dilations", 11, "ConvTranspose", new[] { X(1, 4, 5, 5), W("w", 4, 3, 3, 3), W("b", 6) },
            ("group", 2), ("dilations", new long[] { 2, 1 }), ("strides", new long[] { 1, 2 }), ("pads", new long[] { 1, 0, 2, 1 })),
        C("convtranspose_11_output_padding", 11, "ConvTranspose", new[] { X(1, 2, 3, 4), W("w", 2, 2, 3, 3) },
            ("strides", new long[] { 3, 2 }), ("output_padding", new long[] { 2, 1 }), ("pads", new long[] { 1, 1, 1, 1 })),
        C("convtranspose_11_1d", 11, "ConvTranspose", new[] { X(1, 2, 5), W("w", 2, 3, 4), W("b", 3) }, ("strides", new long[] { 3 }), ("pads", new long[] { 1, 2 })),
        C("convtranspose_11_3d", 11, "ConvTranspose", new[] { X(1, 2, 3, 4, 3), W("w", 2, 2, 2, 3, 2), W("b", 2) }, ("strides", new long[] { 2, 1, 2 })),
        C("conv_11_3d_group_dilations", 11, "Conv", new[] { X(1, 4, 5, 6, 7), W("w", 6, 2, 3, 2, 3), W("b", 6) },
            ("group", 2), ("strides", new long[] { 2, 1, 2 }), ("pads", new long[] { 1, 0, 1, 1, 1, 0 }), ("dilations", new long[] { 1, 2, 1 })),
        C("batchnorm_7_spatial0", 7, "BatchNormalization", new[] { X(2, 3, 2, 2), W("scale", 3, 2, 2), W("bias", 3, 2, 2), W("mean", 3, 2, 2), Input.Const("var", new[] { 3, 2, 2 }, Values(12, 0.2f, 0.3f)) },
            ("spatial", 0)),
        C("conv_11_1d_group", 11, "Conv", new[] { X(1, 4, 9), W("w", 6, 2, 3), W("b", 6) }, ("group", 2), ("strides", new long[] { 2 }), ("pads", new long[] { 1, 1 })),

        // Resize-10 and Upsample: x / scale; nearest floors when enlarging and ceils when shrinking.
        C("resize_10_nearest_up", 10, "Resize", new[] { X(1, 1, 3, 4), Input.Floats("scales", 1, 1, 2, 3) }),
        C("resize_10_nearest_down", 10, "Resize", new[] { X(1, 1, 6, 9), Input.Floats("scales", 1, 1, 0.5f, 0.6f) }),
        C("resize_10_nearest_fractional", 10, "Resize", new[] { X(1, 1, 4, 5), Input.Floats("scales", 1, 1, 1.5f, 1.7f) }),
        C("resize_10_linear_up", 10, "Resize", new[] { X(1, 2, 3, 4), Input.Floats("scales", 1, 1, 2, 2.5f) }, ("mode", "linear")),
        C("resize_10_linear_down", 10, "Resize", new[] { X(1, 1, 6, 8), Input.Floats("scales", 1, 1, 0.5f, 0.75f) }, ("mode", "linear")),
        C("upsample_7_nearest", 7, "Upsample", new[] { X(1, 2, 2, 3) }, ("scales", new[] { 1f, 1f, 2f, 3f })),
        C("upsample_7_linear", 7, "Upsample", new[] { X(1, 2, 3, 4) }, ("scales", new[] { 1f, 1f, 2f, 2.5f }), ("mode", "linear")),
        C("upsample_9_nearest", 9, "Upsample", new[] { X(1, 1, 3, 4), Input.Floats("scales", 1, 1, 1.5f, 2) }),
        C("upsample_9_linear", 9, "Upsample", new[] { X(1, 1, 3, 4), Input.Floats("scales", 1, 1, 2, 2) }, ("mode", "linear")),

        // Resize-11+: coordinate transformations, nearest modes, cubic, crops; sizes instead of scales.
        C("resize_11_linear_half_pixel", 11, "Resize", new[] { X(1, 2, 4, 5), NoRoi, Input.Floats("scales", 1, 1, 1.5f, 2.5f) }, ("mode", "linear")),
        C("resize_11_linear_align_corners_sizes", 11, "Resize", new[] { X(1, 1, 4, 6), NoRoi, NoScales, Input.Longs("sizes", 1, 1, 5, 7) },
            ("mode", "linear"), ("coordinate_transformation_mode", "align_corners")),
        C("resize_11_nearest_asymmetric_ceil", 11, "Resize", new[] { X(1, 1, 4, 5), NoRoi, Input.Floats("scales", 1, 1, 2.25f, 2f) },
            ("coordinate_transformation_mode", "asymmetric"), ("nearest_mode", "round_prefer_ceil")),
        C("resize_11_nearest_half_pixel_floor", 11, "Resize", new[] { X(1, 1, 6, 5), NoRoi, Input.Floats("scales", 1, 1, 0.5f, 1.5f) },
            ("nearest_mode", "floor")),
        C("resize_11_nearest_align_corners_ceil", 11, "Resize", new[] { X(1, 1, 6, 5), NoRoi, NoScales, Input.Longs("sizes", 1, 1, 4, 9) },
            ("coordinate_transformation_mode", "align_corners"), ("nearest_mode", "ceil")),
        C("resize_11_linear_pytorch_half_pixel", 11, "Resize", new[] { X(1, 1, 4, 6), NoRoi, NoScales, Input.Longs("sizes", 1, 1, 1, 5) },
            ("mode", "linear"), ("coordinate_transformation_mode", "pytorch_half_pixel")),
        C("resize_11_cubic_exclude_outside", 11, "Resize", new[] { X(1, 1, 5, 6), NoRoi, Input.Floats("scales", 1, 1, 1.6f, 0.5f) },
            ("mode", "cubic"), ("cubic_coeff_a", -0.5f), ("exclude_outside", 1)),
        C("resize_11_tf_crop_and_resize", 11, "Resize", new[] { X(1, 1, 6, 7), Input.Floats("roi", 0, 0, 0.2f, -0.3f, 1, 1, 0.8f, 0.9f), NoScales, Input.Longs("sizes", 1, 1, 5, 4) },
            ("mode", "linear"), ("coordinate_transformation_mode", "tf_crop_and_resize"), ("extrapolation_value", 7f)),
        C("resize_13_sizes_nearest_no_roi", 13, "Resize", new[] { X(1, 2, 4, 5), Input.None, Input.None, Input.Longs("sizes", 1, 2, 7, 3) }),
        C("resize_13_scales_linear_no_roi", 13, "Resize", new[] { X(2, 1, 4, 4), Input.None, Input.Floats("scales", 1, 1, 0.75f, 1.25f) }, ("mode", "linear")),
        C("resize_18_linear_antialias", 18, "Resize", new[] { X(1, 1, 10, 12), Input.None, Input.Floats("scales", 1, 1, 0.6f, 0.4f) }, ("mode", "linear"), ("antialias", 1)),
        C("resize_18_axes_not_larger", 18, "Resize", new[] { X(1, 2, 6, 8), Input.None, Input.None, Input.Longs("sizes", 4, 9) },
            ("axes", new long[] { 2, 3 }), ("keep_aspect_ratio_policy", "not_larger")),
        C("resize_19_linear_half_pixel_symmetric", 19, "Resize", new[] { X(1, 1, 6, 8), Input.None, Input.Floats("scales", 1, 1, 0.7f, 1.3f) },
            ("mode", "linear"), ("coordinate_transformation_mode", "half_pixel_symmetric")),
    };

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in s_cases) data.Add(c.Name);
        return data;
    }

    private static readonly Lazy<(Dictionary<string, string> OrtFailures, CompiledGroup Group)> s_group = new(Build);

    private static (Dictionary<string, string>, CompiledGroup) Build()
    {
        // Per process, so that concurrent test runs never share files; the group reads everything while it builds.
        string root = Path.Combine(Path.GetTempPath(), "modelcompiler-tests", $"ort-opset-cases-{Environment.ProcessId}");
        var failures = new Dictionary<string, string>(StringComparer.Ordinal);
        var cases = new List<NodeCase>();
        for (int index = 0; index < s_cases.Length; index++)
        {
            var c = s_cases[index];
            var model = Model(c.Opset, c.Op, c.Inputs, c.Outputs, c.Attrs);
            var random = new Random(1000 + index);
            var data = c.Inputs.Where(i => i.IsData).Select(i => (Input: i, Data: RandomData(i.Type, i.Shape, random))).ToList();
            List<TensorProto> expected;
            try
            {
                expected = RunOnnxRuntime(model, data, c.Outputs);
            }
            catch (OnnxRuntimeException e)
            {
                failures[c.Name] = "ONNX Runtime: " + e.Message;
                continue;
            }
            string dir = Path.Combine(root, c.Name);
            WriteCase(dir, model, data.Select(d => OnnxModelBuilder.Tensor(d.Input.Name, d.Input.Type, d.Input.Shape, d.Data)).ToList(), expected);
            cases.Add(new NodeCase(c.Name, dir, "ort", new[] { c.Op }, null));
        }
        var group = CompiledGroup.Build(cases);
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        return (failures, group);
    }

    private static List<TensorProto> RunOnnxRuntime(ModelProto model, List<(Input Input, Array Data)> inputs, DataType[] outputs)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(model), options);
        // Switch on the declared type: the CLR lets an sbyte[] match 'byte[]' and the other way round.
        var feeds = inputs.Select(d => d.Input.Type switch
        {
            DataType.Float => NamedOnnxValue.CreateFromTensor(d.Input.Name, new DenseTensor<float>((float[])d.Data, d.Input.Shape)),
            DataType.Int64 => NamedOnnxValue.CreateFromTensor(d.Input.Name, new DenseTensor<long>((long[])d.Data, d.Input.Shape)),
            DataType.Int8 => NamedOnnxValue.CreateFromTensor(d.Input.Name, new DenseTensor<sbyte>((sbyte[])d.Data, d.Input.Shape)),
            DataType.UInt8 => NamedOnnxValue.CreateFromTensor(d.Input.Name, new DenseTensor<byte>((byte[])d.Data, d.Input.Shape)),
            _ => throw new NotSupportedException(d.Input.Type.ToString()),
        }).ToList();
        using var results = session.Run(feeds);
        var list = results.ToList();
        var protos = new List<TensorProto>();
        for (int k = 0; k < outputs.Length; k++)
        {
            var r = list.Single(v => v.Name == "y" + k);
            (Array data, int[] dims) = outputs[k] switch
            {
                DataType.Float => Dense(r.AsTensor<float>()),
                DataType.Int64 => Dense(r.AsTensor<long>()),
                DataType.UInt8 => Dense(r.AsTensor<byte>()),
                DataType.Int8 => Dense(r.AsTensor<sbyte>()),
                _ => throw new NotSupportedException(outputs[k].ToString()),
            };
            protos.Add(OnnxModelBuilder.Tensor("y" + k, outputs[k], dims, data));
        }
        return protos;
    }

    private static (Array, int[]) Dense<T>(Microsoft.ML.OnnxRuntime.Tensors.Tensor<T> t) => (t.ToArray(), t.Dimensions.ToArray());

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_onnx_runtime(string name)
    {
        var (ortFailures, group) = s_group.Value;
        if (ortFailures.TryGetValue(name, out var why)) Assert.Fail($"{name}: reference unavailable: {why}");
        string? failure = group.Failure(name);
        if (failure is not null) Assert.Fail($"{name}: {failure}");
        var io = group.Io(name);
        var set = io.DataSets[0];
        var outputs = set.Outputs.Select(o => Adapter.NewArray(o.CSharpType, o.Data.Length)).ToArray();
        Adapter.Run(group.Assembly, io.Namespace, set.Inputs.Select(i => (object)i.Data).ToArray(), outputs);
        for (int k = 0; k < outputs.Length; k++)
        {
            Assert.True(set.Outputs[k].Data.Length == outputs[k].Length, $"{name} output {k}: {outputs[k].Length} elements, ONNX Runtime gave {set.Outputs[k].Data.Length}");
            Compare.Close(set.Outputs[k].Data, outputs[k], OnnxNodeTests.FloatRtol, 1e-5, $"{name} output {k}");
        }
    }
}
