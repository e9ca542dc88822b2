using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Tests.Infrastructure;
using Xunit;
using static ModelCompiler.Tests.Ops.Index.OpCase;

namespace ModelCompiler.Tests.Ops.Index;

/// <summary>
/// Sampling, pooling and normalization ops against ONNX Runtime: RoiAlign (both coordinate modes, avg and max,
/// adaptive sampling, regions partly outside), GridSample in every mode, padding and alignment in 2-D and the
/// 3-D linear/nearest forms, AffineGrid, Col2Im, MaxUnpool, LpPool, Hardmax, LpNormalization,
/// MeanVarianceNormalization, Det, CenterCropPad, EyeLike. Floats within 1e-6 + 1e-4 relative.
/// </summary>
public sealed class VisionOpsOrtTests
{
    private static readonly HashSet<string> s_weights = new(StringComparer.Ordinal) { "size", "shape", "image", "block", "output_shape" };

    private static IEnumerable<OpCase> All()
    {
        var x = Floats("x", new[] { 1, 2, 10, 10 }, 1);
        var rois = TestTensor.Floats("rois", new[] { 4, 4 }, new[] { 0f, 0f, 9f, 9f, 1.3f, 2.2f, 4.7f, 8.1f, -2f, 5f, 3f, 12f, 6.2f, 6.4f, 6.3f, 6.45f });
        var batch = Longs("b", new[] { 4 }, 0, 0, 0, 0);
        yield return Node("roialign_half_pixel_avg", "RoiAlign", 16, new[] { x, rois, batch }, new[] { DataType.Float }, null,
            ("output_height", 3), ("output_width", 4), ("sampling_ratio", 2), ("spatial_scale", 1f));
        yield return Node("roialign_output_half_pixel_adaptive", "RoiAlign", 16, new[] { x, rois, batch }, new[] { DataType.Float }, null,
            ("output_height", 2), ("output_width", 2), ("sampling_ratio", 0), ("spatial_scale", 0.5f), ("coordinate_transformation_mode", "output_half_pixel"));
        yield return Node("roialign_max", "RoiAlign", 16, new[] { x, rois, batch }, new[] { DataType.Float }, null,
            ("output_height", 3), ("output_width", 3), ("sampling_ratio", 2), ("mode", "max"));

        var image = Floats("x", new[] { 1, 2, 5, 6 }, 2);
        var grid = Floats("grid", new[] { 1, 4, 7, 2 }, 3, 1.3f);
        foreach (string mode in new[] { "nearest", "linear", "cubic" })
            foreach (string padding in new[] { "zeros", "border", "reflection" })
                foreach (int align in new[] { 0, 1 })
                    yield return Node($"gridsample_{mode}_{padding}_align{align}", "GridSample", 20, new[] { image, grid }, new[] { DataType.Float }, null,
                        ("mode", mode), ("padding_mode", padding), ("align_corners", align));
        yield return Node("gridsample_opset16_bicubic", "GridSample", 16, new[] { image, grid }, new[] { DataType.Float }, null, ("mode", "bicubic"));
        var volume = Floats("x", new[] { 1, 2, 3, 4, 5 }, 4);
        var grid3 = Floats("grid", new[] { 1, 2, 3, 4, 3 }, 5, 1.2f);
        foreach (string mode in new[] { "nearest", "linear" })
            foreach (string padding in new[] { "zeros", "border", "reflection" })
                yield return Node($"gridsample_3d_{mode}_{padding}", "GridSample", 20, new[] { volume, grid3 }, new[] { DataType.Float }, null,
                    ("mode", mode), ("padding_mode", padding), ("align_corners", padding == "border" ? 1 : 0));

        foreach (int align in new[] { 0, 1 })
        {
            yield return Node($"affine_grid_2d_align{align}", "AffineGrid", 20, new[] { Floats("theta", new[] { 2, 2, 3 }, 6), Longs("size", new[] { 4 }, 2, 3, 5, 7) },
                new[] { DataType.Float }, s_weights, ("align_corners", align));
            yield return Node($"affine_grid_3d_align{align}", "AffineGrid", 20, new[] { Floats("theta", new[] { 1, 3, 4 }, 7), Longs("size", new[] { 5 }, 1, 2, 3, 4, 5) },
                new[] { DataType.Float }, s_weights, ("align_corners", align));
        }

        yield return Node("col2im_strides_pads_dilations", "Col2Im", 18,
            new[] { Floats("x", new[] { 1, 2 * 4, 9 }, 8), Longs("image", new[] { 2 }, 5, 6), Longs("block", new[] { 2 }, 2, 2) }, new[] { DataType.Float }, s_weights,
            ("strides", new[] { 2, 2 }), ("pads", new[] { 1, 0, 1, 1 }), ("dilations", new[] { 1, 2 }));

        // MaxPool 2x2 stride 2 indices of a 6x6 plane (one position per window).
        var pooled = Floats("x", new[] { 1, 2, 3, 3 }, 9);
        var where = new long[18];
        for (int c = 0, k = 0; c < 2; c++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++, k++) where[k] = c * 36 + (2 * i + (k % 2)) * 6 + 2 * j + (k / 2 % 2);
        yield return Node("maxunpool_2x2", "MaxUnpool", 11, new[] { pooled, Longs("i", new[] { 1, 2, 3, 3 }, where) }, new[] { DataType.Float }, null,
            ("kernel_shape", new[] { 2, 2 }), ("strides", new[] { 2, 2 }));

        var planes = Floats("x", new[] { 1, 3, 8, 9 }, 10);
        yield return Node("lppool_p3_pads", "LpPool", 18, new[] { planes }, new[] { DataType.Float }, null, ("kernel_shape", new[] { 3, 3 }), ("p", 3), ("pads", new[] { 1, 2, 1, 0 }));
        yield return Node("lppool_p2_strides_dilations", "LpPool", 18, new[] { planes }, new[] { DataType.Float }, null,
            ("kernel_shape", new[] { 2, 3 }), ("strides", new[] { 2, 1 }), ("dilations", new[] { 2, 2 }));
        yield return Node("lppool_p1_1d", "LpPool", 18, new[] { Floats("x", new[] { 2, 3, 11 }, 11) }, new[] { DataType.Float }, null, ("kernel_shape", new[] { 4 }), ("p", 1), ("strides", new[] { 3 }));

        var rows = TestTensor.Floats("x", new[] { 2, 3, 4 }, OnnxModelBuilder.RandomFloats(24, 12).Select(v => MathF.Round(v * 3)).ToArray());
        yield return Node("hardmax_axis1_opset13", "Hardmax", 13, new[] { rows }, new[] { DataType.Float }, null, ("axis", 1));
        yield return Node("hardmax_axis1_opset11_coerced", "Hardmax", 11, new[] { rows }, new[] { DataType.Float }, null, ("axis", 1));
        yield return Node("lpnormalization_p1_axis1", "LpNormalization", 13, new[] { Floats("x", new[] { 2, 3, 4 }, 13) }, new[] { DataType.Float }, null, ("axis", 1), ("p", 1));
        yield return Node("lpnormalization_p2", "LpNormalization", 13, new[] { Floats("x", new[] { 2, 3, 4 }, 14) }, new[] { DataType.Float });
        yield return Node("mvn_default_axes", "MeanVarianceNormalization", 13, new[] { Floats("x", new[] { 2, 3, 4, 5 }, 15) }, new[] { DataType.Float });
        yield return Node("mvn_axes_1_3", "MeanVarianceNormalization", 13, new[] { Floats("x", new[] { 2, 3, 4, 5 }, 16) }, new[] { DataType.Float }, null, ("axes", new[] { 1, 3 }));
        yield return Node("det_3x4x4", "Det", 13, new[] { Floats("x", new[] { 3, 4, 4 }, 17) }, new[] { DataType.Float });
        yield return Node("center_crop_pad_mixed", "CenterCropPad", 18, new[] { Floats("x", new[] { 5, 8, 3 }, 18), Longs("shape", new[] { 2 }, 8, 5) },
            new[] { DataType.Float }, s_weights, ("axes", new[] { 0, 1 }));
        yield return Node("eyelike_k_minus1_int64", "EyeLike", 9, new[] { Floats("x", new[] { 4, 6 }, 19) }, new[] { DataType.Int64 }, null, ("k", -1), ("dtype", (int)DataType.Int64));
    }

    private static readonly Lazy<OpCaseGroup> s_group = new(() => OpCaseGroup.Build("VisionOrt", All()));

    public static TheoryData<string> Cases() => new(All().Select(c => c.Name));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_onnx_runtime(string name) => s_group.Value.Check(name);
}
