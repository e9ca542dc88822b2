using System;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Nn;

/// <summary>
/// Output sizes and padding of sliding-window ops (Conv, ConvTranspose, pools) from kernel_shape, strides,
/// dilations, pads and auto_pad, exactly as the ONNX spec defines them.
/// </summary>
internal sealed class SpatialGeometry
{
    public int[] Input { get; private set; } = Array.Empty<int>();
    public int[] Kernel { get; private set; } = Array.Empty<int>();
    public int[] Strides { get; private set; } = Array.Empty<int>();
    public int[] Dilations { get; private set; } = Array.Empty<int>();
    public int[] PadsBegin { get; private set; } = Array.Empty<int>();
    public int[] PadsEnd { get; private set; } = Array.Empty<int>();
    public int[] Output { get; private set; } = Array.Empty<int>();
    public int Rank => Input.Length;

    /// <param name="c">The node (attributes kernel_shape, strides, dilations, pads, auto_pad).</param>
    /// <param name="input">Spatial input dims.</param>
    /// <param name="kernel">Kernel dims (from kernel_shape or the weight shape).</param>
    /// <param name="ceilMode">Pools' ceil_mode.</param>
    public static SpatialGeometry Compute(OpContext c, int[] input, int[] kernel, bool ceilMode = false)
    {
        int r = input.Length;
        if (kernel.Length != r) throw new ModelError($"kernel_shape has {kernel.Length} dims but the input has {r} spatial dims");
        int[] strides = Dims(c.Ints("strides"), r, 1, "strides");
        int[] dilations = Dims(c.Ints("dilations"), r, 1, "dilations");
        long[]? pads = c.Ints("pads");
        if (pads is not null && pads.Length != 2 * r) throw new ModelError($"pads has {pads.Length} values, expected {2 * r}");
        if (strides.Any(s => s <= 0) || dilations.Any(d => d <= 0) || kernel.Any(k => k <= 0))
            throw new ModelError("strides, dilations and kernel sizes must be positive");
        string autoPad = c.Str("auto_pad", "NOTSET");

        var g = new SpatialGeometry
        {
            Input = input, Kernel = kernel, Strides = strides, Dilations = dilations,
            PadsBegin = new int[r], PadsEnd = new int[r], Output = new int[r],
        };
        for (int i = 0; i < r; i++)
        {
            long effectiveLong = (long)(kernel[i] - 1) * dilations[i] + 1;
            if (effectiveLong > int.MaxValue) throw new ModelError($"the dilated kernel on spatial axis {i} spans {effectiveLong} elements, more than a dimension can hold");
            int effective = (int)effectiveLong;
            switch (autoPad)
            {
                case "NOTSET":
                case "":
                {
                    g.PadsBegin[i] = pads is null ? 0 : ShapeText.CheckedInt(pads[i]);
                    g.PadsEnd[i] = pads is null ? 0 : ShapeText.CheckedInt(pads[i + r]);
                    if (g.PadsBegin[i] < 0 || g.PadsEnd[i] < 0) throw new ModelError($"pads must not be negative ({Node.Describe(pads!)})");
                    long span = (long)input[i] + g.PadsBegin[i] + g.PadsEnd[i] - effective;
                    if (span < 0) throw new ModelError($"the kernel ({effective}) is larger than the padded input ({(long)input[i] + g.PadsBegin[i] + g.PadsEnd[i]}) on spatial axis {i}");
                    long o = ceilMode ? (span + strides[i] - 1) / strides[i] + 1 : span / strides[i] + 1;
                    // With ceil_mode the last window must start inside the input or the left padding.
                    if (ceilMode && (o - 1) * strides[i] >= (long)input[i] + g.PadsBegin[i]) o--;
                    g.Output[i] = OutputDim(o, i);
                    break;
                }
                case "VALID":
                {
                    long span = (long)input[i] - effective;
                    if (span < 0) throw new ModelError($"the kernel ({effective}) is larger than the input ({input[i]}) on spatial axis {i}");
                    g.Output[i] = OutputDim(ceilMode ? (span + strides[i] - 1) / strides[i] + 1 : span / strides[i] + 1, i);
                    break;
                }
                case "SAME_UPPER":
                case "SAME_LOWER":
                {
                    int o = (int)(((long)input[i] + strides[i] - 1) / strides[i]);
                    int total = (int)Math.Max(0, (long)(o - 1) * strides[i] + effective - input[i]);
                    int small = total / 2, large = total - small;
                    g.PadsBegin[i] = autoPad == "SAME_UPPER" ? small : large;
                    g.PadsEnd[i] = autoPad == "SAME_UPPER" ? large : small;
                    g.Output[i] = o;
                    break;
                }
                default:
                    throw new ModelError($"auto_pad '{autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
            }
        }
        return g;
    }

    private static int OutputDim(long o, int axis) =>
        o > int.MaxValue ? throw new ModelError($"the output would have {o} elements on spatial axis {axis}, more than a dimension can hold") : (int)o;

    private static int[] Dims(long[]? values, int rank, int fallback, string name)
    {
        if (values is null || values.Length == 0) return Enumerable.Repeat(fallback, rank).ToArray();
        if (values.Length != rank) throw new ModelError($"{name} has {values.Length} values, expected {rank}");
        return values.Select(v => ShapeText.CheckedInt(v)).ToArray();
    }

    public string Describe()
    {
        string K(int[] a) => string.Join("x", a);
        var parts = new System.Collections.Generic.List<string> { "kernel " + K(Kernel) };
        if (Strides.Any(s => s != 1)) parts.Add("stride " + K(Strides));
        if (PadsBegin.Concat(PadsEnd).Any(p => p != 0))
            parts.Add("pad " + (PadsBegin.SequenceEqual(PadsEnd) ? K(PadsBegin) : K(PadsBegin) + "/" + K(PadsEnd)));
        if (Dilations.Any(d => d != 1)) parts.Add("dilation " + K(Dilations));
        return string.Join(", ", parts);
    }
}
